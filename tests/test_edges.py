"""The AWS edges: one module per service, none depending on another, and every failed call
named by its error code (never by AWS's message, which may echo request values)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from message_status.budget import Deadline, OutOfTime
from message_status.call_errors import (
    MESSAGE_LEFT_OUT,
    IncompleteCall,
    error_code,
    without_error_messages,
)
from message_status.publisher import UNEXPECTED_RESPONSE, EventPublisher
from message_status.ses import SuppressionReader
from message_status.suppression import State

from devkit import LAMBDA_SRC
from tests.support.modules import imports

PACKAGE = LAMBDA_SRC / "message_status"
# One module per AWS service the functions call.
SERVICE_EDGES = {"store": "DynamoDB", "publisher": "EventBridge", "ses": "SES", "objects": "S3"}


@pytest.mark.parametrize("edge", sorted(SERVICE_EDGES))
def test_an_edge_depends_on_no_other_edge(edge: str) -> None:
    others = {f".{other}" for other in SERVICE_EDGES if other != edge}
    assert not imports(PACKAGE / f"{edge}.py") & others


@pytest.mark.parametrize(
    "shared", ["budget", "call_errors", "dynamodb_json", "suppression", "recipient_page"]
)
def test_what_the_edges_share_depends_on_no_edge(shared: str) -> None:
    assert not imports(PACKAGE / f"{shared}.py") & {f".{edge}" for edge in SERVICE_EDGES}


def test_the_stream_function_does_not_depend_on_the_dynamodb_edge() -> None:
    """It reads stream images (DynamoDB JSON) and publishes: the store is the transform's."""
    assert "message_status.store" not in imports(LAMBDA_SRC / "stream" / "app.py")


def client_error(code: str, message: str = "AWS's words") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "PutItem")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (client_error("AccessDeniedException"), "AccessDeniedException"),
        (client_error("ThrottlingException"), "ThrottlingException"),
        (ClientError({}, "PutItem"), "Unknown"),
        (EndpointConnectionError(endpoint_url="https://x"), "EndpointConnectionError"),
        (ReadTimeoutError(endpoint_url="https://x"), "ReadTimeoutError"),
        (IncompleteCall("UnprocessedKeys", "8 rounds"), "UnprocessedKeys"),
        (OutOfTime("1.0 s left"), "OutOfTime"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else value,
)
def test_a_failed_call_is_named_by_its_code(error: Exception, code: str) -> None:
    assert error_code(error) == code


class ScriptedEvents:
    """An EventBridge client whose PutEvents answers from a script, one answer per call."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[int] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(len(Entries))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer(Entries)


def each(code: str | None) -> Any:
    return lambda entries: {
        "Entries": [{"ErrorCode": code, "ErrorMessage": "echo"} if code else {} for _ in entries]
    }


ENTRIES = [{"Detail": "{}"}] * 3


def publisher(client: Any, deadline: Deadline | None = None) -> EventPublisher:
    return EventPublisher(client, deadline, attempts=2, sleep=lambda _s: None)


def test_an_entry_that_never_goes_through_keeps_the_code_of_its_last_attempt() -> None:
    client = ScriptedEvents(each("ThrottlingException"), each("AccessDeniedException"))
    assert publisher(client).publish(ENTRIES) == dict.fromkeys(range(3), "AccessDeniedException")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (client_error("AccessDeniedException"), "AccessDeniedException"),
        (EndpointConnectionError(endpoint_url="https://x"), "EndpointConnectionError"),
    ],
    ids=["client error", "transport error"],
)
def test_a_call_that_fails_whole_fails_its_entries_with_the_calls_code(
    error: Exception, code: str
) -> None:
    client = ScriptedEvents(error, error)
    assert publisher(client).publish(ENTRIES) == dict.fromkeys(range(3), code)
    assert client.calls == [3, 3], "the failed call was retried once"


def test_entries_that_go_through_on_a_retry_are_not_failed() -> None:
    client = ScriptedEvents(client_error("ThrottlingException"), each(None))
    assert publisher(client).publish(ENTRIES) == {}


def test_a_response_of_the_wrong_length_fails_every_entry_of_the_call() -> None:
    client = ScriptedEvents(lambda _e: {"Entries": [{}]}, lambda _e: {"Entries": []})
    assert publisher(client).publish(ENTRIES) == dict.fromkeys(range(3), UNEXPECTED_RESPONSE)


def test_no_call_starts_past_the_deadline_and_the_entries_say_why() -> None:
    client = ScriptedEvents()
    late = Deadline(remaining_s=1.0, call_worst_s=5.0)
    assert publisher(client, late).publish(ENTRIES) == dict.fromkeys(range(3), "OutOfTime")
    assert client.calls == []


class ScriptedSes:
    """An SES v2 client whose GetSuppressedDestination answers from a script."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []

    def get_suppressed_destination(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)


