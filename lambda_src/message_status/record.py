"""Merge normalized events into one record per message, and derive its status.

The record is a join-semilattice: ``merge`` is commutative, associative and
idempotent, so the stored item depends only on the *set* of events seen, never
on their order, their split across Firehose batches, or retries.

Every field merges by a rule that has those properties:

* event-kind times, status facts: earliest time wins (ties by detail);
* finality of a status: logical OR;
* history: bounded set union (history.merge): the first event of each kind
  and the latest ones, with exact per-kind counts of the rest;
* descriptive attributes: lists by union (recipients: the smallest
  ``MAX_RECIPIENTS``), the price by max, strings by the smallest non-empty
  value (they agree across a message's events in practice, and a fixed
  tie-break keeps the result independent of order);
* last event time: max.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import history, model
from .events import NormalizedEvent
from .history import History, HistoryEntry
from .model import Channel, Kind, Status


@dataclass(frozen=True)
class StatusFact:
    """The earliest event that implied a status, and whether any such event was final."""

    time_ms: int
    detail: str = ""
    final: bool = False

    def merge(self, other: StatusFact) -> StatusFact:
        first = min((self.time_ms, self.detail), (other.time_ms, other.detail))
        return StatusFact(first[0], first[1], self.final or other.final)


@dataclass(frozen=True)
class MessageRecord:
    message_id: str
    channel: Channel
    sources: frozenset[str] = frozenset()
    kind_times: Mapping[Kind, int] = field(default_factory=dict)
    facts: Mapping[Status, StatusFact] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    history: History = field(default_factory=History)
    last_event_ms: int = 0

    @property
    def status(self) -> Status:
        return derive_status(self)[0]

    @property
    def is_final(self) -> bool:
        return derive_status(self)[1]


def record_from_event(event: NormalizedEvent) -> MessageRecord:
    return MessageRecord(
        message_id=event.message_id,
        channel=event.channel,
        sources=frozenset({event.source.value}),
        kind_times={event.kind: event.time_ms},
        facts={event.status: StatusFact(event.time_ms, event.detail or "", event.final)},
        attributes=_merge_attributes({}, event.attributes),
        history=history.single(
            HistoryEntry(event.time_ms, event.kind, event.detail or "", event.description or "")
        ),
        last_event_ms=event.time_ms,
    )


def _merge_min(left: Mapping[Kind, int], right: Mapping[Kind, int]) -> dict[Kind, int]:
    merged = dict(left)
    for key, value in right.items():
        merged[key] = min(value, merged.get(key, value))
    return merged


def _merge_facts(
    left: Mapping[Status, StatusFact], right: Mapping[Status, StatusFact]
) -> dict[Status, StatusFact]:
    merged = dict(left)
    for status, fact in right.items():
        merged[status] = merged[status].merge(fact) if status in merged else fact
    return merged


def _merge_attribute(name: str, left: Any, right: Any) -> Any:
    if isinstance(left, list | tuple) or isinstance(right, list | tuple):
        # Lists (the recipients): the smallest MAX_RECIPIENTS of the union, so
        # that a hostile list cannot grow the item without bound.
        return sorted({*(left or ()), *(right or ())})[: model.MAX_RECIPIENTS]
    if left is None:
        return right
    if right is None:
        return left
    if name == "price_in_millicents_usd":
        return max(left, right)
    return min(str(left), str(right))


def _merge_attributes(left: Mapping[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: _merge_attribute(name, left.get(name), right.get(name))
        for name in sorted({*left, *right})
    }


def merge(left: MessageRecord, right: MessageRecord) -> MessageRecord:
    """Combine two records of the same message (commutative, associative, idempotent)."""
    if left.message_id != right.message_id:
        raise ValueError("cannot merge records of different messages")
    return MessageRecord(
        message_id=left.message_id,
        # A message id belongs to one channel; min() keeps a conflict deterministic.
        channel=min(left.channel, right.channel, key=lambda channel: channel.value),
        sources=left.sources | right.sources,
        kind_times=_merge_min(left.kind_times, right.kind_times),
        facts=_merge_facts(left.facts, right.facts),
        attributes=_merge_attributes(left.attributes, right.attributes),
        history=history.merge(left.history, right.history),
        last_event_ms=max(left.last_event_ms, right.last_event_ms),
    )


def fold(events: Iterable[NormalizedEvent], base: MessageRecord | None = None) -> MessageRecord:
    """Merge ``events`` (all of one message) into ``base``."""
    record = base
    for event in events:
        single = record_from_event(event)
        record = single if record is None else merge(record, single)
    if record is None:
        raise ValueError("fold needs at least one event or a base record")
    return record


def derive_status(record: MessageRecord) -> tuple[Status, bool]:
    """(status, is_final): the highest-precedence status seen, and whether it is final."""
    precedence = model.PRECEDENCE[record.channel]
    candidates = [status for status in record.facts if status in precedence]
    if not candidates:
        raise ValueError(f"record {record.message_id!r} has no status for its channel")
    status = max(candidates, key=precedence.index)
    return status, record.facts[status].final


def record_status(record: MessageRecord) -> str | None:
    """The SMS record status: the detail of the event behind the current status."""
    if record.channel != Channel.SMS:
        return None
    return record.facts[record.status].detail or None
