"""The query API on moto: routes, errors, batch-get; every answer checked against the OpenAPI."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError
from openapi_spec_validator import validate

from devkit.calls import call_api, run_firehose
from devkit.events import http_event, pinpoint_sms, ses, sms_v2
from tests.support import faults
from tests.support.openapi import document, validate_response
from tests.support.strategies import any_text

ONE = "/messages/{message_id}"
QUERY = "/messages"
BATCH = "/messages/batch-get"


@pytest.fixture
def seeded(transform, query):
    """Three messages written through the transform, as Firehose would."""
    run_firehose(
        transform,
        [
            ses("Send", "email-1", 1000),
            ses("Delivery", "email-1", 2000),
            ses("Click", "email-1", 4000),
            pinpoint_sms("_SMS.BUFFERED", "sms-1", 1000, "PENDING"),
            pinpoint_sms("_SMS.SUCCESS", "sms-1", 3000, "DELIVERED"),
            sms_v2("TEXT_CARRIER_UNREACHABLE", "sms-2", 5000, "CARRIER_UNREACHABLE"),
        ],
    )
    return query


def test_openapi_document_is_valid() -> None:
    validate(document())


def test_get_by_path_returns_the_status_document(seeded) -> None:
    status, body = call_api(seeded, "GET", "/messages/email-1")
    assert status == 200
    validate_response(ONE, "GET", 200, body)
    assert (body["status"], body["is_final"], body["channel"]) == ("CLICKED", True, "email")
    assert body["events"] == {
        "send": "1970-01-01T00:00:01.000Z",
        "delivered": "1970-01-01T00:00:02.000Z",
        "click": "1970-01-01T00:00:04.000Z",
    }
    assert [entry["kind"] for entry in body["history"]] == ["send", "delivered", "click"]


def test_query_string_form_gives_the_same_answer(seeded) -> None:
    _, by_path = call_api(seeded, "GET", "/messages/sms-1")
    status, by_query = call_api(seeded, "GET", "/messages", query={"message_id": "sms-1"})
    assert status == 200
    validate_response(QUERY, "GET", 200, by_query)
    assert by_query == by_path
    assert (by_query["status"], by_query["record_status"]) == ("DELIVERED", "DELIVERED")


def test_numbers_are_json_numbers(seeded) -> None:
    _, body = call_api(seeded, "GET", "/messages/sms-1")
    assert body["price_in_millicents_usd"] == 645
    assert isinstance(body["expires_at"], int)


def test_url_encoded_id_is_decoded(transform, query) -> None:
    run_firehose(transform, [ses("Send", "a b/c", 1000)])
    status, body = call_api(query, "GET", "/messages/a%20b%2Fc")
    assert (status, body["message_id"]) == (200, "a b/c")


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/messages/ab\x01cd", "message id contains control characters"),
        ("/messages/", "message id is empty"),
        ("/messages/%ff", "message id in the path is not UTF-8 once percent-decoded"),
    ],
    ids=["control character", "empty", "not UTF-8"],
)
def test_a_bad_id_in_a_get_path_is_a_400_naming_it_not_a_405(seeded, path, problem) -> None:
    """Powertools' route pattern refuses these characters; the answer is still about the id."""
    response = raw_call(seeded, "GET", path, None, False)
    assert response["statusCode"] == 400
    assert "Allow" not in response["headers"]
    body = json.loads(response["body"])
    validate_response(ONE, "GET", 400, body)
    assert body["message"] == problem


@pytest.mark.parametrize(
    "path",
    ['/messages/mail \U0001f4e8 "42"', "/messages/mail%20%F0%9F%93%A8%20%2242%22"],
    ids=["as API Gateway hands it over", "percent-encoded"],
)
def test_an_id_holding_symbols_the_route_pattern_refuses_is_still_served(
    transform, query, path
) -> None:
    run_firehose(transform, [ses("Send", 'mail \U0001f4e8 "42"', 1000)])
    status, body = call_api(query, "GET", path)
    assert (status, body["message_id"]) == (200, 'mail \U0001f4e8 "42"')