def reader(client: Any, deadline: Deadline | None = None) -> SuppressionReader:
    lookups = SuppressionReader(client, clock=lambda: 1_796_000_000.0)
    lookups.deadline = deadline or Deadline()
    return lookups


def test_an_address_ses_does_not_list_is_not_suppressed() -> None:
    client = ScriptedSes(ClientError({"Error": {"Code": "NotFoundException"}}, "Get"))
    lookup = reader(client).lookup("jane@example.com")
    assert (lookup.state, lookup.checked_ms) == (State.NOT_SUPPRESSED, 1_796_000_000_000)
    assert client.requests == [{"EmailAddress": "jane@example.com"}]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            ClientError({"Error": {"Code": "TooManyRequestsException"}}, "Get"),
            "TooManyRequestsException",
        ),
        (
            client_error("AccessDeniedException", "not authorized for jane@example.com"),
            "AccessDeniedException",
        ),
        (EndpointConnectionError(endpoint_url="https://email"), "EndpointConnectionError"),
        (ReadTimeoutError(endpoint_url="https://email"), "ReadTimeoutError"),
    ],
    ids=["throttled", "denied", "unreachable", "slow"],
)
def test_a_failed_lookup_is_unknown_by_its_code_and_never_raises(
    error: Exception, code: str
) -> None:
    lookup = reader(ScriptedSes(error)).lookup("jane@example.com")
    assert (lookup.state, lookup.error_code) == (State.UNKNOWN, code)


def test_a_tenant_is_asked_about_its_own_list() -> None:
    client = ScriptedSes(ClientError({"Error": {"Code": "NotFoundException"}}, "Get"))
    reader(client).lookup("jane@example.com", "acme")
    assert client.requests == [{"EmailAddress": "jane@example.com", "TenantName": "acme"}]


def test_no_lookup_starts_past_the_deadline() -> None:
    client = ScriptedSes()
    lookup = reader(client, Deadline(remaining_s=1.0, call_worst_s=2.5)).lookup("jane@example.com")
    assert (lookup.state, lookup.error_code) == (State.UNKNOWN, "OutOfTime")
    assert client.requests == []


def test_a_client_without_error_messages_keeps_the_code_and_drops_what_may_echo_the_request() -> (
    None
):
    """The X-Ray SDK records a failed call's exception message in the trace."""
    client = without_error_messages(
        boto3.client("sesv2", region_name="us-east-1", aws_access_key_id="k",
                     aws_secret_access_key="s")
    )  # fmt: skip
    with Stubber(client) as stub:
        stub.add_client_error(
            "get_suppressed_destination", service_error_code="NotFoundException",
            service_message="Email address jane@example.com does not exist", http_status_code=404,
        )  # fmt: skip
        with pytest.raises(ClientError) as raised:
            client.get_suppressed_destination(EmailAddress="jane@example.com")
    assert error_code(raised.value) == "NotFoundException"
    assert raised.value.response["Error"]["Message"] == MESSAGE_LEFT_OUT
    assert "jane" not in str(raised.value)
