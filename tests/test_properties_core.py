"""Properties of the pure core: the record is a function of the set of events.

merge is commutative, associative and idempotent, so the item cannot depend on
arrival order, on how events are split across Firehose batches, or on retries.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from message_status import model
from message_status.events import NormalizedEvent
from message_status.history import History
from message_status.item import from_item, to_item
from message_status.parse import parse_event
from message_status.record import MessageRecord, fold, merge

from tests.support.strategies import PINPOINT_EMAIL_TYPES, every_generated_event, timeline


def record(events: list[dict]) -> MessageRecord:
    return fold(parse_event(event) for event in events)


@given(timeline(), timeline())
def test_merge_is_commutative(a: list[dict], b: list[dict]) -> None:
    assert merge(record(a), record(b)) == merge(record(b), record(a))


def kept(record_: MessageRecord) -> MessageRecord:
    """The record without its drop counts: merging two histories that both dropped events
    cannot know how many they dropped in common (message_status.history explains why), so
    only the kept entries and everything derived from them are associative there."""
    return replace(record_, history=History(record_.history.entries))


@given(timeline(), timeline(), timeline())
def test_merge_is_associative(a: list[dict], b: list[dict], c: list[dict]) -> None:
    left = merge(merge(record(a), record(b)), record(c))
    right = merge(record(a), merge(record(b), record(c)))
    assert kept(left) == kept(right)
    if not (left.history.truncated or right.history.truncated):
        assert left == right


@given(timeline())
def test_merge_is_idempotent(events: list[dict]) -> None:
    once = record(events)
    assert merge(once, once) == once
    assert record(events + events) == once


@given(timeline(), st.randoms(use_true_random=False))
def test_any_permutation_gives_the_same_record(events: list[dict], rng) -> None:
    shuffled = list(events)
    rng.shuffle(shuffled)
    assert record(shuffled) == record(events)
    assert to_item(record(shuffled)) == to_item(record(events))


@given(timeline(min_size=2), st.data())
def test_any_split_folded_onto_the_stored_item_gives_the_same_item(
    events: list[dict], data
) -> None:
    cut = data.draw(st.integers(min_value=1, max_value=len(events) - 1))
    stored = to_item(record(events[:cut]))
    resumed = fold((parse_event(event) for event in events[cut:]), from_item(stored))
    assert to_item(resumed) == to_item(record(events))


@given(timeline())
def test_item_round_trip_is_exact(events: list[dict]) -> None:
    original = record(events)
    assert from_item(to_item(original)) == original


def test_the_strategies_reach_every_kind_and_status_of_the_model() -> None:
    """The generators come from the model's tables: no kind or status is left out."""
    parsed = [parse_event(event) for event in every_generated_event()]
    events = [event for event in parsed if isinstance(event, NormalizedEvent)]
    assert {event.kind for event in events} == set(model.ALL_KINDS)
    statuses = {status for channel in model.Channel for status in model.PRECEDENCE[channel]}
    assert {event.status for event in events} == statuses
    assert {event.channel for event in events} == set(model.Channel)
    assert any(event.automated for event in events)
    assert any(event.tenant for event in events)
    lists = {model.suppression_list(e.detail) for e in events if e.kind == "suppressed"}
    assert lists == set(model.SuppressionList)
    assert "_email.delivery_delay" in PINPOINT_EMAIL_TYPES


@given(timeline(), st.randoms(use_true_random=False))
def test_every_recipients_outcome_is_order_free_and_exact(events: list[dict], rng) -> None:
    """Per-recipient outcomes are the same rule over the events that concern each recipient."""
    shuffled = list(events)
    rng.shuffle(shuffled)
    merged = record(shuffled)
    assert merged.recipient_outcomes() == record(events).recipient_outcomes()
    # Automated opens and clicks take part in no outcome (message_status.record).
    parsed = [e for e in map(parse_event, events) if not e.automated]
    for recipient, outcome in merged.recipient_outcomes().items():
        concerning = [e for e in parsed if not e.recipients or recipient in e.recipients]
        precedence = model.PRECEDENCE[merged.channel]
        statuses = [e.status for e in concerning if e.status in precedence]
        if not statuses:  # nothing concerns it yet: sent to it, nothing more known
            assert (outcome.status, outcome.is_final, outcome.kind_times) == (
                precedence[0],
                False,
                {},
            )
            continue
        expected = max(statuses, key=precedence.index)
        assert outcome.status == expected
        assert outcome.is_final == any(e.final for e in concerning if e.status == expected)
        assert outcome.kind_times == {
            kind: min(e.time_ms for e in concerning if e.kind == kind)
            for kind in {e.kind for e in concerning}
        }


@given(timeline())
def test_the_message_status_is_the_highest_of_its_recipients(events: list[dict]) -> None:
    merged = record(events)
    precedence = model.PRECEDENCE[merged.channel]
    outcomes = merged.recipient_outcomes()
    assert outcomes, "every message has at least one recipient"
    assert merged.status == max((o.status for o in outcomes.values()), key=precedence.index)
