"""Reading what the transform stored, as the API answers it."""

from __future__ import annotations

from typing import Any

from message_status.item import to_document

from devkit.calls import stored_item


def stored_document(client: Any, table_name: str, message_id: str) -> dict[str, Any] | None:
    """The API document of a stored message, or None when it has no item."""
    item = stored_item(client, table_name, message_id)
    return None if item is None else to_document(item)
