"""The DynamoDB item of a message, and the API document built from it.

``to_item`` and ``from_item`` are exact inverses over the record (a property
test checks it), so the transform can read an item back, merge new events in,
and write it again without losing anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from . import model
from .history import History, HistoryEntry, bounded
from .model import Channel, Kind, Status
from .record import MessageRecord, StatusFact, derive_status, record_status
from .timefmt import from_iso, to_iso

SECONDS_PER_DAY = 86_400
# Fields the transform keeps for itself; the API does not return them.
BOOKKEEPING_FIELDS = ("version", "status_facts", "updated_at", "dropped")


def history_entry_to_item(entry: HistoryEntry) -> dict[str, str]:
    out = {"kind": entry.kind, "time": to_iso(entry.time_ms)}
    if entry.detail:
        out["detail"] = entry.detail
    if entry.description:
        out["description"] = entry.description
    return out


def history_entry_from_item(raw: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        time_ms=from_iso(raw["time"]),
        kind=Kind(raw["kind"]),
        detail=raw.get("detail", ""),
        description=raw.get("description", ""),
    )


def fact_to_item(fact: StatusFact) -> dict[str, Any]:
    out: dict[str, Any] = {"time": to_iso(fact.time_ms), "final": fact.final}
    if fact.detail:
        out["detail"] = fact.detail
    return out


def fact_from_item(raw: Mapping[str, Any]) -> StatusFact:
    return StatusFact(from_iso(raw["time"]), raw.get("detail", ""), bool(raw["final"]))


def expires_at(record: MessageRecord, retention_days: int) -> int:
    """TTL (epoch seconds): retention counted from the message's latest event.

    Derived from the events, not the clock, so the item stays a pure function
    of its events (replaying a batch writes nothing new).
    """
    return record.last_event_ms // 1000 + retention_days * SECONDS_PER_DAY


def to_item(record: MessageRecord, retention_days: int) -> dict[str, Any]:
    """The item, without the optimistic-locking fields (``version``, ``updated_at``)."""
    status, final = derive_status(record)
    item: dict[str, Any] = {
        "message_id": record.message_id,
        "channel": record.channel.value,
        "source": ",".join(sorted(record.sources)),
        "status": status,
        "is_final": final,
        "last_event_at": to_iso(record.last_event_ms),
        "expires_at": expires_at(record, retention_days),
        "history": [history_entry_to_item(entry) for entry in record.history.entries],
        "status_facts": {name: fact_to_item(fact) for name, fact in sorted(record.facts.items())},
    }
    if record.history.truncated:
        item["dropped"] = dict(record.history.dropped)
    for kind, time_ms in sorted(record.kind_times.items()):
        item[kind] = to_iso(time_ms)
    for name, value in record.attributes.items():
        if value is not None and name in model.ALL_ATTRIBUTES and name != "record_status":
            item[name] = value
    sms_status = record_status(record)
    if sms_status:
        item["record_status"] = sms_status
    return item


def from_item(item: Mapping[str, Any]) -> MessageRecord:
    """Rebuild the record a stored item was written from."""
    return MessageRecord(
        message_id=item["message_id"],
        channel=Channel(item["channel"]),
        sources=frozenset(filter(None, str(item.get("source", "")).split(","))),
        kind_times={kind: from_iso(item[kind]) for kind in model.ALL_KINDS if kind in item},
        facts={
            Status(name): fact_from_item(raw) for name, raw in item.get("status_facts", {}).items()
        },
        attributes={
            name: plain_number(item[name]) if name == "price_in_millicents_usd" else item[name]
            for name in model.ALL_ATTRIBUTES
            if name in item and name != "record_status"
        },
        history=history_from_item(item),
        last_event_ms=from_iso(item["last_event_at"]),
    )


def history_from_item(item: Mapping[str, Any]) -> History:
    """The bounded history of an item; v0.1.0 items kept up to 200 entries, bounded here."""
    entries = {history_entry_from_item(raw) for raw in item.get("history", [])}
    kept = bounded(entries)
    dropped = Counter(entry.kind for entry in entries.difference(kept))
    for kind, count in dict(item.get("dropped") or {}).items():
        dropped[Kind(kind)] += int(count)
    return History(kept, {kind: n for kind, n in sorted(dropped.items()) if n})


def plain_number(value: Any) -> Any:
    """DynamoDB Decimal -> int when integral, else float; other values unchanged."""
    if isinstance(value, bool) or not hasattr(value, "as_integer_ratio"):
        return value
    return int(value) if value == int(value) else float(value)


def plain(value: Any) -> Any:
    """Deep-convert DynamoDB values (Decimal, sets) to JSON-ready Python values."""
    if isinstance(value, Mapping):
        return {key: plain(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [plain(inner) for inner in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(inner) for inner in value)
    return plain_number(value)


def to_document(item: Mapping[str, Any]) -> dict[str, Any]:
    """The API's status document for a stored item."""
    document = {
        key: plain(value)
        for key, value in item.items()
        if key not in BOOKKEEPING_FIELDS and key not in model.ALL_KINDS
    }
    document["events"] = {kind: item[kind] for kind in model.ALL_KINDS if kind in item}
    history = history_from_item(item)
    document["history"] = [history_entry_to_item(entry) for entry in history.entries]
    document["event_counts"] = {str(kind): n for kind, n in history.counts.items()}
    if history.truncated:
        document["history_truncated"] = True
    return document
