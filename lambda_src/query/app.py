"""Query API handler (API Gateway HTTP API, payload format 2.0).

GET  /messages/{message_id}   the status document of one message
GET  /messages?message_id=ID  the same, query-string form
GET  /messages?recipient=ADDRESS_OR_PHONE | correlation_id=ID | status=STATUS_OR_GROUP
                              a page of messages, newest first -> {"messages", "next_cursor"}
POST /messages/batch-get      {"message_ids": [...]} -> {"messages", "not_found", "unprocessed_ids"}

Reads are GetItem, BatchGetItem and Query on the indexes, never a Scan.
Whatever a caller sends gets a JSON answer: 400 for a bad request (body
included), 404 for an unknown id or path,
405 with ``Allow`` for a method a path does not serve, and 503, before the
function's timeout, when the table cannot be read in time. Answers stay under
Lambda's 6 MB response limit.

No personal data leaves through traces or logs: the Tracer records neither
responses nor errors (documents hold recipients' addresses), only the route,
the status code and counts, as annotations.
"""

from __future__ import annotations

import os
import re
import time
from functools import cache
from http import HTTPStatus
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from message_status.answers import batch_answer
from message_status.budget import CallBudget, Deadline, OutOfTime, query_call_budget
from message_status.item import to_document
from message_status.model import DEFAULT_SEARCH_SHARDS
from message_status.requests import (
    BadRequest,
    batch_message_ids,
    body_text,
    checked_message_id,
    path_message_id,
)
from message_status.search import (
    Search,
    merge_streams,
    page_answer,
    parse_search,
    search_kind,
    select,
)
from message_status.store import MessageReader, StoreError

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "message-status-query")
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
app = APIGatewayHttpResolver()

# The paths the API serves and their methods: what a 405 lists in Allow.
PATHS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"^/messages$"), ("GET",)),
    (re.compile(r"^/messages/batch-get$"), ("POST",)),
    (re.compile(r"^/messages/[^/]+$"), ("GET",)),
)


@cache
def call_budget() -> CallBudget:
    """One DynamoDB call's timeouts and worst case, from the function's timeout."""
    return query_call_budget(float(os.environ.get("FUNCTION_TIMEOUT_SECONDS") or 10))


def search_shards() -> int:
    """Shards of the outcome index (module input search_shards): the transform writes them."""
    return int(os.environ.get("SEARCH_SHARDS") or DEFAULT_SEARCH_SHARDS)


@cache
def message_store() -> MessageReader:
    """Created on first use, so importing the module needs no AWS configuration."""
    client = boto3.client("dynamodb", config=call_budget().config)
    return MessageReader(client, os.environ["TABLE_NAME"])


def error(status: HTTPStatus, message: str, **extra: Any) -> Response:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body={"error": status.phrase, "message": message, **extra},
    )


# Route handlers check the request untraced, then call a traced reader: a caller's
# mistake is a 400, never an exception in the trace or the function's error log.


@tracer.capture_method(capture_response=False, capture_error=False)
def one_message(message_id: str) -> Response | dict[str, Any]:
    item = message_store().get(message_id)
    if item is None:
        return error(
            HTTPStatus.NOT_FOUND,
            "no events have been recorded for this message id",
            message_id=message_id,
        )
    return to_document(item)


@tracer.capture_method(capture_response=False, capture_error=False)
def search_page(search: Search) -> dict[str, Any]:
    store = message_store()
    pages = store.query_streams(search)
    taken = select(search, merge_streams(search, pages))
    ids = list(dict.fromkeys(hit.message_id for hit in taken))
    answer = page_answer(search, pages, taken, store.batch_get(ids))
    tracer.put_annotation("search", search.kind)
    tracer.put_annotation("streams", len(search.streams))
    tracer.put_annotation("found", len(answer["messages"]))
    return answer


@tracer.capture_method(capture_response=False, capture_error=False)
def batch_page(ids: list[str]) -> dict[str, Any]:
    answer = batch_answer(ids, message_store().batch_get(ids))
    tracer.put_annotation("ids", len(ids))
    tracer.put_annotation("found", len(answer["messages"]))
    tracer.put_annotation("unprocessed", len(answer["unprocessed_ids"]))
    return answer


@app.get("/messages/<message_id>")
def get_message(message_id: str) -> Response | dict[str, Any]:
    return one_message(path_message_id(message_id))


@app.get("/messages")
def get_messages() -> Response | dict[str, Any]:
    params = dict(app.current_event.query_string_parameters or {})
    if search_kind(params) is None:
        return one_message(checked_message_id(params.get("message_id")))
    return search_page(parse_search(params, int(time.time() * 1000), search_shards()))


@app.post("/messages/batch-get")
def batch_get() -> dict[str, Any]:
    event = app.current_event.raw_event
    return batch_page(batch_message_ids(body_text(event.get("body"), event.get("isBase64Encoded"))))


@app.exception_handler(BadRequest)
def handle_bad_request(err: BadRequest) -> Response:
    return error(HTTPStatus.BAD_REQUEST, str(err))


@app.exception_handler([ClientError, BotoCoreError, StoreError, OutOfTime])
def handle_table_error(err: Exception) -> Response:
    # The error's type only: AWS error messages may echo request values.
    logger.error("reading the table failed", extra={"error": type(err).__name__})
    return error(HTTPStatus.SERVICE_UNAVAILABLE, "the status table could not be read; retry later")


def allowed_methods(path: str) -> list[str]:
    return sorted(
        {method for pattern, methods in PATHS if pattern.match(path) for method in methods}
    )


@app.not_found
def handle_not_found(_: Exception) -> Response:
    allowed = allowed_methods(app.current_event.path)
    if allowed:
        response = error(
            HTTPStatus.METHOD_NOT_ALLOWED, f"this path serves {', '.join(allowed)} only"
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    return error(HTTPStatus.NOT_FOUND, "no such route; see GET /messages/{message_id}")


def invocation_deadline(context: LambdaContext) -> Deadline:
    """No read starts unless it can finish before the function times out."""
    return Deadline(context.get_remaining_time_in_millis() / 1000, call_budget().worst_s)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    message_store().deadline = invocation_deadline(context)
    response = app.resolve(event, context)
    tracer.put_annotation("status_code", int(response.get("statusCode", 0)))
    return response
