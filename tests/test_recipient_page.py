"""GET /recipients/{address} in the query function: the table on moto, SES stubbed.

SES answers through botocore's Stubber (suppressed, not suppressed, throttled),
through devkit.ses_suppression on moto (an entry SES made after a bounce), or
is not there at all (a port nothing listens on, or devkit/faultproxy.py
hanging). Every answer is checked against docs/openapi.yaml.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from devkit.calls import call_api, in_process, run_firehose
from devkit.events import ses
from devkit.faultproxy import fault_endpoint
from devkit.lambda_context import LambdaContextStub
from devkit.ses_suppression import suppress
from tests.support import faults
from tests.support.openapi import validate_response

PAGE = "/recipients/{address}"
JANE = "jane.doe@example.com"
BEN = "ben@example.org"
SENT = 1_795_000_000_000
SINCE = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)


@pytest.fixture
def jane(transform, query):
    """Jane's messages, newest first: one delivered to her (ben's copy bounced), one that
    bounced for her (the cause of her suppression), one still delayed."""
    run_firehose(
        transform,
        [
            ses("Send", "m-delayed", SENT + 3000, destination=[JANE]),
            ses("DeliveryDelay", "m-delayed", SENT + 3500, destination=[JANE], named=[JANE]),
            ses("Send", "m-bounced", SENT + 2000, destination=[JANE]),
            ses("Bounce", "m-bounced", SENT + 2500, destination=[JANE], named=[JANE]),
            ses("Send", "m-pair", SENT + 1000, destination=[JANE, BEN]),
            ses(
                "Delivery", "m-pair", SENT + 1500, destination=[JANE, BEN], named=[JANE],
                sent_ms=SENT + 1000,
            ),
            ses(
                "Bounce", "m-pair", SENT + 1600, destination=[JANE, BEN], named=[BEN],
                sent_ms=SENT + 1000,
            ),
        ],
    )  # fmt: skip
    return query


@pytest.fixture
def ses_stub(jane) -> Iterator[Stubber]:
    """SES as the test scripts it; every scripted answer must be asked for."""
    with Stubber(jane.suppression_reader().client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def page(query, address: str = JANE, **params: str) -> dict[str, Any]:
    status, body = call_api(query, "GET", f"/recipients/{address}", query=params or None)
    validate_response(PAGE, "GET", status, body)
    assert status == 200, body
    return body


def suppressed(address: str = "Jane.Doe@Example.com", message_id: str | None = "m-bounced"):
    attributes = {"MessageId": message_id, "FeedbackId": "fb-1"} if message_id else {}
    destination = {"EmailAddress": address, "Reason": "BOUNCE", "LastUpdateTime": SINCE}
    return {"SuppressedDestination": {**destination, "Attributes": attributes}}


def not_found(stub: Stubber, address: str) -> None:
    stub.add_client_error(
        "get_suppressed_destination",
        service_error_code="NotFoundException",
        http_status_code=404,
        expected_params={"EmailAddress": address},
    )


def ses_requests(query) -> Any:
    return faults.count_requests(query.suppression_reader().client, "sesv2")


# --- suppressed ------------------------------------------------------------------------------


def test_a_suppressed_address_names_the_message_that_put_it_there(jane, ses_stub) -> None:
    ses_stub.add_response(
        "get_suppressed_destination", suppressed(), {"EmailAddress": "Jane.Doe@Example.com"}
    )
    body = page(jane, "Jane.Doe@Example.com")

    assert (body["address"], body["channel"]) == (JANE, "email")
    suppression = body["suppression"]
    assert suppression["state"] == "suppressed"
    assert (suppression["list"], suppression["reason"]) == ("account", "BOUNCE")
    assert suppression["since"] == "2026-11-30T08:15:00.000Z"
    assert suppression["listed_as"] == "Jane.Doe@Example.com"
    assert suppression["checked"] == ["Jane.Doe@Example.com"]
    assert suppression["cause"] == {
        "message_id": "m-bounced",
        "feedback_id": "fb-1",
        "stored": True,
        "message": {
            "message_id": "m-bounced",
            "status": "HARD_BOUNCED",
            "is_final": True,
            "href": "/messages/m-bounced",
        },
    }


def test_the_latest_messages_come_newest_first_counted_by_her_own_outcome(jane) -> None:
    body = page(jane)
    assert [m["message_id"] for m in body["messages"]] == ["m-delayed", "m-bounced", "m-pair"]
    counts = body["counts"]
    assert counts["messages"] == 3
    # m-pair is HARD_BOUNCED (ben's copy) but was delivered to jane
    assert body["messages"][2]["status"] == "HARD_BOUNCED"
    assert counts["by_status"] == {"DELAYED": 1, "DELIVERED": 1, "HARD_BOUNCED": 1}
    assert counts["by_outcome"] == {"delivered": 1, "not_delivered": 1, "not_final": 1}
    assert body["next_cursor"] is None


def test_a_cause_older_than_the_page_is_read_from_the_table(jane, ses_stub) -> None:
    ses_stub.add_response(
        "get_suppressed_destination", suppressed(JANE, "m-pair"), {"EmailAddress": JANE}
    )
    table = faults.count_requests(jane.message_store().client)
    body = page(jane, limit="1")
    assert [m["message_id"] for m in body["messages"]] == ["m-delayed"]
    assert body["next_cursor"] is not None
    assert body["counts"]["messages"] == 1
    assert "next pages" in body["counts"]["covers"]
    assert body["suppression"]["cause"]["message"]["status"] == "HARD_BOUNCED"
    assert table.counts == {"Query": 1, "BatchGetItem": 1, "GetItem": 1}


def test_a_cause_we_never_stored_is_named_and_marked_not_stored(jane, ses_stub) -> None:
    ses_stub.add_response(
        "get_suppressed_destination", suppressed(JANE, "sent-before-the-module"),
        {"EmailAddress": JANE},
    )  # fmt: skip
    cause = page(jane)["suppression"]["cause"]
    assert cause == {"message_id": "sent-before-the-module", "feedback_id": "fb-1", "stored": False}


def test_a_cause_the_table_cannot_read_leaves_it_unlinked_and_the_page_answers(
    jane, ses_stub, logs
) -> None:
    ses_stub.add_response(
        "get_suppressed_destination", suppressed(JANE, "m-older"), {"EmailAddress": JANE}
    )
    faults.inject(jane.message_store().client, "GetItem", faults.INTERNAL, times=100)
    cause = page(jane)["suppression"]["cause"]
    assert (cause["stored"], cause["lookup_error"]) == (None, "InternalServerError")
    [entry] = logs.entries("reading the suppression's cause failed")
    assert entry["error_code"] == "InternalServerError"


def test_an_entry_made_by_ses_after_a_bounce_is_read_end_to_end(jane) -> None:
    """On moto, taught the suppression list (devkit.ses_suppression)."""
    suppress(JANE, "COMPLAINT", message_id="m-bounced", feedback_id="fb-9", at=SINCE.timestamp())
    suppression = page(jane)["suppression"]
    assert (suppression["state"], suppression["reason"]) == ("suppressed", "COMPLAINT")
    assert suppression["cause"]["stored"] is True


def test_ses_is_asked_as_spelled_then_in_lower_case_because_its_list_matches_case(
    jane, ses_stub
) -> None:
    not_found(ses_stub, "Jane.Doe@Example.COM")
    ses_stub.add_response("get_suppressed_destination", suppressed(JANE), {"EmailAddress": JANE})
    suppression = page(jane, "Jane.Doe@Example.COM")["suppression"]
    assert suppression["state"] == "suppressed"
    assert suppression["checked"] == ["Jane.Doe@Example.COM", JANE]
    assert suppression["listed_as"] == JANE


def test_a_tenant_is_asked_about_its_own_list(jane, ses_stub) -> None:
    ses_stub.add_client_error(
        "get_suppressed_destination", service_error_code="NotFoundException",
        http_status_code=404, expected_params={"EmailAddress": JANE, "TenantName": "acme"},
    )  # fmt: skip
    suppression = page(jane, tenant="acme")["suppression"]
    assert (suppression["state"], suppression["list"], suppression["tenant"]) == (
        "not_suppressed",
        "tenant",
        "acme",
    )


# --- not suppressed, not applicable -----------------------------------------------------------


def test_an_address_ses_does_not_list_is_not_suppressed_after_one_call(jane, ses_stub) -> None:
    not_found(ses_stub, JANE)
    suppression = page(jane)["suppression"]
    assert suppression["state"] == "not_suppressed"
    assert suppression["checked"] == [JANE]
    assert "global suppression list cannot be read" in suppression["detail"]
    assert "cause" not in suppression


def test_a_phone_number_is_not_applicable_and_ses_is_not_asked(transform, query) -> None:
    run_firehose(transform, [ses("Send", "m-1", SENT)])  # an email, to show no SMS is needed
    calls = ses_requests(query)
    body = page(query, "+1 (425) 555-0156")
    assert body["address"] == "+14255550156"
    assert body["channel"] == "sms"
    assert body["suppression"]["state"] == "not_applicable"
    assert "opt-out list" in body["suppression"]["detail"]
    assert body["messages"] == []
    assert calls.total == 0


# --- SES throttling, failing, down, hanging: the page still answers ----------------------------


def test_a_throttled_ses_makes_the_state_unknown_and_logs_only_its_code(
    jane, ses_stub, logs
) -> None:
    ses_stub.add_client_error(
        "get_suppressed_destination", service_error_code="TooManyRequestsException",
        service_message=f"Too many requests for {JANE}", http_status_code=429,
    )  # fmt: skip
    body = page(jane)
    suppression = body["suppression"]
    assert (suppression["state"], suppression["error_code"]) == (
        "unknown",
        "TooManyRequestsException",
    )
    assert "unknown" in suppression["detail"]
    assert len(body["messages"]) == 3, "the messages are answered all the same"
    [entry] = logs.entries("suppression state unknown")
    assert entry["error_code"] == "TooManyRequestsException"
    assert "jane" not in logs.text.lower()


def test_denied_access_to_ses_is_unknown_too(jane, ses_stub) -> None:
    ses_stub.add_client_error(
        "get_suppressed_destination", service_error_code="AccessDeniedException",
        http_status_code=403,
    )  # fmt: skip
    assert page(jane)["suppression"]["error_code"] == "AccessDeniedException"


@pytest.fixture
def ses_at(jane, monkeypatch):
    """Point the function's SES client at ``url`` (a cold start)."""

    def point(url: str) -> None:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", url)
        jane.restart()

    return point


