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
* sent time: min; last event time: max; correlation id and SES tenant: the
  smallest.

Events SES marks automated (a scanner's open or click) stay in the history
but take no part in any outcome: a message's status, finality and per-kind
times with them are exactly those without them.
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
    tenant: str | None = None  # the SES tenant the message was sent for

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
        return {
            recipient: outcome_of(
                self.channel, [e for e in self.history.entries if e.concerns(recipient)]
            )
            for recipient in self.recipients
        }

    def _behind_status(self) -> list[HistoryEntry]:
        """The entries that imply the current status (automated ones never do)."""
        status = self.status
        return [e for e in counted(self.history.entries) if e.implied_status is status]

    @property
    def status_time_ms(self) -> int:
        """When the message first reached its current status (no such event: when sent)."""
        return min((e.time_ms for e in self._behind_status()), default=self.sent_ms)

    @property
    def record_status(self) -> str | None:
        """The SMS, MMS or voice record status: the detail of the first event behind the
        current status."""
        if self.channel not in model.PHONE_CHANNELS:
            return None
        behind = self._behind_status()
        return (min(behind).detail or None) if behind else None


def counted(entries: Iterable[HistoryEntry]) -> list[HistoryEntry]:
    """The entries an outcome is made of: all but those SES marked automated."""
    return [entry for entry in entries if not entry.automated]


def outcome_of(channel: Channel, entries: Iterable[HistoryEntry]) -> Outcome:
    """The highest-precedence status among ``entries`` (final if any of its events was),
    and the earliest time of each kind; automated entries left out.

    With no counted event of the channel (nothing concerns a recipient yet, or
    only automated opens came), the channel's first status, not final: the
    message was sent, and nothing more is known.
    """
    precedence = model.PRECEDENCE[channel]
    kind_times: dict[Kind, int] = {}
    finals: dict[Status, bool] = {}
    for entry in counted(entries):
        kind_times[entry.kind] = min(entry.time_ms, kind_times.get(entry.kind, entry.time_ms))
        status = entry.implied_status
        if status in precedence:
            finals[status] = finals.get(status, False) or entry.final
    if not finals:
        return Outcome(precedence[0], False, dict(sorted(kind_times.items())))
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
        automated=event.automated,
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
        tenant=event.tenant,
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
        tenant=_smallest(left.tenant, right.tenant),
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
