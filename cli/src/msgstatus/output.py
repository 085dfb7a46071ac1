"""Where text goes: results on stdout, progress and notes on stderr.

On a terminal, tables and progress are drawn with rich; otherwise tables are
tab-separated lines (one header line, then one line per row) and progress is
plain lines, so that output can be piped into other tools.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def one_line(text: str) -> str:
    """Any message as a single line (AWS and OS errors may span several)."""
    return " ".join(str(text).split())


class Output:
    def __init__(self, stdout: TextIO, stderr: TextIO) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.out = Console(file=stdout, soft_wrap=True, highlight=False, markup=False)
        self.err = Console(file=stderr, soft_wrap=True, highlight=False, markup=False)

    @property
    def interactive(self) -> bool:
        """Whether progress can be drawn in place (stderr is a terminal)."""
        return self.err.is_terminal

    def line(self, text: str = "") -> None:
        self.out.print(text)

    def note(self, text: str) -> None:
        self.err.print(text)

    def error(self, text: str) -> None:
        print(f"msgstatus: error: {one_line(text)}", file=self.stderr, flush=True)

    def json(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
        self.stdout.flush()

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A rich table on a terminal wide enough for it; tab-separated lines otherwise."""
        # Ids and times are copied from here: never cut or wrap them.
        widths = [max(len(cell) for cell in column) for column in zip(columns, *rows, strict=True)]
        needed = sum(width + 2 for width in widths) + len(widths) - 1
        if self.out.is_terminal and needed <= self.out.width:
            table = Table(*columns, box=box.SIMPLE_HEAD, header_style="bold", show_edge=False)
            for row in rows:
                table.add_row(*row)
            self.out.print(table)
            return
        for row in [columns, *rows]:
            self.stdout.write("\t".join(row) + "\n")
        self.stdout.flush()

    @contextmanager
    def progress(self, description: str) -> Iterator[Progress | None]:
        """A rich progress bar on stderr when it is a terminal, else None."""
        if not self.interactive:
            yield None
            return
        bar = Progress(
            TextColumn(description),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        )
        with bar:
            yield bar
