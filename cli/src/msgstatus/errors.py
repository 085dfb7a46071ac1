"""The one exception the commands raise for a clean, one-line failure."""

from __future__ import annotations

EXIT_ERROR = 2


class CliError(Exception):
    """A failure to report as ``msgstatus: error: <message>`` with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code
