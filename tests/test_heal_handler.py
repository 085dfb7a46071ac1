"""The heal function on moto, fed as the module feeds it: the archive bucket notifies a queue of
each object Firehose writes under errors/processing-failed/, and the heal queue's delay,
visibility timeout and maxReceiveCount are played on a clock (devkit.healing).

Every record of an error object ends stored (its archive line beside the transform's), dropped,
or parked once under errors/parked/ with its original bytes; the object goes only then. While
the store fails, the object stays and the notification comes back, until it is given up.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import unquote_plus

import boto3
import pytest
from message_status.heal import (
    ARCHIVE_PREFIX,
    OBJECTS_UNREADABLE,
    PARKED_PREFIX,
    RECORDS_DROPPED,
    RECORDS_GIVEN_UP,
    RECORDS_HEALED,
    RECORDS_PARKED,
    RECORDS_RETRIED,
    SOURCE_PREFIX,
)
from message_status.pipeline import archive_line_text, interpret

from devkit.calls import stored_item
from devkit.events import b64, eventbridge, firehose_event, ses, sms_v2
from devkit.firehose import Destination, deliver, keys
from devkit.healing import HealPath
from tests.conftest import TABLE_NAME, InProcessFunction
from tests.support.emf import emf_documents, metric_sums
from tests.support.faults import THROTTLING, count_requests, inject

T = 1_800_000_000_000
WHEN = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
GARBAGE = b"\x00 not an event"
# The module's defaults (variables.tf): 60 s, then every 300 s, 6 attempts.
GIVE_UP_S = 60 + 6 * 300


class Scene(NamedTuple):
    """The path that feeds the heal function, the function, its bucket and table on moto."""

    path: HealPath
    heal: InProcessFunction
    s3: Any
    bucket: str
    dynamodb: Any


@pytest.fixture
def s3(archive: str) -> Any:
    return boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def path(heal: InProcessFunction, s3: Any, archive: str) -> HealPath:
    return HealPath(s3, boto3.client("sqs", region_name="us-east-1"), archive, heal)


@pytest.fixture
def scene(heal: InProcessFunction, s3: Any, archive: str, dynamodb: Any, path: HealPath) -> Scene:
    return Scene(path, heal, s3, archive, dynamodb)


def failed_by_the_transform(s3: Any, bucket: str, payloads: list[Any], start: int = 0) -> str:
    """What Firehose writes when the transform answers ProcessingFailed for every record."""
    event = firehose_event(payloads, start)
    response = {
        "records": [
            {"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]}
            for r in event["records"]
        ]
    }
    destination = Destination.module(bucket, "msgstatus-events", "arn:aws:lambda:transform")
    return deliver(s3, destination, event, response, when=WHEN)["ProcessingFailed"]


def lines_under(s3: Any, bucket: str, prefix: str) -> list[str]:
    """Every line of every (gzip) object under ``prefix``."""
    found = []
    for key in sorted(keys(s3, bucket, prefix)):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        found += gzip.decompress(body).decode().splitlines()
    return found


def status(dynamodb: Any, message_id: str) -> Any:
    item = stored_item(dynamodb, TABLE_NAME, message_id)
    return None if item is None else (item["version"], item["src"])


def test_records_the_transform_failed_are_stored_archived_and_their_object_removed(
    path: HealPath, s3: Any, archive: str, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = [ses("Send", "m-1", T), ses("Delivery", "m-1", T + 1000, sent_ms=T)]
    key = failed_by_the_transform(s3, archive, batch)
    path.run_until(59)
    assert path.report.invocations == 0, "held back for the queue's delay"
    assert stored_item(dynamodb, TABLE_NAME, "m-1") is None
    path.run_until(60)
    assert path.report.invocations == 1
    item = stored_item(dynamodb, TABLE_NAME, "m-1")
    assert item is not None
    assert item["version"] == 1, "one write for the two events"
    assert keys(s3, archive, SOURCE_PREFIX) == set(), key
    # The transform's archive lines, in the folder of the day Firehose wrote the errors.
    (archived,) = keys(s3, archive, ARCHIVE_PREFIX)
    assert archived.startswith("events/2026/12/04/")
    assert "healed-" in archived
    # The transform's archive lines: in its Region, the heal function's (AWS_REGION).
    expected = [
        archive_line_text(interpret("1", b64(p), region="us-east-1").event).rstrip("\n")
        for p in batch
    ]
    assert lines_under(s3, archive, ARCHIVE_PREFIX) == expected
    assert keys(s3, archive, PARKED_PREFIX) == set()
    sums = metric_sums(emf_documents(capsys.readouterr().out))
    assert (sums[RECORDS_RETRIED], sums[RECORDS_HEALED], sums[RECORDS_GIVEN_UP]) == (2, 2, 0)


def test_poison_is_parked_once_with_its_original_bytes_and_never_read_again(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    path, heal, s3, archive, dynamodb = scene
    key = failed_by_the_transform(s3, archive, [GARBAGE, ses("Send", "m-2", T)])
    original = gzip.decompress(s3.get_object(Bucket=archive, Key=key)["Body"].read())
    reads = count_requests(heal.s3_client(), "s3")
    path.run_until_empty()
    assert stored_item(dynamodb, TABLE_NAME, "m-2") is not None
    assert keys(s3, archive, SOURCE_PREFIX) == set()
    (parked,) = keys(s3, archive, PARKED_PREFIX)
    assert parked.startswith(PARKED_PREFIX + "2026/12/04/")
    (line,) = lines_under(s3, archive, PARKED_PREFIX)
    assert line == original.decode().splitlines()[0], "Firehose's error record, verbatim"
    assert base64.b64decode(json.loads(line)["rawData"]) == GARBAGE
    # Parked outside the healed prefix: S3 notifies nobody, and a day of the clock reads nothing.
    path.run_until(path.clock.now + 24 * 3600)
    assert reads.counts["GetObject"] == 1
    assert path.queue.sent == 1
    sums = metric_sums(emf_documents(capsys.readouterr().out))
    assert (sums[RECORDS_PARKED], sums[RECORDS_HEALED]) == (1, 1)


def test_an_object_of_poison_alone_is_parked_whole(path: HealPath, s3: Any, archive: str) -> None:
    failed_by_the_transform(s3, archive, [GARBAGE, b"{}", b"not base64 either"])
    path.run_until_empty()
    assert keys(s3, archive, SOURCE_PREFIX) == set()
    assert len(lines_under(s3, archive, PARKED_PREFIX)) == 3
    assert keys(s3, archive, ARCHIVE_PREFIX) == set(), "nothing healed, nothing archived"


def test_a_record_that_is_not_a_delivery_event_is_dropped_as_the_transform_drops_it(
    path: HealPath, s3: Any, archive: str, capsys
) -> None:
    session = {"event_type": "_session.start", "event_timestamp": T, "arrival_timestamp": T}
    failed_by_the_transform(s3, archive, [session])
    path.run_until_empty()
    assert keys(s3, archive, "") == set(), "no archive line, nothing parked, object removed"
    assert metric_sums(emf_documents(capsys.readouterr().out))[RECORDS_DROPPED] == 1


def test_while_the_store_fails_the_object_stays_and_is_given_up_after_the_last_attempt(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    path, heal, s3, archive, dynamodb = scene
    key = failed_by_the_transform(s3, archive, [ses("Send", "m-3", T), GARBAGE])
    original = s3.get_object(Bucket=archive, Key=key)["Body"].read()
    inject(heal.message_store().client, "BatchGetItem", THROTTLING, times=10_000)
    ended = path.run_until_empty()
    assert path.report.invocations == 6, "heal_max_attempts"
    assert ended == pytest.approx(GIVE_UP_S), "60 + 6 x 300 s"
    (given_up,) = path.queue.dead_letters
    assert unquote_plus(json.loads(given_up.body)["Records"][0]["s3"]["object"]["key"]) == key
    assert s3.get_object(Bucket=archive, Key=key)["Body"].read() == original
    assert keys(s3, archive, PARKED_PREFIX) == set(), "nothing moves until the object is healed"
    assert stored_item(dynamodb, TABLE_NAME, "m-3") is None
    sums = metric_sums(emf_documents(capsys.readouterr().out))
    assert sums[RECORDS_RETRIED] == 6
    assert sums[RECORDS_HEALED] == 0
    assert sums[RECORDS_GIVEN_UP] == 2, "the record the table refused and the poison beside it"


def test_a_store_that_recovers_heals_on_a_later_attempt(
    path: HealPath, heal: InProcessFunction, s3: Any, archive: str, dynamodb: Any
) -> None:
    failed_by_the_transform(s3, archive, [ses("Send", "m-4", T)])
    faults = inject(heal.message_store().client, "PutItem", THROTTLING, times=10_000)
    path.run_until(60 + 300)  # two attempts, both throttled
    assert path.report.invocations == 2
    assert path.report.returned == 2
    faults.times = 0  # the table recovers
    path.run_until_empty()
    assert path.report.invocations == 3
    assert path.clock.now == 60 + 2 * 300
    assert status(dynamodb, "m-4") is not None
    assert keys(s3, archive, SOURCE_PREFIX) == set()
    assert path.queue.dead_letters == []


def test_a_notification_delivered_twice_changes_nothing_the_second_time(
    path: HealPath, heal: InProcessFunction, s3: Any, archive: str, dynamodb: Any
) -> None:
    failed_by_the_transform(s3, archive, [ses("Send", "m-5", T), GARBAGE])
    path.step()
    (notification,) = [m.body for m in path.queue.messages]
    path.queue.send(notification)  # S3 delivers at least once
    writes = count_requests(heal.message_store().client)
    path.run_until_empty()
    assert path.report.invocations == 2
    assert path.report.returned == 0
    assert status(dynamodb, "m-5") == (1, "ses")
    assert writes.counts["PutItem"] == 1
    assert len(lines_under(s3, archive, PARKED_PREFIX)) == 1
    assert len(lines_under(s3, archive, ARCHIVE_PREFIX)) == 1


def test_an_object_replaced_since_its_notification_is_healed_as_its_new_content_only(
    path: HealPath, s3: Any, archive: str, dynamodb: Any, logs: Any
) -> None:
    """The first notification names the old content (its ETag): it reads nothing and deletes
    nothing; the replacement's own notification heals what the key holds now."""
    key = failed_by_the_transform(s3, archive, [ses("Send", "old", T)])
    path.step()
    replacement = failed_by_the_transform(s3, archive, [ses("Send", "new", T)])
    s3.copy_object(Bucket=archive, Key=key, CopySource={"Bucket": archive, "Key": replacement})
    s3.delete_object(Bucket=archive, Key=replacement)
    path.run_until_empty()
    fates = [(e["key"], e["fate"]) for e in logs.entries("error object handled")]
    assert fates == [(key, "gone"), (replacement, "gone"), (key, "resolved")]
    assert stored_item(dynamodb, TABLE_NAME, "old") is None, "that content was never read"
    assert stored_item(dynamodb, TABLE_NAME, "new") is not None
    assert keys(s3, archive, SOURCE_PREFIX) == set()


