"""SQS handler: Firehose's error objects, healed, so that a bad minute needs no person.

When DynamoDB throttles, errs, is slow or unreachable, the transform answers
``ProcessingFailed`` for the records of the messages it could not write, and
Firehose writes them to ``errors/processing-failed/`` in the archive bucket.
S3 notifies the heal queue of each such object; the queue holds the
notification back a while (its delivery delay), then Lambda hands it to this
function, which reads the object and writes its records through the same
store as the transform (message_status.heal says why this, and not a failed
invocation that Firehose would retry).

One object per invocation (the mapping's batch size is 1), streamed in chunks
of records, each chunk written like one Firehose batch. What becomes of each
record and of the object is message_status.heal's: stored records' archive
lines go to ``events/``, poison goes once to ``errors/parked/``, and the
object is deleted, or, when time ran out after some progress, replaced by its
unread rest, which S3 notifies again. When the store still fails, the message
goes back to the queue (``batchItemFailures``) and SQS delivers it again after
its visibility timeout; after ``HEAL_MAX_ATTEMPTS`` receives it goes to the
dead-letter queue, the object stays for ``msgstatus replay``, and the records
count as given up. Nothing runs past the function's timeout: the store stops
early enough for the three S3 calls that settle the object.

No personal data leaves through traces, logs or metrics: object keys, record
ordinals, message ids, counts and error codes only.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cache
from typing import IO, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from message_status.budget import Deadline, HealBudgets, OutOfTime, heal_call_budgets
from message_status.call_errors import CALL_ERRORS, error_code
from message_status.error_output import (
    ErrorRecord,
    ErrorRecordReader,
    GzipLines,
    UnreadableObject,
    decode_utf8,
    inflate,
)
from message_status.events import NormalizedEvent
from message_status.heal import (
    CHUNK_RECORDS,
    OBJECTS_UNREADABLE,
    RECORDS_DROPPED,
    RECORDS_GIVEN_UP,
    RECORDS_HEALED,
    RECORDS_PARKED,
    RECORDS_RETRIED,
    BadNotification,
    Effect,
    Fate,
    ObjectCreated,
    Tally,
    archive_key,
    chunks_of,
    fate,
    is_healable,
    object_notifications,
    parked_key,
    retry_or_give_up,
    write_effect,
)
from message_status.item import ItemSettings
from message_status.objects import ArchiveBucket, ObjectGone
from message_status.pipeline import Disposition, archive_line_text, group_by_message, interpret
from message_status.settings import item_settings, positive_int, required, setting, text
from message_status.store import MessageStore
from message_status.tracing import annotate

SERVICE = setting("POWERTOOLS_SERVICE_NAME", text, "message-status-heal")
NAMESPACE = setting("POWERTOOLS_METRICS_NAMESPACE", text, "MessageStatus")
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
RESPONSE_MARGIN_S = 2.0
# What a spooled file holds in memory before it moves to /tmp.
SPOOL_MEMORY_BYTES = 8 * 1024 * 1024
READ_CHUNK_BYTES = 1024 * 1024
# Settling an object takes up to three S3 calls: parked records, archive lines, and
# the object's delete or its replacement by the rest.
CALLS_TO_SETTLE = 3


@dataclass(frozen=True)
class Settings:
    """What the deployment decides (lambda.tf sets each variable), read once: settings()."""

    table_name: str
    # The archive bucket: notifications of any other bucket are refused.
    bucket: str | None
    # Its DynamoDB and S3 calls' timeouts, from FUNCTION_TIMEOUT_SECONDS.
    budgets: HealBudgets
    item: ItemSettings
    correlation_key: str | None
    # The function's own Region (Lambda sets AWS_REGION), the delivery stream's: where an
    # event that names none was sent, as the transform records it.
    region: str | None
    # The heal queue's maxReceiveCount: the attempt after which a failure is final.
    max_attempts: int


@cache
def settings() -> Settings:
    """Read on first use, so importing the module needs no configuration."""
    return Settings(
        table_name=required("TABLE_NAME"),
        bucket=setting("ARCHIVE_BUCKET", text, None),
        budgets=heal_call_budgets(setting("FUNCTION_TIMEOUT_SECONDS", positive_int, 120)),
        item=item_settings(),
        correlation_key=setting("CORRELATION_KEY", text, None),
        region=setting("AWS_REGION", text, None),
        max_attempts=setting("HEAL_MAX_ATTEMPTS", positive_int, 6),
    )


@cache
def message_store() -> MessageStore:
    """The transform's store, with the heal function's call budget."""
    config = settings()
    return MessageStore(
        boto3.client("dynamodb", config=config.budgets.store.config),
        config.table_name,
        config.item,
    )


@cache
def s3_client() -> Any:
    return boto3.client("s3", config=settings().budgets.objects.config)


# --- one object ------------------------------------------------------------------------


@dataclass
class Report:
    """What became of one notified object, for the metrics, the logs and the queue."""

    key: str
    fate: Fate
    tally: Tally = field(default_factory=Tally)
    error_code: str | None = None  # of an S3 call that failed
    problem: str | None = None  # why the object is unreadable
    failed_codes: Counter[str] = field(default_factory=Counter)

    @property
    def retry(self) -> bool:
        """Whether the notification goes back to the queue (for another attempt, or for the
        dead-letter queue after the last one)."""
        return self.fate in (Fate.RETRY, Fate.GIVEN_UP)


@dataclass
class Outputs:
    """The files one object's records are sorted into, each gzip-compressed as it is written."""

    parked: GzipLines
    archive: GzipLines
    rest: GzipLines

    def close(self) -> None:
        for lines in (self.parked, self.archive, self.rest):
            lines.close()


