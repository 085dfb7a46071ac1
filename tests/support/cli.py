"""``msgstatus`` run as its user runs it, with its output kept, for the client's tests."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from msgstatus.main import Runtime, main


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()

    @property
    def summary(self) -> dict[str, Any]:
        """stdout as the JSON object a ``--json`` command prints."""
        return dict(json.loads(self.out))


class Terminal(io.StringIO):
    """An output stream that says it is a terminal: rich draws tables and progress on it."""

    def isatty(self) -> bool:
        return True


def run(*argv: str, **runtime: Any) -> Result:
    """``msgstatus argv``; ``runtime`` replaces Runtime's fields (stdout and stderr too)."""
    streams = {"stdout": io.StringIO(), "stderr": io.StringIO()} | runtime
    code = main(list(argv), Runtime(**streams))
    return Result(code, streams["stdout"].getvalue(), streams["stderr"].getvalue())


def assert_one_error_line(result: Result, *fragments: str) -> None:
    assert result.code == 2, result
    assert result.out == ""
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("msgstatus: error: "), line
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in line, line
