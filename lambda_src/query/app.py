"""Query API handler (API Gateway HTTP API, payload format 2.0).

GET  /messages/{message_id}   the status document of one message
GET  /messages?message_id=ID  the same, query-string form
POST /messages/batch-get      {"message_ids": [...]} -> {"messages": [...], "not_found": [...]}

Reads are GetItem/BatchGetItem only. Bad requests get a JSON 4xx; a table
that cannot be read gets a JSON 503, never an unhandled 5xx.
"""

from __future__ import annotations

import os
from functools import cache
from http import HTTPStatus
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from message_status.item import to_document
from message_status.requests import (
    BadRequest,
    batch_message_ids,
    checked_message_id,
    path_message_id,
)
from message_status.store import RETRY_CONFIG, MessageReader, StoreError

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "message-status-query")
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
app = APIGatewayHttpResolver()


@cache
def message_store() -> MessageReader:
    """Created on first use, so importing the module needs no AWS configuration."""
    return MessageReader(boto3.client("dynamodb", config=RETRY_CONFIG), os.environ["TABLE_NAME"])


def error(status: HTTPStatus, message: str, **extra: Any) -> Response:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body={"error": status.phrase, "message": message, **extra},
    )


def one_message(message_id: str) -> Response | dict[str, Any]:
    item = message_store().get(message_id)
    if item is None:
        return error(
            HTTPStatus.NOT_FOUND,
            "no events have been recorded for this message id",
            message_id=message_id,
        )
    return to_document(item)


@app.get("/messages/<message_id>")
@tracer.capture_method
def get_message(message_id: str) -> Response | dict[str, Any]:
    return one_message(path_message_id(message_id))


@app.get("/messages")
@tracer.capture_method
def get_message_by_query() -> Response | dict[str, Any]:
    return one_message(checked_message_id(app.current_event.get_query_string_value("message_id")))


@app.post("/messages/batch-get")
@tracer.capture_method
def batch_get() -> dict[str, Any]:
    ids = batch_message_ids(app.current_event.decoded_body)
    items = message_store().batch_get(ids)
    return {
        "messages": [to_document(items[message_id]) for message_id in ids if message_id in items],
        "not_found": [message_id for message_id in ids if message_id not in items],
    }


@app.exception_handler(BadRequest)
def handle_bad_request(err: BadRequest) -> Response:
    return error(HTTPStatus.BAD_REQUEST, str(err))


@app.exception_handler([ClientError, BotoCoreError, StoreError])
def handle_table_error(err: Exception) -> Response:
    logger.exception("reading the table failed")
    return error(HTTPStatus.SERVICE_UNAVAILABLE, "the status table could not be read; retry later")


@app.not_found
def handle_not_found(_: Exception) -> Response:
    return error(HTTPStatus.NOT_FOUND, "no such route; see GET /messages/{message_id}")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
