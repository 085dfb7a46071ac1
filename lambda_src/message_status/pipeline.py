"""Firehose batch logic, pure: decode records, group events, and decide each record's result.

The handler supplies the DynamoDB outcomes; everything else happens here, so
the Firehose contract (each recordId exactly once, failures kept with their
original data) is tested without AWS.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from .events import InvalidEvent, NormalizedEvent, NotADeliveryEvent
from .outcomes import WriteOutcome, WriteResult
from .parse import DEFAULT_MAX_EVENT_BYTES, parse_record_data

OK = "Ok"
DROPPED = "Dropped"
FAILED = "ProcessingFailed"


class Disposition(StrEnum):
    EVENT = "event"  # a delivery event: goes to the table and the archive
    SKIPPED = "skipped"  # valid, but not about delivery: dropped, table untouched
    INVALID = "invalid"  # cannot be parsed: ProcessingFailed with its original data


@dataclass(frozen=True)
class Interpretation:
    record_id: str
    data: str  # the original base64 data, returned untouched on failure
    disposition: Disposition
    event: NormalizedEvent | None = None
    reason: str | None = None


def decode_base64(data: str) -> bytes:
    """A record's payload; InvalidEvent when ``data`` is not base64."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as err:  # ValueError: non-ASCII characters
        raise InvalidEvent(f"record data is not base64: {err}") from err


def interpret(
    record_id: str, data: str, max_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> Interpretation:
    """Decode and normalize one Firehose record.

    Bad input (bad base64, not JSON, not an event, a field of the wrong type or
    out of range) becomes an INVALID interpretation. Only InvalidEvent is
    caught: any other exception is a bug in the parser, and surfaces.
    """
    try:
        parsed = parse_record_data(decode_base64(data), max_bytes)
    except InvalidEvent as err:
        return Interpretation(record_id, data, Disposition.INVALID, reason=str(err))
    if isinstance(parsed, NotADeliveryEvent):
        return Interpretation(record_id, data, Disposition.SKIPPED, reason=parsed.event_type)
    return Interpretation(record_id, data, Disposition.EVENT, event=parsed)


def group_by_message(
    interpretations: Iterable[Interpretation],
) -> dict[str, list[NormalizedEvent]]:
    groups: dict[str, list[NormalizedEvent]] = {}
    for interpretation in interpretations:
        if interpretation.event is not None:
            groups.setdefault(interpretation.event.message_id, []).append(interpretation.event)
    return groups


def archive_data(event: NormalizedEvent) -> str:
    """One newline-terminated JSON line, base64-encoded for Firehose."""
    line = json.dumps(event.archive_line(), separators=(",", ":"), sort_keys=True) + "\n"
    return base64.b64encode(line.encode()).decode()


def record_result(
    interpretation: Interpretation, outcomes: Mapping[str, WriteOutcome]
) -> tuple[str, str]:
    """(result, data) for one record, given the write outcome of its message."""
    if interpretation.disposition is Disposition.INVALID:
        return FAILED, interpretation.data
    if interpretation.disposition is Disposition.SKIPPED or interpretation.event is None:
        return DROPPED, interpretation.data
    outcome = outcomes.get(interpretation.event.message_id)
    if outcome is None or outcome.result is WriteResult.FAILED:
        return FAILED, interpretation.data
    return OK, archive_data(interpretation.event)