def test_an_unreadable_object_is_left_as_it_is_and_counted(
    path: HealPath, s3: Any, archive: str, capsys
) -> None:
    key = f"{SOURCE_PREFIX}2026/12/04/10/broken.gz"
    s3.put_object(Bucket=archive, Key=key, Body=gzip.compress(b'{"rawData": "QQ=="}')[:-4])
    path.run_until_empty()
    assert path.report.returned == 0, "acknowledged: another attempt reads the same bytes"
    assert keys(s3, archive, "") == {key}
    assert metric_sums(emf_documents(capsys.readouterr().out))[OBJECTS_UNREADABLE] == 1


def test_s3s_test_event_and_stray_messages_are_acknowledged(heal: InProcessFunction) -> None:
    bodies = [
        json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}),
        "not json",
        json.dumps({"Records": [{"eventSource": "aws:sqs"}]}),
    ]
    for body in bodies:
        record = {"messageId": "m", "body": body, "attributes": {"ApproximateReceiveCount": "1"}}
        assert heal({"Records": [record]}) == {"batchItemFailures": []}, body


def test_an_object_too_large_for_one_invocation_is_carried_over_and_finished(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Time runs out after the first chunk: the rest replaces the object, S3 notifies it, and
    the next invocation finishes it. Every archive line is written exactly once."""
    path, heal, s3, archive, dynamodb = scene
    monkeypatch.setattr(heal.app, "CHUNK_RECORDS", 3)
    chunks_started = []

    def out_of_time(self: Any) -> bool:
        chunks_started.append(self.note.etag)
        return len([e for e in chunks_started if e == self.note.etag]) > 1

    monkeypatch.setattr(heal.app.Healer, "out_of_time", out_of_time)
    batch = [ses("Send", f"big-{n}", T + n) for n in range(7)] + [GARBAGE]
    key = failed_by_the_transform(s3, archive, batch)
    path.run_until_empty()
    assert path.report.invocations == 3, "3 records, then 3, then 1 and the poison"
    assert path.report.returned == 0, "progress each time: no attempt counted as failed"
    assert all(stored_item(dynamodb, TABLE_NAME, f"big-{n}") for n in range(7))
    archived = lines_under(s3, archive, ARCHIVE_PREFIX)
    assert sorted(json.loads(line)["message_id"] for line in archived) == [
        f"big-{n}" for n in range(7)
    ]
    assert len(keys(s3, archive, ARCHIVE_PREFIX)) == 3, "one archive object per pass"
    assert len(lines_under(s3, archive, PARKED_PREFIX)) == 1
    assert keys(s3, archive, SOURCE_PREFIX) == set(), key


def test_sms_and_email_records_of_one_object_reach_their_messages(
    path: HealPath, s3: Any, archive: str, dynamodb: Any
) -> None:
    batch = [
        sms_v2("TEXT_DELIVERED", "sms-1", T),
        ses("Send", "mail-1", T),
        ses("Bounce", "mail-1", T + 5, sent_ms=T),
    ]
    failed_by_the_transform(s3, archive, batch)
    path.run_until_empty()
    assert stored_item(dynamodb, TABLE_NAME, "sms-1")["src"] == "sms-v2"
    assert stored_item(dynamodb, TABLE_NAME, "mail-1")["version"] == 1


def test_healed_events_record_where_they_were_sent_as_the_transform_does(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sender account's forwarded event keeps its envelope's account and Region; one that
    reached the stream directly was sent in the function's own Region (AWS_REGION)."""
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    scene.heal.restart()
    batch = [
        eventbridge(ses("Send", "forwarded", T), "111111111111", "eu-west-1"),
        ses("Send", "direct", T),
    ]
    failed_by_the_transform(scene.s3, scene.bucket, batch)
    scene.path.run_until(60)
    attributes = {
        message_id: (stored_item(scene.dynamodb, TABLE_NAME, message_id) or {}).get("a")
        for message_id in ("forwarded", "direct")
    }
    assert (attributes["forwarded"]["acct"], attributes["forwarded"]["rgn"]) == (
        "111111111111",
        "eu-west-1",
    )
    assert attributes["direct"]["rgn"] == "us-east-1"
