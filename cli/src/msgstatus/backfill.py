"""Loading history from S3 into the table: every object under a prefix, through the core's merge.

Each object is read by the core's reader (message_status.archive: the three
formats Firehose writes, gzip or not, records concatenated or one a line;
source events, the module's archive lines and Firehose's error records), its
events grouped by message, and the groups written 100 messages at a time by
the transform's own store (MessageStore.apply_all: one BatchGetItem, then a
conditional write per message that changed, pointer items first). So a
backfill after live traffic never lowers a status and never duplicates
history, and running it again writes nothing.

What cannot be parsed is reported by object key and position (record
ordinal, byte offset), with the reader's reason, never with its content, and
never stops the run. A message the store could not write for a passing
reason (throttling, a 5xx, a race that did not settle) is tried again after
a pause, a few rounds; if it still fails, the run stops before the object is
recorded as done, to resume there. A refusal that no retry cures (the table
is missing, access is denied) stops the run at once with its error code.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from message_status.archive import Event, Skipped, Unreadable, read_object
from message_status.call_errors import error_code
from message_status.events import NormalizedEvent
from message_status.item import ItemSettings, expires_at
from message_status.outcomes import WriteOutcome, WriteResult
from message_status.pipeline import group_by_message
from message_status.record import fold
from message_status.store import MessageStore

from msgstatus.checkpoint import Checkpoint
from msgstatus.errors import CliError

MESSAGES_PER_WRITE = 100  # one BatchGetItem's worth
WRITE_ROUNDS = 6  # tries of a message whose write failed for a passing reason
ROUND_BASE_DELAY_S = 1.0
ROUND_MAX_DELAY_S = 30.0
UNREADABLE_KEPT = 1000  # reports kept for the summary; the count goes on
# Failures that another try may cure; any other error code stops the run.
PASSING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "ConditionalCheckFailedException",  # a race with live traffic that did not settle
        "TransactionConflictException",
        "UnprocessedKeys",
        "UnprocessedItems",
        "ReadTimeoutError",
        "ConnectTimeoutError",
        "ConnectionClosedError",
        "EndpointConnectionError",
    }
)


@dataclass(frozen=True)
class Source:
    """An S3 prefix: ``s3://bucket/prefix``."""

    bucket: str
    prefix: str = ""

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @classmethod
    def parse(cls, text: str) -> Source:
        if not text.startswith("s3://"):
            raise CliError(f"not an S3 URL (s3://bucket/prefix): {text!r}")
        bucket, _, prefix = text.removeprefix("s3://").partition("/")
        if not bucket:
            raise CliError(f"no bucket in {text!r}: s3://bucket/prefix")
        return cls(bucket, prefix)


@dataclass(frozen=True)
class ObjectRef:
    key: str
    etag: str


@dataclass(frozen=True)
class Unparsed:
    """A record that could not be read: where it is and why, never what it holds."""

    key: str
    record: int | None  # its ordinal in the object, from 1; None: the object itself
    offset: int  # its byte offset in the decompressed object
    reason: str

    def line(self, bucket: str) -> str:
        where = "the object" if self.record is None else f"record {self.record}"
        return f"s3://{bucket}/{self.key}: {where} at byte {self.offset}: {self.reason}"


