"""EventBridge edge: PutEvents in batches of 10, failed entries retried.

PutEvents can succeed as a call and still fail some entries (FailedEntryCount,
an ErrorCode per entry: throttling, an internal failure). Botocore's standard
retry mode covers failures of the whole call; this module retries the failed
entries themselves, with jittered backoff, as long as the invocation's
deadline allows, and reports the positions of those that never went through,
so that the stream function can hand their records back to Lambda.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .budget import Deadline, OutOfTime
from .changes import put_batches

ENTRY_ATTEMPTS = 4
BACKOFF_BASE_S = 0.1


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

    def publish(self, entries: Sequence[Mapping[str, Any]]) -> set[int]:
        """Put every entry; the positions of those still failed after every attempt."""
        failed: set[int] = set()
        for batch in put_batches(entries):
            failed |= self._put_with_retries(entries, batch)
        return failed

    def _put_with_retries(self, entries: Sequence[Mapping[str, Any]], batch: list[int]) -> set[int]:
        pending = batch
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(random.uniform(0, BACKOFF_BASE_S * 2**attempt))  # noqa: S311 - jitter
            pending = self._put_once(entries, pending)
            if not pending:
                return set()
        return set(pending)

    def _put_once(self, entries: Sequence[Mapping[str, Any]], positions: list[int]) -> list[int]:
        """One PutEvents call; the positions it did not put."""
        try:
            self.deadline.require_call()
        except OutOfTime:
            return positions
        self.requests += 1
        try:
            response = self.client.put_events(Entries=[dict(entries[p]) for p in positions])
        except (ClientError, BotoCoreError):
            return positions
        results = response.get("Entries") or []
        if len(results) != len(positions):  # never expected: treat every entry as failed
            return positions
        return [p for p, result in zip(positions, results, strict=True) if result.get("ErrorCode")]
