"""The backfill's figures: its own speed, and what a rebuild costs per million events.

An archive as the module's ``events/`` holds one: ``MAILS`` SES mails sent over an
hour (send, delivery 2 s later, open 1 to 30 minutes later, click a minute after
the open for one in three), their archive lines in one gzip object per minute, as
a 60-second Firehose buffer writes them. So a message's events are spread over
several objects, as in a real rebuild, and it is written once per object that
holds any of them.

``msgstatus backfill`` (the client's code, as an operator runs it) loads it into an
empty table on a moto server without a budget (``--max-wcu`` 1e9), to measure how
fast the client itself goes. The write units come from the table's stream, priced
by DynamoDB's published rules (devkit.capacity): moto's own ConsumedCapacity says 1
for any write. A rebuild at a budget of B write units a second then takes
``WRU per event x events / B`` seconds, as long as B is below what the client
reaches without one.

Reading alone (decompress, parse, normalize) is measured on both formats: the
archive lines of ``events/`` and SES's own JSON as ``raw/`` keeps it.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import random
import tempfile
import time
import zipfile
from collections import defaultdict
from typing import Any

from message_status.archive import read_object
from message_status.parse import parse_event
from message_status.pipeline import archive_data
from msgstatus.main import Runtime, main

from devkit.botometer import RequestCounter
from devkit.capacity import Index, write_units
from devkit.dynamo import table_definition
from devkit.emulator import Emulator
from devkit.events import ses
from devkit.streams import StreamReader

MAILS = 2000
BUCKET = "bench-archive"
TABLE = "bench-backfill"
FUNCTION = "bench-transform"
HOUR_MS = 3_600_000
BUDGETS = (100, 1_000, 10_000)


def mail_events(n: int, rng: random.Random, start_ms: int) -> list[dict[str, Any]]:
    message_id = f"bf-{n:06d}"
    sent = start_ms + rng.randrange(HOUR_MS)
    opened = sent + rng.randrange(60_000, 1_800_000)
    events = [
        ses("Send", message_id, sent),
        ses("Delivery", message_id, sent + 2000, sent_ms=sent),
        ses("Open", message_id, opened, sent_ms=sent),
    ]
    if n % 3 == 0:
        events.append(ses("Click", message_id, opened + 60_000, sent_ms=sent))
    return events


def archive(mails: int = MAILS) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Every event, and the events of each minute's object (its key -> its events)."""
    rng = random.Random(21)
    start_ms = (int(time.time() * 1000) // HOUR_MS - 24) * HOUR_MS  # a day ago: in the retention
    events = [e for n in range(mails) for e in mail_events(n, rng, start_ms)]
    minutes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        minute = parse_event(event).time_ms // 60_000  # type: ignore[union-attr]
        minutes[f"events/{minute}/stream-1-{minute}.gz"].append(event)
    return events, dict(sorted(minutes.items()))


def lines_object(events: list[dict[str, Any]]) -> bytes:
    parsed = [parse_event(e, "order_id") for e in events]
    return gzip.compress(b"".join(base64.b64decode(archive_data(e)) for e in parsed))  # type: ignore[arg-type]


def raw_object(events: list[dict[str, Any]]) -> bytes:
    return gzip.compress(b"".join(json.dumps(e).encode() + b"\n" for e in events))


def measure_reading(objects: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Events a second through the core's reader alone, one core, best of 3."""
    out = {}
    for name, build in (("events/ archive lines", lines_object), ("raw/ SES JSON", raw_object)):
        blobs = [build(events) for events in objects.values()]
        count = sum(len(events) for events in objects.values())
        best = min(_read_all(blobs) for _ in range(3))
        out[name] = {
            "events": count,
            "seconds": round(best, 3),
            "events_per_second": round(count / best),
        }
    return out


def _read_all(blobs: list[bytes]) -> float:
    start = time.perf_counter()
    for blob in blobs:
        for _ in read_object(blob, correlation_key="order_id"):
            pass
    return time.perf_counter() - start


def create_transform(emulator: Emulator) -> None:
    """A transform function whose environment the backfill reads its settings from."""
    role = emulator.client("iam").create_role(
        RoleName=FUNCTION, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as zipped:
        zipped.writestr("app.py", "def lambda_handler(event, context): pass\n")
    emulator.client("lambda").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=role,
        Handler="app.lambda_handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {"TABLE_NAME": TABLE, "CORRELATION_KEY": "order_id"}},
    )


def run_backfill(emulator: Emulator, requests: RequestCounter) -> dict[str, Any]:
    def client(service: str, _region: str | None) -> Any:
        made = emulator.client(service)
        made.meta.events.register_first("before-send", requests)
        return made

    out = io.StringIO()
    with tempfile.TemporaryDirectory() as state:
        runtime = Runtime(
            stdout=out, stderr=io.StringIO(), env={"XDG_STATE_HOME": state}, aws_client=client
        )
        argv = ["backfill", f"s3://{BUCKET}/events/", "--table", TABLE, "--function", FUNCTION]
        code = main([*argv, "--max-wcu", "1e9", "--json"], runtime)
    if code != 0:
        raise RuntimeError(f"msgstatus backfill exited {code}: {out.getvalue()}")
    return dict(json.loads(out.getvalue()))


def priced_writes(emulator: Emulator, indexes: tuple[Index, ...]) -> tuple[int, int, int]:
    """(table units, index units, writes) of every write in the table's stream."""
    arn = emulator.client("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    table = index = writes = 0
    for record in StreamReader(emulator.client("dynamodbstreams"), arn).new_records():
        stream = record["dynamodb"]
        t, i = write_units(stream.get("OldImage"), stream.get("NewImage"), indexes)
        table, index, writes = table + t, index + i, writes + 1
    return table, index, writes


def measure_backfill(
    emulator: Emulator,
    indexes: tuple[Index, ...],
    events: list[dict[str, Any]],
    objects: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    emulator.client("s3").create_bucket(Bucket=BUCKET)
    for key, chunk in objects.items():
        emulator.client("s3").put_object(Bucket=BUCKET, Key=key, Body=lines_object(chunk))
    emulator.client("dynamodb").create_table(
        **table_definition(TABLE),
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    create_transform(emulator)
    requests = RequestCounter()
    summary = run_backfill(emulator, requests)
    table, index, writes = priced_writes(emulator, indexes)
    units = table + index
    per_event = units / len(events)
    dynamodb = {
        k.removeprefix("dynamodb."): n
        for k, n in requests.counts.items()
        if k.startswith("dynamodb.")
    }
    return {
        "mails": MAILS,
        "events": len(events),
        "objects": len(objects),
        "seconds": summary["elapsed_s"],
        "events_per_second_unpaced": round(len(events) / summary["elapsed_s"]),
        "message_writes": summary["messages_written"],
        "writes_per_message": round(summary["messages_written"] / MAILS, 2),
        "dynamodb_requests": dynamodb,
        "wru_table": table,
        "wru_index": index,
        "item_and_pointer_writes": writes,
        "wru_per_event": round(per_event, 3),
        "wru_per_message": round(units / MAILS, 2),
        "hours_per_million_events": {
            f"{budget} WCU": round(per_event * 1_000_000 / budget / 3600, 2) for budget in BUDGETS
        },
    }


def report(emulator: Emulator, indexes: tuple[Index, ...]) -> dict[str, Any]:
    events, objects = archive()
    return {
        "reading": measure_reading(objects),
        "rebuild": measure_backfill(emulator, indexes, events, objects),
    }
