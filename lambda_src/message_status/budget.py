"""Call budgets and deadlines: every AWS edge's calls fit the function's timeout by construction.

Shared by every edge that calls AWS (DynamoDB in ``store``, EventBridge in
``publisher``, SES in ``ses``, S3 in ``objects``), and by any the functions gain: an
edge takes a ``CallBudget`` for its client and a ``Deadline`` per invocation, and
depends on no other edge.

``sdk_config`` picks the timeouts and attempts so that one call's worst case
(every attempt timing out, plus botocore's backoff between them) fits a budget,
and a ``Deadline`` refuses to start a call that could not finish in the time
left. Transport-level retries (throttling, 5xx, timeouts) are botocore's
"standard" retry mode, with exponential backoff and jitter.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from botocore.config import Config

# botocore's standard retry mode waits up to 1 s, 2 s, 4 s ... (capped at 20 s)
# before its 1st, 2nd, 3rd ... retry.
STANDARD_MODE_MAX_BACKOFF_S = 20.0


@dataclass(frozen=True)
class CallBudget:
    """A botocore config and the worst case of one call under it."""

    config: Config
    worst_s: float


def sdk_config(budget_s: float) -> CallBudget:
    """Timeouts and attempts whose worst case fits ``budget_s``: every attempt timing out
    on connect and read, plus the longest backoff between them."""
    attempts = 3 if budget_s >= 9 else 2 if budget_s >= 4 else 1
    backoff = sum(min(2.0**retry, STANDARD_MODE_MAX_BACKOFF_S) for retry in range(attempts - 1))
    per_attempt = max(0.2, (budget_s - backoff) / attempts)
    connect = min(1.0, per_attempt / 3)
    read = min(5.0, per_attempt - connect)
    config = Config(
        connect_timeout=connect,
        read_timeout=read,
        retries={"mode": "standard", "total_max_attempts": attempts},
    )
    return CallBudget(config, attempts * (connect + read) + backoff)


def query_call_budget(function_timeout_s: float) -> CallBudget:
    """The query answers within API Gateway's patience and its own timeout: one call may
    take the timeout less a margin (cold start, JSON, the response) of up to 3 s."""
    return sdk_config(function_timeout_s - min(3.0, 0.3 * function_timeout_s))


def suppression_call_budget(function_timeout_s: float) -> CallBudget:
    """The recipient page's SES lookup: a quarter of the query's timeout, at most 2.5 s, so
    one attempt. The page answers without it (the state is then unknown), so a slow SES
    costs little time and never the table's reads, which come first."""
    return sdk_config(min(2.5, function_timeout_s / 4))


def transform_call_budget(function_timeout_s: float) -> CallBudget:
    """A third of the transform's timeout, at most 20 s: writes run eight at a time and a
    message whose write cannot start in time fails alone (to errors/), instead of the whole
    invocation timing out and Firehose retrying every record of the batch."""
    return sdk_config(min(20.0, function_timeout_s / 3))


def stream_call_budget(function_timeout_s: float) -> CallBudget:
    """A third of the stream function's timeout, at most 10 s: a batch of changes takes a
    few PutEvents calls, each retried for its failed entries within the same deadline."""
    return sdk_config(min(10.0, function_timeout_s / 3))


@dataclass(frozen=True)
class HealBudgets:
    """The heal function's two clients, and the time it keeps back from the store."""

    store: CallBudget  # DynamoDB
    objects: CallBudget  # S3
    # What writing the outputs and settling the object may take after the last
    # write: three S3 calls (parked records, archive lines, delete or carry-over).
    finish_reserve_s: float


def heal_call_budgets(function_timeout_s: float) -> HealBudgets:
    """A quarter of the heal function's timeout per DynamoDB call (at most 20 s) and a sixth
    per S3 call (at most 10 s): an object's records are written in chunks, none started
    unless it can finish with the three S3 calls that settle the object still to come."""
    objects = sdk_config(min(10.0, function_timeout_s / 6))
    return HealBudgets(
        store=sdk_config(min(20.0, function_timeout_s / 4)),
        objects=objects,
        finish_reserve_s=3 * objects.worst_s,
    )


class OutOfTime(Exception):
    """Not enough time left in the invocation for another call."""


class Deadline:
    """When the current invocation must have answered; refuses calls that could not finish."""

    def __init__(
        self,
        remaining_s: float = math.inf,
        call_worst_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.expires_at = clock() + remaining_s
        self.call_worst_s = call_worst_s

    def remaining(self) -> float:
        return self.expires_at - self.clock()

    def require_call(self) -> None:
        """Raise OutOfTime when one more call could outlive the invocation."""
        if self.remaining() < self.call_worst_s:
            raise OutOfTime(
                f"{self.remaining():.1f} s left, a call may take {self.call_worst_s:.1f} s"
            )
