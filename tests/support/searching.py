"""Calling `GET /messages` searches as a client does: one page, or every page."""

from __future__ import annotations

from typing import Any

from devkit.calls import Invoke, call_api
from tests.support.openapi import validate_response


def search(query: Invoke, **params: Any) -> tuple[int, dict]:
    """One page of a search; the answer is checked against the OpenAPI document."""
    status, body = call_api(query, "GET", "/messages", query={k: str(v) for k, v in params.items()})
    validate_response("/messages", "GET", status, body)
    return status, body


def ids(body: dict) -> list[str]:
    return [message["message_id"] for message in body["messages"]]


def all_pages(query: Invoke, **params: Any) -> list[str]:
    """The ids of every page of a search, following next_cursor."""
    found, cursor = [], None
    for _ in range(50):
        status, body = search(query, **params, **({"cursor": cursor} if cursor else {}))
        assert status == 200, body
        found += ids(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("paging did not end")
