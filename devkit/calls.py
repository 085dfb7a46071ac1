"""Calling the handlers as their AWS callers do, and checking the contracts those callers rely on.

An ``Invoke`` takes an event and returns the handler's response: a
:class:`devkit.lambdas.LambdaProcess` (shipped code), or ``in_process(handler)``
for code imported in this process (the unit tests).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from devkit.events import firehose_event, http_event
from devkit.lambdas import LambdaContextStub

Invoke = Callable[[dict[str, Any]], dict[str, Any]]
BOOKKEEPING = ("version", "updated_at")
FIREHOSE_RESULTS = {"Ok", "Dropped", "ProcessingFailed"}


def in_process(handler: Callable[[dict[str, Any], Any], Any], remaining_ms: int = 60_000) -> Invoke:
    """An Invoke for a handler imported in this process, with a fresh context per call."""

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        return dict(handler(event, LambdaContextStub(remaining_ms=remaining_ms)))

    return invoke


def run_firehose(invoke: Invoke, payloads: list[Any], start: int = 0) -> dict[str, Any]:
    """Invoke a transform with one Firehose batch of ``payloads``."""
    return run_firehose_event(invoke, firehose_event(payloads, start))


def check_firehose_contract(event: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    """Every recordId exactly once, in order; failed and dropped records keep their data."""
    sent = [record["recordId"] for record in event["records"]]
    returned = [record["recordId"] for record in response["records"]]
    assert returned == sent, "every recordId must come back exactly once, in order"
    for original, record in zip(event["records"], response["records"], strict=True):
        assert record["result"] in FIREHOSE_RESULTS, record["result"]
        if record["result"] != "Ok":
            data = original.get("data")
            assert record["data"] == (data if isinstance(data, str) else ""), (
                "failed and dropped records keep their original data"
            )


def run_firehose_event(invoke: Invoke, event: dict[str, Any]) -> dict[str, Any]:
    """Invoke a transform with a Firehose event; check the contract; return the response."""
    response = invoke(event)
    check_firehose_contract(event, response)
    return response


def results(response: Mapping[str, Any]) -> list[str]:
    return [record["result"] for record in response["records"]]


def archived_lines(response: Mapping[str, Any]) -> list[dict[str, Any]]:
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
    invoke: Invoke,
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    body: str | None = None,
) -> tuple[int, Any]:
    """Invoke a query function with an HTTP API v2 event; return (status, parsed JSON body)."""
    response = invoke(http_event(method, path, query, body))
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])