@dataclass
class BackfillSummary:
    source: str
    table: str | None
    dry_run: bool
    publish_events: bool
    checkpoint: str | None
    objects_listed: int = 0
    objects_read: int = 0
    objects_already_done: int = 0
    events: int = 0
    not_delivery_events: int = 0  # valid events that say nothing about delivery: skipped
    messages: int = 0  # distinct messages per object, summed over the objects
    messages_written: int = 0
    messages_unchanged: int = 0
    # Sent longer ago than the retention: their item would be expired at once (TTL).
    messages_expired: int = 0
    messages_failed: int = 0  # a stored item the store cannot read or write: left alone
    unparsed: int = 0
    unparsed_records: list[Unparsed] = field(default_factory=list)
    failed_messages: list[str] = field(default_factory=list)
    write_units: float = 0.0
    throttled_writes: int = 0
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.unparsed == 0 and self.messages_failed == 0

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["unparsed_records"] = [asdict(u) for u in self.unparsed_records]
        document["write_units"] = round(self.write_units, 1)
        document["elapsed_s"] = round(self.elapsed_s, 1)
        return {**document, "ok": self.ok}

    def lines(self) -> list[str]:
        into = "dry run: nothing was written" if self.dry_run else f"into table {self.table}"
        lines = [
            f"backfill of {self.source} {into}",
            f"objects: {self.objects_read} read, {self.objects_already_done} already done "
            f"(checkpoint), {self.objects_listed} listed",
            f"events: {self.events} read, {self.not_delivery_events} not about delivery "
            f"(skipped), {self.unparsed} records could not be parsed",
        ]
        if self.dry_run:
            lines.append(
                f"messages: {self.messages} (counted once per object), {self.messages_expired} "
                "older than the retention (would not be written)"
            )
        else:
            lines.append(
                f"messages: {self.messages_written} written, {self.messages_unchanged} "
                f"unchanged, {self.messages_expired} older than the retention (not written), "
                f"{self.messages_failed} not written (stored item unusable)"
            )
            published = "published" if self.publish_events else "not published (quiet writes)"
            lines.append(
                f"write units: {self.write_units:.0f} ({self.throttled_writes} writes throttled); "
                f"status changes {published}"
            )
        lines.append(f"elapsed: {self.elapsed_s:.1f} s")
        lines += [f"could not parse: {u.line(self.source_bucket)}" for u in self.unparsed_records]
        if self.unparsed > len(self.unparsed_records):
            lines.append(f"... and {self.unparsed - len(self.unparsed_records)} more")
        lines += [f"not written (stored item unusable): {m}" for m in self.failed_messages]
        if self.checkpoint and not self.dry_run:
            lines.append(f"checkpoint: {self.checkpoint}")
        return lines

    @property
    def source_bucket(self) -> str:
        return Source.parse(self.source).bucket


@dataclass(frozen=True)
class BackfillOptions:
    source: Source
    table: str | None  # None: a dry run
    correlation_key: str | None = None
    item: ItemSettings = ItemSettings()  # noqa: RUF009 - frozen
    # The transform's Region: recorded on a source event that names none, as it does.
    region: str | None = None
    dry_run: bool = False
    publish_events: bool = False


@dataclass(frozen=True)
class Hooks:
    """How the run waits, measures time and tells the user how far it is."""

    sleep: Callable[[float], None]
    clock: Callable[[], float]
    jitter: Callable[[], float] = random.random
    progress: Callable[[BackfillSummary], None] = lambda _summary: None
    write_units: Callable[[], float] = lambda: 0.0  # units used so far
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000)  # wall clock, for the TTL
    throttled: Callable[[], int] = lambda: 0


# --- listing and reading -------------------------------------------------------------------


# What an error code means, in a few words, for the errors a user can act on.
AWS_HINTS = {
    "NoSuchBucket": "no such bucket",
    "AccessDenied": "access denied",
    "AccessDeniedException": "access denied",
    "AllAccessDisabled": "access denied",
    "ResourceNotFoundException": "not found",
    "NoCredentialsError": "no AWS credentials found (profile, environment or role)",
    "ExpiredToken": "the AWS credentials have expired",
    "ExpiredTokenException": "the AWS credentials have expired",
    "InvalidAccessKeyId": "the AWS access key is not valid",
    "UnrecognizedClientException": "the AWS credentials are not valid",
    "EndpointConnectionError": "AWS could not be reached",
}


def aws_failure(err: ClientError | BotoCoreError, doing: str) -> CliError:
    """One line naming what failed and the error code, never AWS's message (it can echo
    request values)."""
    code = error_code(err)
    hint = AWS_HINTS.get(code)
    return CliError(f"{doing}: {hint} ({code})" if hint else f"{doing} failed ({code})")


