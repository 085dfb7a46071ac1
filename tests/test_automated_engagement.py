"""Machine engagement kept apart: opens and clicks SES marks isBotEvent "Likely".

An automated open or click stays in the history, marked, and is counted apart;
it never changes a message's status, its finality or its per-kind times, on
the message or on any recipient: the answer with automated events is the
answer without them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from message_status import model
from message_status.events import NormalizedEvent
from message_status.history import MAX_LATEST_ENTRIES
from message_status.item import from_item, to_document, to_item
from message_status.metrics import recipient_event_counts
from message_status.parse import parse_event
from message_status.record import MessageRecord, fold

from devkit.calls import call_api, results, run_firehose
from devkit.events import fixture, ses
from tests.support.openapi import validate_response
from tests.support.strategies import timeline

LIKELY = model.SES_AUTOMATED_VALUE


def parsed(events: list[dict]) -> list[NormalizedEvent]:
    out = [parse_event(event) for event in events]
    return [event for event in out if isinstance(event, NormalizedEvent)]


def answer(record: MessageRecord) -> tuple:
    """Everything an outcome is made of, for the message and each recipient."""
    return (
        record.outcome,
        record.recipient_outcomes(),
        record.status_time_ms,
        record.record_status,
    )


def test_a_scanners_open_one_second_after_delivery_leaves_the_status_delivered(
    transform, query
) -> None:
    """Done when: the documented Delivery, then the documented Open marked Likely, 1 s later."""
    delivery = fixture("ses_delivery")
    message_id = delivery["mail"]["messageId"]
    scanner = fixture("ses_open_automated")
    scanner["mail"]["messageId"] = message_id
    scanner["open"]["timestamp"] = "2016-10-19T23:21:05.133Z"  # the delivery's time + 1 s
    assert set(results(run_firehose(transform, [delivery, scanner]))) == {"Ok"}
    status, document = call_api(query, "GET", f"/messages/{message_id}")
    validate_response("/messages/{message_id}", "GET", status, document)
    assert (document["status"], document["is_final"]) == ("DELIVERED", True)
    assert "open" not in document["events"]
    opened = [e for e in document["history"] if e["kind"] == "open"]
    assert opened == [
        {"kind": "open", "time": "2016-10-19T23:21:05.133Z", "automated": True},
    ]
    assert document["event_counts"]["open"] == 1
    assert document["automated_event_counts"] == {"open": 1}


def test_a_humans_open_after_a_scanners_opens_the_message() -> None:
    events = [
        ses("Delivery", "m", 1000),
        ses("Open", "m", 1500, bot=LIKELY),
        ses("Open", "m", 90_000, bot="Unlikely"),
    ]
    record = fold(parsed(events))
    assert record.status == "OPENED"
    assert record.kind_times[model.Kind.OPEN] == 90_000


def test_an_automated_open_before_the_delivery_leaves_the_mail_sent() -> None:
    """Not even SENT -> OPENED: the property is "the status without them"."""
    record = fold(parsed([ses("Send", "m", 1000), ses("Open", "m", 1100, bot=LIKELY)]))
    assert (record.status, record.is_final) == ("SENT", False)
    assert record.status_time_ms == 1000


def test_a_message_only_a_scanner_has_touched_yet_is_sent_not_final() -> None:
    record = fold(parsed([ses("Click", "m", 1100, bot=LIKELY)]))
    assert (record.status, record.is_final, dict(record.kind_times)) == ("SENT", False, {})
    document = to_document(to_item(record))
    assert document["history"][0]["automated"] is True
    assert document["automated_event_counts"] == {"click": 1}


@given(timeline(), st.data())
def test_an_automated_event_never_changes_an_answer(events: list[dict], data) -> None:
    """For any timeline, marking any of its opens and clicks automated (or adding
    automated copies at any time) gives the answer of the timeline without them."""
    human = parsed(events)
    if not human:
        return
    automated = [
        replace(event, automated=True, time_ms=data.draw(st.integers(0, 2_000_000_000_000)))
        for event in human
        if event.kind in model.AUTOMATABLE_KINDS and data.draw(st.booleans())
    ]
    humans_only = fold(human)
    with_bots = fold(human + automated)
    assert answer(with_bots) == answer(humans_only)
    stored = from_item(to_item(with_bots))
    assert answer(stored) == answer(humans_only)
    assert to_document(to_item(with_bots))["status"] == humans_only.status


@pytest.mark.parametrize("floods", [1, MAX_LATEST_ENTRIES, MAX_LATEST_ENTRIES + 1, 8, 120])
def test_a_flood_of_automated_opens_never_hides_the_first_human_one(floods: int) -> None:
    events = [ses("Delivery", "m", 1000), ses("Open", "m", 2000, bot="Unlikely")]
    events += [ses("Open", "m", 3000 + n, bot=LIKELY) for n in range(floods)]
    record = fold(parsed(events))
    assert record.status == "OPENED"
    assert record.kind_times[model.Kind.OPEN] == 2000
    history = record.history
    assert len(history.entries) <= MAX_LATEST_ENTRIES + 3
    assert history.counts[model.Kind.OPEN] == floods + 1
    assert history.automated_counts[model.Kind.OPEN] == floods
    item = to_item(record)
    assert from_item(item).history == history
    if history.truncated:
        assert item["da"] == {"open": floods - (MAX_LATEST_ENTRIES + 1)}


def test_automated_entries_are_stored_in_a_few_bytes_and_read_back() -> None:
    record = fold(parsed([ses("Delivery", "m", 1000), ses("Open", "m", 2000, bot=LIKELY)]))
    item = to_item(record)
    assert item["h"][-1] == [1000, "open", "", "", 2]
    assert from_item(item) == record


def test_automated_opens_and_clicks_count_in_no_engagement_metric() -> None:
    events = parsed(
        [
            ses("Open", "m", 1000, bot=LIKELY),
            ses("Click", "m", 1000, bot=LIKELY),
            ses("Open", "m", 2000, bot="Unlikely"),
        ]
    )
    counts = recipient_event_counts(events)
    assert counts == {(model.Channel.EMAIL, model.Status.OPENED): 1}
