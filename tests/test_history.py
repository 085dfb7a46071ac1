"""Bounded histories: a message that gets thousands of opens keeps a small item, exact status,
exact first times and exact counts, whatever order and batches the events come in."""

from __future__ import annotations

import itertools
import json

from hypothesis import given
from hypothesis import strategies as st
from message_status import history as bounded_history
from message_status.dynamodb_json import serialize
from message_status.history import MAX_LATEST_ENTRIES, History, HistoryEntry, bounded, merge
from message_status.item import from_item, to_document, to_item
from message_status.model import MAX_RECIPIENTS, Kind
from message_status.parse import parse_event
from message_status.record import fold

from devkit.capacity import item_size
from devkit.events import ses

T = 1_800_000_000_000
KINDS = [Kind.SEND, Kind.DELIVERED, Kind.OPEN, Kind.CLICK]
ENTRIES = st.builds(
    HistoryEntry,
    time_ms=st.integers(T, T + 500),
    kind=st.sampled_from(KINDS),
    detail=st.sampled_from(["", "https://example.com/a", "x" * 300]),
)


def history_of(entries: list[HistoryEntry], stored: History | None = None) -> History:
    """Events merged one at a time onto the stored history, as the transform folds a batch."""
    result = stored or History()
    for entry in entries:
        result = merge(result, bounded_history.single(entry))
    return result


def chatty(n: int) -> list[dict]:
    return [ses("Send", "m", T), ses("Delivery", "m", T + 1000)] + [
        ses("Open", "m", T + 10_000 + i * 1000) for i in range(n)
    ]


# --- the kept entries ---------------------------------------------------------------------------


@given(st.lists(ENTRIES, max_size=60), st.randoms(use_true_random=False))
def test_kept_entries_depend_only_on_the_set_of_events(entries, rng) -> None:
    shuffled = list(entries)
    rng.shuffle(shuffled)
    assert history_of(shuffled).entries == history_of(entries).entries == bounded(entries)


@given(st.lists(ENTRIES, max_size=60), st.data())
def test_any_split_across_batches_keeps_the_same_entries(entries, data) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(entries)), max_size=4)))
    batches = [entries[a:b] for a, b in itertools.pairwise([0, *cuts, len(entries)])]
    stored = History()
    for batch in batches:
        stored = merge(stored, history_of(batch))  # even merging whole histories
    assert stored.entries == bounded(entries)


@given(st.lists(ENTRIES, max_size=60))
def test_the_first_event_of_each_kind_is_always_kept(entries) -> None:
    kept = set(history_of(entries).entries)
    for kind in {entry.kind for entry in entries}:
        assert min(entry for entry in entries if entry.kind == kind) in kept


@given(st.lists(ENTRIES, min_size=1, max_size=60))
def test_the_latest_events_are_kept(entries) -> None:
    kept = set(history_of(entries).entries)
    newest = sorted(set(entries), reverse=True)
    assert newest[0] in kept
    assert len(kept) <= len(KINDS) + MAX_LATEST_ENTRIES


# --- the counts ---------------------------------------------------------------------------------


@given(st.lists(ENTRIES, max_size=80), st.data())
def test_counts_are_exact_when_events_arrive_in_time_order_in_any_batches(entries, data) -> None:
    ordered = sorted(set(entries))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(ordered)), max_size=4)))
    stored = History()
    for a, b in itertools.pairwise([0, *cuts, len(ordered)]):
        # a batch may repeat an event of the one before: Firehose retries
        stored = history_of(ordered[max(0, a - 1) : b], stored)
    expected = {kind: sum(1 for e in ordered if e.kind == kind) for kind in KINDS}
    assert stored.counts == {kind: n for kind, n in expected.items() if n}


@given(st.lists(ENTRIES, max_size=80), st.data())
def test_replaying_any_batch_changes_nothing(entries, data) -> None:
    stored = history_of(entries)
    replay = data.draw(st.lists(st.sampled_from(entries), max_size=20)) if entries else []
    assert history_of(replay, stored) == stored
    assert history_of([*entries, *replay]) == history_of(entries)


@given(st.lists(ENTRIES, max_size=60))
def test_merge_is_idempotent_and_commutative(entries) -> None:
    half = len(entries) // 2
    left, right = history_of(entries[:half]), history_of(entries[half:])
    assert merge(left, left) == left
    assert merge(left, right) == merge(right, left)


def test_a_late_event_older_than_the_kept_ones_is_taken_for_a_replay() -> None:
    """The one documented inexactness: it cannot be told from a re-delivered dropped event."""
    opens = [HistoryEntry(T + n, Kind.OPEN) for n in range(1, 40)]
    stored = history_of(opens)
    late = HistoryEntry(T + 20, Kind.CLICK)  # a new kind: first of its kind, so it counts
    assert merge(stored, bounded_history.single(late)).counts[Kind.CLICK] == 1
    older_open = HistoryEntry(T + 0, Kind.OPEN)  # the new first open: kept and counted
    assert merge(stored, bounded_history.single(older_open)).counts[Kind.OPEN] == 40


# --- the item ------------------------------------------------------------------------------------


def test_a_message_with_1000_opens_keeps_a_small_item_and_exact_status() -> None:
    record = fold(parse_event(event) for event in chatty(1000))
    item = to_item(record)
    assert item_size(serialize(item)) < 4096
    assert (record.status, record.is_final) == ("OPENED", True)
    assert record.kind_times[Kind.OPEN] == T + 10_000
    assert record.history.counts == {Kind.SEND: 1, Kind.DELIVERED: 1, Kind.OPEN: 1000}
    document = to_document(item)
    assert document["history_truncated"] is True
    assert document["event_counts"] == {"send": 1, "delivered": 1, "open": 1000}
    assert document["events"]["open"] == "2027-01-15T08:00:10.000Z"
    assert [entry["kind"] for entry in document["history"][:3]] == ["send", "delivered", "open"]
    assert document["history"][-1]["time"] == "2027-01-15T08:16:49.000Z"  # the latest open


def test_the_chatty_item_round_trips_and_one_more_open_is_counted_once() -> None:
    record = fold(parse_event(event) for event in chatty(300))
    stored = from_item(to_item(record))
    assert stored == record
    again = fold([parse_event(ses("Open", "m", T + 10_000 + 300 * 1000))], stored)
    assert again.history.counts[Kind.OPEN] == 301
    replayed = fold([parse_event(event) for event in chatty(300)[-20:]], again)
    assert replayed == again


def test_a_hostile_recipient_list_is_capped() -> None:
    event = ses("Send", "m", T)
    event["mail"]["destination"] = [f"r{n:04d}@example.com" for n in range(5000)]
    record = fold([parse_event(event)])
    assert len(record.recipients) == MAX_RECIPIENTS
    assert record.recipients[0] == "r0000@example.com"
    assert len(json.dumps(to_item(record))) < 4000
