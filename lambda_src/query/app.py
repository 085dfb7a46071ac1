"""Query API handler (API Gateway HTTP API, payload format 2.0).

GET  /messages/{message_id}   the status document of one message
GET  /messages?message_id=ID  the same, query-string form
GET  /messages?recipient=ADDRESS_OR_PHONE | correlation_id=ID | status=STATUS_OR_GROUP
                              a page of messages, newest first -> {"messages", "next_cursor"}
POST /messages/batch-get      {"message_ids": [...]} -> {"messages", "not_found", "unprocessed_ids"}
GET  /recipients/{address}    one recipient's page: its suppression state, straight from
                              Amazon SES, and a page of its latest messages with counts

Reads are GetItem, BatchGetItem and Query on the indexes, never a Scan; the one
SES call is GetSuppressedDestination, whose answers each container reuses for a
minute (suppression.LookupCache). SES never makes an answer fail: when it is
throttling, failing, slow or unreachable, the page says the suppression state
is unknown, and why.
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

import re
import time
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from message_status.answers import MAX_BODY_BYTES, batch_answer
from message_status.budget import (
    CallBudget,
    Deadline,
    query_call_budget,
    suppression_call_budget,
)
from message_status.call_errors import CALL_ERRORS, error_code, without_error_messages
from message_status.item import to_document
from message_status.model import DEFAULT_SEARCH_SHARDS, Channel
from message_status.recipient_page import (
    MESSAGES_BUDGET,
    RecipientRequest,
    cause_document,
    cause_id,
    recipient_answer,
    recipient_request,
    suppression_document,
)
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
from message_status.ses import SuppressionReader
from message_status.settings import positive_int, required, setting, text
from message_status.store import MessageReader
from message_status.suppression import Lookup, LookupCache, State, combined, settled, spellings
from message_status.tracing import annotate

SERVICE = setting("POWERTOOLS_SERVICE_NAME", text, "message-status-query")
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
app = APIGatewayHttpResolver()
# Every answer the function builds itself has a JSON object for its body.
JsonResponse = Response[dict[str, Any]]

# /messages/{message_id}: the id is one path segment, whatever characters it holds.
MESSAGE_PATH = re.compile(r"^/messages/(?P<message_id>[^/]*)$")
RECIPIENT_PATH = re.compile(r"^/recipients/(?P<address>[^/]*)$")
# The paths the API serves and their methods: what a 405 lists in Allow.
PATHS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"^/messages$"), ("GET",)),
    (re.compile(r"^/messages/batch-get$"), ("POST",)),
    (MESSAGE_PATH, ("GET",)),
    (RECIPIENT_PATH, ("GET",)),
)
# What is left of an invocation for the answer itself after the SES call.
ANSWER_MARGIN_S = 0.5


@dataclass(frozen=True)
class Settings:
    """What the deployment decides (lambda.tf sets each variable), read once: settings()."""

    table_name: str
    # One DynamoDB call's timeouts and worst case, from FUNCTION_TIMEOUT_SECONDS.
    call_budget: CallBudget
    # Shards of the outcome index (module input search_shards): the transform writes them.
    search_shards: int
    # The SES lookup's timeouts and worst case: a small share of the same timeout.
    suppression_budget: CallBudget


@cache
def settings() -> Settings:
    """Read on first use, so importing the module needs no configuration."""
    timeout_s = setting("FUNCTION_TIMEOUT_SECONDS", positive_int, 10)
    return Settings(
        table_name=required("TABLE_NAME"),
        call_budget=query_call_budget(timeout_s),
        search_shards=setting("SEARCH_SHARDS", positive_int, DEFAULT_SEARCH_SHARDS),
        suppression_budget=suppression_call_budget(timeout_s),
    )


@cache
def message_store() -> MessageReader:
    """Created on first use, so importing the module needs no AWS configuration."""
    config = settings()
    client = boto3.client("dynamodb", config=config.call_budget.config)
    return MessageReader(client, config.table_name)


@cache
def suppression_answers() -> LookupCache:
    """SES's answers, kept per container: a busy console asks SES about an address at most
    once a minute (suppression.ttl_s); a cold start begins with none."""
    return LookupCache()


@cache
def suppression_reader() -> SuppressionReader:
    """Created on first use: only the recipient page calls SES."""
    client = boto3.client("sesv2", config=settings().suppression_budget.config)
    # SES's messages name the address (NotFoundException): kept out of traces too.
    return SuppressionReader(without_error_messages(client))


def error(status: HTTPStatus, message: str, **extra: Any) -> JsonResponse:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body={"error": status.phrase, "message": message, **extra},
    )


# Route handlers check the request untraced, then call a traced reader: a caller's
# mistake is a 400, never an exception in the trace or the function's error log.


@tracer.capture_method(capture_response=False, capture_error=False)
def one_message(message_id: str) -> JsonResponse | dict[str, Any]:
    item = message_store().get(message_id)
    if item is None:
        return error(
            HTTPStatus.NOT_FOUND,
            "no events have been recorded for this message id",
            message_id=message_id,
        )
    return to_document(item)


@tracer.capture_method(capture_response=False, capture_error=False)
def search_page(search: Search, budget: int = MAX_BODY_BYTES) -> dict[str, Any]:
    store = message_store()
    pages = store.query_streams(search)
    taken = select(search, merge_streams(search, pages))
    ids = list(dict.fromkeys(hit.message_id for hit in taken))
    answer = page_answer(search, pages, taken, store.batch_get(ids), budget)
    annotate(tracer, search=search.kind, streams=len(search.streams), found=len(answer["messages"]))
    return answer


def suppression_lookup(request: RecipientRequest) -> tuple[Lookup, list[str]]:
    """SES's answer for the address (each spelling SES might list it under, from this
    container's cache when it is fresh), and the spellings asked about."""
    reader = suppression_reader()
    remaining_s = app.lambda_context.get_remaining_time_in_millis() / 1000 - ANSWER_MARGIN_S
    reader.deadline = Deadline(remaining_s, settings().suppression_budget.worst_s)
    lookups: list[Lookup] = []
    asked = spellings(request.given, request.address)
    for spelling in asked:
        key = (request.tenant or "", spelling)
        lookup = suppression_answers().get(key)
        if lookup is None:
            lookup = reader.lookup(spelling, request.tenant)
            suppression_answers().put(key, lookup)
            if lookup.state is State.UNKNOWN:
                # The code only: SES's message may echo the address.
                logger.warning("suppression state unknown", extra={"error_code": lookup.error_code})
        lookups.append(lookup)
        if settled(lookup):
            break
    return combined(lookups), list(asked[: len(lookups)])


