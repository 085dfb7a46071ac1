"""A backfill's writes kept within a budget of write units a second, as DynamoDB counts them.

``PacedWrites`` stands in front of the DynamoDB client that the core's store
writes with. Each PutItem and BatchWriteItem waits for the ``WriteBudget``,
asks DynamoDB what it consumed (``ReturnConsumedCapacity=TOTAL``: the table's
units and every index's, in one number), and pays that. Reads pass through
untouched. The store itself is not changed, so the transform's writes are the
same requests as ever.

The budget is a token bucket without burst (a leaky bucket): units refill at
the rate, never above zero, and a write may start once the balance is back at
zero. It then takes what the write is expected to cost (the mean of what
writes consumed so far), and is settled with what DynamoDB reports. So in any
window of T seconds the writes consume at most ``rate x T`` units, plus the
cost of one write in flight per thread: there is no burst for live traffic
to meet.

Throttling slows it further: a throttled write (an error code of throttling,
a call botocore had to retry, or a BatchWriteItem that left items
unprocessed) halves the rate, down to a sixteenth of the budget, and the rate
climbs back to the budget over ``RECOVERY_S`` seconds without throttling.

A conditional write that loses (ConditionalCheckFailedException) still
consumes the table's units for the item, and DynamoDB does not report them
on an error: they are counted as one unit per started KB of the item's
request JSON, an overestimate of its stored size (AWS's "DynamoDB item sizes
and formats"). A throttled request consumes nothing.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError
from message_status.call_errors import error_code

THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
RECOVERY_S = 10.0
SLOWEST_FRACTION = 1 / 16
# A balance within this of zero is zero (float sums of rate x elapsed).
EPSILON = 1e-9
KB = 1024


class WriteBudget:
    """At most ``units_per_s`` write units a second, shared by every thread that writes."""

    def __init__(
        self,
        units_per_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if units_per_s <= 0:
            raise ValueError("a write budget must be more than 0 units a second")
        self.limit = float(units_per_s)
        self.rate = self.limit
        self.clock = clock
        self.sleep = sleep
        self.used = 0.0  # units consumed, as DynamoDB reported them (or estimated: see above)
        self.throttled = 0  # writes that met throttling
        self._balance = 0.0  # never above 0: a write may start at 0
        self._at = clock()
        self._writes = 0  # items written, for the mean cost of one
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        elapsed = max(0.0, now - self._at)
        self._at = now
        self._balance = min(0.0, self._balance + self.rate * elapsed)
        if self.rate < self.limit:
            self.rate = min(self.limit, self.rate + self.limit * elapsed / RECOVERY_S)

    def estimate(self, items: int) -> float:
        """What ``items`` item writes are expected to cost: the mean so far (1 unit at first)."""
        with self._lock:
            mean = self.used / self._writes if self._writes else 1.0
        return mean * items

    def take(self, units: float) -> None:
        """Wait until the budget lets a write start, then reserve ``units`` for it."""
        while True:
            with self._lock:
                self._refill()
                if self._balance >= -EPSILON:
                    self._balance -= units
                    return
                wait = -self._balance / self.rate
            self.sleep(wait)

    def settle(self, reserved: float, used: float, items: int) -> None:
        """Pay what a write really consumed, in place of what was reserved for it."""
        with self._lock:
            self._balance -= used - reserved
            self.used += used
            self._writes += items

    def slow_down(self) -> None:
        """A write met throttling: halve the rate (it recovers over RECOVERY_S seconds)."""
        with self._lock:
            self._refill()
            self.throttled += 1
            self.rate = max(self.limit * SLOWEST_FRACTION, self.rate / 2)


def consumed_units(response: Mapping[str, Any]) -> float | None:
    """The units a write response reports (one ConsumedCapacity, or one per table)."""
    consumed = response.get("ConsumedCapacity")
    if consumed is None:
        return None
    entries: Sequence[Mapping[str, Any]] = consumed if isinstance(consumed, list) else [consumed]
    return float(sum(entry.get("CapacityUnits") or 0 for entry in entries))


def request_units(item: Mapping[str, Any]) -> int:
    """One unit per started KB of an item's request JSON (an overestimate of its size)."""
    return max(1, math.ceil(len(json.dumps(item, separators=(",", ":"))) / KB))


def batch_items(request_items: Mapping[str, Sequence[Mapping[str, Any]]]) -> int:
    return sum(len(requests) for requests in request_items.values())


class PacedWrites:
    """A DynamoDB client whose writes keep to a ``WriteBudget``; every other call passes."""

    def __init__(self, client: Any, budget: WriteBudget) -> None:
        self.client = client
        self.budget = budget

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def put_item(self, **request: Any) -> dict[str, Any]:
        refused = request_units(request.get("Item") or {})
        return self._write(self.client.put_item, request, items=1, refused_units=refused)

    def batch_write_item(self, **request: Any) -> dict[str, Any]:
        response = self._write(
            self.client.batch_write_item, request, items=batch_items(request["RequestItems"])
        )
        if response.get("UnprocessedItems"):
            self.budget.slow_down()  # DynamoDB's way of throttling part of a batch
        return response

    def _write(
        self,
        call: Callable[..., dict[str, Any]],
        request: dict[str, Any],
        *,
        items: int,
        refused_units: int = 0,
    ) -> dict[str, Any]:
        reserved = self.budget.estimate(items)
        self.budget.take(reserved)
        try:
            response = call(**request, ReturnConsumedCapacity="TOTAL")
        except ClientError as err:
            code = error_code(err)
            if code in THROTTLING_CODES:
                self.budget.slow_down()
            lost_race = code == "ConditionalCheckFailedException"
            self.budget.settle(reserved, refused_units if lost_race else 0.0, 0)
            raise
        used = consumed_units(response)
        self.budget.settle(reserved, reserved if used is None else used, items)
        if response.get("ResponseMetadata", {}).get("RetryAttempts"):
            self.budget.slow_down()  # botocore retried: throttled, or DynamoDB struggling
        return response
