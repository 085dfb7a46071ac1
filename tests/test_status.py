"""Derived status and is_final: computed from the set of events, by precedence."""

from __future__ import annotations

import itertools

import pytest
from message_status import model
from message_status.events import NormalizedEvent
from message_status.item import ItemSettings, from_item, to_document, to_item
from message_status.parse import parse_event
from message_status.record import fold

from devkit.events import pinpoint_email, pinpoint_sms, ses, sms_v2


def document_of(record) -> dict:
    """The API document of the item the record is stored as."""
    return to_document(to_item(record))


def record_of(*events: dict):
    parsed = [parse_event(event) for event in events]
    assert all(isinstance(event, NormalizedEvent) for event in parsed)
    return fold(parsed)


def test_late_send_event_does_not_regress_delivered_status() -> None:
    record = record_of(ses("Delivery", "m", 2000), ses("Send", "m", 1000))
    assert (record.status, record.is_final) == ("DELIVERED", True)


def test_click_after_open_after_delivery_is_clicked() -> None:
    record = record_of(
        ses("Click", "m", 4000),
        ses("Send", "m", 1000),
        ses("Open", "m", 3000),
        ses("Delivery", "m", 2000),
    )
    assert record.status == "CLICKED"


def test_hard_bounce_outranks_an_earlier_delivery() -> None:
    assert record_of(ses("Delivery", "m", 1000), ses("Bounce", "m", 2000)).status == "HARD_BOUNCED"


def test_delayed_email_is_not_final_until_delivered() -> None:
    delayed = record_of(ses("Send", "m", 1000), ses("DeliveryDelay", "m", 2000))
    assert (delayed.status, delayed.is_final) == ("DELAYED", False)
    delivered = record_of(
        ses("Send", "m", 1000), ses("DeliveryDelay", "m", 2000), ses("Delivery", "m", 3000)
    )
    assert (delivered.status, delivered.is_final) == ("DELIVERED", True)


def test_sent_email_is_never_final() -> None:
    assert record_of(ses("Send", "m", 1000)).is_final is False


def test_pinpoint_soft_bounce_is_not_final_and_later_delivery_wins() -> None:
    bounced = record_of(pinpoint_email("_email.softbounce", "m", 1000))
    assert (bounced.status, bounced.is_final) == ("SOFT_BOUNCED", False)
    recovered = record_of(
        pinpoint_email("_email.softbounce", "m", 1000),
        pinpoint_email("_email.delivered", "m", 5000),
    )
    assert (recovered.status, recovered.is_final) == ("DELIVERED", True)


def test_ses_transient_bounce_is_final_because_ses_stopped_retrying() -> None:
    record = record_of(ses("Send", "m", 1000), ses("Bounce", "m", 2000, bounce_type="Transient"))
    assert (record.status, record.is_final) == ("SOFT_BOUNCED", True)


def test_sms_buffered_then_delivered_is_delivered_and_final() -> None:
    record = record_of(
        pinpoint_sms("_SMS.SUCCESS", "s", 2000, "DELIVERED"),
        pinpoint_sms("_SMS.BUFFERED", "s", 1000, "PENDING"),
    )
    assert (record.status, record.is_final) == ("DELIVERED", True)
    assert document_of(record)["record_status"] == "DELIVERED"


def test_sms_pending_alone_is_not_final() -> None:
    record = record_of(sms_v2("TEXT_QUEUED", "s", 1000))
    assert (record.status, record.is_final) == ("PENDING", False)


def test_sms_accepted_by_carrier_is_sent_and_final_only_if_the_source_says_so() -> None:
    pinpoint = record_of(pinpoint_sms("_SMS.SUCCESS", "s", 1000, "SUCCESSFUL"))
    assert (pinpoint.status, pinpoint.is_final) == ("SENT", False)
    v2_final = record_of(sms_v2("TEXT_SUCCESSFUL", "s", 1000, is_final=True))
    assert (v2_final.status, v2_final.is_final) == ("SENT", True)
    v2_open = record_of(sms_v2("TEXT_SUCCESSFUL", "s", 1000, is_final=False))
    assert (v2_open.status, v2_open.is_final) == ("SENT", False)


def test_sms_delivery_after_failure_wins_by_precedence() -> None:
    record = record_of(
        sms_v2("TEXT_DELIVERED", "s", 1000),
        sms_v2("TEXT_CARRIER_UNREACHABLE", "s", 2000, "CARRIER_UNREACHABLE"),
    )
    assert record.status == "DELIVERED"


