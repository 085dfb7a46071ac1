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


def interpret(
    record_id: str, data: str, max_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> Interpretation:
    """Decode and normalize one Firehose record; never raises for bad input."""
    try:
        payload = base64.b64decode(data, validate=True)
        parsed = parse_record_data(payload, max_bytes)
    except (binascii.Error, ValueError, TypeError) as err:
        # InvalidEvent is a ValueError; binascii.Error covers bad base64.
        reason = str(err) if isinstance(err, InvalidEvent) else f"bad base64: {err}"
        return Interpretation(record_id, data, Disposition.INVALID, reason=reason)
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
