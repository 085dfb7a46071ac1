"""The stored item of a message, and the API document derived from it.

The item keeps each fact once, compactly (DynamoDB bills a write by the size of
the whole item, names included):

===============  =====================================================================
``message_id``   the key
``sent``         when the message was sent, epoch ms; history times are kept relative
                 to it. Also the sort key of the recipient and correlation indexes.
``src``          the sources, comma-separated
``h``            the history (history.py): one list per entry,
                 ``[ms after sent, kind, detail, description, flags, status, recipients]``,
                 trailing defaults left out ("", "", false, the kind's status, all);
                 ``flags`` is false/true while the entry is a human's: true means its
                 finality is not the status's usual one; an automated entry (SES
                 isBotEvent Likely) stores 2, or 3 with unusual finality; recipients
                 are positions in ``to`` (or the address, if capped out)
``d``            events dropped from the history, per kind (only when some were)
``da``           of those, the automated ones, per kind (only when some were)
``to``           the recipients, normalized and sorted
``a``            the descriptive attributes, under short names (ATTRIBUTE_KEYS)
===============  =====================================================================

Materialized, because something other than this code reads them:

===============  =====================================================================
``expires_at``   DynamoDB TTL deletes the item then: ``sent`` + retention
``version``      the optimistic-locking condition of every write (added by the store)
``q``            on a write not to publish (a backfill's), the version it wrote: the
                 stream function skips it (changes.written_quietly; added by the store)
``rcpt``         partition key of the recipient index: the first recipient (the
                 others get pointer items, store.pointer_items)
``cid``          partition key of the correlation index: the caller's own id
``ost``, ``oat`` the outcome-window index, only while the status is one worth a
                 window (model.WINDOW_STATUSES): ``channel#status#shard`` and when the
                 message reached it
``tnt``          partition key of the tenant index, when an SES event named the
                 message's tenant: ``tenant#shard`` (the message's outcome-index
                 shard). It is where the tenant is stored: once, and read back from it
===============  =====================================================================

Items written by 0.1.0 (``history`` of maps, ``status_facts``, an attribute per
event kind) are read by ``from_item`` too, and rewritten in this shape on their
next write.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from . import model
from .history import History, HistoryEntry, bounded
from .model import KIND_STATUS, Channel, Finality, Kind, Status
from .parse import recipients_of
from .record import MessageRecord, Outcome
from .timefmt import from_iso, to_iso

SECONDS_PER_DAY: Final = 86_400
POINTER_SEPARATOR: Final = "\x1f"  # never in a message id (ids with control characters are refused)
# Descriptive attributes under short names: a name is paid for on every write.
ATTRIBUTE_KEYS: Final = {
    "aws_account_id": "acct",
    "aws_region": "rgn",
    "client": "cli",
    "campaign_id": "cmp",
    "journey_id": "jny",
    "from_address": "from",
    "origination_phone_number": "orig",
    "iso_country_code": "cc",
    "message_type": "mt",
    "price_in_millicents_usd": "price",
}
ATTRIBUTE_NAMES: Final = {short: name for name, short in ATTRIBUTE_KEYS.items()}


@dataclass(frozen=True)
class ItemSettings:
    """What the deployment decides about the item: retention and outcome-index shards."""

    retention_days: int = model.DEFAULT_RETENTION_DAYS
    search_shards: int = model.DEFAULT_SEARCH_SHARDS


# --- writing --------------------------------------------------------------------------


def expires_at(record: MessageRecord, retention_days: int) -> int:
    """TTL (epoch seconds): retention counted from when the message was sent.

    Derived from the events, not the clock, so the item stays a pure function
    of its events; and fixed from the first event on, so that the index entries
    written once (pointer items) expire with the message.
    """
    return record.sent_ms // 1000 + retention_days * SECONDS_PER_DAY


def shard_of(message_id: str, shards: int) -> int:
    """A stable shard for the outcome index: crc32, the same in every process."""
    return zlib.crc32(message_id.encode("utf-8", "surrogatepass")) % shards


def outcome_key(record: MessageRecord, shards: int) -> str | None:
    """``channel#status#shard`` while the status is worth a window search, else None."""
    if record.status not in model.WINDOW_STATUSES[record.channel]:
        return None
    return f"{record.channel.value}#{record.status.value}#{shard_of(record.message_id, shards)}"


