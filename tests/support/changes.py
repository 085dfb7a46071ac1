"""Status-change events as the stream function sees them, for tests of their consumers.

The old and new items are written by the same code as the transform's
(record.fold + item.to_item); ``envelope`` is the event as EventBridge hands it
to a rule.
"""

from __future__ import annotations

from typing import Any

from message_status.changes import DETAIL_TYPE, StatusChange, status_change
from message_status.item import ItemSettings, to_item
from message_status.parse import parse_event
from message_status.record import fold


def item(events: list[dict], version: int = 1, key: str | None = None) -> dict[str, Any]:
    stored = to_item(fold(parse_event(e, key) for e in events), ItemSettings())
    return {**stored, "version": version}


def change(before: list[dict], added: list[dict], key: str | None = None) -> StatusChange | None:
    """The change the stream publishes when ``added`` arrives after ``before``."""
    old = item(before, 1, key) if before else None
    return status_change(old, item(before + added, 2 if before else 1, key))


def envelope(published: StatusChange, source: str = "message-status") -> dict[str, Any]:
    """The event as EventBridge delivers it to a rule."""
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": DETAIL_TYPE,
        "source": source,
        "account": "123456789012",
        "time": "2027-01-15T08:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": published.detail(),
    }
