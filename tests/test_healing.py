"""A bad minute heals itself: under the faults of a bad day, every record reaches the table,
none is left for a person, and no status change is published twice.

Everything runs as in AWS, on a moto server: the shipped zips (the transform, the heal
function, the stream function) in processes of their own, their DynamoDB calls through a
proxy that throttles half the writes, answers bursts of 500s, or is down; Firehose's side
played as documented (devkit.firehose: a failed invocation retried, ProcessingFailed
records to errors/processing-failed/ in its error format); the emulator's S3 notifying
the heal queue, whose delay, visibility timeout and maxReceiveCount are played on a clock
(devkit.healing), so half an hour of retries passes in seconds.

The same batches go through a transform with no faults into a reference table: the
healed table must hold exactly the reference's items.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from message_status.changes import status_change
from message_status.heal import PARKED_PREFIX, SOURCE_PREFIX

from devkit.calls import check_firehose_contract, stored_item, without_bookkeeping
from devkit.dynamo import table_definition
from devkit.emulator import Emulator, moto_server
from devkit.events import firehose_event, ses, sms_v2
from devkit.faultproxy import (
    DOWN,
    ERRORS,
    THROTTLE_HALF_THE_WRITES,
    FaultProxy,
    FaultSchedule,
    Window,
    fault_proxy,
)
from devkit.firehose import INVOCATION_FAILED_CODE, Destination, keys, process
from devkit.healing import HealPath
from devkit.lambdas import InvocationTimedOut, LambdaProcess, built_function
from devkit.streams import MODULE_FILTER, MappingSettings, StreamReader, drain, run_mapping

TABLE, REFERENCE, BUCKET = "healing", "healing-reference", "healing-archive"
TRANSFORM_TIMEOUT_S, HEAL_TIMEOUT_S = 15, 20
STREAM_NAME = "msgstatus-events"
START = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
T = 1_800_000_000_000
BATCH_TIMES = (0, 15, 30, 45)  # a batch every 15 s through the bad minute
MESSAGES_PER_BATCH = 12


@dataclass(frozen=True)
class Scenario:
    schedule: FaultSchedule
    # Whether the faults last into the heal function's first attempts (so that it retries).
    outlasts_the_first_attempts: bool


SCENARIOS = {
    # An on-demand table meeting a burst past twice its previous peak.
    "half the writes throttled for 90 s": Scenario(
        FaultSchedule([Window(0, 90, THROTTLE_HALF_THE_WRITES)]), False
    ),
    # 500s from every call, three times ten-odd seconds.
    "bursts of 500s": Scenario(
        FaultSchedule([Window(0, 10, ERRORS), Window(30, 40, ERRORS), Window(60, 75, ERRORS)]),
        True,
    ),
    # Nothing answers: every connection is reset.
    "the endpoint down for 80 s": Scenario(FaultSchedule([Window(0, 80, DOWN)]), True),
}


@dataclass
class Timed:
    """An invocation that stops the test if it runs past the function's timeout."""

    process: LambdaProcess
    timeout_s: int
    durations: list[float] = field(default_factory=list)
    timed_out: int = 0

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        try:
            return self.process.invoke(event, timeout_s=self.timeout_s)
        except InvocationTimedOut:
            self.timed_out += 1
            raise
        finally:
            self.durations.append(time.monotonic() - started)


@dataclass
class World:
    emulator: Emulator
    proxy: FaultProxy
    transform: Timed
    reference: Timed
    heal: Timed
    stream: LambdaProcess
    heal_log: Path

    def client(self, service: str) -> Any:
        return self.emulator.client(service)