class Healer:
    """Heals one notified object within the invocation's deadlines."""

    def __init__(
        self, note: ObjectCreated, attempt: int, store: MessageStore, bucket: ArchiveBucket
    ) -> None:
        self.note = note
        self.attempt = attempt
        self.store = store
        self.bucket = bucket
        self.config = settings()
        self.report = Report(note.key, Fate.RESOLVED)

    @property
    def tally(self) -> Tally:
        return self.report.tally

    def run(self) -> Report:
        with ExitStack() as files:
            downloaded, parked, archive, rest = (files.enter_context(spooled()) for _ in range(4))
            try:
                self.bucket.download(self.note.key, self.note.etag, downloaded)
            except ObjectGone:
                return self.settled_as(Fate.GONE)
            except CALL_ERRORS as err:
                return self.failed_call(err)
            outputs = Outputs(GzipLines(parked), GzipLines(archive), GzipLines(rest))
            reader = ErrorRecordReader(decode_utf8(inflate(file_chunks(downloaded))))
            try:
                self.heal_records(reader, outputs)
                self.report.fate = fate(self.tally, self.attempt, self.config.max_attempts)
                if self.report.fate is Fate.CONTINUED:
                    self.carry_text(reader.rest(), outputs.rest)
                elif self.report.fate is Fate.GIVEN_UP:
                    self.tally.unreached += sum(1 for _ in reader)  # never read: given up too
            except UnreadableObject as err:
                self.report.problem = str(err)
                return self.settled_as(Fate.UNREADABLE)
            except OutOfTime as err:  # the rest could not be carried over in time
                return self.failed_call(err)
            outputs.close()
            if self.report.fate in (Fate.RESOLVED, Fate.CONTINUED):
                self.settle(outputs, parked, archive, rest)
        return self.report

    def settled_as(self, outcome: Fate) -> Report:
        self.report.fate = outcome
        return self.report

    def failed_call(self, err: Exception) -> Report:
        """An S3 call failed: the object stays, for another attempt."""
        self.report.error_code = error_code(err)
        return self.settled_as(retry_or_give_up(self.attempt, self.config.max_attempts))

    # --- records ---------------------------------------------------------------------

    def heal_records(self, reader: ErrorRecordReader, outputs: Outputs) -> None:
        """Every record, chunk by chunk, while the store has time; the rest is carried over."""
        for chunk in chunks_of(reader, CHUNK_RECORDS):
            if self.out_of_time():
                self.carry(chunk, outputs.rest)
                return
            self.heal_chunk(chunk, outputs)
            if self.tally.unreached:  # a write could not start: time is up
                return

    def out_of_time(self) -> bool:
        deadline = self.store.deadline
        return deadline.remaining() < deadline.call_worst_s

    def heal_chunk(self, chunk: Sequence[ErrorRecord], outputs: Outputs) -> None:
        events: list[tuple[ErrorRecord, NormalizedEvent]] = []
        for record in chunk:
            event = self.interpret(record, outputs)
            if event is not None:
                events.append((record, event))
        if not events:
            return
        self.tally.events += len(events)
        outcomes = self.store.apply_all(group_by_message(event for _, event in events))
        for record, event in events:
            outcome = outcomes.get(event.message_id)
            effect = write_effect(outcome)
            if effect is Effect.STORED:
                outputs.archive.write(archive_line_text(event))
                self.tally.stored += 1
            elif effect is Effect.POISON:
                self.park(record, outputs, outcome.error if outcome else None)
            elif effect is Effect.FAILED:
                self.tally.failed += 1
                code = outcome.error_code if outcome is not None else None
                self.report.failed_codes[code or "Unknown"] += 1
            else:
                outputs.rest.write(record.text)
                self.tally.unreached += 1

    def interpret(self, record: ErrorRecord, outputs: Outputs) -> NormalizedEvent | None:
        """The record's delivery event; None when it is poison (parked) or not one (dropped)."""
        if record.raw_data is None:
            self.park(record, outputs, "error record has no rawData string")
            return None
        interpretation = interpret(
            str(record.ordinal),
            record.raw_data,
            correlation_key=self.config.correlation_key,
            region=self.config.region,
        )
        if interpretation.disposition is Disposition.INVALID:
            self.park(record, outputs, interpretation.reason)
            return None
        if interpretation.disposition is Disposition.SKIPPED:
            self.tally.dropped += 1
        return interpretation.event

    def park(self, record: ErrorRecord, outputs: Outputs, reason: str | None) -> None:
        logger.warning(
            "record can never be stored: it goes to errors/parked/ once its object is settled",
            extra={"key": self.note.key, "record": record.ordinal, "reason": reason},
        )
        outputs.parked.write(record.text)
        self.tally.poison += 1

    def carry(self, chunk: Sequence[ErrorRecord], rest: GzipLines) -> None:
        for record in chunk:
            rest.write(record.text)
        self.tally.unreached += len(chunk)

    def carry_text(self, texts: Iterator[str], rest: GzipLines) -> None:
        """The text never read, copied over as it is, while there is time to write it."""
        deadline = self.bucket.deadline
        for piece in texts:
            if deadline.remaining() < CALLS_TO_SETTLE * deadline.call_worst_s:
                raise OutOfTime("no time left to carry the rest of the object over")
            rest.write_text(piece)

    # --- the object ------------------------------------------------------------------

    def settle(
        self, outputs: Outputs, parked: IO[bytes], archive: IO[bytes], rest: IO[bytes]
    ) -> None:
        """Parked records and archive lines first, then the object goes (or becomes its
        rest): until that last call, a crash leaves the object to be healed again, and the
        same outputs are written under the same keys."""
        note = self.note
        try:
            if outputs.parked.lines:
                self.bucket.put(parked_key(note.key, note.etag), parked)
            if outputs.archive.lines:
                self.bucket.put(archive_key(note.key, note.etag, note.event_time), archive)
            if self.report.fate is Fate.CONTINUED:
                self.bucket.put(note.key, rest, if_match=note.etag)
            else:
                self.bucket.delete(note.key, note.etag)
        except ObjectGone:
            # Replaced or deleted meanwhile by another invocation for the same object
            # (a duplicate notification): what it left is a part of what was read here.
            return
        except CALL_ERRORS as err:
            self.failed_call(err)


