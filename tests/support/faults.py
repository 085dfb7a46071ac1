"""Fault injection and request counting on a botocore client (works under moto).

Handlers registered with ``register_first`` on ``before-send`` run ahead of
moto's own stubber, and botocore uses the first response it gets, so an
injected error replaces the call exactly as a real DynamoDB error would and
botocore's retry logic handles it as usual.

botocore still calls every ``before-send`` handler, moto's included. So that
a failed attempt has no effect in moto, the injected attempt is turned into a
harmless ListTables call; the original request is restored before the next
attempt, which botocore sends with the same request object.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse

from devkit.botometer import RequestCounter


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def dynamodb_error(status: int, code: str, message: str = "injected") -> AWSResponse:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})
    headers = {"x-amzn-RequestId": "injected", "Content-Type": "application/x-amz-json-1.0"}
    return AWSResponse(
        "https://dynamodb.us-east-1.amazonaws.com/", status, headers, _Raw(body.encode())
    )


# (HTTP status, error code) or (status, code, message): AWS's messages may echo request values.
Error = tuple[int, str] | tuple[int, str, str]

THROTTLING = (400, "ThrottlingException")
THROUGHPUT = (400, "ProvisionedThroughputExceededException")
INTERNAL = (500, "InternalServerError")
UNAVAILABLE = (503, "ServiceUnavailable")
CONDITIONAL = (400, "ConditionalCheckFailedException")
VALIDATION = (400, "ValidationException")


NO_OP_TARGET = "DynamoDB_20120810.ListTables"


def neutralize(request: Any) -> None:
    """Make moto see a read-only call instead of ``request``; remember the original."""
    if not hasattr(request, "_original_call"):
        request._original_call = (request.headers["X-Amz-Target"], request.body)
    request.headers["X-Amz-Target"] = NO_OP_TARGET
    request.body = b"{}"


def restore(request: Any) -> None:
    original = getattr(request, "_original_call", None)
    if original is not None:
        request.headers["X-Amz-Target"], request.body = original
        del request._original_call


def fail(request: Any, error: Error) -> AWSResponse:
    """The injected error for this attempt, with the attempt itself made harmless."""
    neutralize(request)
    return dynamodb_error(*error)


@dataclass
class Faults:
    """Fail the sends of ``operation`` that ``should_fail`` picks (default: the first ``times``)."""

    operation: str
    error: Error
    times: int
    injected: int = 0
    should_fail: Callable[[dict[str, Any]], bool] = lambda _body: True

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        restore(request)
        if self.injected >= self.times or not self.should_fail(json.loads(request.body or b"{}")):
            return None
        self.injected += 1
        return fail(request, self.error)


def inject(
    client: Any,
    operation: str,
    error: Error,
    times: int,
    should_fail: Callable[[dict[str, Any]], bool] | None = None,
) -> Faults:
    faults = Faults(operation, error, times)
    if should_fail is not None:
        faults.should_fail = should_fail
    client.meta.events.register_first(f"before-send.dynamodb.{operation}", faults)
    return faults


def count_requests(client: Any, service: str = "dynamodb") -> RequestCounter:
    """Count the requests ``client`` sends to ``service``, by operation (retries included)."""
    counter = RequestCounter(service=service)
    client.meta.events.register_first(f"before-send.{service}", counter)
    return counter


def before_call(client: Any, operation: str, hook: Callable[..., Any]) -> None:
    """Run ``hook`` just before each ``operation`` call is sent (used to stage races)."""
    client.meta.events.register(f"before-call.dynamodb.{operation}", hook)