def test_sms_failure_keeps_the_carrier_reason_as_record_status() -> None:
    record = record_of(
        sms_v2("TEXT_QUEUED", "s", 1000),
        sms_v2("TEXT_CARRIER_UNREACHABLE", "s", 2000, "CARRIER_UNREACHABLE"),
    )
    document = document_of(record)
    assert (document["status"], document["is_final"], document["record_status"]) == (
        "FAILED",
        True,
        "CARRIER_UNREACHABLE",
    )
    assert document["events"]["failure"] == "1970-01-01T00:00:02.000Z"


def test_opt_out_outranks_everything_for_sms() -> None:
    record = record_of(
        pinpoint_sms("_SMS.SUCCESS", "s", 1000, "DELIVERED"),
        pinpoint_sms("_SMS.OPTOUT", "s", 500, "OPTED_OUT"),
    )
    assert record.status == "OPTED_OUT"


@pytest.mark.parametrize("channel", list(model.Channel))
def test_precedence_is_total_for_each_channel(channel: model.Channel) -> None:
    precedence = model.PRECEDENCE[channel]
    assert len(set(precedence)) == len(precedence)
    assert set(model.FINALITY[channel]) == set(precedence)


def test_every_pair_of_email_statuses_resolves_to_the_higher_one() -> None:
    kinds = {
        "send": ses("Send", "m", 1),
        "delivery_delay": ses("DeliveryDelay", "m", 2),
        "softbounce": ses("Bounce", "m", 3, bounce_type="Transient"),
        "delivered": ses("Delivery", "m", 4),
        "open": ses("Open", "m", 5),
        "click": ses("Click", "m", 6),
        "unsubscribe": ses("Subscription", "m", 7),
        "complaint": ses("Complaint", "m", 8),
        "hardbounce": ses("Bounce", "m", 9),
        "rejected": ses("Reject", "m", 10),
        "rendering_failure": ses("Rendering Failure", "m", 11),
    }
    rank = model.PRECEDENCE[model.Channel.EMAIL].index
    for (kind_a, event_a), (kind_b, event_b) in itertools.combinations(kinds.items(), 2):
        expected = max(model.KIND_STATUS[kind_a], model.KIND_STATUS[kind_b], key=rank)
        assert record_of(event_a, event_b).status == expected
        assert record_of(event_b, event_a).status == expected


def test_events_hold_the_earliest_time_of_each_kind_and_absent_kinds_are_absent() -> None:
    document = document_of(
        record_of(ses("Open", "m", 5000), ses("Open", "m", 3000), ses("Send", "m", 1000))
    )
    assert document["events"] == {
        "send": "1970-01-01T00:00:01.000Z",
        "open": "1970-01-01T00:00:03.000Z",
    }
    assert document["event_counts"] == {"send": 1, "open": 2}
    assert [entry["time"] for entry in document["history"]] == [
        "1970-01-01T00:00:01.000Z",
        "1970-01-01T00:00:03.000Z",
        "1970-01-01T00:00:05.000Z",
    ]


def test_duplicate_events_appear_once_in_history() -> None:
    record = record_of(ses("Delivery", "m", 2000), ses("Delivery", "m", 2000))
    assert len(record.history.entries) == 1
    assert record.history.counts == {"delivered": 1}


def test_expires_at_counts_retention_from_when_the_message_was_sent() -> None:
    record = record_of(ses("Delivery", "m", 2_000_000), ses("Send", "m", 1_000_000))
    item = to_item(record, ItemSettings(retention_days=30))
    assert item["expires_at"] == 1_000 + 30 * 86_400


def test_item_round_trips_through_from_item() -> None:
    record = record_of(
        pinpoint_sms("_SMS.SUCCESS", "s", 2000, "DELIVERED"),
        pinpoint_sms("_SMS.BUFFERED", "s", 1000, "PENDING"),
    )
    assert from_item(to_item(record)) == record


def test_document_has_events_map_and_ordered_history_and_no_bookkeeping() -> None:
    item = to_item(record_of(ses("Click", "m", 3000), ses("Send", "m", 1000)))
    item["version"] = 3
    document = to_document(item)
    assert document["events"] == {
        "send": "1970-01-01T00:00:01.000Z",
        "click": "1970-01-01T00:00:03.000Z",
    }
    assert [entry["kind"] for entry in document["history"]] == ["send", "click"]
    assert not {"version", "h", "d", "a", "to", "rcpt", "sent", "send", "click"} & set(document)
    assert (document["status"], document["is_final"]) == ("CLICKED", True)
