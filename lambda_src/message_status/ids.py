"""Message ids that the API can serve: shared by the transform and the query."""

from __future__ import annotations

import unicodedata

from .model import MAX_MESSAGE_ID_LENGTH


def message_id_problem(value: object) -> str | None:
    """Why ``value`` is not a servable message id, or None when it is one."""
    if not isinstance(value, str):
        return "message id must be a string"
    if not value:
        return "message id is empty"
    if len(value) > MAX_MESSAGE_ID_LENGTH:
        return f"message id is longer than {MAX_MESSAGE_ID_LENGTH} characters"
    if value != value.strip():
        return "message id has leading or trailing white space"
    if any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in value):
        return "message id contains control characters"
    return None
