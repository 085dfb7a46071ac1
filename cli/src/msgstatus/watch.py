"""Polling one message until its status is final, with capped, jittered exponential backoff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from msgstatus.outcome import Outcome, classify

MAX_DELAY_S = 30.0

Fetch = Callable[[], "dict[str, Any] | None"]


def backoff_delay(attempt: int, interval: float, cap: float, jitter: float) -> float:
    """``interval * 2**attempt`` capped at ``cap``, then scaled into [50%, 100%] by ``jitter``.

    ``jitter`` is a number in [0, 1) (``random.random()``); half of every delay
    stays fixed so that polling never degenerates to a busy loop.
    """
    base = min(cap, interval * 2.0 ** min(attempt, 32))
    return base * (0.5 + 0.5 * min(max(jitter, 0.0), 1.0))


def state_of(document: dict[str, Any] | None) -> tuple[Any, ...] | None:
    """What counts as a change worth a line: the status and its finality."""
    if document is None:
        return None
    return (document.get("status"), document.get("is_final"))


@dataclass(frozen=True)
class WatchResult:
    outcome: Outcome  # PENDING when the timeout passed first
    document: dict[str, Any] | None


def watch(
    fetch: Fetch,
    *,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    jitter: Callable[[], float],
    on_change: Callable[[float, dict[str, Any] | None], None],
    cap: float = MAX_DELAY_S,
) -> WatchResult:
    """Poll ``fetch`` (None: no events yet) until the status is final or ``timeout`` passes.

    The backoff starts again from ``interval`` whenever the status changes:
    a message that is moving is worth watching closely.
    """
    start = clock()
    deadline = start + timeout
    attempt = 0
    seen: object = object()  # matches no state, so the first answer is always reported
    while True:
        document = fetch()
        state = state_of(document)
        if state != seen:
            on_change(clock() - start, document)
            seen, attempt = state, 0
        if document is not None and classify(document) is not Outcome.PENDING:
            return WatchResult(classify(document), document)
        remaining = deadline - clock()
        if remaining <= 0:
            return WatchResult(Outcome.PENDING, document)
        sleep(min(backoff_delay(attempt, interval, cap, jitter()), remaining))
        attempt += 1
