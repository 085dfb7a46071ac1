"""What code sends to AWS, seen through botocore's event hooks: requests and DynamoDB writes.

Registered on a boto3 session (or one client) before the code creates its
clients, so it sees every request the code sends, retries included, and every
item it writes. Used by the worker that runs shipped code (devkit.lambdas) and
by the tests, on clients of their own.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

WRITE_OPERATIONS = ("PutItem", "DeleteItem", "BatchWriteItem")


@dataclass
class RequestCounter:
    """HTTP requests sent, by ``service.Operation``, or by operation for one ``service``.

    Every attempt is a request: retries are counted.
    """

    service: str | None = None
    counts: Counter[str] = field(default_factory=Counter)

    def __call__(self, event_name: str, **_: Any) -> None:
        # event_name is "before-send.<service>.<Operation>"
        _before_send, service_name, operation = event_name.split(".", 2)
        if self.service is None:
            self.counts[f"{service_name}.{operation}"] += 1
        elif service_name == self.service:
            self.counts[operation] += 1

    def of(self, service: str) -> Counter[str]:
        """The counts of one service, keyed by operation."""
        prefix = f"{service}."
        return Counter(
            {
                key.removeprefix(prefix): n
                for key, n in self.counts.items()
                if key.startswith(prefix)
            }
        )

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class WriteRecorder:
    """Every DynamoDB item written (PutItem, BatchWriteItem puts) or deleted, in wire format.

    ``before`` is the last item this recorder saw written under the same key,
    which is the stored item when every writer is recorded and no write fails
    (as in the benchmark): a request is recorded when it is sent, once per
    attempt. capacity.write_units turns the pairs into write units.
    """

    key_names: tuple[str, ...] = ("message_id",)
    writes: list[dict[str, Any]] = field(default_factory=list)
    _latest: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)

    def _key(self, table: str, item: dict[str, Any]) -> tuple[str, str]:
        return table, json.dumps([item.get(name) for name in self.key_names], sort_keys=True)

    def _record(self, table: str, key_item: dict[str, Any], after: dict[str, Any] | None) -> None:
        key = self._key(table, key_item)
        self.writes.append({"table": table, "before": self._latest.get(key), "after": after})
        self._latest[key] = after

    def __call__(self, event_name: str, request: Any, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if operation not in WRITE_OPERATIONS:
            return
        body = json.loads(request.body or b"{}")
        if operation == "PutItem":
            self._record(body["TableName"], body["Item"], body["Item"])
        elif operation == "DeleteItem":
            self._record(body["TableName"], body["Key"], None)
        else:
            for table, requests in body.get("RequestItems", {}).items():
                for write in requests:
                    if "PutRequest" in write:
                        item = write["PutRequest"]["Item"]
                        self._record(table, item, item)
                    else:
                        self._record(table, write["DeleteRequest"]["Key"], None)


def attach(events: Any) -> tuple[RequestCounter, WriteRecorder]:
    """Register a counter and a write recorder on a session's or a client's event system."""
    counter, recorder = RequestCounter(), WriteRecorder()
    events.register_first("before-send", counter)
    events.register_first("before-send.dynamodb", recorder)
    return counter, recorder