TENANT_SEPARATOR: Final = "#"  # never in a tenant name (model.TENANT_NAME_PATTERN)


def tenant_partition(tenant: str, shard: int) -> str:
    """One partition of the tenant index: ``tenant#shard``."""
    return f"{tenant}{TENANT_SEPARATOR}{shard}"


def tenant_key(tenant: str, message_id: str, shards: int) -> str:
    """A message's tenant index key: its tenant, in its outcome-index shard."""
    return tenant_partition(tenant, shard_of(message_id, shards))


def tenant_of(key: object) -> str | None:
    """The tenant a ``tnt`` key names."""
    if not isinstance(key, str) or TENANT_SEPARATOR not in key:
        return None
    return key.rsplit(TENANT_SEPARATOR, 1)[0]


# Defaults of the entry fields after time and kind, left out when trailing.
ENTRY_DEFAULTS: Final[tuple[Any, ...]] = ("", "", False, "", ())
UNUSUAL_FINALITY: Final = 1
AUTOMATED: Final = 2


def usually_final(kind: Kind, status: Status) -> bool:
    """Whether an event of this status is final without the source saying so."""
    rule = model.FINALITY[model.kind_channel(kind)].get(status, Finality.NEVER)
    return rule is Finality.ALWAYS


def entry_flags(entry: HistoryEntry) -> bool | int:
    """false/true (finality not as usual) for a human's entry; 2 or 3 for an automated one."""
    unusual = entry.final != usually_final(entry.kind, entry.implied_status)
    if not entry.automated:
        return unusual
    return AUTOMATED | (UNUSUAL_FINALITY if unusual else 0)


def _entry_to_item(entry: HistoryEntry, sent_ms: int, positions: Mapping[str, int]) -> list[Any]:
    recipients = [positions.get(r, r) for r in entry.recipients]
    status = "" if entry.implied_status is KIND_STATUS[entry.kind] else entry.implied_status.value
    fields: list[Any] = [
        entry.time_ms - sent_ms,
        entry.kind.value,
        entry.detail,
        entry.description,
        entry_flags(entry),
        status,
        recipients,
    ]
    while len(fields) > 2 and _is_default(fields[-1], ENTRY_DEFAULTS[len(fields) - 3]):
        fields.pop()
    return fields


def _is_default(value: Any, default: Any) -> bool:
    if isinstance(default, tuple):
        return list(value) == list(default)
    return bool(value == default) and type(value) is type(default)


def to_item(record: MessageRecord, settings: ItemSettings = ItemSettings()) -> dict[str, Any]:
    """The item, without the optimistic-locking ``version`` (the store adds it)."""
    positions = {recipient: n for n, recipient in enumerate(record.recipients)}
    item: dict[str, Any] = {
        "message_id": record.message_id,
        "sent": record.sent_ms,
        "src": ",".join(sorted(record.sources)),
        "h": [_entry_to_item(e, record.sent_ms, positions) for e in record.history.entries],
        "expires_at": expires_at(record, settings.retention_days),
    }
    if record.history.truncated:
        item["d"] = {kind.value: n for kind, n in record.history.dropped.items()}
    if record.history.dropped_automated:
        item["da"] = {kind.value: n for kind, n in record.history.dropped_automated.items()}
    if record.recipients:
        item["to"] = list(record.recipients)
        item["rcpt"] = record.recipients[0]
    attributes = {
        ATTRIBUTE_KEYS[k]: canonical_number(v)
        for k, v in record.attributes.items()
        if v is not None
    }
    if attributes:
        item["a"] = attributes
    if record.correlation_id:
        item["cid"] = record.correlation_id
    if record.tenant:
        item["tnt"] = tenant_key(record.tenant, record.message_id, settings.search_shards)
    key = outcome_key(record, settings.search_shards)
    if key:
        item["ost"] = key
        item["oat"] = record.status_time_ms
    return item


def pointer_key(message_id: str, recipient: str) -> str:
    return f"{message_id}{POINTER_SEPARATOR}{recipient}"


