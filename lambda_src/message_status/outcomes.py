"""The result of applying one message's events to the table (shared by the core and the edge)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WriteResult(StrEnum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"  # the item already held every event: nothing written
    FAILED = "failed"  # retries exhausted: the message's records go to the error output


@dataclass(frozen=True)
class WriteOutcome:
    result: WriteResult
    attempts: int = 1
    error: str | None = None  # what failed, in our words
    # The failed call's error code (AWS's, or botocore's exception class); None when no
    # call failed (an item this code cannot read or store). Never AWS's message.
    error_code: str | None = None
