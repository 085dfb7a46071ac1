"""Re-sending the original records of Firehose error objects, then moving the objects away.

An object is moved (or, when asked, deleted) only after every one of its
records was accepted by PutRecordBatch; otherwise it stays where it is, to be
replayed again later. Replaying a record twice is harmless: the pipeline's
merge is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from msgstatus.batching import fits, plan_batches
from msgstatus.errors import CliError
from msgstatus.firehose_errors import (
    UnreadableObject,
    in_window,
    key_date,
    moved_key,
    parse_error_object,
)
from msgstatus.watch import backoff_delay

DEFAULT_PREFIX = "errors/processing-failed/"
DEFAULT_MOVE_TO = "errors/replayed/"
PUT_ATTEMPTS = 4
RETRY_BASE_DELAY_S = 0.5
RETRY_MAX_DELAY_S = 8.0
# Whole-call errors that are worth another try, as failed entries are.
RETRYABLE_CALL_ERRORS = frozenset(
    {"ServiceUnavailableException", "ThrottlingException", "InternalFailure", "InternalError"}
)


@dataclass(frozen=True)
class ReplayOptions:
    bucket: str
    stream: str | None
    prefix: str = DEFAULT_PREFIX
    since: date | None = None
    until: date | None = None
    dry_run: bool = False
    delete_after: bool = False
    move_to: str = DEFAULT_MOVE_TO


@dataclass
class ReplaySummary:
    dry_run: bool = False
    objects: int = 0
    moved: int = 0
    deleted: int = 0
    left_in_place: int = 0
    unreadable: int = 0
    not_moved: int = 0  # every record went through, but the move or delete failed
    records: int = 0
    resent: int = 0  # in a dry run: would be re-sent
    still_failing: int = 0
    too_large: int = 0
    invalid: int = 0

    @property
    def ok(self) -> bool:
        return self.still_failing == 0 and self.unreadable == 0 and self.not_moved == 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def lines(self) -> list[str]:
        if self.dry_run:
            return [
                "dry run: nothing was sent, moved or deleted",
                f"objects: {self.objects} found, {self.unreadable} unreadable",
                f"records: {self.records} found, {self.resent} would be re-sent, "
                f"{self.still_failing} could not be "
                f"({self.too_large} too large, {self.invalid} invalid)",
            ]
        done = f"{self.deleted} deleted" if self.deleted else f"{self.moved} moved"
        return [
            f"objects: {self.objects} found, {done}, {self.left_in_place} left in place "
            f"({self.unreadable} unreadable, {self.not_moved} could not be moved)",
            f"records: {self.records} found, {self.resent} re-sent, "
            f"{self.still_failing} still failing ({self.too_large} too large, "
            f"{self.invalid} invalid)",
        ]


@dataclass(frozen=True)
class Hooks:
    """The replay's ways to wait, and to tell the user what it does."""

    sleep: Callable[[float], None]
    jitter: Callable[[], float]
    report: Callable[[str], None]  # one line about one object
    progress: Callable[[int, int], None]  # objects done, objects in all


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", "Unknown"))


def list_error_objects(s3: Any, options: ReplayOptions) -> list[str]:
    """The keys under the prefix, in the date window, outside the move-to prefix."""
    keys: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=options.bucket, Prefix=options.prefix):
        for entry in page.get("Contents") or []:
            key = str(entry["Key"])
            if key.endswith("/"):
                continue
            if options.move_to and key.startswith(options.move_to):
                continue
            if in_window(key_date(key, options.prefix), options.since, options.until):
                keys.append(key)
    return keys


def put_once(firehose: Any, stream: str, records: Sequence[bytes]) -> list[int]:
    """One PutRecordBatch; the positions of the records that were not accepted."""
    try:
        answer = firehose.put_record_batch(
            DeliveryStreamName=stream, Records=[{"Data": data} for data in records]
        )
    except ClientError as err:
        if error_code(err) in RETRYABLE_CALL_ERRORS:
            return list(range(len(records)))
        raise CliError(f"PutRecordBatch to {stream} failed: {error_code(err)}: {err}") from err
    responses = list(answer.get("RequestResponses") or [])
    if not answer.get("FailedPutCount") and len(responses) == len(records):
        return []
    return [
        position
        for position in range(len(records))
        if position >= len(responses)
        or responses[position].get("ErrorCode")
        or not responses[position].get("RecordId")
    ]


