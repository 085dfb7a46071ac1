"""``msgstatus backfill``: history from S3 into the table, through the transform's own merge.

The command runs as an operator runs it (``msgstatus.main``), against moto
in-process: a bucket of objects written the way Firehose writes them, the
module's table (with its stream), and a transform function whose environment
holds the deployment's settings. The table is then read by the real query
and stream handlers. A fake clock stands in for time, so pacing is measured
without waiting.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
import sqlite3
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from message_status.dynamodb_json import deserialize
from message_status.item import ItemSettings
from message_status.model import INDEXES
from message_status.parse import parse_event
from message_status.pipeline import archive_data
from msgstatus.backfill_command import write_settings
from msgstatus.main import default_aws_client
from msgstatus.pacing import WriteBudget
from transform import app as transform_app

from devkit.calls import call_api, run_firehose
from devkit.capacity import item_size, units
from devkit.dynamo import table_definition
from devkit.events import fixture, iso, pinpoint_email, pinpoint_sms, ses, sms_v2
from devkit.firehose import error_lines
from devkit.streams import MODULE_FILTER, MappingSettings, drain, record_of, run_mapping
from tests.conftest import TABLE_NAME
from tests.support import faults
from tests.support.cli import Result, Terminal, assert_one_error_line, run

BUCKET = "old-archive"
FUNCTION = "status-transform"
KEY = "order_id"
DAY_MS = 86_400_000
# History from before the module was installed: three days ago, at midnight UTC (within
# the retention, which counts from the wall clock's now).
T = (int(time.time() * 1000) // DAY_MS - 3) * DAY_MS
TEAM = ["ana@example.com", "ben@example.org"]
PHONE = "+14255550156"  # the documented SMS v2 event's destination
SECRET = "never.logged@example.com"  # inside garbage: must not reach any output
PINPOINT_DOCUMENTED = ("pinpoint_email_send", "pinpoint_email_delivered", "pinpoint_sms_success")
WRITES = ("PutItem", "BatchWriteItem")


@cache
def session() -> boto3.session.Session:
    """One session for every test: it loads each service's model once (msgstatus makes a
    session per client, as a command runs once; default_aws_client)."""
    return boto3.session.Session()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class World:
    """A bucket, the module's table, the transform's settings, and the command to run."""

    tmp: Path
    clock: FakeClock = field(default_factory=FakeClock)
    requests: faults.RequestCounter = field(default_factory=faults.RequestCounter)
    wrap: Callable[[str, Any], Any] = lambda _service, client: client
    clients: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def s3(self) -> Any:
        return session().client("s3", region_name="us-east-1")

    @cached_property
    def dynamodb(self) -> Any:
        return session().client("dynamodb", region_name="us-east-1")

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    def aws_client(self, service: str, region: str | None) -> Any:
        """The command's clients: made once per test (making one takes a while), counted."""
        if service not in self.clients:
            client = session().client(service, region_name=region or "us-east-1")
            client.meta.events.register_first("before-send", self.requests)
            self.clients[service] = client
        return self.wrap(service, self.clients[service])

    def run(self, *argv: str, **runtime: Any) -> Result:
        settings: dict[str, Any] = {
            "env": {"XDG_STATE_HOME": str(self.tmp / "state")},
            "sleep": self.clock.sleep,
            "clock": self.clock.time,
            "random": lambda: 0.5,
            "aws_client": self.aws_client,
            **runtime,
        }
        result = run(*argv, **settings)
        assert "Traceback" not in result.err, result.err
        return result

    def backfill(self, prefix: str, *extra: str, table: str = TABLE_NAME) -> Result:
        return self.run(
            "backfill",
            f"s3://{BUCKET}/{prefix}",
            "--table",
            table,
            "--function",
            FUNCTION,
            "--region",
            "us-east-1",
            "--json",
            *extra,
        )

    def set_function_variables(self, **changes: str) -> None:
        """The transform redeployed with other settings."""
        client = session().client("lambda", region_name="us-east-1")
        variables = client.get_function_configuration(FunctionName=FUNCTION)["Environment"]
        client.update_function_configuration(
            FunctionName=FUNCTION,
            Environment={"Variables": {**variables["Variables"], **changes}},
        )

    def items(self, table: str = TABLE_NAME) -> list[dict[str, Any]]:
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=table)
        found = [deserialize(raw) for page in pages for raw in page["Items"]]
        return sorted(found, key=lambda item: str(item["message_id"]))

    def writes(self) -> int:
        return sum(self.requests.counts[f"dynamodb.{operation}"] for operation in WRITES)