def list_objects(s3: Any, source: Source) -> Iterator[ObjectRef]:
    """Every object under the prefix, in key order, a page (1,000 keys) at a time."""
    paginator = s3.get_paginator("list_objects_v2")
    try:
        for page in paginator.paginate(Bucket=source.bucket, Prefix=source.prefix):
            for entry in page.get("Contents") or []:
                key = str(entry["Key"])
                if not key.endswith("/"):
                    yield ObjectRef(key, str(entry.get("ETag", "")).strip('"'))
    except (ClientError, BotoCoreError) as err:
        raise aws_failure(err, f"listing {source.url}") from err


def get_object(s3: Any, bucket: str, ref: ObjectRef) -> tuple[bytes, str] | None:
    """The object's bytes and the ETag of what was read; None when it was deleted after it
    was listed (a lifecycle rule expiring it, say)."""
    try:
        response = s3.get_object(Bucket=bucket, Key=ref.key)
        return bytes(response["Body"].read()), str(response.get("ETag", ref.etag)).strip('"')
    except ClientError as err:
        if error_code(err) == "NoSuchKey":
            return None
        raise aws_failure(err, f"reading s3://{bucket}/{ref.key}") from err
    except BotoCoreError as err:
        raise aws_failure(err, f"reading s3://{bucket}/{ref.key}") from err


@dataclass
class ObjectEvents:
    groups: dict[str, list[NormalizedEvent]] = field(default_factory=dict)
    events: int = 0
    skipped: int = 0
    unreadable: list[Unreadable] = field(default_factory=list)


def object_events(
    blob: bytes, correlation_key: str | None, region: str | None = None
) -> ObjectEvents:
    found = ObjectEvents()
    events = []
    for read in read_object(blob, correlation_key=correlation_key, region=region):
        if isinstance(read, Event):
            events.append(read.event)
        elif isinstance(read, Skipped):
            found.skipped += 1
        else:
            found.unreadable.append(read)
    found.events = len(events)
    found.groups = group_by_message(events)
    return found


# --- writing -------------------------------------------------------------------------------


def chunks(
    groups: Mapping[str, Sequence[NormalizedEvent]], size: int = MESSAGES_PER_WRITE
) -> Iterator[dict[str, Sequence[NormalizedEvent]]]:
    ids = list(groups)
    for start in range(0, len(ids), size):
        yield {message_id: groups[message_id] for message_id in ids[start : start + size]}


def stopping_failure(outcomes: Mapping[str, WriteOutcome]) -> str | None:
    """The error code of a failure that no retry cures, if any outcome has one."""
    for outcome in outcomes.values():
        code = outcome.error_code
        if outcome.result is WriteResult.FAILED and code and code not in PASSING_CODES:
            return code
    return None


class Writer:
    """Writes a chunk of messages, retrying those that failed for a passing reason."""

    def __init__(self, store: MessageStore, table: str, hooks: Hooks) -> None:
        self.store = store
        self.table = table
        self.hooks = hooks

    def write(
        self, groups: Mapping[str, Sequence[NormalizedEvent]], summary: BackfillSummary
    ) -> None:
        pending = dict(groups)
        last_code = ""
        for round_number in range(WRITE_ROUNDS):
            if round_number:
                self.pause(round_number)
            outcomes = self.store.apply_all(pending)
            code = stopping_failure(outcomes)
            if code is not None:
                raise CliError(self.refusal(code))
            pending = {}
            for message_id, outcome in outcomes.items():
                if outcome.result is WriteResult.WRITTEN:
                    summary.messages_written += 1
                elif outcome.result is WriteResult.UNCHANGED:
                    summary.messages_unchanged += 1
                elif outcome.error_code is None:  # an item this code cannot read or store
                    summary.messages_failed += 1
                    if len(summary.failed_messages) < UNREADABLE_KEPT:
                        summary.failed_messages.append(message_id)
                else:
                    pending[message_id] = groups[message_id]
                    last_code = outcome.error_code
            if not pending:
                return
        raise CliError(
            f"writes to table {self.table} keep failing ({last_code}) after {WRITE_ROUNDS} "
            "tries: stopped; run the same command again to resume"
        )

    def pause(self, round_number: int) -> None:
        """Full-jitter exponential pause before another round: up to 1 s, 2 s, ... 30 s."""
        ceiling = min(ROUND_MAX_DELAY_S, ROUND_BASE_DELAY_S * 2 ** (round_number - 1))
        self.hooks.sleep(ceiling * self.hooks.jitter())

    def refusal(self, code: str) -> str:
        what = {
            "ResourceNotFoundException": f"table {self.table} not found (in this region?)",
            "AccessDeniedException": f"access denied writing to table {self.table}",
            "UnrecognizedClientException": "the AWS credentials are not valid",
            "ExpiredTokenException": "the AWS credentials have expired",
            "NoCredentialsError": "no AWS credentials found (profile, environment or role)",
        }.get(code, f"DynamoDB refused a write to table {self.table}")
        return f"{what} ({code})"


