"""Calling the handlers as their AWS callers do, and reading results back."""

from __future__ import annotations

import base64
import json
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from .events import firehose_event, http_event

BOOKKEEPING = ("version", "updated_at")


class LambdaContextStub:
    """The parts of a LambdaContext that Powertools reads."""

    function_name = "message-status"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:message-status"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def run_firehose(handler: Any, payloads: list[Any], start: int = 0) -> dict[str, Any]:
    """Invoke a transform handler with one Firehose batch of ``payloads``."""
    return run_firehose_event(handler, firehose_event(payloads, start))


def run_firehose_event(handler: Any, event: dict[str, Any]) -> dict[str, Any]:
    """Invoke a transform handler with a Firehose event; check the contract; return the response."""
    response = handler(event, LambdaContextStub())
    sent = [record["recordId"] for record in event["records"]]
    returned = [record["recordId"] for record in response["records"]]
    assert returned == sent, "every recordId must come back exactly once, in order"
    for original, record in zip(event["records"], response["records"], strict=True):
        assert record["result"] in {"Ok", "Dropped", "ProcessingFailed"}
        if record["result"] != "Ok":
            assert record["data"] == original["data"], (
                "failed/dropped records keep their original data"
            )
    return response


def results(response: dict[str, Any]) -> list[str]:
    return [record["result"] for record in response["records"]]


def archived_lines(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The normalized JSON lines Firehose would write to S3 for the Ok records."""
    lines = []
    for record in response["records"]:
        if record["result"] == "Ok":
            text = base64.b64decode(record["data"]).decode()
            assert text.endswith("\n")
            assert text.count("\n") == 1
            lines.append(json.loads(text))
    return lines


def stored_item(client: Any, table_name: str, message_id: str) -> dict[str, Any] | None:
    raw = client.get_item(
        TableName=table_name, Key={"message_id": {"S": message_id}}, ConsistentRead=True
    )
    if "Item" not in raw:
        return None
    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in raw["Item"].items()}


def without_bookkeeping(item: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if item is None else {k: v for k, v in item.items() if k not in BOOKKEEPING}


def call_api(
    handler: Any,
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    body: str | None = None,
) -> tuple[int, Any]:
    """Invoke a query handler with an HTTP API v2 event; return (status, parsed JSON body)."""
    response = handler(http_event(method, path, query, body), LambdaContextStub())
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])
