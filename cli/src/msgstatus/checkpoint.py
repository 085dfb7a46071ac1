"""Which objects a backfill has loaded: a local SQLite file, one committed row per object.

An object is recorded (bucket, key, ETag) only after every message in it was
written, in a transaction of its own, so that a run stopped anywhere (Ctrl-C,
a crash, a lost connection) leaves a file that lists exactly the objects
that are done. A rerun skips them and redoes the rest, an object cut off
midway included: merging its events again writes nothing for the messages
already written. An object rewritten since (a new ETag) is loaded again.

SQLite rather than a JSON file rewritten after each object: its commits are
atomic and durable by design, and recording one object costs the same with a
million rows as with ten.

The file also holds the source and the table it was made for, so that a
checkpoint of one backfill never skips objects for another.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from msgstatus.errors import CliError

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS done ("
    " bucket TEXT NOT NULL, key TEXT NOT NULL, etag TEXT NOT NULL,"
    " events INTEGER NOT NULL, PRIMARY KEY (bucket, key, etag))",
)
STATE_DIR_ENV = "XDG_STATE_HOME"


def default_path(env: Mapping[str, str], source: str, table: str) -> Path:
    """Where the checkpoint of loading ``source`` into ``table`` lives by default:
    ``$XDG_STATE_HOME/msgstatus/backfill/`` (else ``~/.local/state/...``), one file per
    source and table."""
    base = Path(env[STATE_DIR_ENV]) if env.get(STATE_DIR_ENV) else Path.home() / ".local" / "state"
    digest = hashlib.sha256(f"{source}\n{table}".encode()).hexdigest()[:12]
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", source.removeprefix("s3://")).strip("-")[:80]
    return base / "msgstatus" / "backfill" / f"{readable}-{digest}.sqlite"


class Checkpoint:
    """The objects of one backfill that are done; ``restart`` forgets them first."""

    def __init__(self, path: Path, source: str, table: str, *, restart: bool = False) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None)  # transactions by hand
            for statement in SCHEMA:
                self.db.execute(statement)
        except (OSError, sqlite3.Error) as err:
            raise CliError(f"cannot use the checkpoint {path}: {err}") from err
        try:
            self._claim(source, table, restart)
        except sqlite3.Error as err:  # not a checkpoint (another file), or unwritable
            raise CliError(f"cannot use the checkpoint {path}: {err}") from err

    def _claim(self, source: str, table: str, restart: bool) -> None:
        made_for = dict(self.db.execute("SELECT name, value FROM meta").fetchall())
        wanted = {"source": source, "table": table}
        if made_for and made_for != wanted and not restart:
            raise CliError(
                f"the checkpoint {self.path} is for {made_for.get('source')} into "
                f"{made_for.get('table')}: pass another --checkpoint, or --restart to reuse it"
            )
        with self.transaction():
            if restart:
                self.db.execute("DELETE FROM done")
            self.db.executemany(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", wanted.items()
            )

    def transaction(self) -> sqlite3.Connection:
        """The connection as a context manager: BEGIN, then COMMIT (or ROLLBACK on error)."""
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def is_done(self, bucket: str, key: str, etag: str) -> bool:
        try:
            row = self.db.execute(
                "SELECT 1 FROM done WHERE bucket = ? AND key = ? AND etag = ?", (bucket, key, etag)
            ).fetchone()
        except sqlite3.Error as err:
            raise CliError(f"cannot read the checkpoint {self.path}: {err}") from err
        return row is not None

    def record(self, bucket: str, key: str, etag: str, events: int) -> None:
        """The object is done: committed before this returns."""
        try:
            with self.transaction():
                self.db.execute(
                    "INSERT OR REPLACE INTO done (bucket, key, etag, events) VALUES (?, ?, ?, ?)",
                    (bucket, key, etag, events),
                )
        except sqlite3.Error as err:  # a full disk, say: the object is loaded, not recorded
            raise CliError(f"cannot write the checkpoint {self.path}: {err}") from err

    def close(self) -> None:
        self.db.close()
