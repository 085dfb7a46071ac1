"""The stored item across versions, and the documented multi-recipient examples.

Items v0.1.0 wrote (tests/fixtures/items/v0.1.0) stay readable after an upgrade:
the API answers the same for them, and the next event for such a message
rewrites it in today's compact format, losing nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from message_status.item import is_legacy, to_document

from devkit import FIXTURES
from devkit.calls import call_api, results, run_firehose, stored_item
from devkit.events import fixture, pinpoint_email, ses, sms_v2
from tests.conftest import TABLE_NAME

V010 = sorted((FIXTURES / "items" / "v0.1.0").glob("*.json"))
# Keys v0.1.0's document had that today's has under a clearer name, or not at all:
# the per-kind times are in "events", the recipients in "recipients" too.
CHANGED_KEYS = {"destination", "destination_phone_number", "expires_at"}


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _canonical(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True)


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in item.items()}


@pytest.mark.parametrize("path", V010, ids=lambda p: p.stem)
def test_a_v010_item_answers_what_v010_answered(path: Path) -> None:
    fixture_data = _load(path)
    item = _plain(fixture_data["item"])
    assert is_legacy(item)
    before, now = fixture_data["document"], to_document(item)
    for key in sorted(set(before) - CHANGED_KEYS):
        if key == "history" and len(before["history"]) > len(now["history"]):
            # v0.1.0 kept every open (250 here); today's bounded history keeps the
            # first of each kind and the latest, and counts the rest.
            assert set(map(_canonical, now["history"])) <= set(map(_canonical, before[key]))
            assert now["history_truncated"] is True
            assert sum(now["event_counts"].values()) == len(before[key]), "every event counted"
            continue
        assert now[key] == before[key], key


@pytest.mark.parametrize("path", V010, ids=lambda p: p.stem)
def test_a_v010_items_recipients_are_kept(path: Path) -> None:
    fixture_data = _load(path)
    before, now = fixture_data["document"], to_document(_plain(fixture_data["item"]))
    recipients = before.get("destination") or [before.get("destination_phone_number")]
    assert sorted(now["recipients"]) == sorted(r for r in recipients if r)


def test_the_next_event_rewrites_a_v010_item_in_todays_format(dynamodb, transform) -> None:
    fixture_data = _load(FIXTURES / "items" / "v0.1.0" / "ses_hard_bounced.json")
    dynamodb.put_item(TableName=TABLE_NAME, Item=fixture_data["item"])
    message_id = fixture_data["document"]["message_id"]
    complaint = ses(
        "Complaint", message_id, 1_795_392_100_000, destination=["recipient@example.com"]
    )
    assert results(run_firehose(transform, [complaint])) == ["Ok"]

    item = stored_item(dynamodb, TABLE_NAME, message_id)
    assert item is not None
    assert not is_legacy(item)
    assert not {"history", "status_facts", "updated_at", "hardbounce"} & set(item), (
        "no v0.1 leftovers"
    )
    document = to_document(item)
    old_kinds = {(e["kind"], e["time"]) for e in fixture_data["document"]["history"]}
    assert old_kinds <= {(e["kind"], e["time"]) for e in document["history"]}
    assert document["status"] == "HARD_BOUNCED", "a complaint does not outrank a hard bounce"
    assert document["events"]["complaint"]
    assert item["rcpt"] == "recipient@example.com", "the upgraded message is searchable"


def test_an_upgraded_item_is_found_by_its_recipient(dynamodb, transform, query) -> None:
    fixture_data = _load(FIXTURES / "items" / "v0.1.0" / "sms_v2_failed.json")
    dynamodb.put_item(TableName=TABLE_NAME, Item=fixture_data["item"])
    message_id = fixture_data["document"]["message_id"]
    phone = fixture_data["document"]["destination_phone_number"]
    late = sms_v2("TEXT_CARRIER_UNREACHABLE", message_id, 1_795_392_200_000, "CARRIER_UNREACHABLE")
    late["destinationPhoneNumber"] = phone
    assert results(run_firehose(transform, [late])) == ["Ok"]
    status, body = call_api(query, "GET", "/messages", query={"recipient": phone})
    assert status == 200
    assert [m["message_id"] for m in body["messages"]] == [message_id]


# --- documented examples naming some of a message's recipients ---------------------------


def test_documented_bounce_of_two_of_three_recipients(transform, query) -> None:
    event = fixture("ses_notification_bounce_two_of_three")
    message_id = event["mail"]["messageId"]
    assert results(run_firehose(transform, [event])) == ["Ok"]
    status, body = call_api(query, "GET", f"/messages/{message_id}")
    assert status == 200
    outcomes = {r: (o["status"], o["is_final"]) for r, o in body["recipients"].items()}
    assert outcomes == {
        "jane@example.com": ("HARD_BOUNCED", True),
        "richard@example.com": ("HARD_BOUNCED", True),
        "mary@example.com": ("SENT", False),  # nothing has been heard about mary yet
    }
    assert (body["status"], body["is_final"]) == ("HARD_BOUNCED", True)


def test_documented_complaint_by_one_of_three_recipients(transform, query) -> None:
    event = fixture("ses_notification_complaint_one_of_three")
    message_id = event["mail"]["messageId"]
    assert results(run_firehose(transform, [event])) == ["Ok"]
    _, body = call_api(query, "GET", f"/messages/{message_id}")
    assert body["recipients"]["richard@example.com"]["status"] == "COMPLAINED"
    assert body["recipients"]["jane@example.com"]["status"] == "SENT"
    for recipient in ("jane@example.com", "mary@example.com", "richard@example.com"):
        status, found = call_api(query, "GET", "/messages", query={"recipient": recipient})
        assert (status, [m["message_id"] for m in found["messages"]]) == (200, [message_id])


def test_a_pinpoint_email_event_concerns_every_recipient(transform, query) -> None:
    event = pinpoint_email("_email.delivered", "pp-two", 1_795_392_000_000)
    event["facets"]["email_channel"]["mail_event"]["mail"]["destination"] = [
        "a@example.com",
        "b@example.com",
    ]
    assert results(run_firehose(transform, [event])) == ["Ok"]
    _, body = call_api(query, "GET", "/messages/pp-two")
    assert {r: o["status"] for r, o in body["recipients"].items()} == {
        "a@example.com": "DELIVERED",
        "b@example.com": "DELIVERED",
    }
