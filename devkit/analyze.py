"""The named Athena queries (analytics/*.sql), run locally with DuckDB on an archive.

Athena speaks Trino SQL; sqlglot transpiles each query to DuckDB's dialect, and
DuckDB reads the archive as Athena does: gzip JSON lines under
events/yyyy/MM/dd/, with the Glue table's columns (dist/archive_columns.json,
generated from message_status.events.ARCHIVE_LINE_COLUMNS).

    python -m devkit.analyze [--archive DIR]   # `make analyze`: the demo's archive

`make demo` leaves its archive in .demo-archive/ (the objects it wrote to the
emulator's bucket, as Firehose would).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from devkit import DIST, ROOT

QUERIES = ROOT / "analytics"
DEMO_ARCHIVE = ROOT / ".demo-archive"
# The Glue (Hive) types the archive line uses, in DuckDB's words.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "array<string>": "VARCHAR[]",
}


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def glue_columns() -> list[dict[str, str]]:
    columns: list[dict[str, str]] = json.loads((DIST / "archive_columns.json").read_text())
    return columns


def named_queries() -> dict[str, str]:
    return {path.stem: path.read_text() for path in sorted(QUERIES.glob("*.sql"))}


def to_duckdb(trino_sql: str) -> str:
    (statement,) = sqlglot.transpile(trino_sql, read="trino", write="duckdb")
    return statement


def connect(archive: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB database with an ``events`` view over ``archive``/events/, as the Glue table."""
    columns = {c["name"]: DUCKDB_TYPES[c["type"]] for c in glue_columns()}
    pattern = (archive / "events" / "**" / "*.gz").as_posix()
    # The path and the columns are ours, never input: plain formatting is safe here.
    source = (
        f"read_json('{pattern}', format = 'newline_delimited', "
        f"compression = 'gzip', filename = true, columns = {columns!r})"
    )
    view = (
        "CREATE VIEW events AS SELECT * EXCLUDE (filename), "
        "regexp_extract(filename, 'events/([0-9]{4}/[0-9]{2}/[0-9]{2})/', 1) AS dt "
        "FROM " + source
    )
    connection = duckdb.connect()
    connection.execute(view)
    return connection


def run(connection: duckdb.DuckDBPyConnection, sql: str) -> Result:
    cursor = connection.execute(to_duckdb(sql))
    return Result([d[0] for d in cursor.description], cursor.fetchall())


def table(result: Result) -> str:
    """A plain-text table: a header, a rule, the rows."""
    cells = [result.columns, *[["" if v is None else str(v) for v in row] for row in result.rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(result.columns))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the named Athena queries on a local archive.")
    parser.add_argument("--archive", type=Path, default=DEMO_ARCHIVE)
    args = parser.parse_args(argv)
    if not (args.archive / "events").is_dir():
        print(f"error: no archive in {args.archive}: run `make demo` first", file=sys.stderr)
        return 2
    connection = connect(args.archive)
    for name, sql in named_queries().items():
        first_line = sql.strip().splitlines()[0].removeprefix("--").strip()
        print(f"\n== {name}: {first_line}\n")
        print(table(run(connection, sql)) or "(no rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
