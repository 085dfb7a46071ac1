"""The recipient page's pure core: SES's answers, how long they are reused, and the page's
shape (message_status.suppression, message_status.recipient_page). No AWS, no mocks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest
from message_status import model
from message_status.answers import escaped_size
from message_status.recipient_page import (
    NOT_APPLICABLE_DETAIL,
    RESERVED_BYTES,
    Outcome,
    cause_document,
    cause_id,
    counts,
    message_href,
    outcome_of,
    recipient_answer,
    recipient_outcome,
    recipient_request,
    suppression_document,
)
from message_status.requests import BadRequest
from message_status.suppression import (
    KNOWN_TTL_S,
    UNEXPECTED_ANSWER,
    UNKNOWN_TTL_S,
    Lookup,
    LookupCache,
    State,
    combined,
    from_answer,
    not_listed,
    settled,
    spellings,
    ttl_s,
    unknown,
)

NOW_MS = 1_796_000_000_000
SINCE = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
ANSWER = {
    "EmailAddress": "Jane.Doe@Example.com",
    "Reason": "BOUNCE",
    "LastUpdateTime": SINCE,
    "Attributes": {"MessageId": "0100019a-cause", "FeedbackId": "0100019a-feedback"},
}


def request(address: str = "Jane.Doe@Example.com", **params: str) -> Any:
    return recipient_request(address, params, NOW_MS, model.DEFAULT_SEARCH_SHARDS)


def document(message_id: str, status: str, final: bool, **recipients: Any) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "status": status,
        "is_final": final,
        "recipients": {
            address.replace("_at_", "@").replace("_", "."): {"status": s, "is_final": f}
            for address, (s, f) in recipients.items()
        },
    }


# --- SES's answers ----------------------------------------------------------------------------


def test_a_suppressed_destination_keeps_what_ses_says_and_how_it_spells_the_address() -> None:
    lookup = from_answer(ANSWER, NOW_MS)
    assert lookup == Lookup(
        State.SUPPRESSED,
        NOW_MS,
        listed_as="Jane.Doe@Example.com",
        reason="BOUNCE",
        since_ms=int(SINCE.timestamp() * 1000),
        message_id="0100019a-cause",
        feedback_id="0100019a-feedback",
    )


def test_an_entry_added_by_hand_has_no_cause() -> None:
    """PutSuppressedDestination (console, CLI, import job) records no message."""
    lookup = from_answer({**ANSWER, "Attributes": {}}, NOW_MS)
    assert lookup.state is State.SUPPRESSED
    assert (lookup.message_id, lookup.feedback_id) == (None, None)
    assert cause_id(lookup) is None


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {**ANSWER, "Reason": None},
        {**ANSWER, "EmailAddress": ""},
        {**ANSWER, "LastUpdateTime": "2026-11-30"},
        {**ANSWER, "LastUpdateTime": datetime(1, 1, 1, tzinfo=UTC)},
    ],
    ids=["empty", "no reason", "no address", "time not parsed", "time out of range"],
)
def test_an_answer_without_the_required_fields_is_unknown_never_a_guess(answer: Any) -> None:
    assert from_answer(answer, NOW_MS) == unknown(UNEXPECTED_ANSWER, NOW_MS)


def test_a_cause_that_is_no_servable_message_id_is_left_out() -> None:
    attributes = {"MessageId": "bad\u0001id", "FeedbackId": "f" * 1000}
    lookup = from_answer({**ANSWER, "Attributes": attributes}, NOW_MS)
    assert lookup.message_id is None
    assert lookup.feedback_id is not None
    assert len(lookup.feedback_id) == 320


def test_ses_is_asked_for_the_address_as_given_then_as_the_table_keeps_it() -> None:
    """SES matches the case of its entries; our table keeps addresses lower-cased."""
    assert spellings(" Jane.Doe@Example.com ", "jane.doe@example.com") == (
        "Jane.Doe@Example.com",
        "jane.doe@example.com",
    )
    assert spellings("jane@example.com", "jane@example.com") == ("jane@example.com",)


def test_the_address_is_suppressed_if_any_spelling_is_else_unknown_if_any_failed() -> None:
    hit = from_answer(ANSWER, NOW_MS)
    failed = unknown("TooManyRequestsException", NOW_MS)
    clear_old, clear_new = not_listed(NOW_MS - 5000), not_listed(NOW_MS)
    assert combined([clear_new, hit]) == hit
    assert combined([failed, hit]) == hit
    assert combined([clear_new, failed]) == failed
    assert combined([clear_new, clear_old]) == clear_old  # as of the oldest answer


def test_no_other_spelling_is_asked_after_a_hit_or_a_failure() -> None:
    assert settled(from_answer(ANSWER, NOW_MS))
    assert settled(unknown("ReadTimeoutError", NOW_MS))
    assert not settled(not_listed(NOW_MS))


# --- how long an answer is reused ----------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ses_answers_are_reused_for_a_minute_and_failures_for_ten_seconds() -> None:
    assert ttl_s(from_answer(ANSWER, NOW_MS)) == KNOWN_TTL_S == 60
    assert ttl_s(not_listed(NOW_MS)) == 60
    assert ttl_s(unknown("TooManyRequestsException", NOW_MS)) == UNKNOWN_TTL_S == 10
    assert ttl_s(unknown("EndpointConnectionError", NOW_MS)) == 10
    # Our own lack of time says nothing about SES: the next request asks again.
    assert ttl_s(unknown("OutOfTime", NOW_MS)) == 0


def test_the_cache_answers_until_the_entry_expires() -> None:
    clock = Clock()
    cache = LookupCache(clock=clock)
    key = ("", "jane@example.com")
    cache.put(key, not_listed(NOW_MS))
    clock.now += KNOWN_TTL_S - 0.001
    assert cache.get(key) == not_listed(NOW_MS)
    clock.now += 0.001
    assert cache.get(key) is None
    assert not cache.entries


def test_a_failure_is_kept_for_less_time_and_out_of_time_not_at_all() -> None:
    clock = Clock()
    cache = LookupCache(clock=clock)
    cache.put(("", "a@example.com"), unknown("TooManyRequestsException", NOW_MS))
    cache.put(("", "b@example.com"), unknown("OutOfTime", NOW_MS))
    assert cache.get(("", "b@example.com")) is None
    clock.now += UNKNOWN_TTL_S
    assert cache.get(("", "a@example.com")) is None


def test_the_cache_keeps_the_most_recently_used_entries_within_its_bound() -> None:
    cache = LookupCache(max_entries=2, clock=Clock())
    cache.put(("", "a@example.com"), not_listed(1))
    cache.put(("", "b@example.com"), not_listed(2))
    assert cache.get(("", "a@example.com")) is not None  # a is now the most recent
    cache.put(("", "c@example.com"), not_listed(3))
    assert cache.get(("", "b@example.com")) is None
    assert cache.get(("", "a@example.com")) == not_listed(1)
    assert len(cache.entries) == 2


def test_each_list_has_its_own_entries() -> None:
    cache = LookupCache(clock=Clock())
    cache.put(("", "a@example.com"), not_listed(1))
    assert cache.get(("tenant-a", "a@example.com")) is None


# --- the request -----------------------------------------------------------------------------


def test_the_address_is_normalized_and_kept_as_given_for_ses() -> None:
    asked = request("%20Jane.Doe@Example.com%20")
    assert (asked.given, asked.address, asked.channel) == (
        "Jane.Doe@Example.com",
        "jane.doe@example.com",
        model.Channel.EMAIL,
    )
    assert asked.search.kind == "recipient"
    assert asked.search.value == "jane.doe@example.com"
    assert asked.search.limit == model.DEFAULT_SEARCH_LIMIT
    assert (asked.tenant, asked.list_name) == (None, "account")


def test_a_phone_number_in_any_punctuation_is_its_e164_form() -> None:
    asked = request("+1 (425) 555-0156")
    assert (asked.address, asked.channel) == ("+14255550156", model.Channel.SMS)


def test_a_tenant_names_its_own_list() -> None:
    asked = request(tenant="acme_corp-1")
    assert (asked.tenant, asked.list_name) == ("acme_corp-1", "tenant")


@pytest.mark.parametrize(
    ("address", "params", "problem"),
    [
        ("not-an-address", {}, "the address is not an E.164 phone number"),
        ("jane@", {}, "the address is not an email address"),
        ("", {}, "the address is not an E.164 phone number"),
        ("%ff%fe@example.com", {}, "address in the path is not UTF-8"),
        ("a" * 250 + "@example.com", {}, "the address is not an email address"),
        ("jane@example.com", {"status": "failed"}, "unknown parameter: status"),
        ("jane@example.com", {"limit": "0"}, "limit must be a whole number from 1 to 100"),
        ("jane@example.com", {"cursor": "forged"}, "cursor is not one this search made"),
        ("jane@example.com", {"tenant": "a b"}, "tenant must be an SES tenant name"),
        ("jane@example.com", {"tenant": "t" * 65}, "tenant must be an SES tenant name"),
        ("+14255550156", {"tenant": "acme"}, "tenant applies to email addresses only"),
    ],
)
def test_a_bad_request_is_a_bad_request_naming_the_fix(
    address: str, params: dict[str, str], problem: str
) -> None:
    with pytest.raises(BadRequest, match=problem):
        request(address, **params)


# --- the messages and their counts -----------------------------------------------------------


def test_each_message_counts_by_this_recipients_own_outcome() -> None:
    documents = [
        # To jane and ben: ben bounced, so the message is HARD_BOUNCED, but jane got it.
        document("m-3", "HARD_BOUNCED", True, jane_at_example_com=("DELIVERED", True)),
        document("m-2", "HARD_BOUNCED", True, jane_at_example_com=("HARD_BOUNCED", True)),
        document("m-1", "DELAYED", False, jane_at_example_com=("DELAYED", False)),
        document("m-0", "OPENED", True, jane_at_example_com=("OPENED", True)),
    ]
    answer = counts("jane@example.com", documents, more=False)
    assert answer["messages"] == 4
    assert answer["by_outcome"] == {"delivered": 2, "not_delivered": 1, "not_final": 1}
    assert answer["by_status"] == {"DELAYED": 1, "DELIVERED": 1, "HARD_BOUNCED": 1, "OPENED": 1}
    assert answer["covers"].startswith("this page only: the 4 messages listed")
    assert "next pages" not in answer["covers"]
    assert "next pages" in counts("jane@example.com", documents, more=True)["covers"]


def test_a_message_that_does_not_list_the_recipient_counts_by_its_own_status() -> None:
    assert recipient_outcome(document("m", "SENT", False), "jane@example.com") == ("SENT", False)


def test_delivered_means_what_the_model_says() -> None:
    for status in model.Status:
        expected = (
            Outcome.DELIVERED if status in model.DELIVERED_STATUSES else Outcome.NOT_DELIVERED
        )
        assert outcome_of(status.value, True) is expected
        assert outcome_of(status.value, False) is Outcome.NOT_FINAL


def test_counts_of_an_empty_page_say_so() -> None:
    answer = counts("jane@example.com", [], more=False)
    assert answer["messages"] == 0
    assert answer["by_outcome"] == {"delivered": 0, "not_delivered": 0, "not_final": 0}
    assert answer["by_status"] == {}


# --- the suppression and its cause ------------------------------------------------------------


@pytest.mark.parametrize("message_id", ["0100019a-cause", "a/b", "50%41", "mail 📨"])
def test_a_message_link_survives_both_decodings_of_its_path(message_id: str) -> None:
    href = message_href(message_id)
    assert href.startswith("/messages/")
    segment = href.removeprefix("/messages/")
    assert "/" not in unquote(segment), "API Gateway's decoding leaves one path segment"
    assert unquote(unquote(segment)) == message_id


def test_the_cause_links_our_stored_message() -> None:
    lookup = from_answer(ANSWER, NOW_MS)
    stored = document("0100019a-cause", "HARD_BOUNCED", True)
    assert cause_document(lookup, stored) == {
        "message_id": "0100019a-cause",
        "feedback_id": "0100019a-feedback",
        "stored": True,
        "message": {
            "message_id": "0100019a-cause",
            "status": "HARD_BOUNCED",
            "is_final": True,
            "href": "/messages/0100019a-cause",
        },
    }


def test_a_cause_we_do_not_have_says_so_and_one_we_could_not_read_says_why() -> None:
    lookup = from_answer(ANSWER, NOW_MS)
    assert cause_document(lookup, None)["stored"] is False
    unread = cause_document(lookup, None, "OutOfTime")
    assert (unread["stored"], unread["lookup_error"]) == (None, "OutOfTime")
    assert "message" not in unread


def test_a_suppressed_address_shows_the_list_reason_time_spelling_and_cause() -> None:
    lookup = from_answer(ANSWER, NOW_MS)
    cause = cause_document(lookup, None)
    shown = suppression_document(request(), lookup, ["Jane.Doe@Example.com"], cause)
    assert shown == {
        "state": "suppressed",
        "list": "account",
        "checked_at": "2026-11-30T00:53:20.000Z",
        "checked": ["Jane.Doe@Example.com"],
        "listed_as": "Jane.Doe@Example.com",
        "reason": "BOUNCE",
        "since": "2026-11-30T08:15:00.000Z",
        "cause": cause,
        "detail": "Amazon SES does not deliver to this address: it is on the account-level "
        "suppression list (BOUNCE) since 2026-11-30T08:15:00.000Z. SES still reports a Send, "
        "then a Bounce.",
    }


def test_an_unknown_state_names_the_error_code_and_the_list() -> None:
    shown = suppression_document(
        request(tenant="acme"), unknown("TooManyRequestsException", NOW_MS), ["x"]
    )
    assert shown["state"] == "unknown"
    assert shown["error_code"] == "TooManyRequestsException"
    assert (shown["list"], shown["tenant"]) == ("tenant", "acme")
    assert "TooManyRequestsException" in shown["detail"]
    assert "tenant acme's suppression list" in shown["detail"]
    assert "reason" not in shown
    assert "cause" not in shown


def test_a_phone_number_is_not_applicable_and_says_where_opt_outs_are() -> None:
    shown = suppression_document(request("+14255550156"), None)
    assert shown == {"state": "not_applicable", "detail": NOT_APPLICABLE_DETAIL}
    assert "opt-out list" in shown["detail"]


def test_the_page_puts_address_suppression_counts_then_messages() -> None:
    asked = request()
    page = {"messages": [document("m", "DELIVERED", True)], "next_cursor": "c"}
    suppression = suppression_document(asked, not_listed(NOW_MS), ["Jane.Doe@Example.com"])
    answer = recipient_answer(asked, page, suppression)
    assert list(answer) == [
        "address",
        "channel",
        "suppression",
        "counts",
        "messages",
        "next_cursor",
    ]
    assert (answer["address"], answer["channel"], answer["next_cursor"]) == (
        "jane.doe@example.com",
        "email",
        "c",
    )
    assert answer["counts"]["messages"] == 1


def test_everything_beside_the_messages_fits_the_room_kept_for_it_in_the_worst_case() -> None:
    """Every value at its bound, every character outside the BMP (the longest escapes)."""
    wide = "\U0001f4e8"
    address = wide * 240 + "@example.com"  # 252 characters: an address the API accepts
    asked = request(address, tenant="t" * 64)
    widest = wide * 400  # SES's values are cut at 320 characters
    lookup = from_answer(
        {
            "EmailAddress": widest,
            "Reason": widest,
            "LastUpdateTime": SINCE,
            "Attributes": {"MessageId": wide * 256, "FeedbackId": widest},
        },
        NOW_MS,
    )
    stored = {**document(wide * 256, "HARD_BOUNCED", True)}
    suppression = suppression_document(
        asked, lookup, [widest, address], cause_document(lookup, stored)
    )
    every_status = [document(f"m-{s}", s.value, True) for s in model.Status]
    answer = recipient_answer(asked, {"messages": [], "next_cursor": None}, suppression)
    answer["counts"] = counts(asked.address, every_status, more=True)
    size = escaped_size(answer)
    assert 30_000 < size < RESERVED_BYTES