def put_records(
    firehose: Any, stream: str, records: Sequence[bytes], hooks: Hooks, attempts: int
) -> list[bool]:
    """Put every record within Firehose's limits, retrying failed entries; accepted or not."""
    accepted = [False] * len(records)
    for batch in plan_batches([len(data) for data in records]):
        pending = batch
        for attempt in range(attempts):
            if attempt:
                hooks.sleep(
                    backoff_delay(
                        attempt - 1, RETRY_BASE_DELAY_S, RETRY_MAX_DELAY_S, hooks.jitter()
                    )
                )
            failed = put_once(firehose, stream, [records[index] for index in pending])
            failed_set = set(failed)
            for position, index in enumerate(pending):
                if position not in failed_set:
                    accepted[index] = True
            pending = [pending[position] for position in failed]
            if not pending:
                break
    return accepted


def finish_object(s3: Any, options: ReplayOptions, key: str) -> str:
    """Move (copy, then delete) or delete a fully replayed object; what was done."""
    if not options.delete_after:
        destination = moved_key(key, options.move_to)
        s3.copy_object(
            Bucket=options.bucket,
            Key=destination,
            CopySource={"Bucket": options.bucket, "Key": key},
        )
    s3.delete_object(Bucket=options.bucket, Key=key)
    return "deleted" if options.delete_after else "moved"


def replay_object(
    s3: Any,
    firehose: Any,
    options: ReplayOptions,
    key: str,
    *,
    summary: ReplaySummary,
    hooks: Hooks,
) -> None:
    """Read one error object, re-send its records, and move it if every record went through."""
    try:
        blob = s3.get_object(Bucket=options.bucket, Key=key)["Body"].read()
        records = parse_error_object(blob)
    except (ClientError, UnreadableObject) as err:
        summary.unreadable += 1
        summary.left_in_place += 1
        hooks.report(f"unreadable, left in place: {key}: {err}")
        return
    summary.records += len(records)
    sendable = [r.data for r in records if r.data is not None and fits(len(r.data))]
    too_large = sum(1 for r in records if r.data is not None and not fits(len(r.data)))
    invalid = sum(1 for r in records if r.data is None)
    summary.too_large += too_large
    summary.invalid += invalid
    if options.dry_run:
        summary.resent += len(sendable)
        summary.still_failing += too_large + invalid
        return
    assert options.stream is not None  # noqa: S101 - checked before any object is read
    accepted = put_records(firehose, options.stream, sendable, hooks, PUT_ATTEMPTS)
    failing = accepted.count(False) + too_large + invalid
    summary.resent += accepted.count(True)
    summary.still_failing += failing
    if failing:
        summary.left_in_place += 1
        hooks.report(
            f"left in place: {key}: {failing} of {len(records)} records still failing "
            f"({too_large} larger than 1,000 KiB, {invalid} invalid, "
            f"{accepted.count(False)} refused by Firehose)"
        )
        return
    try:
        done = finish_object(s3, options, key)
    except ClientError as err:
        summary.not_moved += 1
        summary.left_in_place += 1
        hooks.report(f"re-sent but not moved: {key}: {error_code(err)}: {err}")
        return
    if done == "deleted":
        summary.deleted += 1
    else:
        summary.moved += 1


def replay(s3: Any, firehose: Any, options: ReplayOptions, hooks: Hooks) -> ReplaySummary:
    """Replay every error object the options select; the counts of what happened."""
    if not options.dry_run and not options.stream:
        raise CliError("no delivery stream: pass --stream or --terraform-dir (or --dry-run)")
    summary = ReplaySummary(dry_run=options.dry_run)
    try:
        keys = list_error_objects(s3, options)
    except ClientError as err:
        raise CliError(f"cannot list s3://{options.bucket}/{options.prefix}: {err}") from err
    summary.objects = len(keys)
    hooks.progress(0, len(keys))
    for done, key in enumerate(keys, start=1):
        replay_object(s3, firehose, options, key, summary=summary, hooks=hooks)
        hooks.progress(done, len(keys))
    return summary
