"""Status-change events, pure: what changes between two stored items, and what consumers get.

The old and new items are written by the same code as the transform's
(record.fold + item.to_item), so these tests see what the stream sees.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from message_status import model
from message_status.changes import (
    DETAIL_TYPE,
    MAX_ENTRIES_PER_PUT,
    QUIET_MARKER,
    StatusChange,
    put_batches,
    put_entry,
    status_change,
)
from message_status.item import pointer_items
from message_status.parse import parse_event
from message_status.record import fold
from moto.events.models import EventPattern

from devkit import ROOT
from devkit.events import eventbridge, ses, sms_v2
from devkit.streams import MODULE_FILTER, MappingSettings, record_of
from tests.support.changes import change, envelope, item
from tests.support.strategies import timeline

SCHEMA = ROOT / "docs" / "events" / "message-status-changed.schema.json"
T = 1_800_000_000_000
TEAM = ["ana@example.com", "ben@example.org"]


@cache
def validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA.read_text()))


# --- when an event is published ---------------------------------------------------------------


def test_a_first_event_is_a_change_from_nothing() -> None:
    first = change([], [ses("Send", "m", T)])
    assert first is not None
    assert (first.status, first.previous_status, first.is_final) == ("SENT", None, False)
    assert first.status_changed is True


def test_a_status_rise_is_one_change_with_the_previous_status() -> None:
    delivered = change([ses("Send", "m", T)], [ses("Delivery", "m", T + 1000)])
    assert delivered is not None
    assert (delivered.previous_status, delivered.status, delivered.is_final) == (
        "SENT",
        "DELIVERED",
        True,
    )
    assert delivered.version == 2


def test_an_event_that_adds_history_only_is_no_change() -> None:
    """An older event arriving late, or a second open, leaves the status where it was."""
    sent_late = change([ses("Delivery", "m", T + 1000)], [ses("Send", "m", T)])
    assert sent_late is None
    opened = [ses("Send", "m", T), ses("Delivery", "m", T + 1), ses("Open", "m", T + 2)]
    assert change(opened, [ses("Open", "m", T + 3)]) is None


def test_finality_alone_is_a_change() -> None:
    """An SMS v2 SENT that the source then marks final: same status, now final."""
    sent = sms_v2("TEXT_SUCCESSFUL", "s", T, is_final=False)
    final = sms_v2("TEXT_SUCCESSFUL", "s", T + 1, is_final=True)
    became_final = change([sent], [final])
    assert became_final is not None
    assert (became_final.status, became_final.previous_status, became_final.is_final) == (
        "SENT",
        "SENT",
        True,
    )


def test_only_the_change_that_makes_a_message_final_says_it_became_final() -> None:
    """became_final: the one event per message a "tell me when it is done" rule wants."""
    send = [ses("Send", "m", T)]
    delivered = [ses("Delivery", "m", T + 1, sent_ms=T)]
    assert became_final([], send) is False
    assert became_final(send, delivered) is True
    assert became_final(send + delivered, [ses("Open", "m", T + 2, sent_ms=T)]) is False
    assert became_final([], delivered) is True, "final from its first event"
    sent = sms_v2("TEXT_SUCCESSFUL", "s", T, is_final=False)
    assert became_final([sent], [sms_v2("TEXT_SUCCESSFUL", "s", T + 1, is_final=True)]) is True
    # the second recipient of a mail already final: a recipient change only
    bounced = [
        ses("Send", "team", T, destination=TEAM),
        ses("Bounce", "team", T + 1, destination=TEAM, named=TEAM[:1], sent_ms=T),
    ]
    late = [ses("Delivery", "team", T + 2, destination=TEAM, named=TEAM[1:], sent_ms=T)]
    assert became_final(bounced, late) is False


def became_final(before: list[dict], added: list[dict]) -> bool:
    published = change(before, added)
    assert published is not None
    detail = published.detail()
    assert detail["became_final"] is published.became_final
    return published.became_final


def test_each_recipient_whose_status_changed_is_named() -> None:
    sent = [ses("Send", "team", T, destination=TEAM)]
    delivered = [ses("Delivery", "team", T + 1, destination=TEAM, named=TEAM[:1], sent_ms=T)]
    first = change(sent, delivered)
    assert first is not None
    assert [(r.recipient, r.previous_status, r.status) for r in first.recipients] == [
        ("ana@example.com", "SENT", "DELIVERED")
    ]
    bounced = [ses("Bounce", "team", T + 2, destination=TEAM, named=TEAM[1:], sent_ms=T)]
    second = change(sent + delivered, bounced)
    assert second is not None
    assert (second.previous_status, second.status, second.status_changed) == (
        "DELIVERED",
        "HARD_BOUNCED",
        True,
    )
    assert [(r.recipient, r.status) for r in second.recipients] == [
        ("ben@example.org", "HARD_BOUNCED")
    ]


def test_a_recipient_change_under_an_unchanged_message_status_is_still_published() -> None:
    """ana bounced first; ben's delivery changes nothing at the message level."""
    before = [
        ses("Send", "team", T, destination=TEAM),
        ses("Bounce", "team", T + 1, destination=TEAM, named=TEAM[:1], sent_ms=T),
    ]
    late = [ses("Delivery", "team", T + 2, destination=TEAM, named=TEAM[1:], sent_ms=T)]
    published = change(before, late)
    assert published is not None
    assert (published.status, published.status_changed) == ("HARD_BOUNCED", False)
    assert [(r.recipient, r.status) for r in published.recipients] == [
        ("ben@example.org", "DELIVERED")
    ]


