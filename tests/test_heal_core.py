"""Healing's pure core: which notifications name objects to heal, the keys its outputs go to,
what a write outcome means for a record, and what becomes of an object."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from message_status.heal import (
    ARCHIVE_PREFIX,
    PARKED_PREFIX,
    SOURCE_PREFIX,
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
    write_effect,
)
from message_status.outcomes import WriteOutcome, WriteResult

KEY = f"{SOURCE_PREFIX}2026/12/04/10/msgstatus-events-1-2026-12-04-10-30-00-a1b2.gz"


def notification(key: str, event: str = "ObjectCreated:Put", etag: str = "abc") -> str:
    """An S3 event notification as the S3 User Guide's "Event message structure" gives it."""
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2026-12-04T10:35:12.345Z",
                    "eventName": event,
                    "userIdentity": {"principalId": "AWS:AROAFIREHOSE"},
                    "requestParameters": {"sourceIPAddress": "10.0.0.1"},
                    "responseElements": {"x-amz-request-id": "R", "x-amz-id-2": "I"},
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "heal-failed-records",
                        "bucket": {
                            "name": "msgstatus-123456789012-us-east-1",
                            "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                            "arn": "arn:aws:s3:::msgstatus-123456789012-us-east-1",
                        },
                        "object": {
                            "key": key,
                            "size": 1024,
                            "eTag": etag,
                            "sequencer": "0055AED6DCD90281E5",
                        },
                    },
                }
            ]
        }
    )


def test_a_notification_names_its_object_with_the_key_url_decoded() -> None:
    (note,) = object_notifications(notification("errors/processing-failed/a+b%3Dc.gz"))
    assert note == ObjectCreated(
        "msgstatus-123456789012-us-east-1",
        "errors/processing-failed/a b=c.gz",
        "abc",
        "2026-12-04T10:35:12.345Z",
    )


def test_s3s_test_event_and_other_kinds_of_event_name_nothing() -> None:
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}
    assert object_notifications(json.dumps(test_event)) == []
    assert object_notifications(notification(KEY, "ObjectRemoved:Delete")) == []


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1]",
        json.dumps({"Records": "x"}),
        json.dumps({"Records": [{"eventSource": "aws:sqs"}]}),
        json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}),
    ],
    ids=["text", "a list", "no list", "not s3", "no object"],
)
def test_a_message_that_is_no_s3_notification_is_refused(body: str) -> None:
    with pytest.raises(BadNotification):
        object_notifications(body)


def test_only_objects_under_the_healed_prefix_are_healable() -> None:
    assert is_healable(KEY)
    assert not is_healable(SOURCE_PREFIX)
    assert not is_healable(PARKED_PREFIX + "2026/12/04/x.gz")
    assert not is_healable("errors/processing-failed-other/x.gz")


def test_parked_and_archive_keys_stay_in_their_prefixes_and_dated_folders() -> None:
    parked = parked_key(KEY, "abc")
    assert parked.startswith(PARKED_PREFIX + "2026/12/04/10/msgstatus-events-1-")
    assert parked.endswith(".gz")
    archived = archive_key(KEY, "abc", None)
    assert archived.startswith(ARCHIVE_PREFIX + "2026/12/04/10/healed-msgstatus-events-1-")
    assert archived.endswith(".gz")
    undated = archive_key(SOURCE_PREFIX + "x.gz", "abc", "2026-12-05T01:02:03Z")
    assert undated.startswith(ARCHIVE_PREFIX + "2026/12/05/healed-x-")


@given(etags=st.lists(st.text(min_size=1, max_size=32), min_size=2, max_size=2, unique=True))
def test_the_same_content_gets_the_same_keys_and_another_content_others(
    etags: list[str],
) -> None:
    """S3 notifies at least once: handling one content twice writes the same objects again;
    a carried-over rest (a new ETag) never overwrites the outputs of the pass before."""
    one, other = etags
    assert parked_key(KEY, one) == parked_key(KEY, one)
    assert archive_key(KEY, one, None) == archive_key(KEY, one, None)
    assert parked_key(KEY, one) != parked_key(KEY, other)
    assert archive_key(KEY, one, None) != archive_key(KEY, other, None)


@pytest.mark.parametrize(
    ("outcome", "effect"),
    [
        (WriteOutcome(WriteResult.WRITTEN), Effect.STORED),
        (WriteOutcome(WriteResult.UNCHANGED), Effect.STORED),
        (
            WriteOutcome(WriteResult.FAILED, 1, "PutItem failed", "ThrottlingException"),
            Effect.FAILED,
        ),
        (
            WriteOutcome(WriteResult.FAILED, 0, "BatchGetItem failed", "EndpointConnectionError"),
            Effect.FAILED,
        ),
        (
            WriteOutcome(
                WriteResult.FAILED, 8, "write race not settled", "ConditionalCheckFailedException"
            ),
            Effect.FAILED,
        ),
        (WriteOutcome(WriteResult.FAILED, 1, "stored item unreadable: KeyError"), Effect.POISON),
        (WriteOutcome(WriteResult.FAILED, 1, "item not storable: TypeError"), Effect.POISON),
        (WriteOutcome(WriteResult.FAILED, 0, "BatchGetItem failed", "OutOfTime"), Effect.UNREACHED),
        (None, Effect.UNREACHED),
    ],
    ids=lambda value: value.value if isinstance(value, Effect) else None,
)
def test_a_write_outcome_says_what_becomes_of_its_records(
    outcome: WriteOutcome | None, effect: Effect
) -> None:
    assert write_effect(outcome) is effect


@pytest.mark.parametrize(
    ("tally", "attempt", "expected"),
    [
        (Tally(stored=3, poison=1, dropped=1), 1, Fate.RESOLVED),
        (Tally(poison=2), 1, Fate.RESOLVED),
        (Tally(), 1, Fate.RESOLVED),
        (Tally(stored=2, unreached=5), 1, Fate.CONTINUED),
        (Tally(poison=1, unreached=5), 6, Fate.CONTINUED),
        (Tally(unreached=5), 1, Fate.RETRY),
        (Tally(stored=2, failed=1), 1, Fate.RETRY),
        (Tally(stored=2, failed=1, unreached=3), 5, Fate.RETRY),
        (Tally(stored=2, failed=1), 6, Fate.GIVEN_UP),
        (Tally(unreached=5), 6, Fate.GIVEN_UP),
    ],
)
def test_what_becomes_of_an_object(tally: Tally, attempt: int, expected: Fate) -> None:
    assert fate(tally, attempt, max_attempts=6) is expected


@given(items=st.lists(st.integers(), max_size=50), size=st.integers(1, 10))
def test_chunks_hold_every_item_once_in_order(items: list[int], size: int) -> None:
    chunks = list(chunks_of(iter(items), size))
    assert [item for chunk in chunks for item in chunk] == items
    assert all(len(chunk) == size for chunk in chunks[:-1])
    assert all(0 < len(chunk) <= size for chunk in chunks)
