"""Every End User Messaging channel: SMS, MMS (MEDIA_*) and voice (VOICE_*) events.

MMS and voice messages have channels of their own, statuses from AWS's
event-type documentation (model.END_USER_MESSAGING_EVENT_TYPES), an item that
keeps saying which channel it is, and outcome-index entries a `channel=`
search finds.
"""

from __future__ import annotations

import pytest
from message_status import model
from message_status.events import NormalizedEvent
from message_status.item import from_item, outcome_key, to_document, to_item
from message_status.parse import parse_event
from message_status.record import fold

from devkit.calls import call_api, results, run_firehose
from devkit.events import fixture, sms_v2
from tests.support.openapi import validate_response

NOW = 1_800_000_000_000  # 2027-01-15T08:00:00Z
WINDOW = {"since": "2027-01-15T07:00:00.000Z", "until": "2027-01-15T08:00:00.000Z"}


def record_of(*events: dict):
    parsed = [parse_event(event) for event in events]
    assert all(isinstance(event, NormalizedEvent) for event in parsed)
    return fold(parsed)


@pytest.mark.parametrize(
    ("channel", "timeline", "record_status"),
    [
        (
            "mms",
            ["MEDIA_QUEUED", "MEDIA_PENDING", "MEDIA_SUCCESSFUL", "MEDIA_DELIVERED"],
            "DELIVERED",
        ),
        (
            "voice",
            ["VOICE_INITIATED", "VOICE_RINGING", "VOICE_ANSWERED", "VOICE_COMPLETED"],
            "COMPLETED",
        ),
    ],
)
def test_an_mms_and_a_voice_message_are_tracked_from_send_to_a_final_status(
    transform, query, channel: str, timeline: list[str], record_status: str
) -> None:
    """Done when: each event in a batch of its own, as in real life; the API follows it."""
    seen = []
    for n, event_type in enumerate(timeline):
        event = sms_v2(event_type, f"{channel}-1", NOW - 60_000 + n * 1000, sent_ms=NOW - 60_000)
        assert results(run_firehose(transform, [event], start=n)) == ["Ok"]
        status, document = call_api(query, "GET", f"/messages/{channel}-1")
        validate_response("/messages/{message_id}", "GET", status, document)
        assert document["channel"] == channel
        seen.append((document["status"], document["is_final"]))
    assert seen == [
        ("PENDING", False),
        ("PENDING", False),
        # MMS SUCCESSFUL is final when isFinal says so (here it does); an answered call never is
        ("SENT", channel == "mms"),
        ("DELIVERED", True),
    ]
    assert document["record_status"] == record_status
    assert document["destination_phone_number"] == "+14255550156"


@pytest.mark.parametrize(
    ("name", "channel"), [("eum_media_delivered", "mms"), ("eum_voice_completed", "voice")]
)
def test_the_item_keeps_saying_which_channel_it_is(name: str, channel: str) -> None:
    record = record_of(fixture(name))
    item = to_item(record)
    assert "channel" not in item, "the channel is derived from the kinds, never stored"
    assert from_item(item).channel == channel
    assert to_document(item)["channel"] == channel


@pytest.mark.parametrize(
    ("event_type", "channel"),
    [("MEDIA_FILE_SIZE_EXCEEDED", "mms"), ("VOICE_NO_ANSWER", "voice"), ("VOICE_BUSY", "voice")],
)
def test_mms_and_voice_failures_are_final_and_window_searchable(
    event_type: str, channel: str
) -> None:
    record = record_of(sms_v2(event_type, "m", NOW))
    assert (record.status, record.is_final) == ("FAILED", True)
    assert outcome_key(record, 1) == f"{channel}#FAILED#0"
    assert to_document(to_item(record))["record_status"] == event_type.split("_", 1)[1]


def test_a_transient_failure_then_a_delivery_ends_delivered() -> None:
    record = record_of(
        sms_v2("MEDIA_CARRIER_UNREACHABLE", "m", 1000, is_final=False),
        sms_v2("MEDIA_DELIVERED", "m", 5000),
    )
    assert (record.status, record.is_final) == ("DELIVERED", True)


def test_a_transient_failure_is_in_the_pending_group_until_it_is_final() -> None:
    record = record_of(sms_v2("TEXT_CARRIER_UNREACHABLE", "m", 1000, is_final=False))
    assert (record.status, record.is_final) == ("FAILED", False)
    assert model.in_group(model.Group.PENDING, record.status, record.is_final)
    assert not model.in_group(model.Group.FAILED, record.status, record.is_final)


def test_a_channel_search_finds_only_that_channels_failures(transform, query) -> None:
    batch = [
        sms_v2("TEXT_BLOCKED", "text-f", NOW - 300_000),
        sms_v2("MEDIA_SPAM", "media-f", NOW - 200_000),
        sms_v2("VOICE_FAILED", "voice-f", NOW - 100_000),
    ]
    assert set(results(run_firehose(transform, batch))) == {"Ok"}
    found = {}
    for channel in ("sms", "mms", "voice", None):
        params = {"status": "failed", **WINDOW, **({"channel": channel} if channel else {})}
        status, body = call_api(query, "GET", "/messages", query=params)
        assert status == 200, body
        found[channel] = [m["message_id"] for m in body["messages"]]
    assert found == {
        "sms": ["text-f"],
        "mms": ["media-f"],
        "voice": ["voice-f"],
        None: ["voice-f", "media-f", "text-f"],
    }


def test_a_channel_the_model_does_not_have_is_a_400(query) -> None:
    status, body = call_api(
        query, "GET", "/messages", query={"status": "failed", "channel": "fax", **WINDOW}
    )
    assert status == 400
    assert body["message"] == "channel must be one of email, sms, mms, voice"
