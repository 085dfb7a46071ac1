"""Quiet writes, the store's side: what a backfill writes so that its changes are not published.

A quiet store (``MessageStore(quiet=True)``, what ``msgstatus backfill`` uses
unless ``--publish-events``) marks each item it writes with the version it
wrote (changes.QUIET_MARKER); the stream function and the mapping's filter
skip such a write (tests/test_changes.py, tests/test_stream_handler.py). Here:
the marker is written, costs no extra write, stays out of the API's document
and of the comparison that decides whether to write, and never outlives the
next live write. DynamoDB is moto's, in-process.
"""

from __future__ import annotations

from typing import Any

from message_status.changes import QUIET_MARKER, status_change
from message_status.dynamodb_json import serialize
from message_status.item import to_document
from message_status.outcomes import WriteResult
from message_status.parse import parse_event
from message_status.store import MessageStore

from devkit.calls import stored_item
from devkit.capacity import item_size
from devkit.events import ses
from tests.conftest import TABLE_NAME
from tests.support import faults

T = 1_800_000_000_000
TEAM = ["ana@example.com", "ben@example.org"]


def store(client: Any, *, quiet: bool) -> MessageStore:
    return MessageStore(client, TABLE_NAME, write_concurrency=1, sleep=lambda _s: None, quiet=quiet)


def apply(client: Any, *events: dict[str, Any], quiet: bool) -> dict[str, WriteResult]:
    parsed = [parse_event(e) for e in events]
    groups: dict[str, list[Any]] = {}
    for event in parsed:
        groups.setdefault(event.message_id, []).append(event)  # type: ignore[union-attr]
    outcomes = store(client, quiet=quiet).apply_all(groups)
    return {message_id: outcome.result for message_id, outcome in outcomes.items()}


def test_a_quiet_write_carries_the_version_it_wrote(dynamodb: Any) -> None:
    apply(dynamodb, ses("Send", "m", T), quiet=True)
    apply(dynamodb, ses("Delivery", "m", T + 1000, sent_ms=T), quiet=True)
    item = stored_item(dynamodb, TABLE_NAME, "m")
    assert item is not None
    assert (item["version"], item[QUIET_MARKER]) == (2, 2)


def test_the_next_live_write_drops_the_marker_and_is_published(dynamodb: Any) -> None:
    apply(dynamodb, ses("Send", "m", T), quiet=True)
    backfilled = stored_item(dynamodb, TABLE_NAME, "m")
    apply(dynamodb, ses("Delivery", "m", T + 1000, sent_ms=T), quiet=False)
    live = stored_item(dynamodb, TABLE_NAME, "m")
    assert live is not None
    assert QUIET_MARKER not in live
    assert live["version"] == 2
    change = status_change(backfilled, live)
    assert change is not None
    assert (change.previous_status, change.status) == ("SENT", "DELIVERED")


def test_the_marker_alone_never_causes_a_write(dynamodb: Any) -> None:
    """Live traffic repeating what a backfill wrote, and a backfill repeating live traffic,
    write nothing: the marker is bookkeeping, not content."""
    counter = faults.count_requests(dynamodb, "dynamodb")
    send = ses("Send", "m", T, destination=TEAM)
    delivery = ses("Delivery", "m", T + 1000, destination=TEAM, named=TEAM[:1], sent_ms=T)
    assert apply(dynamodb, send, delivery, quiet=True) == {"m": WriteResult.WRITTEN}
    writes = dict(counter.counts)
    assert apply(dynamodb, send, delivery, quiet=False) == {"m": WriteResult.UNCHANGED}
    assert apply(dynamodb, delivery, quiet=True) == {"m": WriteResult.UNCHANGED}
    assert {k: n for k, n in counter.counts.items() if k in ("PutItem", "BatchWriteItem")} == {
        k: n for k, n in writes.items() if k in ("PutItem", "BatchWriteItem")
    }


def test_the_marker_is_not_in_the_api_document_and_pointers_carry_none(dynamodb: Any) -> None:
    apply(dynamodb, ses("Send", "m", T, destination=TEAM), quiet=True)
    item = stored_item(dynamodb, TABLE_NAME, "m")
    assert item is not None
    document = to_document(item)
    assert QUIET_MARKER not in document
    assert document == to_document({k: v for k, v in item.items() if k != QUIET_MARKER})
    pointers = [
        raw for raw in dynamodb.scan(TableName=TABLE_NAME)["Items"] if raw["message_id"]["S"] != "m"
    ]
    assert pointers, "a mail to two people has a pointer item"
    assert all(QUIET_MARKER not in raw for raw in pointers)


def test_the_marker_costs_three_bytes_and_a_typical_item_stays_under_1_kb(dynamodb: Any) -> None:
    events = [
        ses("Send", "m", T, destination=TEAM, tags={"order_id": "ORD-1"}),
        ses("Delivery", "m", T + 1000, destination=TEAM, named=TEAM, sent_ms=T),
        ses("Open", "m", T + 60_000, destination=TEAM, sent_ms=T),
    ]
    apply(dynamodb, *events, quiet=True)
    item = stored_item(dynamodb, TABLE_NAME, "m")
    assert item is not None
    quiet_size = item_size(serialize(item))
    live_size = item_size(serialize({k: v for k, v in item.items() if k != QUIET_MARKER}))
    assert quiet_size - live_size <= 3
    assert quiet_size < 1024
