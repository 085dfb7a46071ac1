"""What the handlers log, read back as CloudWatch would receive it: one JSON document a line."""

from __future__ import annotations

import io
import json
from typing import Any


class CapturedLogs:
    """The stream a handler's Powertools logger writes to, during one test."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def entries(self, message: str) -> list[dict[str, Any]]:
        """The log entries whose message starts with ``message``."""
        documents = [json.loads(line) for line in self.text.splitlines() if line.strip()]
        return [d for d in documents if str(d.get("message", "")).startswith(message)]
