"""Healing the error output, pure: which objects to read, what became of each record, and
what becomes of the object.

Why a replay of ``errors/processing-failed/`` and not a failed invocation:
Firehose documents retries of its processor only when the invocation fails
"because of a network timeout or because you've reached the Lambda invocation
limit" (three by default, ``NumberOfRetries``: "Handle failure in data
transformation", Amazon Data Firehose Developer Guide). A function error is
not documented as retried, so failing the invocation on purpose would rest on
undocumented behaviour, and when the retries ran out the whole batch, good
records included, would go to ``errors/``. So the transform answers
``ProcessingFailed`` for the records of a message it could not write, Firehose
writes them to the error output, S3 tells the heal queue, and the heal
function (``heal/app.py``) writes them through the same store, after a delay,
a bounded number of times (the queue's ``maxReceiveCount``).

Every record of an error object ends in one of these ways:

* ``stored``: a delivery event merged into its message's item (written, or
  already there: the merge is idempotent, and an unchanged item is not
  written, so nothing is published twice); its archive line goes to
  ``events/``, as the transform's would have;
* ``dropped``: valid, but not a delivery event, as the transform drops it;
* ``poison``: what no retry can store (the core cannot parse it, it is over a
  limit, or the stored item is unreadable): written once, verbatim, under
  ``errors/parked/``, outside the prefix that is healed, so it is never read
  again unless a person replays it;
* ``failed``: the store failed (throttled, erroring, slow, unreachable): the
  object stays, and SQS delivers its notification again;
* ``unreached``: not tried, for lack of time in this invocation.

Names and keys are derived from the object's key and ETag, so that handling
the same object twice (S3 notifies at least once) writes the same objects
again, never new ones.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, TypeVar
from urllib.parse import unquote_plus

from .outcomes import WriteOutcome, WriteResult

# Where Firehose writes what its processor failed (firehose.tf: error_output_prefix
# "errors/!{firehose:error-output-type}/..."), what S3 notifies the heal queue of.
SOURCE_PREFIX: Final = "errors/processing-failed/"
# Where poison records go: under errors/, outside SOURCE_PREFIX (never notified).
PARKED_PREFIX: Final = "errors/parked/"
# Where Firehose writes the transform's archive lines (firehose.tf: prefix).
ARCHIVE_PREFIX: Final = "events/"
HEALED_MARK: Final = "healed-"
# Records handed to the store at once: one BatchGetItem per 100 messages, then
# eight writes at a time, as for one Firehose batch.
CHUNK_RECORDS: Final = 500

# The heal function's metrics (namespace and service as the transform's).
RECORDS_RETRIED: Final = "records_retried"
RECORDS_HEALED: Final = "records_healed"
RECORDS_DROPPED: Final = "records_dropped"
RECORDS_PARKED: Final = "records_parked"
RECORDS_GIVEN_UP: Final = "records_given_up"
OBJECTS_UNREADABLE: Final = "objects_unreadable"

T = TypeVar("T")
_DAY_IN_KEY: Final = re.compile(r"^\d{4}/\d{2}/\d{2}/")
_DAY_IN_TIME: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T")


class BadNotification(ValueError):
    """An SQS message that is not an S3 event notification."""


@dataclass(frozen=True)
class ObjectCreated:
    """One S3 ObjectCreated notification: which object, as it was when S3 told of it."""

    bucket: str
    key: str
    etag: str | None
    event_time: str | None = None


def object_notifications(body: str) -> list[ObjectCreated]:
    """The objects an SQS message from S3 tells of; none for S3's test event (sent when the
    notification is configured) or for other kinds of event. BadNotification otherwise."""
    try:
        document = json.loads(body)
    except ValueError as err:
        raise BadNotification("message body is not JSON") from err
    if not isinstance(document, Mapping):
        raise BadNotification("message body is not a JSON object")
    if document.get("Event") == "s3:TestEvent":
        return []
    records = document.get("Records")
    if not isinstance(records, list):
        raise BadNotification("message body has no Records list")
    return [note for note in map(_object_created, records) if note is not None]


def _object_created(record: Any) -> ObjectCreated | None:
    if not isinstance(record, Mapping) or record.get("eventSource") != "aws:s3":
        raise BadNotification("a record is not an S3 event")
    if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
        return None
    s3 = record.get("s3") or {}
    bucket = (s3.get("bucket") or {}).get("name")
    obj = s3.get("object") or {}
    key = obj.get("key")
    if not isinstance(bucket, str) or not isinstance(key, str) or not bucket or not key:
        raise BadNotification("an S3 event names no bucket or key")
    etag = obj.get("eTag")
    time = record.get("eventTime")
    return ObjectCreated(
        bucket,
        unquote_plus(key),  # S3 URL-encodes the key in notifications
        etag if isinstance(etag, str) and etag else None,
        time if isinstance(time, str) else None,
    )


# --- derived keys ------------------------------------------------------------------------


def is_healable(key: str) -> bool:
    return key.startswith(SOURCE_PREFIX) and len(key) > len(SOURCE_PREFIX)


def content_tag(key: str, etag: str | None) -> str:
    """A short name for one content of one key: the same object, the same tag."""
    return hashlib.sha256(f"{key}\n{etag or ''}".encode()).hexdigest()[:16]


def _tagged(name: str, tag: str) -> str:
    """``name`` with ``-tag`` before a trailing ``.gz``."""
    stem, gz = (name[:-3], ".gz") if name.endswith(".gz") else (name, "")
    return f"{stem}-{tag}{gz}"


def parked_key(key: str, etag: str | None) -> str:
    """Where the poison records of this content of ``key`` go: its path under errors/parked/."""
    return PARKED_PREFIX + _tagged(key[len(SOURCE_PREFIX) :], content_tag(key, etag))


def archive_key(key: str, etag: str | None, event_time: str | None) -> str:
    """Where the archive lines of the records healed from this content of ``key`` go: beside
    the transform's, in the same dated folder (Firehose dates errors/ and events/ alike);
    the notification's day when the key has none."""
    rest = key[len(SOURCE_PREFIX) :]
    folder, _, name = rest.rpartition("/")
    if not _DAY_IN_KEY.match(rest):
        day = _DAY_IN_TIME.match(event_time or "")
        folder = "/".join(day.groups()) if day else "undated"
    return f"{ARCHIVE_PREFIX}{folder}/{HEALED_MARK}{_tagged(name, content_tag(key, etag))}"


