"""An archive line read back: the inverse of NormalizedEvent.archive_line, pure.

The module's ``events/`` archive holds one line per event (pipeline.archive_data:
``archive_line()`` without its null fields). ``from_archive_line`` rebuilds the
event exactly, so that the table can be rebuilt from the archive through the
same merge as live traffic.

* The status, the finality and the channel are derived from the kind, the
  detail, the event type and the source, as the parsers derive them, and must
  agree with what the line says: a line that does not is corrupt, not an event
  to guess at.
* ``destinations`` is not on the line: it is derived as the parsers derive it,
  from the recipients the event names plus ``destination`` (email) or
  ``destination_phone_number`` (SMS). The one case where that can differ is a
  phone number whose text passes the 256 bytes kept of an attribute, which no
  source sends.
* Lines of v0.1.0 have no ``recipients``, ``sent_at`` or ``correlation_id``:
  those are then empty, as v0.1.0's events were. The correlation id is the one
  the line carries, whatever ``correlation_key`` is now.
* Lines written before ``automated`` and ``tenant`` existed have neither: a
  human's event of no tenant, as the parsers took them then. ``automated`` is
  true only on an open or click (the parsers mark no other kind).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from .events import InvalidEvent, NormalizedEvent
from .model import ALL_ATTRIBUTES, AUTOMATABLE_KINDS, Channel, Kind, Source, kind_channel
from .parse import (
    MAX_PRICE_MILLICENTS,
    clip,
    compact,
    correlation_value,
    event_final,
    event_status,
    millicents,
    opt_bool,
    opt_number,
    opt_str,
    opt_str_list,
    recipients_of,
    req_epoch_ms,
    req_iso_ms,
    req_message_id,
    req_str,
    tenant_value,
)

# Keys that only an archive line has at its top level: the source events nest
# their message id (Pinpoint, SES) or spell it messageId (SMS v2).
ARCHIVE_LINE_MARKERS = ("message_id", "kind", "event_time_ms")
E = TypeVar("E", bound=StrEnum)
TEXT_ATTRIBUTES = tuple(
    name for name in ALL_ATTRIBUTES if name not in ("destination", "price_in_millicents_usd")
)


def is_archive_line(document: Mapping[str, Any]) -> bool:
    """Whether a decoded JSON object is one of the module's own archive lines."""
    return all(key in document for key in ARCHIVE_LINE_MARKERS)


def _member(enum: type[E], line: Mapping[str, Any], key: str) -> E:
    value = req_str(line, key)
    try:
        return enum(value)
    except ValueError as err:
        raise InvalidEvent(f"{key}: unknown value") from err


def _text(line: Mapping[str, Any], key: str) -> str | None:
    """A free text as the line has it: absent or null is None, "" stays "" (the parsers keep it)."""
    value = line.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEvent(f"{key}: expected a string")
    return clip(value)


def _time_ms(line: Mapping[str, Any]) -> int:
    if line.get("event_time_ms") is None:
        return req_iso_ms(line, "event_time")
    return req_epoch_ms(line, "event_time_ms")


def _sent_ms(line: Mapping[str, Any]) -> int | None:
    return None if line.get("sent_at") is None else req_iso_ms(line, "sent_at")


def _attributes(line: Mapping[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = {name: opt_str(line, name) for name in TEXT_ATTRIBUTES}
    attributes["destination"] = opt_str_list(line, "destination")
    attributes["price_in_millicents_usd"] = millicents(
        opt_number(line, "price_in_millicents_usd", 0, MAX_PRICE_MILLICENTS)
    )
    return compact(attributes)


def _automated(line: Mapping[str, Any], kind: Kind) -> bool:
    automated = bool(opt_bool(line, "automated"))
    if automated and kind not in AUTOMATABLE_KINDS:
        raise InvalidEvent("automated: only an open or a click can be automated")
    return automated


def _tenant(line: Mapping[str, Any]) -> str | None:
    value = line.get("tenant")
    if value is None:
        return None
    tenant = tenant_value(value)
    if tenant is None:
        raise InvalidEvent("tenant: not an SES tenant name")
    return tenant


def destinations_of(attributes: Mapping[str, Any], recipients: tuple[str, ...]) -> tuple[str, ...]:
    """Every recipient the event knows of, as the parsers derive them."""
    return recipients_of(
        [
            *(attributes.get("destination") or ()),
            attributes.get("destination_phone_number"),
            *recipients,
        ]
    )


def from_archive_line(line: object) -> NormalizedEvent:
    """The event an archive line was written from; InvalidEvent when the line is not one."""
    if not isinstance(line, Mapping):
        raise InvalidEvent("archive line is not a JSON object")
    kind = _member(Kind, line, "kind")
    channel = _member(Channel, line, "channel")
    if channel is not kind_channel(kind):
        raise InvalidEvent("channel: does not match the kind")
    source = _member(Source, line, "source")
    event_type = req_str(line, "event_type")
    detail = _text(line, "detail")
    status = event_status(kind, detail, event_type)
    if line.get("status") != status.value:
        raise InvalidEvent("status: does not follow from the kind and the detail")
    said_final = opt_bool(line, "event_is_final")
    final = event_final(channel, status, source, said_final, event_type)
    if said_final is not final:
        raise InvalidEvent("event_is_final: does not follow from the status and the source")
    attributes = _attributes(line)
    recipients = recipients_of(opt_str_list(line, "recipients") or ())
    return NormalizedEvent(
        message_id=req_message_id(line, "message_id"),
        channel=channel,
        source=source,
        event_type=event_type,
        kind=kind,
        status=status,
        final=final,
        time_ms=_time_ms(line),
        detail=detail,
        description=_text(line, "description"),
        attributes=attributes,
        recipients=recipients,
        destinations=destinations_of(attributes, recipients),
        sent_ms=_sent_ms(line),
        correlation_id=correlation_value(line.get("correlation_id")),
        automated=_automated(line, kind),
        tenant=_tenant(line),
    )