def test_unknown_id_is_404_with_a_json_error(seeded) -> None:
    status, body = call_api(seeded, "GET", "/messages/nope")
    assert status == 404
    validate_response(ONE, "GET", 404, body)
    assert body["message_id"] == "nope"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/messages", None),
        ("/messages", {"message_id": ""}),
        ("/messages", {"message_id": "x" * 257}),
        ("/messages/" + "x" * 257, None),
        ("/messages/abc%0Adef", None),
        ("/messages/abc%00", None),
        # An HTTP API hands the path over percent-decoded: raw characters reach the function.
        ("/messages/ab\x01cd", None),
        ("/messages/ab\ncd", None),
        ("/messages/ab%01cd", None),
        ("/messages/", None),
        ("/messages/%ff%fe", None),
        ("/messages/caf%e9", None),
        ("/messages/ab\ud800", None),
        ("/messages/ab%ED%A0%80", None),
        ("/messages", {"message_id": "ab\ud800"}),
    ],
    ids=[
        "missing",
        "empty",
        "too long (query)",
        "too long (path)",
        "newline",
        "NUL",
        "raw control character",
        "raw newline",
        "encoded control character",
        "empty (path)",
        "percent-encoded bytes not UTF-8",
        "percent-encoded Latin-1",
        "lone surrogate",
        "percent-encoded surrogate",
        "lone surrogate (query)",
    ],
)
def test_bad_ids_are_400_never_5xx(seeded, path, params) -> None:
    status, body = call_api(seeded, "GET", path, query=params)
    assert status == 400
    validate_response(QUERY if path == "/messages" else ONE, "GET", 400, body)
    assert body["message"]


def test_batch_get_returns_found_in_request_order_and_not_found(seeded) -> None:
    ids = ["sms-2", "missing-1", "email-1", "sms-2"]
    status, body = call_api(seeded, "POST", BATCH, body=json.dumps({"message_ids": ids}))
    assert status == 200
    validate_response(BATCH, "POST", 200, body)
    assert [message["message_id"] for message in body["messages"]] == ["sms-2", "email-1"]
    assert body["not_found"] == ["missing-1"]
    assert body["messages"][0]["status"] == "FAILED"


def test_batch_get_uses_one_batch_request_and_never_scans(seeded) -> None:
    counter = faults.count_requests(seeded.message_store().client)
    ids = [f"id-{n}" for n in range(100)]
    status, body = call_api(seeded, "POST", BATCH, body=json.dumps({"message_ids": ids}))
    assert status == 200
    assert len(body["not_found"]) == 100
    assert counter.counts == {"BatchGetItem": 1}


def test_single_get_uses_get_item(seeded) -> None:
    counter = faults.count_requests(seeded.message_store().client)
    call_api(seeded, "GET", "/messages/email-1")
    assert counter.counts == {"GetItem": 1}


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        json.dumps({}),
        json.dumps({"message_ids": []}),
        json.dumps({"message_ids": "email-1"}),
        json.dumps({"message_ids": [f"id-{n}" for n in range(101)]}),
        json.dumps({"message_ids": ["ok", 5]}),
        json.dumps({"message_ids": ["ok", "x" * 257]}),
        json.dumps({"message_ids": ["bad\u0001id"]}),
        json.dumps({"message_ids": ["ok", "bad\ud800id"]}),
    ],
    ids=[
        "malformed",
        "array",
        "no ids",
        "empty list",
        "not a list",
        "101 ids",
        "number",
        "too long",
        "control",
        "lone surrogate",
    ],
)
def test_bad_batch_requests_are_400(seeded, body: str) -> None:
    status, answer = call_api(seeded, "POST", BATCH, body=body)
    assert status == 400
    validate_response(BATCH, "POST", 400, answer)


def test_unknown_route_is_a_json_404(seeded) -> None:
    status, body = call_api(seeded, "GET", "/nothing-here")
    assert status == 404
    assert body["error"] == "Not Found"


def test_table_outage_is_a_json_503(seeded, monkeypatch) -> None:
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)
    faults.inject(seeded.message_store().client, "GetItem", faults.INTERNAL, times=100)
    status, body = call_api(seeded, "GET", "/messages/email-1")
    assert status == 503
    validate_response(ONE, "GET", 503, body)


