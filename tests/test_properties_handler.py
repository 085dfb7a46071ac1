"""Properties of the deployed behaviour: the transform handler against a DynamoDB table on moto.

Firehose retries whole batches and delivers events in any order and any
split; the stored item (bookkeeping fields aside) must not care.
"""

from __future__ import annotations

import itertools

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from message_status.parse import parse_event
from message_status.store import MessageStore

from devkit.calls import results, run_firehose, stored_item, without_bookkeeping
from devkit.emulator import patched_environ
from tests.conftest import create_table
from tests.support import faults
from tests.support.strategies import timeline

HANDLER_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_tables = itertools.count()


def fresh_table(dynamodb) -> str:
    """A new empty table for one hypothesis example, wired into the handler."""
    name = f"prop-{next(_tables)}"
    create_table(dynamodb, name)
    return name


def run_in_table(transform, table: str, batches: list[list[dict]]) -> None:
    with patched_environ({"TABLE_NAME": table}):
        transform.restart()
        for number, batch in enumerate(batches):
            assert "ProcessingFailed" not in results(
                run_firehose(transform, batch, start=number * 1000)
            )
        transform.restart()


def two_messages(draw: st.DrawFn) -> list[dict]:
    return draw(timeline("alpha", max_size=6)) + draw(timeline("beta", max_size=6))


@HANDLER_SETTINGS
@given(st.data())
def test_a_batch_applied_twice_is_the_same_as_once(transform, dynamodb, data) -> None:
    events = two_messages(data.draw)
    once, twice = fresh_table(dynamodb), fresh_table(dynamodb)
    run_in_table(transform, once, [events])
    run_in_table(transform, twice, [events, events])
    for message_id in ("alpha", "beta"):
        assert stored_item(dynamodb, once, message_id) == stored_item(
            dynamodb, twice, message_id
        ), "the replay must not even bump the version"


@HANDLER_SETTINGS
@given(st.data())
def test_any_order_and_split_across_invocations_gives_the_same_item(
    transform, dynamodb, data
) -> None:
    events = two_messages(data.draw)
    shuffled = data.draw(st.permutations(events))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=3)))
    batches = [shuffled[start:end] for start, end in itertools.pairwise([0, *cuts, len(events)])]
    batches = [batch for batch in batches if batch]
    reference, split = fresh_table(dynamodb), fresh_table(dynamodb)
    run_in_table(transform, reference, [events])
    run_in_table(transform, split, batches)
    for message_id in ("alpha", "beta"):
        assert without_bookkeeping(stored_item(dynamodb, split, message_id)) == without_bookkeeping(
            stored_item(dynamodb, reference, message_id)
        )


# --- two writers racing on the same message -------------------------------------------


def store_for(table: str) -> MessageStore:
    """An independent writer: its own client, as a second Lambda invocation would have."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    return MessageStore(client, table, write_concurrency=1, sleep=lambda _s: None)


def groups_of(events: list[dict]) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for event in events:
        parsed = parse_event(event)
        grouped.setdefault(parsed.message_id, []).append(parsed)
    return grouped


@HANDLER_SETTINGS
@given(st.data())
def test_two_writers_racing_on_one_message_lose_nothing(dynamodb, data) -> None:
    """Writer A reads; writer B then reads and writes; then A writes. A must not clobber B."""
    events = data.draw(timeline("contended", min_size=2, max_size=8))
    cut = data.draw(st.integers(1, len(events) - 1))
    table, reference = fresh_table(dynamodb), fresh_table(dynamodb)
    preload = data.draw(st.booleans())
    if preload:  # sometimes the message already has an item before the race
        store_for(table).apply_all(groups_of(events[:1]))
        store_for(reference).apply_all(groups_of(events[:1]))
    writer_a, writer_b = store_for(table), store_for(table)
    raced = {"done": False}

    def let_b_win(**_):
        if not raced["done"]:
            raced["done"] = True
            outcome = writer_b.apply_all(groups_of(events[cut:]))
            assert outcome["contended"].result.value in {"written", "unchanged"}

    # Right after A's read: A now holds a stale copy, exactly the window a real race hits.
    writer_a.client.meta.events.register("after-call.dynamodb.BatchGetItem", let_b_win)
    counter = faults.count_requests(writer_a.client)
    outcome_a = writer_a.apply_all(groups_of(events[:cut]))
    store_for(reference).apply_all(groups_of(events))

    assert outcome_a["contended"].result.value in {"written", "unchanged"}
    assert raced["done"]
    assert without_bookkeeping(stored_item(dynamodb, table, "contended")) == without_bookkeeping(
        stored_item(dynamodb, reference, "contended")
    )
    if outcome_a["contended"].result.value == "written" and counter.counts["PutItem"] > 1:
        assert counter.counts["GetItem"] >= 1, "a lost race is settled by re-reading"