def linked_cause(lookup: Lookup, messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The message that put the address on the list, from the page or the table; a table
    that cannot be read leaves it unlinked and the page still answers."""
    message_id = cause_id(lookup)
    if message_id is None:
        return None
    listed = next((m for m in messages if m["message_id"] == message_id), None)
    if listed is not None:
        return cause_document(lookup, listed)
    try:
        item = message_store().get(message_id)
    except CALL_ERRORS as err:
        code = error_code(err)
        logger.warning("reading the suppression's cause failed", extra={"error_code": code})
        return cause_document(lookup, None, code)
    return cause_document(lookup, None if item is None else to_document(item))


@tracer.capture_method(capture_response=False, capture_error=False)
def recipient_page(request: RecipientRequest) -> dict[str, Any]:
    # The table first: its reads keep their whole budget, and a slow SES cannot delay them.
    page = search_page(request.search, MESSAGES_BUDGET)
    if request.channel is not Channel.EMAIL:
        suppression = suppression_document(request, None)
    else:
        lookup, checked = suppression_lookup(request)
        cause = linked_cause(lookup, page["messages"])
        suppression = suppression_document(request, lookup, checked, cause)
    annotate(tracer, suppression=str(suppression["state"]))
    return recipient_answer(request, page, suppression)


@tracer.capture_method(capture_response=False, capture_error=False)
def batch_page(ids: list[str]) -> dict[str, Any]:
    answer = batch_answer(ids, message_store().batch_get(ids))
    annotate(
        tracer,
        ids=len(ids),
        found=len(answer["messages"]),
        unprocessed=len(answer["unprocessed_ids"]),
    )
    return answer


@app.get("/messages/<message_id>")
def get_message(message_id: str) -> JsonResponse | dict[str, Any]:
    return one_message(path_message_id(message_id))


@app.get("/messages")
def get_messages() -> JsonResponse | dict[str, Any]:
    params = dict(app.current_event.query_string_parameters or {})
    if search_kind(params) is None:
        return one_message(checked_message_id(params.get("message_id")))
    return search_page(parse_search(params, int(time.time() * 1000), settings().search_shards))


@app.get("/recipients/<address>")
def get_recipient(address: str) -> dict[str, Any]:
    params = dict(app.current_event.query_string_parameters or {})
    request = recipient_request(address, params, int(time.time() * 1000), settings().search_shards)
    return recipient_page(request)


@app.post("/messages/batch-get")
def batch_get() -> dict[str, Any]:
    event = app.current_event.raw_event
    return batch_page(batch_message_ids(body_text(event.get("body"), event.get("isBase64Encoded"))))


# Powertools leaves exception_handler's decorator untyped; the handlers below are typed.
@app.exception_handler(BadRequest)  # type: ignore[untyped-decorator]
def handle_bad_request(err: BadRequest) -> JsonResponse:
    return error(HTTPStatus.BAD_REQUEST, str(err))


@app.exception_handler(list(CALL_ERRORS))  # type: ignore[untyped-decorator]
def handle_table_error(err: Exception) -> JsonResponse:
    # The error's code only: AWS error messages may echo request values (an id, an address).
    logger.error("reading the table failed", extra={"error_code": error_code(err)})
    return error(HTTPStatus.SERVICE_UNAVAILABLE, "the status table could not be read; retry later")


def allowed_methods(path: str) -> list[str]:
    return sorted(
        {method for pattern, methods in PATHS if pattern.match(path) for method in methods}
    )


@app.not_found
def handle_not_found(_: Exception) -> JsonResponse | dict[str, Any]:
    event = app.current_event
    message_path = MESSAGE_PATH.match(event.path)
    if message_path and event.http_method == "GET":
        # Powertools routes /messages/<message_id> only when each character of the id is one
        # its pattern deems URI-safe, and API Gateway hands the path over percent-decoded: an
        # id holding any other character (a control character, a symbol, an empty id) lands
        # here. The id decides the answer: a 400 naming its problem, or the message.
        return get_message(message_path["message_id"])
    recipient_path = RECIPIENT_PATH.match(event.path)
    if recipient_path and event.http_method == "GET":  # the same, for an address
        return get_recipient(recipient_path["address"])
    allowed = allowed_methods(event.path)
    if allowed:
        response = error(
            HTTPStatus.METHOD_NOT_ALLOWED, f"this path serves {', '.join(allowed)} only"
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    return error(HTTPStatus.NOT_FOUND, "no such route; see GET /messages/{message_id}")


def invocation_deadline(context: LambdaContext) -> Deadline:
    """No read starts unless it can finish before the function times out."""
    return Deadline(context.get_remaining_time_in_millis() / 1000, settings().call_budget.worst_s)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    message_store().deadline = invocation_deadline(context)
    response = app.resolve(event, context)
    annotate(tracer, status_code=int(response.get("statusCode", 0)))
    return response