def spooled() -> tempfile.SpooledTemporaryFile[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)


def file_chunks(file: IO[bytes]) -> Iterator[bytes]:
    file.seek(0)
    while chunk := file.read(READ_CHUNK_BYTES):
        yield chunk


# --- the invocation ----------------------------------------------------------------------


def deadlines(context: LambdaContext) -> tuple[Deadline, Deadline]:
    """(S3's, the store's): the store stops early enough for the calls that settle the object."""
    budgets = settings().budgets
    remaining_s = context.get_remaining_time_in_millis() / 1000 - RESPONSE_MARGIN_S
    return (
        Deadline(remaining_s, budgets.objects.worst_s),
        Deadline(remaining_s - budgets.finish_reserve_s, budgets.store.worst_s),
    )


def receive_count(message: Mapping[str, Any]) -> int:
    """Which attempt this is: SQS's ApproximateReceiveCount (1 on the first receive)."""
    try:
        return max(1, int((message.get("attributes") or {}).get("ApproximateReceiveCount", 1)))
    except (TypeError, ValueError):
        return 1


def log_bad_message(message: Mapping[str, Any], reason: str) -> None:
    logger.error(
        "message is not an S3 notification: deleted, nothing to heal",
        extra={"message_id": message.get("messageId"), "reason": reason},
    )