def quiet(emulator: Emulator, **env: str) -> dict[str, str]:
    return {
        **emulator.env,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        **env,
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    heal_log = tmp_path_factory.mktemp("healing") / "heal.log"
    with moto_server() as emulator, fault_proxy(emulator.endpoint_url) as (proxy_url, proxy):
        dynamodb = emulator.client("dynamodb")
        streams = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        dynamodb.create_table(**table_definition(TABLE), StreamSpecification=streams)
        dynamodb.create_table(**table_definition(REFERENCE))
        emulator.client("s3").create_bucket(Bucket=BUCKET)
        through_proxy = {"AWS_ENDPOINT_URL_DYNAMODB": proxy_url}
        with (
            built_function(
                "transform",
                quiet(
                    emulator,
                    TABLE_NAME=TABLE,
                    FUNCTION_TIMEOUT_SECONDS=str(TRANSFORM_TIMEOUT_S),
                    **through_proxy,
                ),
            ) as transform,
            built_function(
                "transform",
                quiet(
                    emulator,
                    TABLE_NAME=REFERENCE,
                    FUNCTION_TIMEOUT_SECONDS=str(TRANSFORM_TIMEOUT_S),
                ),
            ) as reference,
            built_function(
                "heal",
                quiet(
                    emulator,
                    TABLE_NAME=TABLE,
                    ARCHIVE_BUCKET=BUCKET,
                    FUNCTION_TIMEOUT_SECONDS=str(HEAL_TIMEOUT_S),
                    PYTHONUNBUFFERED="1",  # its log, read by the test as it goes
                    **through_proxy,
                ),
                output=heal_log,
            ) as heal,
            built_function("stream", quiet(emulator)) as stream,
        ):
            yield World(
                emulator,
                proxy,
                Timed(transform, TRANSFORM_TIMEOUT_S),
                Timed(reference, TRANSFORM_TIMEOUT_S),
                Timed(heal, HEAL_TIMEOUT_S),
                stream,
                heal_log,
            )


def garbage(prefix: str) -> bytes:
    """A record no parser reads, one of each scenario's own."""
    return f"\x00 not an event ({prefix})".encode()


def batches(prefix: str) -> dict[int, list[Any]]:
    """Email and SMS through the minute: each message sent in one batch and delivered (or
    bounced) in the next, so healed records land on messages other batches wrote; and a
    record no parser reads."""
    out: dict[int, list[Any]] = {}
    for i, at in enumerate(BATCH_TIMES):
        payloads: list[Any] = []
        for n in range(MESSAGES_PER_BATCH):
            if n % 3 == 2:
                payloads.append(
                    sms_v2("TEXT_SUCCESSFUL", f"{prefix}-{i}-{n}", T + at, is_final=False)
                )
            else:
                payloads.append(ses("Send", f"{prefix}-{i}-{n}", T + at))
            if i:
                earlier = f"{prefix}-{i - 1}-{n}"
                if n % 3 == 2:
                    payloads.append(sms_v2("TEXT_DELIVERED", earlier, T + at + 1))
                elif n % 5 == 0:
                    payloads.append(ses("Bounce", earlier, T + at + 1, sent_ms=T + at - 15))
                else:
                    payloads.append(ses("Delivery", earlier, T + at + 1, sent_ms=T + at - 15))
        out[at] = payloads
    out[BATCH_TIMES[0]].append(garbage(prefix))
    return out


def firehose(
    world: World, invoke: Callable[[dict[str, Any]], dict[str, Any]], event: Any, at: float
) -> None:
    """Firehose's side: invoke (a failed invocation is retried), then write what it writes."""

    def checked(request: dict[str, Any]) -> dict[str, Any]:
        response = invoke(request)
        check_firehose_contract(request, response)
        return response

    destination = Destination.module(BUCKET, STREAM_NAME, "arn:aws:lambda:transform")
    process(world.client("s3"), destination, checked, event, when=START + timedelta(seconds=at))


def poison_reads(world: World, key: str) -> int:
    """How many times the heal function read the object ``key``'s poison: it logs each record
    it can never store, by object and ordinal, every time it reads one."""
    entries = [
        json.loads(line) for line in world.heal_log.read_text().splitlines() if line.startswith("{")
    ]
    return sum(
        1
        for entry in entries
        if str(entry.get("message", "")).startswith("record can never be stored")
        and entry.get("key") == key
    )


def message_ids(prefix: str) -> list[str]:
    return [f"{prefix}-{i}-{n}" for i in range(len(BATCH_TIMES)) for n in range(MESSAGES_PER_BATCH)]


def items(world: World, table: str, ids: list[str]) -> dict[str, Any]:
    dynamodb = world.client("dynamodb")
    return {m: without_bookkeeping(stored_item(dynamodb, table, m)) for m in ids}


def published_changes(
    world: World, prefix: str, records: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The stream function over the table's stream, as its mapping would run it; the events
    it put on the bus, read back through a rule and a queue."""
    sqs, events = world.client("sqs"), world.client("events")
    url = sqs.create_queue(QueueName=f"changes-{abs(hash(prefix))}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    rule = f"changes-{abs(hash(prefix))}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["message-status"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn["QueueArn"]}])
    mine = [r for r in records if r["dynamodb"]["Keys"]["message_id"]["S"].startswith(prefix)]
    settings = MappingSettings(batch_size=100, filters=(json.dumps(MODULE_FILTER),))
    report = run_mapping(world.stream.invoke, mine, settings)
    assert report.failed_batches == []
    events.remove_targets(Rule=rule, Ids=["queue"])
    events.delete_rule(Name=rule)
    return [e["detail"] for e in drain(sqs, url)]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_record_of_a_bad_minute_reaches_the_table_without_a_person(
    world: World, scenario: str
) -> None:
    schedule = SCENARIOS[scenario].schedule
    prefix = "".join(word[0] for word in scenario.split())
    s3 = world.client("s3")
    reader = StreamReader(
        world.client("dynamodbstreams"),
        world.client("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"],
    )
    reader.new_records()  # what earlier scenarios wrote
    path = HealPath(s3, world.client("sqs"), BUCKET, world.heal)

    def faults_at(now: float) -> None:
        world.proxy.fault = schedule.at(now)

    path.at_each_step = faults_at
    failed_objects = []
    for at, payloads in sorted(batches(prefix).items()):
        path.run_until(at)
        event = firehose_event(payloads, start=at * 1000)
        faults_at(at)
        before = keys(s3, BUCKET, SOURCE_PREFIX)
        firehose(world, world.transform, event, at)
        failed_objects += sorted(keys(s3, BUCKET, SOURCE_PREFIX) - before)
        world.proxy.fault = None
        check_firehose_contract(event, world.reference(event))  # no archive: a table only
    assert len(failed_objects) >= 2, "the faults failed records of several batches"
    healed_at = path.run_until_empty()
    world.proxy.fault = None

    # Every record is stored, exactly as without the faults.
    ids = message_ids(prefix)
    assert items(world, TABLE, ids) == items(world, REFERENCE, ids)
    # Nothing is left for a person: no object, no notification given up; only the record no
    # parser reads is parked, once, with its original bytes.
    assert keys(s3, BUCKET, SOURCE_PREFIX) == set()
    assert path.queue.dead_letters == []
    parked = [
        base64.b64decode(json.loads(line)["rawData"])
        for key in keys(s3, BUCKET, PARKED_PREFIX)
        for line in gzip.decompress(
            s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        ).splitlines()
    ]
    assert parked.count(garbage(prefix)) == 1
    # ... and read only while its object was being healed: never again once parked.
    reads = poison_reads(world, failed_objects[0])
    assert 1 <= reads <= path.settings.max_receives
    # Healing ended minutes after the fault cleared, not hours, retrying as long as it lasted.
    assert healed_at <= schedule.clears_at + 60 + 300
    if SCENARIOS[scenario].outlasts_the_first_attempts:
        assert path.report.returned > 0, "a notification came back for another attempt"
    # No function ran past its timeout.
    for function in (world.transform, world.heal):
        assert function.timed_out == 0
        assert max(function.durations) < function.timeout_s
    # Each change was published once: a retried write of stored events wrote nothing.
    records = reader.new_records()
    published = published_changes(world, prefix, records)
    versions = Counter((e["message_id"], e["version"]) for e in published)
    assert versions, "the scenario's changes were published"
    assert max(versions.values()) == 1
    by_message: dict[str, list[dict[str, Any]]] = {}
    for detail in published:
        by_message.setdefault(detail["message_id"], []).append(detail)
    final = {}
    for m in ids:
        change = status_change(None, stored_item(world.client("dynamodb"), TABLE, m))
        assert change is not None
        final[m] = change.status
    assert {m: events[-1]["status"] for m, events in by_message.items()} == final


def test_a_batch_whose_invocation_kept_failing_is_healed_too(world: World) -> None:
    """Firehose retries a failed invocation three times, then writes the whole batch to the
    error output: the heal function writes those records like any other."""
    s3 = world.client("s3")
    attempts: list[int] = []

    def throttled(_event: dict[str, Any]) -> dict[str, Any]:
        attempts.append(1)
        raise RuntimeError("Rate Exceeded")  # the invocation limit, as Lambda answers it

    payloads = [ses("Send", "refused-1", T), sms_v2("TEXT_DELIVERED", "refused-2", T)]
    path = HealPath(s3, world.client("sqs"), BUCKET, world.heal)
    firehose(world, throttled, firehose_event(payloads), 0)
    assert len(attempts) == 4, "the first try and NumberOfRetries (3)"
    (key,) = keys(s3, BUCKET, SOURCE_PREFIX)
    (line, _) = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).splitlines()
    assert (json.loads(line)["errorCode"], json.loads(line)["attemptsMade"]) == (
        INVOCATION_FAILED_CODE,
        4,
    )
    path.run_until_empty()
    assert stored_item(world.client("dynamodb"), TABLE, "refused-1") is not None
    assert stored_item(world.client("dynamodb"), TABLE, "refused-2") is not None
    assert keys(s3, BUCKET, SOURCE_PREFIX) == set()