def pointer_items(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One small item per recipient after the first, so the recipient index finds them all.

    Immutable once written (the same key, recipient, send time and expiry), so
    a retry rewrites it unchanged; the first recipient is on the item itself.
    """
    return [
        {
            "message_id": pointer_key(item["message_id"], recipient),
            "rcpt": recipient,
            "sent": item["sent"],
            "expires_at": item["expires_at"],
        }
        for recipient in item.get("to", [])
        if recipient != item.get("rcpt")
    ]


def message_id_of(index_key: str) -> str:
    """The message an index entry belongs to (its own id, or a pointer's message)."""
    return index_key.split(POINTER_SEPARATOR, 1)[0]


# --- reading --------------------------------------------------------------------------


def is_legacy(item: Mapping[str, Any]) -> bool:
    """An item 0.1.0 wrote: a history of maps, status facts, an attribute per event kind."""
    return "h" not in item and "history" in item


def from_item(item: Mapping[str, Any]) -> MessageRecord:
    """Rebuild the record a stored item was written from (either shape)."""
    if is_legacy(item):
        return _from_legacy_item(item)
    recipients = tuple(str(r) for r in item.get("to", []))
    sent_ms = int(item["sent"])
    entries = {_entry_from_item(raw, sent_ms, recipients) for raw in item.get("h", [])}
    history = History(bounded(entries), _drop_counts(item.get("d")), _drop_counts(item.get("da")))
    return MessageRecord(
        message_id=str(item["message_id"]),
        channel=_channel_of(entries),
        sources=frozenset(filter(None, str(item.get("src", "")).split(","))),
        history=history,
        attributes={
            ATTRIBUTE_NAMES[short]: plain_number(value)
            for short, value in dict(item.get("a") or {}).items()
        },
        recipients=recipients,
        sent_ms=sent_ms,
        last_event_ms=max(entry.time_ms for entry in entries),
        correlation_id=item.get("cid"),
        tenant=tenant_of(item.get("tnt")),
    )


def _drop_counts(raw: Any) -> dict[Kind, int]:
    dropped = {Kind(kind): int(n) for kind, n in dict(raw or {}).items()}
    return {kind: n for kind, n in sorted(dropped.items()) if n}


def _channel_of(entries: set[HistoryEntry]) -> Channel:
    return min(model.kind_channel(entry.kind) for entry in entries)


def _entry_from_item(raw: Sequence[Any], sent_ms: int, recipients: Sequence[str]) -> HistoryEntry:
    fields = [*raw, *ENTRY_DEFAULTS[max(0, len(raw) - 2) :]]
    dt, kind, detail, description, flags, status, named = fields[:7]
    kind = Kind(kind)
    status = Status(status) if status else KIND_STATUS[kind]
    flags = int(flags)  # a bool (every human entry), or the number 2 or 3 (automated)
    return HistoryEntry(
        time_ms=sent_ms + int(dt),
        kind=kind,
        detail=str(detail),
        description=str(description),
        status=status,
        final=usually_final(kind, status) != bool(flags & UNUSUAL_FINALITY),
        recipients=tuple(
            sorted(recipients[int(r)] if not isinstance(r, str) else r for r in named)
        ),
        automated=bool(flags & AUTOMATED),
    )


def _from_legacy_item(item: Mapping[str, Any]) -> MessageRecord:
    """A 0.1.0 item: its history entries, their status and finality taken from its facts."""
    channel = Channel(item["channel"])
    facts = dict(item.get("status_facts") or {})
    entries = {_legacy_entry(raw, channel, facts) for raw in item.get("history", [])}
    kept = bounded(entries)
    dropped = Counter(entry.kind for entry in entries.difference(kept))
    kind_times = [from_iso(item[kind]) for kind in model.ALL_KINDS if kind in item]
    recipients = [*(item.get("destination") or ()), item.get("destination_phone_number")]
    return MessageRecord(
        message_id=str(item["message_id"]),
        channel=channel,
        sources=frozenset(filter(None, str(item.get("source", "")).split(","))),
        history=History(kept, dict(sorted(dropped.items()))),
        attributes={
            name: plain_number(item[name])
            for name in model.DESCRIPTIVE_ATTRIBUTES
            if item.get(name) is not None
        },
        recipients=_legacy_recipients(recipients),
        sent_ms=min(kind_times or [from_iso(item["last_event_at"])]),
        last_event_ms=from_iso(item["last_event_at"]),
    )


def _legacy_entry(
    raw: Mapping[str, Any], channel: Channel, facts: Mapping[str, Mapping[str, Any]]
) -> HistoryEntry:
    kind = Kind(raw["kind"])
    time_ms = from_iso(raw["time"])
    detail = raw.get("detail", "")
    status = KIND_STATUS[kind]
    if kind is Kind.SUCCESS and detail in model.SMS_DELIVERED_MARKERS:
        status = Status.DELIVERED
    delivered = facts.get(Status.DELIVERED.value)
    if kind is Kind.SUCCESS and delivered and from_iso(delivered["time"]) == time_ms:
        status = Status.DELIVERED  # delivered by event type (TEXT_DELIVERED), as 0.1.0 recorded
    rule = model.FINALITY[channel].get(status, Finality.NEVER)
    final = rule is Finality.ALWAYS or (
        rule in (Finality.SOURCE_SAYS, Finality.UNLESS_PINPOINT)
        and bool(facts.get(status.value, {}).get("final"))
    )
    return HistoryEntry(time_ms, kind, detail, raw.get("description", ""), status, final)


def _legacy_recipients(values: Sequence[Any]) -> tuple[str, ...]:
    return recipients_of(v for v in values if v)


def canonical_number(value: Any) -> Any:
    """A whole float as an int: stored and read back, it compares equal to itself."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def plain_number(value: Any) -> Any:
    """DynamoDB Decimal -> int when integral, else float; other values unchanged."""
    if isinstance(value, bool) or not hasattr(value, "as_integer_ratio"):
        return value
    return int(value) if value == int(value) else float(value)


# --- the API document -------------------------------------------------------------------


def _events(outcome: Outcome) -> dict[str, str]:
    return {kind.value: to_iso(time_ms) for kind, time_ms in outcome.kind_times.items()}


def _entry_document(entry: HistoryEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": entry.kind.value, "time": to_iso(entry.time_ms)}
    if entry.detail:
        out["detail"] = entry.detail
    if entry.description:
        out["description"] = entry.description
    if entry.recipients:
        out["recipients"] = list(entry.recipients)
    if entry.automated:
        out["automated"] = True
    return out


def _recipient_document(record: MessageRecord, recipient: str, r: Outcome) -> dict[str, Any]:
    out: dict[str, Any] = {"status": r.status.value, "is_final": r.is_final, "events": _events(r)}
    if r.status is Status.SUPPRESSED:
        listed = suppression_list_of(record, recipient)
        if listed is not None:
            out["suppression_list"] = listed.value
    return out


def suppression_list_of(record: MessageRecord, recipient: str) -> model.SuppressionList | None:
    """The list the first suppression of ``recipient`` named (account, global, tenant)."""
    entries = [
        e for e in record.history.entries if e.kind is Kind.SUPPRESSED and e.concerns(recipient)
    ]
    return model.suppression_list(min(entries).detail) if entries else None


def to_document(item: Mapping[str, Any]) -> dict[str, Any]:
    """The API's status document for a stored item (either shape): derived, never stored."""
    record = from_item(item)
    outcome = record.outcome
    document: dict[str, Any] = {
        "message_id": record.message_id,
        "channel": record.channel.value,
        "source": ",".join(sorted(record.sources)),
        "status": outcome.status.value,
        "is_final": outcome.is_final,
        "sent_at": to_iso(record.sent_ms),
        "last_event_at": to_iso(record.last_event_ms),
        "expires_at": int(item["expires_at"]),
        "events": _events(outcome),
        "history": [_entry_document(entry) for entry in record.history.entries],
        "event_counts": {kind.value: n for kind, n in record.history.counts.items()},
        "recipients": {
            recipient: _recipient_document(record, recipient, r)
            for recipient, r in record.recipient_outcomes().items()
        },
    }
    automated = record.history.automated_counts
    if automated:
        document["automated_event_counts"] = {kind.value: n for kind, n in automated.items()}
    if record.history.truncated:
        document["history_truncated"] = True
    if record.correlation_id:
        document["correlation_id"] = record.correlation_id
    if record.tenant:
        document["tenant"] = record.tenant
    document.update(record.attributes)
    if record.channel is Channel.EMAIL and record.recipients:
        document["destination"] = list(record.recipients)
    if record.channel in model.PHONE_CHANNELS and record.recipients:
        document["destination_phone_number"] = record.recipients[0]
    if record.record_status:
        document["record_status"] = record.record_status
    return document
