"""Validation of query API requests, pure: raises BadRequest with a message users can act on."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote

from .ids import message_id_problem

MAX_BATCH_IDS = 100


class BadRequest(ValueError):
    """The request is malformed; the message is returned to the caller with a 400."""


def checked_message_id(value: object) -> str:
    if value is None:
        raise BadRequest("message_id is required")
    problem = message_id_problem(value)
    if problem:
        raise BadRequest(problem)
    return str(value)


def path_message_id(raw: str) -> str:
    """The id from ``/messages/{message_id}``, percent-decoded.

    An HTTP API hands the function its path already percent-decoded once; the id
    is decoded once more, so that an id holding "/" can be asked for (encoded
    twice, ``%252F``). A "%" that two hex digits do not follow stands for itself,
    as an id may hold one; percent-encoded bytes must be UTF-8.
    """
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError as err:
        raise BadRequest("message id in the path is not UTF-8 once percent-decoded") from err
    return checked_message_id(decoded)


def body_text(body: object, is_base64_encoded: object) -> str:
    """The request body as text; BadRequest when it is not base64 (if flagged so) or not UTF-8."""
    if body is None:
        return ""
    if not isinstance(body, str):
        raise BadRequest("request body must be a JSON document")
    raw = body.encode("utf-8", "surrogatepass")
    if is_base64_encoded is True:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as err:
            raise BadRequest("request body is marked base64 but is not valid base64") from err
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadRequest("request body must be UTF-8 JSON") from err


def json_body(text: str) -> Any:
    """The parsed body; BadRequest for anything json cannot read (deep nesting included)."""
    try:
        return json.loads(text)
    except RecursionError as err:
        raise BadRequest("request body is JSON nested too deeply") from err
    except ValueError as err:
        # JSONDecodeError, and integer literals longer than Python's digit limit.
        message = err.msg if isinstance(err, json.JSONDecodeError) else "a number is too long"
        raise BadRequest(f"request body is not valid JSON: {message}") from err


def batch_message_ids(body: str | None) -> list[str]:
    """The de-duplicated ids of a ``POST /messages/batch-get`` body, in request order."""
    document = json_body(body or "")
    if not isinstance(document, dict) or "message_ids" not in document:
        raise BadRequest('request body must be an object like {"message_ids": ["..."]}')
    ids = document["message_ids"]
    if not isinstance(ids, list) or not ids:
        raise BadRequest("message_ids must be a non-empty list")
    if len(ids) > MAX_BATCH_IDS:
        raise BadRequest(f"message_ids has {len(ids)} ids; the limit is {MAX_BATCH_IDS}")
    for position, value in enumerate(ids):
        problem = message_id_problem(value)
        if problem:
            raise BadRequest(f"message_ids[{position}]: {problem}")
    return list(dict.fromkeys(ids))
