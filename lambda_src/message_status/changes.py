"""What changed for a message between two stored items: the status-change event.

Pure. The stream function hands over the old and the new image of each table
record (plain values); both are read with ``item.from_item`` and their
statuses derived by ``record``, the code the API answers with, so there is
no second status logic. A change is published when the message's status or
finality changes, or when any recipient's status does.

The merge never goes back (a status only rises in precedence), so neither
can an event: tests/test_changes.py proves it over arbitrary event sets.

A write can ask not to be published: ``msgstatus backfill`` loads history
without announcing it (unless ``--publish-events``). The store then writes
``QUIET_MARKER`` holding the version it wrote, and a new image whose marker
equals its own version is no change to publish. Every write the store makes
is a whole PutItem built from the events, so the next live write carries no
marker: it is published, computed against the backfilled image as usual.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .item import POINTER_SEPARATOR, from_item, is_legacy
from .model import Channel, Status
from .record import MessageRecord, Outcome
from .timefmt import to_iso

DETAIL_TYPE: Final = "Message Status Changed"
DEFAULT_EVENT_SOURCE: Final = "message-status"
# The bookkeeping attribute of a write not to publish: the version it wrote (a number).
QUIET_MARKER: Final = "q"
# PutEvents takes at most 10 entries and 256 KB per request.
MAX_ENTRIES_PER_PUT: Final = 10
MAX_PUT_BYTES: Final = 256 * 1024


@dataclass(frozen=True)
class RecipientChange:
    recipient: str
    status: Status
    previous_status: Status | None
    is_final: bool


@dataclass(frozen=True)
class StatusChange:
    """One message's change between two writes, as consumers see it."""

    message_id: str
    channel: Channel
    source: str
    status: Status
    previous_status: Status | None  # None: the first write of this message
    is_final: bool
    status_changed: bool  # the message's own status or finality changed
    became_final: bool  # this change made the message final: once per message
    recipients: tuple[RecipientChange, ...]  # only those whose status changed
    sent_ms: int
    last_event_ms: int
    version: int
    correlation_id: str | None
    tenant: str | None = None
    aws_account_id: str | None = None  # the account the message was sent from
    aws_region: str | None = None  # the Region it was sent in

    def detail(self) -> dict[str, Any]:
        """The event's detail (docs/events/message-status-changed.schema.json)."""
        detail: dict[str, Any] = {
            "message_id": self.message_id,
            "channel": self.channel.value,
            "source": self.source,
            "status": self.status.value,
            "previous_status": None if self.previous_status is None else self.previous_status.value,
            "is_final": self.is_final,
            "status_changed": self.status_changed,
            "became_final": self.became_final,
            # The new statuses of the recipients below, for rule patterns: EventBridge
            # matches a list of values by any element ("any hard bounce").
            "recipient_statuses": sorted({change.status.value for change in self.recipients}),
            "recipients": [
                {
                    "recipient": change.recipient,
                    "status": change.status.value,
                    "previous_status": (
                        None if change.previous_status is None else change.previous_status.value
                    ),
                    "is_final": change.is_final,
                }
                for change in self.recipients
            ],
            "sent_at": to_iso(self.sent_ms),
            "last_event_at": to_iso(self.last_event_ms),
            "version": self.version,
        }
        if self.correlation_id:
            detail["correlation_id"] = self.correlation_id
        if self.tenant:
            detail["tenant"] = self.tenant
        if self.aws_account_id:
            detail["aws_account_id"] = self.aws_account_id
        if self.aws_region:
            detail["aws_region"] = self.aws_region
        return detail


def is_message_item(image: Mapping[str, Any] | None) -> bool:
    """A message's own item (either format), not a recipient pointer."""
    if not image or POINTER_SEPARATOR in str(image.get("message_id", "")):
        return False
    return "h" in image or is_legacy(image)


def written_quietly(image: Mapping[str, Any]) -> bool:
    """Whether ``image`` is a write that asked not to be published (its marker is its version)."""
    marker = image.get(QUIET_MARKER)
    return marker is not None and marker == image.get("version")


def _recipient_changes(
    before: Mapping[str, Outcome], after: Mapping[str, Outcome]
) -> tuple[RecipientChange, ...]:
    changes = []
    for recipient, outcome in after.items():
        previous = before.get(recipient)
        if previous is None or previous.status is not outcome.status:
            changes.append(
                RecipientChange(
                    recipient,
                    outcome.status,
                    None if previous is None else previous.status,
                    outcome.is_final,
                )
            )
    return tuple(changes)


def _changed_message(before: MessageRecord | None, after: MessageRecord) -> bool:
    if before is None:
        return True
    return (before.status, before.is_final) != (after.status, after.is_final)


def status_change(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> StatusChange | None:
    """The change from ``old`` to ``new`` (table images), or None when nothing a consumer
    follows changed: a removal (TTL), a pointer item, an event that only added history,
    or a write that asked not to be published (``written_quietly``).

    ValueError when an image is not an item this code can read.
    """
    if new is None or not is_message_item(new) or written_quietly(new):
        return None
    try:
        after = from_item(new)
        before = from_item(old) if old is not None and is_message_item(old) else None
        version = int(new.get("version", 0))
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise ValueError(f"image unreadable: {type(err).__name__}") from err
    recipients = _recipient_changes(
        {} if before is None else before.recipient_outcomes(), after.recipient_outcomes()
    )
    message_changed = _changed_message(before, after)
    if not message_changed and not recipients:
        return None
    return StatusChange(
        message_id=after.message_id,
        channel=after.channel,
        source=",".join(sorted(after.sources)),
        status=after.status,
        previous_status=None if before is None else before.status,
        is_final=after.is_final,
        status_changed=message_changed,
        became_final=after.is_final and (before is None or not before.is_final),
        recipients=recipients,
        sent_ms=after.sent_ms,
        last_event_ms=after.last_event_ms,
        version=version,
        correlation_id=after.correlation_id,
        tenant=after.tenant,
        aws_account_id=_text_or_none(after.attributes.get("aws_account_id")),
        aws_region=_text_or_none(after.attributes.get("aws_region")),
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def put_entry(change: StatusChange, source: str, bus: str) -> dict[str, Any]:
    """The PutEvents entry that publishes ``change``."""
    return {
        "Source": source,
        "DetailType": DETAIL_TYPE,
        "Detail": json.dumps(change.detail(), separators=(",", ":")),
        "EventBusName": bus,
    }


def entry_size(entry: Mapping[str, Any]) -> int:
    """An entry's size as PutEvents counts it (Source, DetailType, Detail, Resources)."""
    return sum(len(str(entry.get(key, "")).encode()) for key in ("Source", "DetailType", "Detail"))


def put_batches(entries: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """Positions of ``entries`` grouped into PutEvents requests: 10 and 256 KB at most each."""
    batches: list[list[int]] = []
    size = 0
    for position, entry in enumerate(entries):
        this = entry_size(entry)
        if not batches or len(batches[-1]) == MAX_ENTRIES_PER_PUT or size + this > MAX_PUT_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(position)
        size += this
    return batches