def test_an_unreachable_ses_makes_the_state_unknown(jane, ses_at, refused_url) -> None:
    ses_at(refused_url)
    suppression = page(jane)["suppression"]
    assert (suppression["state"], suppression["error_code"]) == (
        "unknown",
        "EndpointConnectionError",
    )


# At 4 s a table read may take 2.8 s, so the page's two reads fit only if the first is done
# within 1.2 s; the container is warmed first (its settings and DynamoDB client made, as in
# a warm Lambda), or a loaded CI machine spends that on making the client (3 s ran out
# under load 9; 4 s cold, once on CI).
@pytest.mark.parametrize("timeout_s", [4, 10])
def test_a_hanging_ses_costs_its_small_budget_and_the_page_answers_well_in_time(
    jane, ses_at, monkeypatch, timeout_s: int
) -> None:
    monkeypatch.setenv("FUNCTION_TIMEOUT_SECONDS", str(timeout_s))
    with fault_endpoint("hang") as url:
        ses_at(url)
        invoke = in_process(jane.app.lambda_handler, remaining_ms=timeout_s * 1000)
        assert call_api(invoke, "GET", "/messages/m-pair")[0] == 200  # warm, SES not asked
        started = time.monotonic()
        status, body = call_api(invoke, "GET", f"/recipients/{JANE}")
        elapsed = time.monotonic() - started
    validate_response(PAGE, "GET", status, body)
    assert status == 200
    assert (body["suppression"]["state"], body["suppression"]["error_code"]) == (
        "unknown",
        "ReadTimeoutError",
    )
    assert len(body["messages"]) == 3
    budget = jane.settings().suppression_budget.worst_s
    assert budget <= min(2.5, timeout_s / 4)
    assert elapsed < budget + 1.5 < timeout_s, f"answered after {elapsed:.1f} s"