@pytest.mark.parametrize("event_name", ["pointer", "removal"])
def test_pointer_items_and_removals_publish_nothing(event_name: str) -> None:
    message = item([ses("Send", "team", T, destination=TEAM)])
    pointer = pointer_items(message)[0]
    if event_name == "pointer":
        assert status_change(None, pointer) is None
    else:
        assert status_change(message, None) is None


# --- quiet writes (msgstatus backfill) --------------------------------------------------------


def quiet(stored: dict[str, Any]) -> dict[str, Any]:
    """``stored`` as a quiet store writes it: the marker holds the version it wrote."""
    return {**stored, QUIET_MARKER: stored["version"]}


def test_a_quiet_write_publishes_nothing_even_when_the_status_rises() -> None:
    sent = [ses("Send", "m", T)]
    delivered = [*sent, ses("Delivery", "m", T + 1000, sent_ms=T)]
    assert status_change(None, quiet(item(sent))) is None
    assert status_change(quiet(item(sent)), quiet(item(delivered, 2))) is None
    assert status_change(item(sent), quiet(item(delivered, 2))) is None


def test_a_live_write_after_a_quiet_one_is_published_against_the_backfilled_image() -> None:
    sent = [ses("Send", "m", T)]
    delivered = [*sent, ses("Delivery", "m", T + 1000, sent_ms=T)]
    published = status_change(quiet(item(sent)), item(delivered, 2))
    assert published is not None
    assert (published.previous_status, published.status, published.version) == (
        model.Status.SENT,
        model.Status.DELIVERED,
        2,
    )


def test_a_marker_of_another_version_silences_nothing() -> None:
    """Were a later write ever to keep an old marker, its change would still go out."""
    sent = [ses("Send", "m", T)]
    delivered = [*sent, ses("Delivery", "m", T + 1000, sent_ms=T)]
    kept_marker = {**item(delivered, 2), QUIET_MARKER: 1}
    assert status_change(quiet(item(sent)), kept_marker) is not None


def test_the_mappings_filter_keeps_quiet_writes_from_invoking_the_function() -> None:
    sent = [ses("Send", "m", T)]
    delivered = [*sent, ses("Delivery", "m", T + 1000, sent_ms=T)]
    mapping = MappingSettings(filters=(json.dumps(MODULE_FILTER),))
    assert not mapping.accepts(record_of(None, quiet(item(sent)), 1))
    assert not mapping.accepts(record_of(item(sent), quiet(item(delivered, 2)), 2))
    assert mapping.accepts(record_of(quiet(item(sent)), item(delivered, 2), 3))


def test_an_unreadable_image_is_an_error_not_a_silent_skip() -> None:
    broken = {"message_id": "m", "h": [["x"]], "sent": 1, "version": 1}
    with pytest.raises(ValueError, match="image unreadable"):
        status_change(None, broken)


@given(timeline(), timeline())
def test_no_event_ever_says_a_status_went_down(before: list[dict], added: list[dict]) -> None:
    """Whatever arrives, in whatever order: the merge never regresses, so no change can.

    (One id used by an SMS and an email, which no source does, changes channel:
    statuses of two channels do not compare, so such pairs are left out.)
    """
    published = change(before, added)
    if published is None:
        return
    if before and fold(parse_event(e) for e in before).channel is not published.channel:
        return
    precedence = model.PRECEDENCE[published.channel]
    if published.previous_status is not None:
        assert precedence.index(published.status) >= precedence.index(published.previous_status)
    for recipient in published.recipients:
        if recipient.previous_status is not None:
            assert precedence.index(recipient.status) >= precedence.index(recipient.previous_status)


@given(timeline(), timeline())
def test_every_detail_matches_the_documented_schema(before: list[dict], added: list[dict]) -> None:
    published = change(before, added)
    if published is not None:
        validator().validate(published.detail())


def test_the_correlation_id_travels_with_the_event() -> None:
    tagged = change([], [ses("Send", "m", T, tags={"order_id": "ORD-1"})], key="order_id")
    assert tagged is not None
    assert tagged.detail()["correlation_id"] == "ORD-1"


# --- entries and batches ------------------------------------------------------------------------


def test_an_entry_is_a_message_status_changed_event_on_the_bus() -> None:
    published = change([], [ses("Send", "m", T)])
    assert published is not None
    entry = put_entry(published, "message-status", "orders-bus")
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (
        "message-status",
        DETAIL_TYPE,
        "orders-bus",
    )
    assert json.loads(entry["Detail"]) == published.detail()


