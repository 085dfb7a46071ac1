"""The query API's answers, sized to fit Lambda's response limit: pure, tested without AWS."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from .item import to_document

# Lambda answers at most 6 MB (6,291,456 bytes), and API Gateway passes the
# body on inside a JSON envelope where every quote and backslash is escaped:
# the body is budgeted at its escaped size, with room for the envelope.
MAX_BODY_BYTES: Final = 5_500_000


def escaped_size(value: Any) -> int:
    """Bytes ``value`` takes as a JSON text inside the JSON of a Lambda response."""
    return len(json.dumps(json.dumps(value, separators=(",", ":"))))


def batch_answer(
    ids: Sequence[str], items: Mapping[str, Mapping[str, Any]], budget: int = MAX_BODY_BYTES
) -> dict[str, Any]:
    """Documents in request order while they fit ``budget``; the rest as unprocessed_ids.

    The first document found is always answered (a single item is far below
    the limit), so a client that asks again for the unprocessed ids always
    makes progress, as with DynamoDB's UnprocessedKeys.
    """
    answer: dict[str, Any] = {"messages": [], "not_found": [], "unprocessed_ids": []}
    used = escaped_size(answer) + 2 * len(ids) * 3  # separators and quotes, generously
    for message_id in ids:
        if message_id not in items:
            answer["not_found"].append(message_id)
            used += escaped_size(message_id)
            continue
        if answer["unprocessed_ids"]:
            answer["unprocessed_ids"].append(message_id)
            continue
        document = to_document(items[message_id])
        size = escaped_size(document)
        if answer["messages"] and used + size > budget:
            answer["unprocessed_ids"].append(message_id)
            continue
        answer["messages"].append(document)
        used += size
    return answer