# --- the run -------------------------------------------------------------------------------


def report_unparsed(summary: BackfillSummary, unparsed: Unparsed) -> None:
    summary.unparsed += 1
    if len(summary.unparsed_records) < UNREADABLE_KEPT:
        summary.unparsed_records.append(unparsed)


def unexpired(
    groups: Mapping[str, Sequence[NormalizedEvent]], settings: ItemSettings, now_ms: int
) -> dict[str, Sequence[NormalizedEvent]]:
    """The messages whose item would not be expired already: one sent longer ago than the
    retention would be written only for DynamoDB's TTL to delete it. (Merging with a stored
    item can only make a message older, so what is expired here stays expired.)"""
    return {
        message_id: events
        for message_id, events in groups.items()
        if expires_at(fold(events), settings.retention_days) * 1000 > now_ms
    }


def load_object(
    s3: Any,
    options: BackfillOptions,
    ref: ObjectRef,
    *,
    writer: Writer | None,
    summary: BackfillSummary,
    now_ms: int,
) -> tuple[str, int] | None:
    """Read one object and write its messages (a dry run only counts); the ETag read and
    the count of events, or None when the object is gone."""
    read = get_object(s3, options.source.bucket, ref)
    if read is None:
        report_unparsed(summary, Unparsed(ref.key, None, 0, "deleted after it was listed"))
        return None
    blob, etag = read
    found = object_events(blob, options.correlation_key, options.region)
    summary.events += found.events
    summary.not_delivery_events += found.skipped
    summary.messages += len(found.groups)
    live = unexpired(found.groups, options.item, now_ms)
    summary.messages_expired += len(found.groups) - len(live)
    for unreadable in found.unreadable:
        where = unreadable.position
        report_unparsed(summary, Unparsed(ref.key, where.record, where.offset, unreadable.reason))
    if writer is not None:
        for chunk in chunks(live):
            writer.write(chunk, summary)
    return etag, found.events


def run_backfill(
    s3: Any,
    store: MessageStore | None,
    options: BackfillOptions,
    *,
    checkpoint: Checkpoint | None,
    hooks: Hooks,
    summary: BackfillSummary,
) -> BackfillSummary:
    """Load every object of ``options.source`` not yet done; ``summary`` counts as it goes
    (the caller keeps it, so that an interrupted run can still say how far it came)."""
    if not options.dry_run and (store is None or options.table is None):
        raise CliError("no table to write to: pass --table or --terraform-dir (or --dry-run)")
    writer = None if store is None or options.dry_run else Writer(store, str(options.table), hooks)
    started = hooks.clock()
    try:
        for ref in list_objects(s3, options.source):
            summary.objects_listed += 1
            if checkpoint is not None and checkpoint.is_done(
                options.source.bucket, ref.key, ref.etag
            ):
                summary.objects_already_done += 1
            else:
                loaded = load_object(
                    s3, options, ref, writer=writer, summary=summary, now_ms=hooks.now_ms()
                )
                if loaded is not None and checkpoint is not None and not options.dry_run:
                    checkpoint.record(options.source.bucket, ref.key, *loaded)
                summary.objects_read += 1
            summary.write_units = hooks.write_units()
            summary.throttled_writes = hooks.throttled()
            summary.elapsed_s = hooks.clock() - started
            hooks.progress(summary)
    finally:
        summary.write_units = hooks.write_units()
        summary.throttled_writes = hooks.throttled()
        summary.elapsed_s = hooks.clock() - started
    if summary.objects_listed == 0:
        raise CliError(f"no objects under {options.source.url}")
    return summary
