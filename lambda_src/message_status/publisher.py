"""EventBridge edge: PutEvents in batches of 10, failed entries retried.

PutEvents can succeed as a call and still fail some entries (FailedEntryCount,
an ErrorCode per entry: throttling, an internal failure). Botocore's standard
retry mode covers failures of the whole call; this module retries the failed
entries themselves, with jittered backoff, as long as the invocation's
deadline allows, and reports the positions of those that never went through,
each with the error code of its last attempt (never the ErrorMessage, which
may echo the entry), so that the stream function can hand their records back
to Lambda and say why.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .budget import Deadline
from .call_errors import CALL_ERRORS, error_code
from .changes import put_batches

ENTRY_ATTEMPTS = 4
BACKOFF_BASE_S = 0.1
# When PutEvents answers with a different number of results than entries sent.
UNEXPECTED_RESPONSE = "UnexpectedResponse"


class EventPublisher:
    def __init__(
        self,
        client: Any,
        deadline: Deadline | None = None,
        attempts: int = ENTRY_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.deadline = deadline or Deadline()
        self.attempts = attempts
        self.sleep = sleep
        self.requests = 0

    def publish(self, entries: Sequence[Mapping[str, Any]]) -> dict[int, str]:
        """Put every entry; those still failed after every attempt, by position, each with
        the error code of its last attempt."""
        failed: dict[int, str] = {}
        for batch in put_batches(entries):
            failed |= self._put_with_retries(entries, batch)
        return failed

    def _put_with_retries(
        self, entries: Sequence[Mapping[str, Any]], batch: list[int]
    ) -> dict[int, str]:
        pending = dict.fromkeys(batch, "")
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(random.uniform(0, BACKOFF_BASE_S * 2**attempt))  # noqa: S311 - jitter
            pending = self._put_once(entries, list(pending))
            if not pending:
                break
        return pending

    def _put_once(
        self, entries: Sequence[Mapping[str, Any]], positions: list[int]
    ) -> dict[int, str]:
        """One PutEvents call; the positions it did not put, each with why."""
        try:
            self.deadline.require_call()
            self.requests += 1
            response = self.client.put_events(Entries=[dict(entries[p]) for p in positions])
        except CALL_ERRORS as err:
            return dict.fromkeys(positions, error_code(err))
        results = response.get("Entries") or []
        if len(results) != len(positions):  # never expected: treat every entry as failed
            return dict.fromkeys(positions, UNEXPECTED_RESPONSE)
        return {
            p: str(result["ErrorCode"])
            for p, result in zip(positions, results, strict=True)
            if result.get("ErrorCode")
        }