def heal_message(message: Mapping[str, Any], context: LambdaContext) -> list[Report]:
    """Every object one SQS message tells of (S3 sends one per message)."""
    try:
        notes = object_notifications(str(message.get("body", "")))
    except BadNotification as err:
        log_bad_message(message, str(err))
        return []
    reports = []
    config = settings()
    for note in notes:
        if not is_healable(note.key) or (config.bucket and note.bucket != config.bucket):
            logger.warning("notification outside the healed prefix", extra={"key": note.key})
            continue
        s3_deadline, store_deadline = deadlines(context)
        store = message_store()
        store.deadline = store_deadline
        bucket = ArchiveBucket(s3_client(), note.bucket, s3_deadline)
        reports.append(Healer(note, receive_count(message), store, bucket).run())
    return reports


def log_report(report: Report) -> None:
    tally = report.tally
    extra = {
        "key": report.key,
        "fate": report.fate.value,
        "stored": tally.stored,
        "parked": tally.poison,
        "dropped": tally.dropped,
        "failed": tally.failed,
        "unreached": tally.unreached,
        "error_code": report.error_code,
        "problem": report.problem,
        "failed_codes": dict(report.failed_codes.most_common()),
    }
    if report.fate is Fate.GIVEN_UP:
        logger.error(
            "given up after the last attempt: the object stays in errors/ for a person", extra=extra
        )
    elif report.fate is Fate.UNREADABLE:
        logger.error("error object unreadable: left as it is, for a person", extra=extra)
    elif report.fate is Fate.RETRY:
        logger.warning("store still failing: the notification goes back to the queue", extra=extra)
    else:
        logger.info("error object handled", extra=extra)


def record_metrics(reports: Sequence[Report]) -> None:
    counts: Counter[str] = Counter()
    for report in reports:
        tally = report.tally
        counts[RECORDS_RETRIED] += tally.events
        if report.fate in (Fate.RESOLVED, Fate.CONTINUED):
            counts[RECORDS_HEALED] += tally.stored
            counts[RECORDS_DROPPED] += tally.dropped
            counts[RECORDS_PARKED] += tally.poison
        if report.fate is Fate.GIVEN_UP:
            # What is left in the object for a person: all but the stored and dropped.
            counts[RECORDS_GIVEN_UP] += tally.failed + tally.unreached + tally.poison
        counts[OBJECTS_UNREADABLE] += report.fate is Fate.UNREADABLE
    names = (
        RECORDS_RETRIED,
        RECORDS_HEALED,
        RECORDS_DROPPED,
        RECORDS_PARKED,
        RECORDS_GIVEN_UP,
        OBJECTS_UNREADABLE,
    )
    for name in names:
        metrics.add_metric(name, MetricUnit.Count, counts[name])
    annotate(tracer, objects=len(reports), **{name: counts[name] for name in names})


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    messages = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(messages, list):
        raise TypeError("not an SQS event: no Records list")
    failures = []
    every_report = []
    for message in messages:
        reports = heal_message(message, context)
        for report in reports:
            log_report(report)
        every_report += reports
        if any(report.retry for report in reports):
            failures.append({"itemIdentifier": message.get("messageId")})
    record_metrics(every_report)
    return {"batchItemFailures": failures}
