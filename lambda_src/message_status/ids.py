"""Message ids that the API can serve: shared by the transform and the query."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Final

from .model import MAX_MESSAGE_ID_LENGTH
from .text import NOT_UNICODE, is_valid_unicode


def _has_controls(value: str) -> bool:
    return any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in value)


# What makes a string no servable id, checked in this order: the first problem is the answer.
PROBLEMS: Final[tuple[tuple[Callable[[str], bool], str], ...]] = (
    (lambda value: not value, "message id is empty"),
    (
        lambda value: len(value) > MAX_MESSAGE_ID_LENGTH,
        f"message id is longer than {MAX_MESSAGE_ID_LENGTH} characters",
    ),
    (lambda value: not is_valid_unicode(value), f"message id {NOT_UNICODE}"),
    (lambda value: value != value.strip(), "message id has leading or trailing white space"),
    (_has_controls, "message id contains control characters"),
)


def message_id_problem(value: object) -> str | None:
    """Why ``value`` is not a servable message id, or None when it is one."""
    if not isinstance(value, str):
        return "message id must be a string"
    return next((problem for fails, problem in PROBLEMS if fails(value)), None)
