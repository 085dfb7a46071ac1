"""Pinpoint's event format after Pinpoint's end of support, and the answers after migrating.

Amazon Pinpoint reached end of support on 2026-10-30, but its events still
arrive: from the Kinesis data streams projects wrote to (until the streams'
retention passes), and from archives. The transform reads them as before.

A message moved from Pinpoint to SES (email) or End User Messaging SMS v2 (SMS)
gets the same answer from the API: the same status, finality, times,
recipients and correlation id, and the same index entries (so the same
searches find it). Only ``source``, the sources' own wording in ``history``
and the attributes only Pinpoint sent differ.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from message_status.events import NormalizedEvent
from message_status.item import to_document, to_item
from message_status.model import INDEXES, Source
from message_status.parse import parse_event
from message_status.pipeline import Disposition, interpret_record
from message_status.record import fold

from devkit.calls import results, run_firehose_event
from devkit.events import (
    firehose_kinesis_event,
    fixture,
    pinpoint_email,
    pinpoint_sms,
    ses,
    sms_v2,
)
from tests.conftest import TABLE_NAME
from tests.support.items import stored_document

PINPOINT_DOCUMENTED = ("pinpoint_email_send", "pinpoint_email_delivered", "pinpoint_sms_success")
STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/pinpoint-events"
DELIVERY_STREAM = "arn:aws:firehose:us-east-1:123456789012:deliverystream/status-kinesis-pinpoint"
# Attributes only Pinpoint's events carry (its client, campaign and journey
# ids; and the account, which SMS v2 events do not name).
PINPOINT_ONLY = {"client", "campaign_id", "journey_id", "aws_account_id"}


def from_the_pinpoint_stream(names: tuple[str, ...]) -> dict[str, Any]:
    """The documented events, verbatim, as Firehose hands them over from a Kinesis source."""
    return firehose_kinesis_event(
        STREAM,
        DELIVERY_STREAM,
        [
            {
                "Data": json.dumps(fixture(name)).encode(),
                "PartitionKey": name,
                "SequenceNumber": f"4954698668313554428650745793632167567570019247115678515{i}",
                "ApproximateArrivalTimestamp": datetime(2026, 12, 1, 12, 0, i, tzinfo=UTC),
            }
            for i, name in enumerate(names)
        ],
    )


# --- Pinpoint's format, still read wherever it arrives --------------------------------


def test_pinpoint_documentation_events_from_a_kinesis_stream_are_read_as_they_always_were() -> None:
    event = from_the_pinpoint_stream(PINPOINT_DOCUMENTED)
    interpreted = [interpret_record(record) for record in event["records"]]
    assert [i.disposition for i in interpreted] == [Disposition.EVENT] * 3
    assert [i.event for i in interpreted] == [parse_event(fixture(n)) for n in PINPOINT_DOCUMENTED]
    assert {i.event.source for i in interpreted if i.event} == {Source.PINPOINT}


def test_pinpoint_documentation_events_from_a_kinesis_stream_reach_the_table(
    transform: Any, dynamodb: Any
) -> None:
    response = run_firehose_event(transform, from_the_pinpoint_stream(PINPOINT_DOCUMENTED))
    assert results(response) == ["Ok"] * 3
    email = stored_document(
        dynamodb, TABLE_NAME, "0200000073rnbmd1-mbvdg3uo-q8ia-m3ku-ibd3-ms77kexample-000000"
    )
    assert (email["source"], email["status"], email["is_final"]) == ("pinpoint", "DELIVERED", True)
    sms = stored_document(dynamodb, TABLE_NAME, "1111-2222-3333")
    assert (sms["source"], sms["status"], sms["record_status"]) == (
        "pinpoint",
        "DELIVERED",
        "DELIVERED",
    )


# --- the same answer, whichever source a message came from ----------------------------

SENT = 1_795_392_000_000  # 2026-11-23T00:00:00Z
DELIVERED = SENT + 1_850


def answer(events: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the API's document, the table item) for one message's events, through the pure core."""
    parsed = [parse_event(event, "order_id") for event in events]
    assert all(isinstance(event, NormalizedEvent) for event in parsed)
    item = to_item(fold(parsed))  # type: ignore[arg-type]
    return to_document(item), item


def index_keys(item: dict[str, Any]) -> dict[str, Any]:
    """The item's attributes that the three search indexes are keyed on."""
    names = {name for index in INDEXES for name in (index.partition_key, index.sort_key)}
    return {name: item.get(name) for name in sorted(names)}


