"""Merge normalized events into one record per message, and derive everything else from it.

The record is a join-semilattice: ``merge`` is commutative, associative and
idempotent, so the stored item depends only on the *set* of events seen, never
on their order, their split across Firehose batches, or retries.

Each fact is kept once, in the history (history.py): the first event of each
class and the latest ones. The status, its finality, the time of each event
kind, every recipient's own outcome and the SMS record status are computed
from it. The other fields merge by rules with the same properties:

* descriptive attributes: the price by max, strings by the smallest value
  (they agree across a message's events in practice; a fixed tie-break keeps
  the result independent of order);
* recipients: union, the smallest ``MAX_RECIPIENTS`` kept;
* sent time: min; last event time: max; correlation id: the smallest.
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
class Outcome:
    """A status, whether it is final, and when each kind of event first happened."""

    status: Status
    is_final: bool
    kind_times: Mapping[Kind, int]


@dataclass(frozen=True)
class MessageRecord:
    message_id: str
    channel: Channel
    sources: frozenset[str] = frozenset()
    history: History = field(default_factory=History)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    recipients: tuple[str, ...] = ()  # normalized, sorted
    sent_ms: int = 0  # when it was sent: the source's send time, else its first event
    last_event_ms: int = 0
    correlation_id: str | None = None

    @property
    def outcome(self) -> Outcome:
        return outcome_of(self.channel, self.history.entries)

    @property
    def status(self) -> Status:
        return self.outcome.status

    @property
    def is_final(self) -> bool:
        return self.outcome.is_final

    @property
    def kind_times(self) -> Mapping[Kind, int]:
        return self.outcome.kind_times

    def recipient_outcomes(self) -> dict[str, Outcome]:
        """Each recipient's own outcome, from the events that concern it.

        A recipient no event concerns yet (its named events are still on their
        way) has the channel's first status, not final: the message was sent to
        it, and nothing more is known.
        """
        outcomes = {}
        for recipient in self.recipients:
            concerning = [e for e in self.history.entries if e.concerns(recipient)]
            outcomes[recipient] = (
                outcome_of(self.channel, concerning)
                if any(e.implied_status in model.PRECEDENCE[self.channel] for e in concerning)
                else Outcome(model.PRECEDENCE[self.channel][0], False, {})
            )
        return outcomes

    @property
    def status_time_ms(self) -> int:
        """When the message first reached its current status."""
        status = self.status
        return min(e.time_ms for e in self.history.entries if e.implied_status is status)

    @property
    def record_status(self) -> str | None:
        """The SMS record status: the detail of the first event behind the current status."""
        if self.channel is not Channel.SMS:
            return None
        status = self.status
        first = min(e for e in self.history.entries if e.implied_status is status)
        return first.detail or None


def outcome_of(channel: Channel, entries: Iterable[HistoryEntry]) -> Outcome:
    """The highest-precedence status among ``entries`` (final if any of its events was),
    and the earliest time of each kind."""
    precedence = model.PRECEDENCE[channel]
    kind_times: dict[Kind, int] = {}
    finals: dict[Status, bool] = {}
    for entry in entries:
        kind_times[entry.kind] = min(entry.time_ms, kind_times.get(entry.kind, entry.time_ms))
        status = entry.implied_status
        if status in precedence:
            finals[status] = finals.get(status, False) or entry.final
    if not finals:
        raise ValueError(f"no event of the {channel.value} channel")
    status = max(finals, key=precedence.index)
    return Outcome(status, finals[status], dict(sorted(kind_times.items())))


def entry_of(event: NormalizedEvent) -> HistoryEntry:
    return HistoryEntry(
        time_ms=event.time_ms,
        kind=event.kind,
        detail=event.detail or "",
        description=event.description or "",
        status=event.status,
        final=event.final,
        recipients=event.recipients,
    )


def record_from_event(event: NormalizedEvent) -> MessageRecord:
    return MessageRecord(
        message_id=event.message_id,
        channel=event.channel,
        sources=frozenset({event.source.value}),
        history=history.single(entry_of(event)),
        attributes=_merge_attributes({}, _descriptive(event.attributes)),
        recipients=_merge_recipients((), (*event.destinations, *event.recipients)),
        sent_ms=event.time_ms if event.sent_ms is None else min(event.sent_ms, event.time_ms),
        last_event_ms=event.time_ms,
        correlation_id=event.correlation_id,
    )


def _descriptive(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if k in model.DESCRIPTIVE_ATTRIBUTES}


def _merge_attribute(name: str, left: Any, right: Any) -> Any:
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


def _merge_recipients(left: Iterable[str], right: Iterable[str]) -> tuple[str, ...]:
    """The smallest MAX_RECIPIENTS of the union: a hostile list cannot grow the item."""
    return tuple(sorted({*left, *right}))[: model.MAX_RECIPIENTS]


def _smallest(left: str | None, right: str | None) -> str | None:
    values = [value for value in (left, right) if value is not None]
    return min(values) if values else None


def merge(left: MessageRecord, right: MessageRecord) -> MessageRecord:
    """Combine two records of the same message (commutative, associative, idempotent)."""
    if left.message_id != right.message_id:
        raise ValueError("cannot merge records of different messages")
    return MessageRecord(
        message_id=left.message_id,
        # A message id belongs to one channel; min() keeps a conflict deterministic.
        channel=min(left.channel, right.channel, key=lambda channel: channel.value),
        sources=left.sources | right.sources,
        history=history.merge(left.history, right.history),
        attributes=_merge_attributes(left.attributes, right.attributes),
        recipients=_merge_recipients(left.recipients, right.recipients),
        sent_ms=min(left.sent_ms, right.sent_ms),
        last_event_ms=max(left.last_event_ms, right.last_event_ms),
        correlation_id=_smallest(left.correlation_id, right.correlation_id),
    )


def fold(events: Iterable[NormalizedEvent], base: MessageRecord | None = None) -> MessageRecord:
    """Merge ``events`` (all of one message) into ``base``, one at a time."""
    record = base
    for event in events:
        single = record_from_event(event)
        record = single if record is None else merge(record, single)
    if record is None:
        raise ValueError("fold needs at least one event or a base record")
    return record
