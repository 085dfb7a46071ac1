"""Firehose batch logic, pure: decode records, group events, and decide each record's result.

The handler supplies the DynamoDB outcomes; everything else happens here, so
the Firehose contract (each recordId exactly once, failures kept with their
original data) is tested without AWS.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .events import InvalidEvent, NormalizedEvent, NotADeliveryEvent
from .outcomes import WriteOutcome, WriteResult
from .parse import DEFAULT_MAX_EVENT_BYTES, parse_record_data

OK = "Ok"
DROPPED = "Dropped"
FAILED = "ProcessingFailed"
# Lambda's synchronous response limit is 6 MB (6,291,456 bytes); the response
# stays under this, envelope included, whatever the batch holds.
RESPONSE_BUDGET_BYTES = 6_000_000


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
    record_id: str,
    data: str,
    max_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    correlation_key: str | None = None,
    region: str | None = None,
) -> Interpretation:
    """Decode and normalize one Firehose record.

    Bad input (bad base64, not JSON, not an event, a field of the wrong type or
    out of range) becomes an INVALID interpretation. Only InvalidEvent is
    caught: any other exception is a bug in the parser, and surfaces. ``region`` is
    the Region of the delivery stream, recorded on events that name none.
    """
    try:
        parsed = parse_record_data(decode_base64(data), max_bytes, correlation_key, region)
    except InvalidEvent as err:
        return Interpretation(record_id, data, Disposition.INVALID, reason=str(err))
    if isinstance(parsed, NotADeliveryEvent):
        return Interpretation(record_id, data, Disposition.SKIPPED, reason=parsed.event_type)
    return Interpretation(record_id, data, Disposition.EVENT, event=parsed)


def interpret_record(
    raw: object, correlation_key: str | None = None, region: str | None = None
) -> Interpretation:
    """One record as Firehose sends it, whatever it holds: never raises.

    A record without a string ``data`` (or that is not an object) is invalid;
    its recordId is echoed back as given (as a string), so that it is answered.
    """
    if not isinstance(raw, Mapping):
        return Interpretation("", "", Disposition.INVALID, reason="record is not an object")
    record_id = raw.get("recordId")
    record_id = record_id if isinstance(record_id, str) else ""
    data = raw.get("data")
    if not isinstance(data, str):
        return Interpretation(
            record_id, "", Disposition.INVALID, reason="record has no base64 data string"
        )
    return interpret(record_id, data, correlation_key=correlation_key, region=region)


def group_by_message(events: Iterable[NormalizedEvent]) -> dict[str, list[NormalizedEvent]]:
    """Events by message id, each message's in the order given: what the store's apply_all
    takes, from the transform, the heal function and the backfill alike."""
    groups: dict[str, list[NormalizedEvent]] = {}
    for event in events:
        groups.setdefault(event.message_id, []).append(event)
    return groups


def events_of(interpretations: Iterable[Interpretation]) -> Iterator[NormalizedEvent]:
    """The delivery events among ``interpretations`` (skipped and invalid records have none)."""
    return (i.event for i in interpretations if i.event is not None)


def archive_line_text(event: NormalizedEvent) -> str:
    """One newline-terminated JSON line, as the archive holds it; null fields left out
    (Athena reads a missing key as null, and tiny events stay small)."""
    fields = {key: value for key, value in event.archive_line().items() if value is not None}
    return json.dumps(fields, separators=(",", ":"), sort_keys=True) + "\n"


def archive_data(event: NormalizedEvent) -> str:
    """The archive line, base64-encoded for Firehose."""
    return base64.b64encode(archive_line_text(event).encode()).decode()


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


@dataclass(frozen=True)
class RecordResult:
    record_id: str
    result: str
    data: str


def _response_size(record_id: str, result: str, data: str) -> int:
    """Bytes one record takes in the response as Lambda serializes it (json.dumps, plus ", ")."""
    return len(json.dumps({"recordId": record_id, "result": result, "data": data})) + 2


def firehose_results(
    interpretations: Sequence[Interpretation],
    outcomes: Mapping[str, WriteOutcome],
    budget: int = RESPONSE_BUDGET_BYTES,
) -> list[RecordResult]:
    """Every record's result, in order, in a response that fits ``budget`` by construction.

    An archive line can be larger than the record it comes from (a tiny event
    gains the line's fixed fields), so a batch of tiny records could answer
    more than Lambda's 6 MB. A record keeps its Ok line when that makes the
    response smaller, or when the response still fits with room left for every
    later record to come back as it came in; otherwise it comes back
    ProcessingFailed with its original data, which Firehose writes to errors/
    (its table write is already done, so a replay only archives it). Records
    coming back with their own data make a response no larger than Firehose's
    request, itself under 6 MB, so the response never passes max(budget, the
    request's size).
    """
    planned = [(i, *record_result(i, outcomes)) for i in interpretations]
    fail_sizes = [_response_size(i.record_id, FAILED, i.data) for i in interpretations]
    reserve = sum(fail_sizes)
    total = 0
    answered: list[RecordResult] = []
    for (interpretation, planned_result, line), fail_size in zip(planned, fail_sizes, strict=True):
        reserve -= fail_size
        answer = RecordResult(interpretation.record_id, planned_result, line)
        size = _response_size(answer.record_id, answer.result, answer.data)
        if answer.result == OK and size > fail_size and total + size + reserve > budget:
            answer = RecordResult(interpretation.record_id, FAILED, interpretation.data)
            size = fail_size
        total += size
        answered.append(answer)
    return answered