class SlowTable(LambdaContextStub):
    """An invocation whose table reads took all but ``left_ms`` of its time."""

    def __init__(self, left_ms: int) -> None:
        super().__init__(remaining_ms=10_000)
        self.left_ms = left_ms
        self.asked = 0

    def get_remaining_time_in_millis(self) -> int:
        self.asked += 1
        return 10_000 if self.asked == 1 else self.left_ms  # at the start, then after the reads


def test_no_lookup_starts_when_the_invocation_has_no_time_for_it(jane, ses_stub) -> None:
    """The table's reads come first; an SES call that could outlive the function is skipped."""
    budget_ms = jane.settings().suppression_budget.worst_s * 1000
    context = SlowTable(left_ms=int(budget_ms))  # less the margin for the answer: not enough
    status, body = call_api(
        lambda event: dict(jane.app.lambda_handler(event, context)), "GET", f"/recipients/{JANE}"
    )
    assert status == 200
    assert (body["suppression"]["state"], body["suppression"]["error_code"]) == (
        "unknown",
        "OutOfTime",
    )
    # Not remembered: it says nothing about SES, so the next request asks.
    not_found(ses_stub, JANE)
    assert page(jane)["suppression"]["state"] == "not_suppressed"


# --- the cache ---------------------------------------------------------------------------------


