"""Suppression as its own outcome: SES declined to send because the address is suppressed.

SES reports such a mail as a Send and then a Bounce whose subtype names the list
(OnAccountSuppressionList, Suppressed for the global list, OnTenantSuppressionList),
or a Complaint of subtype OnAccountSuppressionList. The answer is SUPPRESSED, final,
a failure, with the list on the recipient: never HARD_BOUNCED.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from message_status import model
from message_status.events import NormalizedEvent
from message_status.item import ItemSettings, outcome_key, to_document, to_item
from message_status.metrics import recipient_event_counts, suppressed_recipient_counts
from message_status.parse import parse_event
from message_status.record import fold

from devkit.calls import call_api, results, run_firehose
from devkit.events import fixture, ses
from tests.support.openapi import validate_response

PAIR = ["ana@example.com", "ben@example.org"]
SUBTYPES = sorted(model.SES_SUPPRESSION_SUBTYPES)


def parsed(*events: dict) -> list[NormalizedEvent]:
    out = [parse_event(event) for event in events]
    assert all(isinstance(event, NormalizedEvent) for event in out)
    return out  # type: ignore[return-value]


def suppressed_mail(sub_type: str, message_id: str = "m", to: list[str] | None = None) -> list:
    to = to or ["recipient@example.com"]
    return [
        ses("Send", message_id, 1000, destination=to),
        ses(
            "Bounce",
            message_id,
            1500,
            destination=to,
            named=to[-1:],
            sent_ms=1000,
            sub_type=sub_type,
        ),
    ]


def test_a_mail_to_an_address_on_the_suppression_list_answers_suppressed(transform, query) -> None:
    """Done when: the documented Send, then the documented suppression-list Bounce."""
    send = fixture("ses_send")
    send["mail"]["messageId"] = fixture("ses_bounce_on_account_suppression_list")["mail"][
        "messageId"
    ]
    bounce = fixture("ses_bounce_on_account_suppression_list")
    assert set(results(run_firehose(transform, [send, bounce]))) == {"Ok"}
    status, document = call_api(query, "GET", f"/messages/{bounce['mail']['messageId']}")
    assert status == 200
    validate_response("/messages/{message_id}", "GET", 200, document)
    assert (document["status"], document["is_final"]) == ("SUPPRESSED", True)
    assert document["recipients"]["recipient@example.com"] == {
        "status": "SUPPRESSED",
        "is_final": True,
        "events": document["recipients"]["recipient@example.com"]["events"],
        "suppression_list": "account",
    }
    entry = next(e for e in document["history"] if e["kind"] == "suppressed")
    assert entry["detail"] == "Permanent/OnAccountSuppressionList"
    assert entry["description"].startswith("Amazon SES did not send the message")
    assert "hardbounce" not in document["events"]


@pytest.mark.parametrize(
    ("name", "listed"),
    [
        ("ses_bounce_on_account_suppression_list", "account"),
        ("ses_bounce_suppressed_global", "global"),
        ("ses_bounce_on_tenant_suppression_list", "tenant"),
        ("ses_complaint_on_account_suppression_list", "account"),
    ],
)
def test_each_recipients_entry_names_the_list_it_was_on(name: str, listed: str) -> None:
    (suppression,) = parsed(fixture(name))
    assert (suppression.kind, suppression.status, suppression.final) == (
        "suppressed",
        "SUPPRESSED",
        True,
    )
    assert suppression.recipients == ("recipient@example.com",)
    event = fixture(name)
    send = ses("Send", event["mail"]["messageId"], 1000)
    document = to_document(to_item(fold(parsed(send, event))))
    assert document["status"] == "SUPPRESSED"
    assert document["recipients"]["recipient@example.com"]["suppression_list"] == listed


def test_a_suppressed_complaint_is_not_a_complaint_and_the_mail_was_not_delivered() -> None:
    document = to_document(
        to_item(fold(parsed(fixture("ses_complaint_on_account_suppression_list"))))
    )
    assert (document["status"], document["is_final"]) == ("SUPPRESSED", True)
    assert "complaint" not in document["event_counts"]
    assert model.Status.SUPPRESSED not in model.DELIVERED_STATUSES
    assert model.Status.SUPPRESSED in model.FAILURE_STATUSES


def test_one_suppressed_recipient_among_delivered_ones_shows_on_the_message_and_that_recipient() -> (
    None
):
    record = fold(
        parsed(
            ses("Send", "m", 1000, destination=PAIR),
            ses("Delivery", "m", 1200, destination=PAIR, named=PAIR[:1], sent_ms=1000),
            ses(
                "Bounce",
                "m",
                1300,
                destination=PAIR,
                named=PAIR[1:],
                sent_ms=1000,
                sub_type="OnAccountSuppressionList",
            ),
        )
    )
    outcomes = record.recipient_outcomes()
    assert record.status == "SUPPRESSED"
    assert (outcomes[PAIR[0]].status, outcomes[PAIR[1]].status) == ("DELIVERED", "SUPPRESSED")


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (ses("Bounce", "m", 1400, destination=PAIR, named=PAIR[:1], sent_ms=1000), "HARD_BOUNCED"),
        (ses("Complaint", "m", 1400, destination=PAIR, named=PAIR[:1], sent_ms=1000), "SUPPRESSED"),
        (ses("Reject", "m", 1400, destination=PAIR, sent_ms=1000), "REJECTED"),
    ],
)
def test_suppression_ranks_below_a_real_bounce_and_above_every_delivery(
    other: dict, expected: str
) -> None:
    events = [*suppressed_mail("OnAccountSuppressionList", to=PAIR), other]
    assert fold(parsed(*events)).status == expected


@given(
    st.sampled_from(SUBTYPES),
    st.lists(
        st.sampled_from(["Send", "Delivery", "DeliveryDelay", "Open", "Click", "Complaint"]),
        max_size=5,
    ),
    st.randoms(use_true_random=False),
)
def test_suppression_keeps_its_precedence_whatever_order_events_arrive_in(
    sub_type: str, others: list[str], rng
) -> None:
    """With a suppression and any events of lower precedence, in any order, a message is
    SUPPRESSED and final, and so is the suppressed recipient."""
    events = [
        ses(t, "m", 2000 + n, destination=PAIR, named=PAIR[:1], sent_ms=1000)
        for n, t in enumerate(others)
    ] + suppressed_mail(sub_type, to=PAIR)
    rng.shuffle(events)
    record = fold(parsed(*events))
    assert (record.status, record.is_final) == ("SUPPRESSED", True)
    assert record.recipient_outcomes()[PAIR[1]].status == "SUPPRESSED"
    assert (
        to_document(to_item(record))["recipients"][PAIR[1]]["suppression_list"]
        == (model.SES_SUPPRESSION_SUBTYPES[sub_type])
    )


def test_a_suppressed_message_is_found_by_a_search_on_its_outcome() -> None:
    record = fold(parsed(*suppressed_mail("OnAccountSuppressionList")))
    assert outcome_key(record, 1) == "email#SUPPRESSED#0"
    assert to_item(record, ItemSettings(search_shards=1))["ost"] == "email#SUPPRESSED#0"


def test_searches_by_status_and_the_failed_group_find_suppressed_mail(transform, query) -> None:
    now = 1_800_000_000_000
    mail = [
        ses("Send", "sup-1", now - 60_000, destination=["gone@example.com"]),
        ses(
            "Bounce",
            "sup-1",
            now - 59_000,
            destination=["gone@example.com"],
            sent_ms=now - 60_000,
            sub_type="OnAccountSuppressionList",
        ),
    ]
    assert set(results(run_firehose(transform, mail))) == {"Ok"}
    window = {"since": "2027-01-15T07:00:00.000Z", "until": "2027-01-15T08:00:00.000Z"}
    for asked in ("SUPPRESSED", "failed"):
        status, body = call_api(query, "GET", "/messages", query={"status": asked, **window})
        assert status == 200, body
        assert [m["message_id"] for m in body["messages"]] == ["sup-1"]
    status, body = call_api(query, "GET", "/messages", query={"status": "HARD_BOUNCED", **window})
    assert (status, body["messages"]) == (200, [])


def test_suppressed_recipients_are_counted_per_list_and_not_as_bounces() -> None:
    events = [
        *parsed(fixture("ses_bounce_on_account_suppression_list")),
        *parsed(fixture("ses_bounce_suppressed_global")),
        *parsed(fixture("ses_bounce_on_tenant_suppression_list")),
        *parsed(fixture("ses_complaint_on_account_suppression_list")),
        *parsed(fixture("ses_bounce")),
    ]
    assert suppressed_recipient_counts(events) == {"account": 2, "global": 1, "tenant": 1}
    counts = recipient_event_counts(events)
    assert counts[(model.Channel.EMAIL, model.Status.HARD_BOUNCED)] == 1
    assert counts[(model.Channel.EMAIL, model.Status.SUPPRESSED)] == 4


def test_the_lists_ses_counts_in_its_bounce_rate_are_the_documented_ones() -> None:
    assert dict(model.COUNTS_IN_SES_BOUNCE_RATE) == {
        "account": False,
        "global": True,
        "tenant": False,
    }
    assert set(model.COUNTS_IN_SES_BOUNCE_RATE) == set(model.SuppressionList)
    assert set(model.SES_SUPPRESSION_SUBTYPES.values()) == set(model.SuppressionList)