# --- what became of each record, and of the object ---------------------------------------


class Effect(StrEnum):
    STORED = "stored"
    POISON = "poison"
    FAILED = "failed"
    UNREACHED = "unreached"


def write_effect(outcome: WriteOutcome | None) -> Effect:
    """What a message's write outcome means for its records.

    A failure with no error code is the item's or the event's own (an item
    this code cannot read or store): no retry changes it. OutOfTime means the
    write never started.
    """
    if outcome is None or outcome.error_code == "OutOfTime":
        return Effect.UNREACHED
    if outcome.result is not WriteResult.FAILED:
        return Effect.STORED
    return Effect.POISON if outcome.error_code is None else Effect.FAILED


@dataclass
class Tally:
    """Records of one object (or of its part read in this invocation), by what became of them."""

    events: int = 0  # delivery events handed to the store: retried
    stored: int = 0
    dropped: int = 0
    poison: int = 0
    failed: int = 0
    unreached: int = 0

    @property
    def settled(self) -> int:
        """Records that need nothing more: stored, dropped or parked."""
        return self.stored + self.dropped + self.poison


class Fate(StrEnum):
    RESOLVED = "resolved"  # every record settled: the object goes
    CONTINUED = "continued"  # time ran out after progress: the rest replaces the object
    RETRY = "retry"  # the store failed: SQS delivers the notification again
    GIVEN_UP = "given_up"  # the store failed on the last attempt: left for a person
    UNREADABLE = "unreadable"  # not what Firehose writes: left as it is, for a person
    GONE = "gone"  # deleted or replaced since the notification: nothing to do


def fate(tally: Tally, attempt: int, max_attempts: int) -> Fate:
    """What becomes of the object after this invocation's work (``attempt`` counts from 1).

    Failed writes leave the object for another attempt (records already
    stored are read back unchanged then, and written nothing). Running out of
    time is not a failure when something was settled: the rest is carried
    over, so an object too large for one invocation is still healed.
    """
    if tally.failed or (tally.unreached and not tally.settled):
        return retry_or_give_up(attempt, max_attempts)
    return Fate.CONTINUED if tally.unreached else Fate.RESOLVED


def retry_or_give_up(attempt: int, max_attempts: int) -> Fate:
    return Fate.GIVEN_UP if attempt >= max_attempts else Fate.RETRY


def chunks_of(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last may be shorter), read as they are needed."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