def test_a_second_request_within_a_minute_asks_ses_nothing_and_one_after_asks_again(
    jane,
) -> None:
    suppress(JANE, message_id="m-bounced")
    calls = ses_requests(jane)
    first = page(jane)["suppression"]
    assert calls.total == 1
    assert page(jane)["suppression"] == first  # same answer, same checked_at
    assert calls.total == 1

    cache = jane.suppression_answers()
    cache.clock = lambda: time.monotonic() + 61
    again = page(jane)["suppression"]
    assert calls.total == 2
    assert again["state"] == "suppressed"


def test_a_throttled_answer_is_reused_briefly_so_ses_is_not_asked_on_every_request(
    jane, ses_stub
) -> None:
    ses_stub.add_client_error(
        "get_suppressed_destination", service_error_code="TooManyRequestsException",
        http_status_code=429,
    )  # fmt: skip
    assert page(jane)["suppression"]["state"] == "unknown"
    assert page(jane)["suppression"]["state"] == "unknown"  # no second scripted answer needed
    jane.suppression_answers().clock = lambda: time.monotonic() + 11
    not_found(ses_stub, JANE)
    assert page(jane)["suppression"]["state"] == "not_suppressed"


# --- bad requests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/recipients/not-an-address", None),
        ("/recipients/jane@", None),
        ("/recipients/", None),
        ("/recipients/%ff%fe@example.com", None),
        ("/recipients/jane\u0001@example.com", None),
        ("/recipients/jane\ud800@example.com", None),
        (f"/recipients/{JANE}", {"status": "failed"}),
        (f"/recipients/{JANE}", {"limit": "101"}),
        (f"/recipients/{JANE}", {"cursor": "forged.00"}),
        (f"/recipients/{JANE}", {"tenant": "no spaces"}),
        ("/recipients/+14255550156", {"tenant": "acme"}),
    ],
    ids=[
        "not an address",
        "no domain",
        "empty",
        "not UTF-8",
        "control character",
        "lone surrogate",
        "unknown parameter",
        "limit too high",
        "forged cursor",
        "bad tenant",
        "tenant for a phone",
    ],
)
def test_a_bad_request_is_a_json_400_and_asks_ses_nothing(jane, path, params) -> None:
    calls = ses_requests(jane)
    status, body = call_api(jane, "GET", path, query=params)
    assert status == 400, body
    validate_response(PAGE, "GET", 400, body)
    assert body["message"]
    assert calls.total == 0


def test_an_address_the_route_pattern_refuses_is_still_served(jane) -> None:
    """Powertools routes a path parameter only of characters it deems URI-safe."""
    body = page(jane, 'o"neil@example.com')
    assert body["address"] == 'o"neil@example.com'
    assert body["suppression"]["state"] == "not_suppressed"


def test_another_method_is_a_405_naming_get(jane) -> None:
    status, body = call_api(jane, "DELETE", f"/recipients/{JANE}")
    assert status == 405
    validate_response(PAGE, "GET", 405, body)


def test_a_table_outage_is_a_503_as_everywhere_and_ses_is_not_asked(jane, monkeypatch) -> None:
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)
    faults.inject(jane.message_store().client, "Query", faults.INTERNAL, times=100)
    calls = ses_requests(jane)
    status, body = call_api(jane, "GET", f"/recipients/{JANE}")
    assert status == 503
    validate_response(PAGE, "GET", 503, body)
    assert calls.total == 0
