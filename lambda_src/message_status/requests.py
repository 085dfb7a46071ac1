"""Validation of query API requests, pure: raises BadRequest with a message users can act on."""

from __future__ import annotations

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
    """The id from ``/messages/{message_id}``, percent-decoded."""
    return checked_message_id(unquote(raw))


def batch_message_ids(body: str | None) -> list[str]:
    """The de-duplicated ids of a ``POST /messages/batch-get`` body, in request order."""
    try:
        document: Any = json.loads(body or "")
    except json.JSONDecodeError as err:
        raise BadRequest(f"request body is not valid JSON: {err.msg}") from err
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