def create_function(variables: dict[str, str]) -> None:
    """The transform, as deployed: only its environment matters to a backfill."""
    role = (
        session()
        .client("iam", region_name="us-east-1")
        .create_role(
            RoleName="transform",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
    )
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context): pass\n")
    session().client("lambda", region_name="us-east-1").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=role,
        Handler="app.lambda_handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": variables},
    )


def create_table(name: str) -> None:
    session().client("dynamodb", region_name="us-east-1").create_table(
        **table_definition(name),
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


@pytest.fixture
def world(dynamodb: Any, tmp_path: Path) -> World:
    """moto in-process (conftest's table, TABLE_NAME), a bucket and the transform."""
    dynamodb.update_table(
        TableName=TABLE_NAME,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    session().client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    create_function({"TABLE_NAME": TABLE_NAME, "CORRELATION_KEY": KEY, "SEARCH_SHARDS": "4"})
    return World(tmp_path)


# --- objects as Firehose writes them ----------------------------------------------------------


def raw(*events: dict[str, Any], separator: bytes = b"\n") -> bytes:
    """Source events as a raw archive holds them: compact JSON records, concatenated."""
    return b"".join(json.dumps(e, separators=(",", ":")).encode() + separator for e in events)


def archive_lines(*events: dict[str, Any]) -> bytes:
    """The module's events/ archive: the transform's Ok lines, concatenated."""
    parsed = [parse_event(e, KEY) for e in events]
    return b"".join(base64.b64decode(archive_data(event)) for event in parsed)  # type: ignore[arg-type]


def error_object(*payloads: bytes) -> bytes:
    """Firehose's errors/: one JSON line per failed record, with its original data."""
    records = [{"data": base64.b64encode(p).decode()} for p in payloads]
    lines = error_lines(records, "arn:aws:lambda:us-east-1:123456789012:function:t", T)
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def mail(message_id: str, start: int, *, bounced: bool = False) -> list[dict[str, Any]]:
    """A mail to two people with an order id: sent, delivered to ana, opened or bounced."""
    tags = {KEY: f"ORD-{message_id}"}
    last = (
        ses("Bounce", message_id, start + 2000, destination=TEAM, named=TEAM[1:], sent_ms=start)
        if bounced
        else ses("Open", message_id, start + 60_000, destination=TEAM, sent_ms=start)
    )
    return [
        ses("Send", message_id, start, destination=TEAM, tags=tags),
        ses("Delivery", message_id, start + 1000, destination=TEAM, named=TEAM[:1], sent_ms=start),
        {**last, "mail": {**last["mail"], "tags": {KEY: [f"ORD-{message_id}"]}}},
    ]


@dataclass
class Archive:
    """Events, and the objects Firehose would have written them in."""

    events: list[dict[str, Any]]
    objects: dict[str, bytes]
    per_object: dict[str, list[dict[str, Any]]]


def history(messages: int = 12, objects: int = 4) -> Archive:
    """``messages`` mails and SMS, and their events spread over ``objects`` objects by time in
    each format: archive lines (gzip), raw SES/SMS events (one a line, or back to back)."""
    events: list[dict[str, Any]] = []
    for n in range(messages):
        if n % 3 == 2:
            last = "TEXT_CARRIER_UNREACHABLE" if n % 2 else "TEXT_DELIVERED"
            events += [
                sms_v2("TEXT_PENDING", f"sms-{n}", T + n, is_final=False),
                sms_v2(last, f"sms-{n}", T + n + 5000),
            ]
        else:
            events += mail(f"mail-{n}", T + n, bounced=n % 3 == 1)
    # Firehose writes an object per buffer interval: the events of a message end up in
    # several objects, in any order within one.
    spread: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for position, event in enumerate(events):
        spread[position % objects].append(event)
    archive = Archive(events, {}, {})
    for n, chunk in sorted(spread.items()):
        if n % 2:
            key = f"events/2026/09/21/{n:02d}/stream-1-{n}.gz"
            archive.objects[key] = gzip.compress(archive_lines(*chunk))
        else:
            key = f"raw/2026/09/21/{n:02d}/stream-1-{n}"
            archive.objects[key] = raw(*chunk, separator=b"" if n else b"\n")
        archive.per_object[key] = chunk
    return archive


def put_objects(world: World, archive: Archive) -> None:
    for key, body in archive.objects.items():
        world.put(key, body)


def message_ids_of(events: list[dict[str, Any]]) -> list[str]:
    return sorted({parse_event(e).message_id for e in events})  # type: ignore[union-attr]


def delete_every_item(client: Any, table: str = TABLE_NAME) -> None:
    for page in client.get_paginator("scan").paginate(TableName=table):
        for raw_item in page["Items"]:
            client.delete_item(TableName=table, Key={"message_id": raw_item["message_id"]})


# --- the answers ------------------------------------------------------------------------------


def answers(query: Any, message_ids: list[str]) -> dict[str, Any]:
    """What the API says about the messages: each by id, a batch-get, and the searches."""
    found: dict[str, Any] = {}
    for message_id in message_ids:
        found[f"GET {message_id}"] = call_api(query, "GET", f"/messages/{message_id}")
    body = json.dumps({"message_ids": [*message_ids[:99], "no-such-message"]})
    found["batch-get"] = call_api(query, "POST", "/messages/batch-get", body=body)
    week = {"since": iso(T - DAY_MS), "until": iso(T + 6 * DAY_MS)}
    searches = [{"recipient": r, **week} for r in [*TEAM, PHONE]]
    searches += [{"status": s, **week} for s in ("failed", "HARD_BOUNCED", "FAILED")]
    searches += [{"correlation_id": f"ORD-{m}", **week} for m in message_ids[:3]]
    for params in searches:
        found[f"search {params}"] = call_api(query, "GET", "/messages", params)
    return found


@pytest.fixture
def deployed_transform(transform: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The transform with the function's settings (FUNCTION's environment in ``world``), in
    its Region (Lambda sets AWS_REGION; the backfill reads it from the function's ARN)."""
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("CORRELATION_KEY", KEY)
    monkeypatch.setenv("SEARCH_SHARDS", "4")
    transform.restart()
    return transform


################################################################################
# What a backfill writes
################################################################################


def test_a_backfill_answers_as_the_live_pipeline_would_have(
    world: World, deployed_transform: Any, query: Any
) -> None:
    """The same events through the transform, or read back from archives of every format by
    the backfill: the same answer to every question the API takes."""
    archive = history()
    ids = message_ids_of(archive.events)
    put_objects(world, archive)
    assert {r["result"] for r in run_firehose(deployed_transform, archive.events)["records"]} == {
        "Ok"
    }
    live = answers(query, ids)
    assert all(live[f"GET {m}"][0] == 200 for m in ids)
    searched = [page for key, page in live.items() if key.startswith("search")]
    assert all(code == 200 and page["messages"] for code, page in searched), "each finds some"
    delete_every_item(world.dynamodb)
    assert call_api(query, "GET", f"/messages/{ids[0]}")[0] == 404

    result = world.backfill("")

    assert result.code == 0, result
    assert result.summary["events"] == len(archive.events)
    assert result.summary["objects_read"] == len(archive.objects)
    assert answers(query, ids) == live


def test_pinpoint_events_from_an_old_archive_make_their_messages_answer(
    world: World, query: Any
) -> None:
    """AWS's documentation examples and Pinpoint events shaped like them, as an old
    system's Firehose archived them: gzip or not, one a line or back to back."""
    documented = [fixture(name) for name in PINPOINT_DOCUMENTED]
    email = [
        pinpoint_email("_email.send", "pp-mail-1", T, campaign_id="c1"),
        pinpoint_email("_email.delivered", "pp-mail-1", T + 900, sent_ms=T),
        pinpoint_email("_email.hardbounce", "pp-mail-2", T + 500),
    ]
    sms = [
        pinpoint_sms("_SMS.BUFFERED", "pp-sms-1", T, "PENDING"),
        pinpoint_sms("_SMS.FAILURE", "pp-sms-1", T + 3000, "CARRIER_UNREACHABLE"),
    ]
    world.put("pinpoint/2019/08/01/a", gzip.compress(raw(*documented)))
    world.put("pinpoint/2026/11/01/b", raw(*email, separator=b""))
    world.put("pinpoint/2026/11/02/c", gzip.compress(raw(*sms, separator=b"\r\n")))

    kept_90_days = world.backfill("pinpoint/")
    assert kept_90_days.code == 0, kept_90_days
    assert kept_90_days.summary["messages_expired"] == 2, "AWS's examples are from 2019"
    assert call_api(query, "GET", "/messages/1111-2222-3333")[0] == 404
    # message_retention_days as long as the history: the examples are kept too.
    world.set_function_variables(RETENTION_DAYS="10000")
    result = world.backfill("pinpoint/", "--restart")

    assert result.code == 0, result
    assert result.summary["messages_expired"] == 0
    expected = {
        parse_event(documented[0]).message_id: ("DELIVERED", "pinpoint"),  # type: ignore[union-attr]
        parse_event(documented[2]).message_id: ("DELIVERED", "pinpoint"),  # type: ignore[union-attr]
        "pp-mail-1": ("DELIVERED", "pinpoint"),
        "pp-mail-2": ("HARD_BOUNCED", "pinpoint"),
        "pp-sms-1": ("FAILED", "pinpoint"),
    }
    for message_id, (status, source) in expected.items():
        code, document = call_api(query, "GET", f"/messages/{message_id}")
        assert code == 200, (message_id, document)
        assert (document["status"], document["source"]) == (status, source), message_id


################################################################################
# Repeating, stopping and resuming
################################################################################


def test_running_the_same_backfill_again_writes_nothing(world: World) -> None:
    archive = history()
    put_objects(world, archive)
    first = world.backfill("")
    assert first.code == 0, first
    assert first.summary["messages_written"] > 0
    table = world.items()

    world.requests.counts.clear()
    again = world.backfill("")
    assert (again.summary["objects_already_done"], again.summary["objects_read"]) == (
        len(archive.objects),
        0,
    )
    assert world.requests.counts["s3.GetObject"] == 0, "the checkpoint skips every object"
    assert world.writes() == 0

    world.requests.counts.clear()
    restarted = world.backfill("", "--restart")
    assert restarted.summary["objects_read"] == len(archive.objects)
    assert restarted.summary["messages_written"] == 0
    assert restarted.summary["messages_unchanged"] == first.summary["messages_written"]
    assert world.requests.counts["dynamodb.BatchGetItem"] > 0, "every message was looked at"
    assert world.writes() == 0, "and none of them written: not even a pointer"
    assert restarted.summary["write_units"] == 0
    assert world.items() == table


def interrupt_at(service: str, operation: str, nth: int) -> Callable[[str, Any], Any]:
    """A client wrapper: Ctrl-C just before the ``nth`` call of ``operation``."""
    calls = Counter[str]()

    def hook(**_: Any) -> None:
        calls[operation] += 1
        if calls[operation] == nth:
            raise KeyboardInterrupt

    def wrap(name: str, client: Any) -> Any:
        if name == service:
            client.meta.events.register(f"before-call.{service}.{operation}", hook)
        return client

    return wrap


@pytest.mark.parametrize(
    ("service", "operation", "nth"),
    [("s3", "GetObject", 3), ("dynamodb", "PutItem", 9)],
    ids=["after 2 objects", "in the middle of an object"],
)
def test_stopping_midway_and_resuming_ends_in_the_same_table_as_one_run(
    world: World, service: str, operation: str, nth: int
) -> None:
    archive = history(messages=12, objects=5)
    put_objects(world, archive)
    create_table("one-run")
    assert world.backfill("", table="one-run").code == 0

    world.wrap = interrupt_at(service, operation, nth)
    stopped = world.backfill("")
    assert stopped.code == 130, stopped
    assert "interrupted: run the same command again to resume" in stopped.err
    assert stopped.summary["messages_written"] > 0
    world.wrap = World.wrap

    resumed = world.backfill("")
    assert resumed.code == 0, resumed
    assert resumed.summary["objects_already_done"] == stopped.summary["objects_read"], (
        "every object done before the stop, and only those, is skipped"
    )
    if operation == "PutItem":
        assert resumed.summary["messages_unchanged"] > 0, "the stopped object was half written"
    assert world.items() == world.items("one-run"), "items, pointers and versions alike"


################################################################################
# The write budget
################################################################################


class Priced:
    """A DynamoDB client that reports what each write costs by DynamoDB's published rules
    (moto reports 1 unit for any write), and when it went out by the fake clock."""

    def __init__(self, client: Any, clock: FakeClock, throttle: int = 0) -> None:
        self.client = client
        self.clock = clock
        self.spent: list[tuple[float, float]] = []
        self.throttle = throttle  # PutItems refused for throttling, the first ones
        self.throttled_at: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    @staticmethod
    def cost(item: dict[str, Any]) -> float:
        indexed = sum(1 for i in INDEXES if i.partition_key in item and i.sort_key in item)
        return float(units(item_size(item)) + indexed)

    def put_item(self, **request: Any) -> dict[str, Any]:
        if len(self.throttled_at) < self.throttle:
            self.throttled_at.append(self.clock.now)
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                "PutItem",
            )
        return self._priced(self.client.put_item(**request), self.cost(request["Item"]))

    def batch_write_item(self, **request: Any) -> dict[str, Any]:
        items = [r["PutRequest"]["Item"] for rs in request["RequestItems"].values() for r in rs]
        response = self.client.batch_write_item(**request)
        return self._priced(response, sum(self.cost(item) for item in items))

    def _priced(self, response: dict[str, Any], cost: float) -> dict[str, Any]:
        self.spent.append((self.clock.now, cost))
        return {**response, "ConsumedCapacity": {"TableName": TABLE_NAME, "CapacityUnits": cost}}

    def per_second(self, since: float = 0.0) -> Counter[int]:
        seconds = Counter[int]()
        for at, cost in self.spent:
            if at >= since:
                seconds[int(at - since)] += int(cost)
        return seconds


def test_the_write_budget_is_kept_in_every_second_as_dynamodb_counts_units(world: World) -> None:
    archive = history(messages=30, objects=2)
    put_objects(world, archive)
    priced: list[Priced] = []

    def wrap(service: str, client: Any) -> Any:
        if service == "dynamodb":
            priced.append(Priced(client, world.clock))
            return priced[0]
        return client

    world.wrap = wrap
    result = world.backfill("", "--max-wcu", "10")

    assert result.code == 0, result
    spent = priced[0].spent
    dearest = max(cost for _, cost in spent)
    seconds = priced[0].per_second()
    assert max(seconds.values()) <= 10 + dearest, seconds
    assert max(seconds.values()) >= 8, "the budget is used, not left idle"
    assert result.summary["write_units"] == pytest.approx(sum(cost for _, cost in spent))
    assert result.summary["elapsed_s"] >= sum(cost for _, cost in spent) / 10 - 1


def test_throttling_slows_the_writes_down_and_loses_nothing(world: World) -> None:
    archive = history(messages=24, objects=2)
    put_objects(world, archive)
    create_table("one-run")
    assert world.backfill("", table="one-run").code == 0
    priced: list[Priced] = []

    def wrap(service: str, client: Any) -> Any:
        if service == "dynamodb":
            priced.append(Priced(client, world.clock, throttle=3))
            return priced[0]
        return client

    world.wrap = wrap
    result = world.backfill("", "--max-wcu", "40")

    assert result.code == 0, result
    assert result.summary["throttled_writes"] >= 3
    assert world.items() == world.items("one-run")
    after = priced[0].per_second(since=priced[0].throttled_at[-1])
    assert after[0] <= 40 / 2 + 4, "the second after throttling runs at half the budget or less"


def test_the_budget_has_no_burst_and_halves_its_rate_when_throttled() -> None:
    clock = FakeClock()
    budget = WriteBudget(10, clock.time, clock.sleep)
    clock.now += 3600  # an hour idle saves nothing up
    start = clock.now
    times = []
    for _ in range(30):
        budget.take(1.0)
        times.append(clock.now - start)
        budget.settle(1.0, 1.0, 1)
    assert Counter(int(t) for t in times) == {0: 10, 1: 10, 2: 10}
    budget.slow_down()
    assert budget.rate == 5
    for _ in range(8):
        budget.slow_down()
    assert budget.rate == 10 / 16, "never below a sixteenth of the budget"
    clock.now += 20
    budget.take(1.0)
    assert budget.rate == 10, "and back to the budget after a quiet spell"


def test_what_a_write_really_costs_is_paid_even_when_it_was_expected_cheaper() -> None:
    clock = FakeClock()
    budget = WriteBudget(10, clock.time, clock.sleep)
    budget.take(budget.estimate(1))
    budget.settle(1.0, 5.0, 1)  # DynamoDB reported 5 units
    before = clock.now
    budget.take(budget.estimate(1))
    assert clock.now - before == pytest.approx(0.5), "the next write waits for the 5 units"
    assert budget.estimate(2) == 10.0, "and the next ones are expected to cost as much"


################################################################################
# Dry runs, quiet writes and what cannot be read
################################################################################


def test_a_dry_run_reads_parses_and_counts_and_writes_nothing(world: World) -> None:
    archive = history()
    put_objects(world, archive)
    result = world.run(
        "backfill", f"s3://{BUCKET}/", "--dry-run", "--region", "us-east-1", "--json"
    )
    assert result.code == 0, result
    summary = result.summary
    assert (summary["objects_read"], summary["events"]) == (
        len(archive.objects),
        len(archive.events),
    )
    assert summary["messages"] == sum(len(message_ids_of(c)) for c in archive.per_object.values())
    assert not [name for name in world.requests.counts if name.startswith("dynamodb.")]
    assert world.items() == []
    assert not (world.tmp / "state").exists(), "no checkpoint either"


def test_a_terminal_shows_objects_events_messages_and_write_units_as_it_goes(
    world: World,
) -> None:
    archive = history()
    put_objects(world, archive)
    stderr = Terminal()
    result = world.run(
        "backfill",
        f"s3://{BUCKET}/",
        *("--table", TABLE_NAME, "--function", FUNCTION, "--region", "us-east-1"),
        stderr=stderr,
    )
    assert result.code == 0, stderr.getvalue()
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stderr.getvalue())  # colours and cursor
    n, events = len(archive.objects), len(archive.events)
    assert re.search(rf"{n}/{n} objects · {events} events · \d+ messages · \d+ WRU", drawn), drawn


def test_messages_older_than_the_retention_are_counted_and_not_written(world: World) -> None:
    """Their items would be expired on arrival: DynamoDB's TTL would delete them."""
    old = int(time.time() * 1000) - 91 * DAY_MS  # the function keeps the default 90 days
    world.put("events/old", archive_lines(*mail("m-old", old)))
    world.put("events/new", archive_lines(*mail("m-new", T)))
    dry = world.run(
        "backfill",
        f"s3://{BUCKET}/events/",
        "--dry-run",
        "--json",
        "--region",
        "us-east-1",
        "--function",
        FUNCTION,
    )
    assert dry.summary["messages_expired"] == 1
    result = world.backfill("events/")
    assert result.code == 0, result
    assert (result.summary["messages_expired"], result.summary["messages_written"]) == (1, 1)
    assert {i["message_id"] for i in world.items()} >= {"m-new"}
    assert not [i for i in world.items() if str(i["message_id"]).startswith("m-old")]
    text = world.run(
        "backfill",
        f"s3://{BUCKET}/events/",
        *("--table", TABLE_NAME, "--function", FUNCTION, "--region", "us-east-1", "--restart"),
    )
    assert "messages: 0 written, 1 unchanged, 1 older than the retention (not written)" in text.out


class StreamOfWrites:
    """A DynamoDB client that keeps the stream record of each write it makes, as a table's
    stream (NEW_AND_OLD_IMAGES) has it: moto in-process serves no DynamoDB Streams API."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.records: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def _old(self, item: dict[str, Any]) -> dict[str, Any] | None:
        found = self.client.get_item(
            TableName=TABLE_NAME, Key={"message_id": item["message_id"]}, ConsistentRead=True
        ).get("Item")
        return deserialize(found) if found else None

    def _written(self, item: dict[str, Any], old: dict[str, Any] | None) -> None:
        self.records.append(record_of(old, deserialize(item), 1000 + len(self.records)))

    def put_item(self, **request: Any) -> dict[str, Any]:
        old = self._old(request["Item"])
        response = self.client.put_item(**request)
        self._written(request["Item"], old)
        return dict(response)

    def batch_write_item(self, **request: Any) -> dict[str, Any]:
        items = [r["PutRequest"]["Item"] for rs in request["RequestItems"].values() for r in rs]
        olds = [self._old(item) for item in items]
        response = self.client.batch_write_item(**request)
        assert not response.get("UnprocessedItems")
        for item, old in zip(items, olds, strict=True):
            self._written(item, old)
        return dict(response)


@pytest.mark.parametrize("publish", [False, True], ids=["quiet", "--publish-events"])
def test_backfilled_changes_are_published_only_when_asked(
    world: World, stream: Any, status_queue: str, publish: bool
) -> None:
    archive = history(messages=6, objects=2)
    put_objects(world, archive)
    recorders: list[StreamOfWrites] = []

    def wrap(service: str, client: Any) -> Any:
        if service == "dynamodb":
            recorders.append(StreamOfWrites(client))
            return recorders[0]
        return client

    world.wrap = wrap
    assert world.backfill("", *(["--publish-events"] if publish else [])).code == 0
    records = recorders[0].records
    assert records, "the backfill wrote"
    sqs = boto3.client("sqs", region_name="us-east-1")
    for filters in [(json.dumps(MODULE_FILTER),), ()]:  # the mapping's filter; the function alone
        report = run_mapping(stream, records, MappingSettings(filters=filters))
        assert report.failed_batches == []
        published = {e["detail"]["message_id"] for e in drain(sqs, status_queue)}
        assert published == (set(message_ids_of(archive.events)) if publish else set()), filters
        if filters and not publish:
            assert report.records_filtered_out == len(records), "no invocation at all"


def test_unparseable_records_are_reported_by_key_and_position_and_stop_nothing(
    world: World, query: Any
) -> None:
    good = mail("m-ok", T)
    first = raw(good[0])
    broken = b'{"eventType": "Send", "mail": ' + SECRET.encode() + b"}\n"
    garbage = b"PK\x03\x04 " + SECRET.encode() + b"\n"
    world.put("mixed/a", first + broken + garbage + raw(good[1]))
    tail = gzip.compress(raw(good[2]))
    world.put("mixed/b.gz", tail + b"\x1f\x8b not gzip")
    world.put("mixed/c", error_object(raw(ses("Send", "m-err", T)), b"\x89PNG " + SECRET.encode()))

    result = world.backfill("mixed/")

    assert result.code == 1, result
    reports = [(u["key"], u["record"], u["offset"]) for u in result.summary["unparsed_records"]]
    assert reports == [
        ("mixed/a", 2, len(first)),  # the broken record and the garbage after it: one stretch
        ("mixed/b.gz", None, len(raw(good[2]))),
        ("mixed/c", 2, len(error_object(raw(ses("Send", "m-err", T))))),
    ]
    assert result.summary["events"] == 4
    for message_id, status in (("m-ok", "OPENED"), ("m-err", "SENT")):
        code, document = call_api(query, "GET", f"/messages/{message_id}")
        assert (code, document["status"]) == (200, status)
    text = world.run("backfill", f"s3://{BUCKET}/mixed/", "--dry-run", "--region", "us-east-1")
    assert f"could not parse: s3://{BUCKET}/mixed/a: record 2 at byte {len(first)}: " in text.out
    for output in (result.out, result.err, text.out, text.err):
        assert SECRET not in output


################################################################################
# Where things are, and clear errors
################################################################################


def test_the_deployment_is_found_from_terraform_outputs(world: World) -> None:
    archive = history()
    put_objects(world, archive)
    outputs = {
        "archive_bucket_name": BUCKET,
        "table_name": TABLE_NAME,
        "table_arn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE_NAME}",
        "transform_function_name": FUNCTION,
    }
    seen: list[str] = []

    def terraform_output(directory: str) -> str:
        seen.append(directory)
        return json.dumps({name: {"value": value} for name, value in outputs.items()})

    result = world.run(
        "backfill", "--terraform-dir", "deploy/", "--json", run_terraform=terraform_output
    )
    assert result.code == 0, result
    assert seen == ["deploy/"]
    assert (result.summary["source"], result.summary["table"]) == (
        f"s3://{BUCKET}/events/",
        TABLE_NAME,
    )
    assert result.summary["objects_read"] == sum(
        1 for key in archive.objects if key.startswith("events/")
    )
    cid = [i for i in world.items() if i.get("cid")]
    assert cid, "the function's correlation key was used"


def test_items_follow_the_transforms_settings_read_as_the_transform_reads_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variables = {
        "TABLE_NAME": TABLE_NAME,
        "CORRELATION_KEY": "tenant_ref",
        "RETENTION_DAYS": "30",
        "SEARCH_SHARDS": "3",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    transform_app.settings.cache_clear()
    try:
        live = transform_app.settings()
    finally:
        transform_app.settings.cache_clear()
    backfill = write_settings(variables, None)
    assert (backfill.item, backfill.correlation_key) == (live.item, live.correlation_key)
    assert backfill.item == ItemSettings(retention_days=30, search_shards=3)
    assert write_settings(variables, "").correlation_key is None, "'' says there is none"
    assert write_settings(variables, "ref").correlation_key == "ref"


def test_a_checkpoint_serves_its_own_source_and_table_only(world: World) -> None:
    archive = history()
    put_objects(world, archive)
    checkpoint = str(world.tmp / "progress.sqlite")
    assert world.backfill("raw/", "--checkpoint", checkpoint).code == 0
    done = sqlite3.connect(checkpoint).execute("SELECT key FROM done ORDER BY key").fetchall()
    assert [key for (key,) in done] == sorted(k for k in archive.objects if k.startswith("raw/"))
    assert_one_error_line(
        world.backfill("events/", "--checkpoint", checkpoint),
        f"the checkpoint {checkpoint} is for s3://{BUCKET}/raw/ into {TABLE_NAME}",
    )
    reused = world.backfill("events/", "--checkpoint", checkpoint, "--restart")
    assert reused.code == 0
    notes = world.tmp / "notes.txt"
    notes.write_text("not a checkpoint")
    assert_one_error_line(
        world.backfill("raw/", "--checkpoint", str(notes)), f"cannot use the checkpoint {notes}"
    )
    assert notes.read_text() == "not a checkpoint"
    create_table("other")
    other = world.backfill("raw/", table="other")
    assert other.summary["objects_read"] == len(done), "another table has its own checkpoint"


def test_an_object_rewritten_since_is_read_again(world: World) -> None:
    world.put("events/a", archive_lines(*mail("m1", T)[:2]))
    world.put("events/b", archive_lines(ses("Send", "m2", T)))
    assert world.backfill("events/").code == 0
    world.put("events/a", archive_lines(*mail("m1", T)))  # a new ETag
    again = world.backfill("events/")
    assert (again.summary["objects_read"], again.summary["objects_already_done"]) == (1, 1)
    assert [i["h"][-1][1] for i in world.items() if i["message_id"] == "m1"] == ["open"]


def test_missing_things_are_one_line_naming_the_error_code(world: World) -> None:
    world.put("events/a", archive_lines(ses("Send", "m", T)))
    cases = [
        (
            ["backfill", "s3://no-such-bucket/x/", "--dry-run", "--region", "us-east-1"],
            ("listing s3://no-such-bucket/x/: no such bucket (NoSuchBucket)",),
        ),
        (
            ["backfill", f"s3://{BUCKET}/nothing/", "--dry-run", "--region", "us-east-1"],
            (f"no objects under s3://{BUCKET}/nothing/",),
        ),
        (
            ["backfill", f"s3://{BUCKET}/", "--table", "gone", "--function", FUNCTION],
            ("table gone not found", "(ResourceNotFoundException)"),
        ),
        (
            ["backfill", f"s3://{BUCKET}/", "--table", TABLE_NAME, "--function", "nope"],
            ("reading the settings of function nope", "not found (ResourceNotFoundException)"),
        ),
        (["backfill"], ("no source: pass s3://bucket/prefix or --terraform-dir",)),
        (["backfill", f"s3://{BUCKET}/", "--prefix", "x/"], ("put it in the S3 URL",)),
        (["backfill", f"s3://{BUCKET}/", "--function", FUNCTION], ("no table to write to",)),
        (
            ["backfill", f"s3://{BUCKET}/", "--table", TABLE_NAME],
            ("pass --terraform-dir or --function",),
        ),
        (["backfill", "bucket/prefix", "--dry-run"], ("not an S3 URL",)),
        (["backfill", f"s3://{BUCKET}/", "--dry-run", "--max-wcu", "0"], ("must be more than 0",)),
    ]
    for argv, fragments in cases:
        assert_one_error_line(world.run(*argv), *fragments)


def test_access_denied_names_the_code_and_never_what_aws_echoed(world: World) -> None:
    world.put("events/a", archive_lines(ses("Send", "m", T)))

    class Denied:
        def __init__(self, client: Any) -> None:
            self.client = client

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        def get_object(self, **request: Any) -> Any:
            error = {"Code": "AccessDenied", "Message": f"no access to {request['Key']} {SECRET}"}
            raise ClientError({"Error": error}, "GetObject")

    world.wrap = lambda service, client: Denied(client) if service == "s3" else client
    result = world.backfill("events/")
    assert_one_error_line(result, f"reading s3://{BUCKET}/events/a: access denied (AccessDenied)")
    assert SECRET not in result.err


def test_no_credentials_is_one_line(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(world.tmp / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(world.tmp / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    fresh = world.run(
        "backfill",
        f"s3://{BUCKET}/",
        "--dry-run",
        "--region",
        "us-east-1",
        aws_client=default_aws_client,  # the command's own: a fresh credential chain
    )
    assert_one_error_line(
        fresh,
        "no AWS credentials found",
        "(NoCredentialsError)",
    )