@given(st.lists(st.integers(1, 60_000), max_size=60))
def test_batches_hold_ten_entries_and_256_kb_at_most(detail_sizes: list[int]) -> None:
    entries = [{"Source": "s", "DetailType": "d", "Detail": "x" * size} for size in detail_sizes]
    batches = put_batches(entries)
    assert [p for batch in batches for p in batch] == list(range(len(entries)))
    for batch in batches:
        assert len(batch) <= MAX_ENTRIES_PER_PUT
        assert sum(len(entries[p]["Detail"]) + 2 for p in batch) <= 256 * 1024


# --- the README's rule patterns match what they say ----------------------------------------------

PATTERNS = ROOT / "docs" / "events" / "patterns"


def matches(pattern_file: str, published: StatusChange | None) -> bool:
    assert published is not None
    pattern = EventPattern.load((PATTERNS / pattern_file).read_text())
    return bool(pattern.matches_event(envelope(published)))


def test_any_hard_bounce_pattern() -> None:
    sent = [ses("Send", "team", T, destination=TEAM)]
    bounced = [ses("Bounce", "team", T + 2, destination=TEAM, named=TEAM[1:], sent_ms=T)]
    assert matches("any-hard-bounce.json", change(sent, bounced))
    delivered = [ses("Delivery", "team", T + 1, destination=TEAM, named=TEAM[:1], sent_ms=T)]
    assert not matches("any-hard-bounce.json", change(sent, delivered))
    # a second recipient bouncing later still matches: the pattern follows recipients
    late = [ses("Bounce", "team", T + 3, destination=TEAM, named=TEAM[:1], sent_ms=T)]
    assert matches("any-hard-bounce.json", change(sent + bounced, late))


def test_final_sms_failures_pattern() -> None:
    queued = [sms_v2("TEXT_QUEUED", "s", T)]
    failed = [sms_v2("TEXT_CARRIER_UNREACHABLE", "s", T + 1, "CARRIER_UNREACHABLE")]
    assert matches("sms-final-failures.json", change(queued, failed))
    delivered = [sms_v2("TEXT_DELIVERED", "s", T + 1)]
    assert not matches("sms-final-failures.json", change(queued, delivered))
    email_bounce = [ses("Bounce", "m", T)]
    assert not matches("sms-final-failures.json", change([], email_bounce))


def test_settled_outcome_pattern_hears_each_message_once() -> None:
    send = [ses("Send", "m", T)]
    delivered = [ses("Delivery", "m", T + 1, sent_ms=T)]
    assert not matches("settled-outcome.json", change([], send))
    assert matches("settled-outcome.json", change(send, delivered))
    opened = [ses("Open", "m", T + 2, sent_ms=T)]
    assert not matches("settled-outcome.json", change(send + delivered, opened))


def test_one_correlation_id_pattern() -> None:
    tagged = [ses("Send", "m", T, tags={"order_id": "ORD-1042"})]
    assert matches("one-correlation-id.json", change([], tagged, key="order_id"))
    other = [ses("Send", "n", T, tags={"order_id": "ORD-7"})]
    assert not matches("one-correlation-id.json", change([], other, key="order_id"))


def test_one_sender_account_pattern() -> None:
    shop = [eventbridge(ses("Send", "m", T), "111111111111", "eu-west-1")]
    published = change([], shop)
    assert published is not None
    assert (published.detail()["aws_account_id"], published.detail()["aws_region"]) == (
        "111111111111",
        "eu-west-1",
    )
    assert matches("one-sender-account.json", published)
    billing = [eventbridge(ses("Send", "n", T), "222222222222", "eu-west-1")]
    assert not matches("one-sender-account.json", change([], billing))


def test_one_tenant_pattern() -> None:
    acme = [ses("Send", "m", T, tags={"ses:tenant-name": "acme"})]
    assert matches("one-tenant.json", change([], acme))
    globex = [ses("Send", "n", T, tags={"ses:tenant-name": "globex"})]
    assert not matches("one-tenant.json", change([], globex))
    assert not matches("one-tenant.json", change([], [ses("Send", "o", T)]))


def test_any_suppressed_recipient_pattern() -> None:
    sent = [ses("Send", "team", T, destination=TEAM)]
    suppressed = [
        ses(
            "Bounce",
            "team",
            T + 1,
            destination=TEAM,
            named=TEAM[1:2],
            sent_ms=T,
            sub_type="OnAccountSuppressionList",
        )
    ]
    assert matches("any-suppressed-recipient.json", change(sent, suppressed))
    bounced = [ses("Bounce", "team", T + 1, destination=TEAM, named=TEAM[1:2], sent_ms=T)]
    assert not matches("any-suppressed-recipient.json", change(sent, bounced))
    assert matches("any-hard-bounce.json", change(sent, bounced))
    assert not matches("any-hard-bounce.json", change(sent, suppressed))