def assert_same_answer(pinpoint: dict[str, Any], replacement: dict[str, Any], source: str) -> None:
    assert (pinpoint["source"], replacement["source"]) == ("pinpoint", source)
    assert set(replacement) <= set(pinpoint)
    assert set(pinpoint) - set(replacement) <= PINPOINT_ONLY
    # The history keeps each source's own wording (bounce texts, carrier statuses).
    assert [(e["kind"], e["time"]) for e in pinpoint["history"]] == [
        (e["kind"], e["time"]) for e in replacement["history"]
    ]
    differing = {"source", "history", *PINPOINT_ONLY}
    assert {k: v for k, v in pinpoint.items() if k not in differing} == {
        k: v for k, v in replacement.items() if k not in differing
    }


def test_an_email_moved_from_pinpoint_to_ses_answers_the_same() -> None:
    """Pinpoint's message Context becomes an SES message tag; correlation_key reads both."""
    recipient = "recipient@example.com"
    pinpoint, pinpoint_item = answer(
        [
            pinpoint_email("_email.send", "m-1", SENT, order_id="ORD-1042"),
            pinpoint_email("_email.delivered", "m-1", DELIVERED, sent_ms=SENT, order_id="ORD-1042"),
        ]
    )
    tags = {"order_id": "ORD-1042"}
    by_ses, ses_item = answer(
        [
            ses("Send", "m-1", SENT, destination=[recipient], tags=tags),
            ses(
                "Delivery",
                "m-1",
                DELIVERED,
                destination=[recipient],
                named=[recipient],
                sent_ms=SENT,
                tags=tags,
            ),
        ]
    )
    assert_same_answer(pinpoint, by_ses, "ses")
    assert (by_ses["status"], by_ses["is_final"], by_ses["correlation_id"]) == (
        "DELIVERED",
        True,
        "ORD-1042",
    )
    assert index_keys(pinpoint_item) == index_keys(ses_item)


def test_an_email_bounce_moved_from_pinpoint_to_ses_answers_the_same() -> None:
    recipient = "recipient@example.com"
    pinpoint, pinpoint_item = answer(
        [
            pinpoint_email("_email.send", "m-2", SENT, order_id="ORD-7"),
            pinpoint_email("_email.hardbounce", "m-2", DELIVERED, sent_ms=SENT, order_id="ORD-7"),
        ]
    )
    tags = {"order_id": "ORD-7"}
    events = [
        ses("Send", "m-2", SENT, destination=[recipient], tags=tags),
        ses(
            "Bounce",
            "m-2",
            DELIVERED,
            destination=[recipient],
            named=[recipient],
            sent_ms=SENT,
            tags=tags,
        ),
    ]
    for event in events:  # the same sender as the Pinpoint message
        event["mail"]["source"] = "sender@example.com"
    by_ses, ses_item = answer(events)
    assert_same_answer(pinpoint, by_ses, "ses")
    assert (by_ses["status"], by_ses["is_final"]) == ("HARD_BOUNCED", True)
    assert index_keys(pinpoint_item) == index_keys(ses_item)  # found by status=failed alike


def test_an_sms_moved_from_pinpoint_to_sms_v2_answers_the_same() -> None:
    """Pinpoint's message Context becomes SendTextMessage's Context; correlation_key reads both."""
    pinpoint, pinpoint_item = answer(
        [
            pinpoint_sms("_SMS.BUFFERED", "m-3", SENT, "PENDING", order_id="ORD-9"),
            pinpoint_sms("_SMS.SUCCESS", "m-3", DELIVERED, "DELIVERED", order_id="ORD-9"),
        ]
    )
    documented = fixture("pinpoint_sms_success")["attributes"]
    v2 = []
    for event in (
        sms_v2("TEXT_PENDING", "m-3", SENT),
        sms_v2("TEXT_DELIVERED", "m-3", DELIVERED, sent_ms=SENT),
    ):
        event.update(
            context={"order_id": "ORD-9"},
            destinationPhoneNumber=documented["destination_phone_number"],
            originationPhoneNumber=documented["origination_phone_number"],
            messageType=documented["message_type"],
            totalMessagePrice=0.00645,  # USD: Pinpoint's 645 millicents
        )
        v2.append(event)
    by_v2, v2_item = answer(v2)
    assert_same_answer(pinpoint, by_v2, "sms-v2")
    assert (by_v2["status"], by_v2["is_final"], by_v2["correlation_id"]) == (
        "DELIVERED",
        True,
        "ORD-9",
    )
    assert index_keys(pinpoint_item) == index_keys(v2_item)
