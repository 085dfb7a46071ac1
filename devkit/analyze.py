"""The named Athena queries (analytics/*.sql), run locally with DuckDB on an archive.

Athena speaks Trino SQL; sqlglot transpiles each query to DuckDB's dialect, and
DuckDB reads the archive as Athena does: gzip JSON lines under
events/yyyy/MM/dd/, with the Glue table's columns (dist/archive_columns.json,
generated from message_status.events.ARCHIVE_LINE_COLUMNS).

Each query reads the partitions of its window only (``dt`` from the window's
first day on): the files are templates whose ``${window_days}`` the module
fills with ``athena_query_window_days`` (Terraform's templatefile), as
:func:`named_queries` does here. ``today`` runs them as of another day.

    python -m devkit.analyze [--archive DIR] [--window-days N]   # `make analyze`

`make demo` leaves its archive in .demo-archive/ (the objects it wrote to the
emulator's bucket, as Firehose would).
"""

from __future__ import annotations

import argparse
import json
import string
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from devkit import DIST, ROOT

QUERIES = ROOT / "analytics"
# athena_query_window_days' default (variables.tf; tests/terraform/test_plan_analytics.py).
WINDOW_DAYS = 30
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


def templates() -> dict[str, str]:
    """Each named query's SQL as the module ships it, ``${window_days}`` unfilled."""
    return {path.stem: path.read_text() for path in sorted(QUERIES.glob("*.sql"))}


def named_queries(window_days: int = WINDOW_DAYS) -> dict[str, str]:
    """Each named query as the module creates it for ``athena_query_window_days``."""
    # string.Template reads ${name} as Terraform's templatefile does; substitute()
    # raises on any other placeholder, so the two cannot disagree silently.
    return {
        name: string.Template(sql).substitute(window_days=window_days)
        for name, sql in templates().items()
    }


def to_duckdb(trino_sql: str, today: date | None = None) -> str:
    """The query in DuckDB's dialect; with ``today``, CURRENT_DATE is that day."""
    tree = sqlglot.parse_one(trino_sql, read="trino")
    if today is not None:
        day = exp.cast(exp.Literal.string(today.isoformat()), exp.DataType.Type.DATE)
        tree = tree.transform(
            lambda node: day.copy() if isinstance(node, exp.CurrentDate) else node
        )
    return tree.sql(dialect="duckdb")


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


def run(connection: duckdb.DuckDBPyConnection, sql: str, today: date | None = None) -> Result:
    cursor = connection.execute(to_duckdb(sql, today))
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
    parser.add_argument(
        "--window-days", type=int, default=WINDOW_DAYS, help="the days each query reads back"
    )
    args = parser.parse_args(argv)
    if not (args.archive / "events").is_dir():
        print(f"error: no archive in {args.archive}: run `make demo` first", file=sys.stderr)
        return 2
    connection = connect(args.archive)
    for name, sql in named_queries(args.window_days).items():
        first_line = sql.strip().splitlines()[0].removeprefix("--").strip()
        print(f"\n== {name}: {first_line}\n")
        print(table(run(connection, sql)) or "(no rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
