"""Finding messages without their id: by recipient, by correlation id, by outcome over time.

The transform writes the index keys and pointer items, the query reads the
indexes (never a Scan), both in-process against a moto table whose indexes
come from message_status.model.INDEXES, as storage.tf's do.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from message_status import model
from message_status.search import make_cursor, parse_search
from message_status.timefmt import to_iso

from devkit.calls import call_api, results, run_firehose
from devkit.events import pinpoint_sms, ses, sms_v2
from tests.support import faults
from tests.support.openapi import validate_response
from tests.support.searching import all_pages, ids, search

HOUR = 3_600_000
NOW = 1_800_000_000_000  # 2027-01-15T08:00:00Z: "now" for the status searches below
TEAM = ["alice@example.com", "bob@example.com", "carol@example.org"]


def iso(ms: int) -> str:
    return to_iso(ms)


@pytest.fixture
def searchable(transform, query, monkeypatch):
    """A small world: mails to a team, SMS, bounces, a delay; correlation ids in SES tags."""
    monkeypatch.setenv("CORRELATION_KEY", "order_id")
    monkeypatch.setenv("SEARCH_SHARDS", "3")
    transform.restart()
    batches = [
        # a 3-recipient email: delivered to alice and carol, bounced for bob
        [
            ses("Send", "team-1", NOW - 2 * HOUR, destination=TEAM, tags={"order_id": "A-100"}),
            ses(
                "Delivery",
                "team-1",
                NOW - 2 * HOUR + 1000,
                destination=TEAM,
                named=["alice@example.com", "carol@example.org"],
                sent_ms=NOW - 2 * HOUR,
            ),
        ],
        [
            ses(
                "Bounce",
                "team-1",
                NOW - 2 * HOUR + 2000,
                destination=TEAM,
                named=["bob@example.com"],
                sent_ms=NOW - 2 * HOUR,
            )
        ],
        # alice's other mails, older and newer
        [
            ses("Delivery", f"alice-{n}", NOW - n * HOUR, destination=["Alice@Example.com"])
            for n in (1, 3, 5)
        ],
        # hard bounces in the last hour, one per shard and more
        [
            ses(
                "Bounce",
                f"bounced-{n}",
                NOW - 30 * 60_000 + n * 1000,
                destination=[f"x{n}@example.net"],
            )
            for n in range(7)
        ],
        # a delayed (pending) email, and an old bounce outside a 1-hour window
        [ses("DeliveryDelay", "delayed-1", NOW - 10 * 60_000, destination=["dora@example.com"])],
        [ses("Bounce", "bounced-old", NOW - 3 * HOUR, destination=["y@example.net"])],
        # SMS: one failed, one delivered, to the same phone
        [
            sms_v2(
                "TEXT_CARRIER_UNREACHABLE", "sms-failed", NOW - 20 * 60_000, "CARRIER_UNREACHABLE"
            ),
            sms_v2("TEXT_DELIVERED", "sms-ok", NOW - 40 * 60_000),
        ],
        [ses("Send", "tagged-2", NOW - 4 * HOUR, tags={"order_id": "A-100"})],
    ]
    for number, batch in enumerate(batches):
        assert set(results(run_firehose(transform, batch, start=number * 100))) == {"Ok"}
    query.restart()
    return query


# --- per-recipient outcomes ----------------------------------------------------------------


def test_a_message_to_three_recipients_has_each_ones_own_outcome(searchable) -> None:
    status, body = call_api(searchable, "GET", "/messages/team-1")
    assert status == 200
    validate_response("/messages/{message_id}", "GET", 200, body)
    assert (body["status"], body["is_final"]) == ("HARD_BOUNCED", True), (
        "the message keeps its meaning"
    )
    outcomes = {r: (o["status"], o["is_final"]) for r, o in body["recipients"].items()}
    assert outcomes == {
        "alice@example.com": ("DELIVERED", True),
        "bob@example.com": ("HARD_BOUNCED", True),
        "carol@example.org": ("DELIVERED", True),
    }
    assert body["recipients"]["bob@example.com"]["events"] == {
        "send": iso(NOW - 2 * HOUR),
        "hardbounce": iso(NOW - 2 * HOUR + 2000),
    }
    assert body["correlation_id"] == "A-100"


# --- by recipient -----------------------------------------------------------------------------


@pytest.mark.parametrize("recipient", TEAM)
def test_each_recipient_finds_the_message(searchable, recipient: str) -> None:
    _, body = search(searchable, recipient=recipient)
    assert "team-1" in ids(body)


@pytest.mark.parametrize(
    "spelling", ["alice@example.com", " ALICE@Example.COM ", "Alice@example.com"]
)
def test_any_spelling_finds_what_was_stored_under_another(searchable, spelling: str) -> None:
    _, body = search(searchable, recipient=spelling)
    assert ids(body) == ["alice-1", "team-1", "alice-3", "alice-5"], "newest first"


def test_a_phone_is_found_whatever_its_punctuation(searchable) -> None:
    _, body = search(searchable, recipient="+1 (425) 555-0156")
    assert set(ids(body)) == {"sms-failed", "sms-ok"}


def test_a_recipient_search_takes_a_window(searchable) -> None:
    _, body = search(
        searchable, recipient="alice@example.com", since=iso(NOW - 150 * 60_000), until=iso(NOW)
    )
    assert ids(body) == ["alice-1", "team-1"]


def test_recipient_pages_cover_every_message_once(searchable) -> None:
    assert all_pages(searchable, recipient="alice@example.com", limit=1) == [
        "alice-1",
        "team-1",
        "alice-3",
        "alice-5",
    ]


# --- by correlation id -------------------------------------------------------------------------


def test_a_correlation_id_finds_every_message_that_carries_it(searchable) -> None:
    _, body = search(searchable, correlation_id="A-100")
    assert ids(body) == ["team-1", "tagged-2"]
    _, none = search(searchable, correlation_id="A-999")
    assert none == {"messages": [], "next_cursor": None}


# --- by outcome over time -----------------------------------------------------------------------


def test_failed_in_the_last_hour_fans_out_over_shards_and_pages(searchable) -> None:
    found = all_pages(searchable, status="failed", since=iso(NOW - HOUR), until=iso(NOW), limit=3)
    assert found == ["sms-failed", *[f"bounced-{n}" for n in reversed(range(7))]]


def test_one_status_and_a_channel_narrow_the_search(searchable) -> None:
    _, body = search(
        searchable,
        status="HARD_BOUNCED",
        since=iso(NOW - 4 * HOUR),
        until=iso(NOW),
        channel="email",
        limit=100,
    )
    assert set(ids(body)) == {*(f"bounced-{n}" for n in range(7)), "bounced-old", "team-1"}
    _, sms = search(
        searchable, status="failed", channel="sms", since=iso(NOW - HOUR), until=iso(NOW)
    )
    assert ids(sms) == ["sms-failed"]


def test_pending_lists_the_held_up(searchable) -> None:
    _, body = search(searchable, status="pending", since=iso(NOW - HOUR), until=iso(NOW))
    assert ids(body) == ["delayed-1"]
    assert body["messages"][0]["is_final"] is False


def test_a_page_is_one_fan_out_and_one_batch_get_never_a_scan(searchable) -> None:
    counter = faults.count_requests(searchable.message_store().client)
    search(searchable, status="failed", since=iso(NOW - HOUR), until=iso(NOW))
    failures = [
        status
        for channel in model.Channel
        for status in model.WINDOW_STATUSES[channel]
        if status in model.FAILURE_STATUSES
    ]
    streams = 3 * len(failures)  # shards x the failure statuses of every channel
    assert len(failures) == 5 + 2 + 1 + 1  # email, sms, mms, voice
    assert counter.counts == {"Query": streams, "BatchGetItem": 1}


def test_the_index_follows_the_status(searchable, transform) -> None:
    """A delayed message that is then delivered leaves the outcome index."""
    run_firehose(
        transform,
        [ses("Delivery", "delayed-1", NOW - 5 * 60_000, destination=["dora@example.com"])],
    )
    _, body = search(searchable, status="pending", since=iso(NOW - HOUR), until=iso(NOW))
    assert ids(body) == []


# --- bad input: a JSON 400, never a 5xx --------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"recipient": "not-an-address"}, "recipient is not"),
        ({"recipient": "alice@"}, "recipient is not"),
        ({"recipient": "+12"}, "recipient is not"),
        ({"status": "LOST"}, "status must be"),
        ({"status": "DELIVERED"}, "not indexed for window searches"),
        ({"status": "failed", "since": iso(NOW), "until": iso(NOW - HOUR)}, "since is after until"),
        (
            {"status": "failed", "since": iso(NOW - 8 * 24 * HOUR), "until": iso(NOW)},
            "longer than 7 days",
        ),
        ({"status": "failed", "since": "yesterday"}, "since must be an ISO-8601"),
        ({"recipient": "alice@example.com", "limit": "0"}, "limit must be"),
        ({"recipient": "alice@example.com", "limit": "101"}, "limit must be"),
        ({"recipient": "alice@example.com", "limit": "ten"}, "limit must be"),
        ({"recipient": "alice@example.com", "status": "failed"}, "exactly one of"),
        ({"message_id": "team-1", "recipient": "alice@example.com"}, "message_id alone"),
        ({"recipient": "alice@example.com", "channel": "email"}, "status searches only"),
        ({"status": "failed", "channel": "fax"}, "channel must be"),
        ({"recipient": "alice@example.com", "colour": "red"}, "unknown parameter"),
        ({"correlation_id": "x" * 300}, "longer than 256"),
        ({"correlation_id": "A-\ud800"}, "correlation_id is not valid Unicode"),
        ({"recipient": "alice\udfff@example.com"}, "recipient is not an email address"),
    ],
)
def test_a_bad_search_is_a_json_400_naming_the_fix(searchable, params, message) -> None:
    status, body = search(searchable, **params)
    assert status == 400
    assert message in body["message"]


def test_a_cursor_from_another_search_or_tampered_or_truncated_is_a_400(searchable) -> None:
    _, first = search(searchable, recipient="alice@example.com", limit=1)
    cursor = first["next_cursor"]
    assert cursor
    for bad in (
        cursor[:-3],
        cursor[: len(cursor) // 2],
        "x" + cursor[1:],
        cursor.replace(".", ".0"),
        "nonsense",
        "",
    ):
        status, body = search(searchable, recipient="alice@example.com", cursor=bad)
        assert status == 400, bad
    status, body = search(searchable, recipient="bob@example.com", cursor=cursor)
    assert (status, body["message"]) == (
        400,
        "cursor is not one this search made: start again without it",
    )


def _forge(cursor: str, change) -> str:
    """Re-sign nothing: a caller can change the payload but not the checksum."""
    token, _, checksum = cursor.partition(".")
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    change(payload)
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"{body}.{checksum}"


def test_a_cursor_whose_positions_were_edited_is_refused(searchable) -> None:
    _, first = search(searchable, recipient="alice@example.com", limit=1)
    forged = _forge(first["next_cursor"], lambda p: p["p"].__setitem__(0, ["team-1", 0]))
    status, _ = search(searchable, recipient="alice@example.com", cursor=forged)
    assert status == 400


def test_a_re_signed_cursor_holding_text_that_is_not_unicode_is_a_400(searchable) -> None:
    """The checksum is no secret (the code is open): a cursor a caller signs is checked like
    any input, and a lone surrogate in its position never reaches DynamoDB."""
    params = {"recipient": "alice@example.com", "limit": "1"}
    resigned = make_cursor(parse_search(params, NOW, 3), [["team-1\ud800", 0]])
    status, body = search(searchable, **params, cursor=resigned)
    assert (status, body["message"]) == (
        400,
        "cursor is not one this search made: start again without it",
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_mangled_cursor_is_a_400_or_the_same_page_never_a_5xx(searchable, data) -> None:
    _, first = search(searchable, status="failed", since=iso(NOW - HOUR), until=iso(NOW), limit=2)
    cursor = first["next_cursor"]
    position = data.draw(st.integers(0, len(cursor)))
    insert = data.draw(st.text(max_size=5))
    cut = data.draw(st.integers(0, 5))
    mangled = cursor[:position] + insert + cursor[position + cut :]
    status, _ = search(
        searchable, status="failed", since=iso(NOW - HOUR), until=iso(NOW), limit=2, cursor=mangled
    )
    assert status == (200 if mangled == cursor else 400)


def test_search_is_found_with_pinpoint_sms_too(searchable, transform) -> None:
    run_firehose(transform, [pinpoint_sms("_SMS.FAILURE", "pp-sms", NOW - 60_000, "UNREACHABLE")])
    _, body = search(searchable, status="FAILED", since=iso(NOW - HOUR), until=iso(NOW))
    assert "pp-sms" in ids(body)