@pytest.mark.parametrize(
    ("operation", "method", "path", "body"),
    [
        ("GetItem", "GET", "/messages/pii.dana@example.org", None),
        ("BatchGetItem", "POST", BATCH, json.dumps({"message_ids": ["pii.dana@example.org"]})),
        ("Query", "GET", "/messages?recipient=pii.dana@example.org", None),
    ],
    ids=["get", "batch-get", "search"],
)
def test_a_table_error_logs_its_aws_error_code_and_no_request_value(
    seeded, logs, *, operation: str, method: str, path: str, body: str | None
) -> None:
    """AccessDenied reads differently from an outage; AWS's message, which may echo the
    request (an id, an address), is never logged."""
    echo = "User is not authorized to read the key pii.dana@example.org"
    faults.inject(
        seeded.message_store().client, operation, (400, "AccessDeniedException", echo), times=100
    )
    route, _, query_string = path.partition("?")
    query = dict([query_string.split("=")]) if query_string else None
    status, _ = call_api(seeded, method, route, query=query, body=body)
    assert status == 503
    [entry] = logs.entries("reading the table failed")
    assert entry["error_code"] == "AccessDeniedException"
    assert "pii.dana" not in logs.text
    assert "not authorized" not in logs.text


def test_schema_check_catches_a_wrong_document() -> None:
    """The OpenAPI check is real: a document missing its status fails it."""
    with pytest.raises(ValidationError):
        validate_response(ONE, "GET", 200, {"message_id": "x", "channel": "email"})


# --- hostile requests: a JSON 4xx for anything a caller can send ------------------------------


def raw_call(query, method: str, path: str, body: str | None, base64_encoded: bool) -> dict:
    event = http_event(method, path, None, body)
    event["isBase64Encoded"] = base64_encoded
    return query(event)


@pytest.mark.parametrize(
    ("body", "base64_encoded"),
    [
        ("%%% not base64 %%%", True),
        (base64.b64encode('{"message_ids": ["a"]}'.encode("utf-16")).decode(), True),
        ("[" * 100_000 + "]" * 100_000, False),
        ('{"message_ids": [' + "1" * 5000 + "]}", False),
        ("\ud800", False),
    ],
    ids=[
        "invalid base64",
        "UTF-16 JSON",
        "nested too deeply",
        "5000-digit integer",
        "lone surrogate",
    ],
)
def test_a_malformed_batch_body_is_a_json_400(seeded, body: str, base64_encoded: bool) -> None:
    response = raw_call(seeded, "POST", BATCH, body, base64_encoded)
    assert response["statusCode"] == 400
    answer = json.loads(response["body"])
    validate_response(BATCH, "POST", 400, answer)
    assert answer["message"].startswith("request body")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/messages/email-1", "GET"),
        ("PUT", "/messages", "GET"),
        ("GET", "/messages/batch-get/extra", None),
        ("PATCH", "/messages/batch-get", "GET, POST"),
    ],
)
def test_a_method_a_path_does_not_serve_is_405_with_allow(seeded, method, path, allow) -> None:
    response = raw_call(seeded, method, path, None, False)
    if allow is None:
        assert response["statusCode"] == 404
        return
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == allow
    validate_response(ONE, "GET", 405, json.loads(response["body"]))


PATH_PARTS = st.sampled_from(
    [
        *("messages", "batch-get", "email-1", "", "%00", "%ZZ", "%", "..", "é", "a b"),
        *("recipients", "ana@example.com", "+14255550156", "A%40B.COM", "@", "+"),
        *("\x01", "\x7f", "\u2028", "\ud800", "%ff", "%ed%a0%80", "%2F", "\U0001f4e8", '"'),
    ]
)
QUERY_VALUES = any_text(30) | st.sampled_from(["email-1", "x" * 300, "%0A", "a\ud800@b.com"])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW"]),
    parts=st.lists(PATH_PARTS, max_size=4),
    query_string=st.dictionaries(
        st.sampled_from(["message_id", "cursor", "limit", "tenant", "x"]), QUERY_VALUES, max_size=2
    ),
    body=st.none()
    | st.text(max_size=200)
    | st.binary(max_size=100).map(lambda b: base64.b64encode(b).decode()),
    base64_encoded=st.booleans(),
)
def test_any_request_gets_a_json_answer_and_never_a_5xx(
    seeded, *, method, parts, query_string, body, base64_encoded
) -> None:
    event = http_event(method, "/" + "/".join(parts), query_string or None, body)
    event["isBase64Encoded"] = base64_encoded
    response = seeded(event)
    assert response["statusCode"] in {200, 400, 404, 405}
    assert response["headers"]["Content-Type"] == "application/json"
    json.loads(response["body"])
