"""Benchmark the shipped Lambda code (dist/*.zip) against a moto server on loopback.

Reports, for `make bench`:
  * transform: events/s and DynamoDB requests per distinct message, on a
    2,000-event batch (500 messages x 4 events), a batch of 3-recipient mails
    and a ~3 MB batch;
  * write units per event, table and indexes, for each source's typical
    timeline with every event in a batch of its own (as they arrive in real
    life), and for a message that keeps receiving opens and clicks;
  * query: per-request latency of GET /messages/{id}, of a 100-id batch-get and
    of each search, on a table of 10,000 messages;
  * cold import time of each handler (fresh interpreter, median of 5);
  * healing: a bad minute (half the writes throttled, or the endpoint down)
    through the transform, Firehose's error output and the heal queue played
    with the module's defaults: how long after the fault clears every record
    is in the table, and the heal function's own speed on a 10,000-record
    object (wall time, records/s, peak memory);
  * backfill: ``msgstatus backfill`` rebuilding a table from an events/ archive
    (bench/backfill.py): its speed without a budget, the write units per event,
    and so the hours per million events at a given write budget.

Not a test: numbers depend on the machine. Record them in bench/README.md.

    make bench     # PYTHONPATH=lambda_src python -m bench.run
    python -m bench.run backfill     # the backfill part alone
    python -m bench.run healing      # the healing part alone
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from message_status.changes import status_change
from message_status.dynamodb_json import deserialize
from message_status.heal import SOURCE_PREFIX
from message_status.item import to_item
from message_status.model import INDEXES
from message_status.pipeline import archive_data, events_of, group_by_message, interpret
from message_status.record import fold
from message_status.timefmt import to_iso

from bench import backfill
from devkit import DIST
from devkit.calls import call_api, results, run_firehose
from devkit.capacity import Index, item_size, write_units
from devkit.dynamo import table_definition
from devkit.emulator import Emulator, moto_server
from devkit.events import b64, firehose_event, pinpoint_email, pinpoint_sms, ses, sms_v2
from devkit.faultproxy import (
    DOWN,
    THROTTLE_HALF_THE_WRITES,
    FaultProxy,
    FaultSchedule,
    Window,
    fault_proxy,
)
from devkit.firehose import Destination, error_lines, error_object, keys, process
from devkit.healing import HealPath
from devkit.lambdas import LambdaProcess, built_function
from devkit.streams import MODULE_FILTER, MappingSettings, StreamReader, run_mapping

TABLE = "bench-message-status"
EVENT_KINDS = ("Send", "Delivery", "Open", "Click")
CORRELATION_KEY = "order_id"  # as if the module had correlation_key = "order_id"
TENANT_TAG = "ses:tenant-name"
SEARCH_TENANTS = 20  # the search world's mail is sent for 20 SES tenants
# The table's indexes, as devkit.capacity prices them.
PRICED_INDEXES = tuple(Index(i.name, (i.partition_key, i.sort_key)) for i in INDEXES)


def timeline_batch(messages: int, prefix: str) -> list[dict]:
    """``messages`` messages x 4 SES events, interleaved as Firehose would deliver them."""
    batch = []
    for step, event_type in enumerate(EVENT_KINDS):
        for n in range(messages):
            batch.append(ses(event_type, f"{prefix}-{n:05d}", 1_700_000_000_000 + step * 1000 + n))
    return batch


def batch_of_size(target_bytes: int, prefix: str) -> tuple[list[dict], int]:
    """Whole 4-event messages until the base64 payload reaches ``target_bytes``."""
    per_message = sum(len(json.dumps(e)) for e in timeline_batch(1, "x")) * 4 // 3
    messages = max(1, target_bytes // per_message)
    batch = timeline_batch(messages, prefix)
    size = sum((len(json.dumps(e)) + 2) // 3 * 4 for e in batch)
    return batch, size


def dynamodb_requests(process: LambdaProcess) -> dict[str, int]:
    """DynamoDB requests by operation since the last call (and reset the count)."""
    counts = process.requests(reset=True)
    return {
        key.removeprefix("dynamodb."): n for key, n in counts.items() if key.startswith("dynamodb.")
    }


def write_units_of(transform: LambdaProcess) -> list[dict[str, int]]:
    """Every write the code made since the last call, in DynamoDB's units (published rules)."""
    out = []
    for write in transform.writes(reset=True):
        table, index = write_units(write["before"], write["after"], PRICED_INDEXES)
        out.append({"table": table, "index": index, "bytes": item_size(write["after"])})
    return out


def team_batch(messages: int, prefix: str) -> list[dict]:
    """``messages`` mails to 3 recipients each: a Send, a Delivery per recipient, an Open."""
    batch = []
    for n in range(messages):
        team = [f"{prefix}-{n}-{who}@example.com" for who in ("a", "b", "c")]
        sent = 1_700_000_000_000 + n
        message_id = f"{prefix}-{n:05d}"
        batch.append(ses("Send", message_id, sent, destination=team))
        for k, address in enumerate(team):
            batch.append(
                ses(
                    "Delivery",
                    message_id,
                    sent + 1000 + k,
                    destination=team,
                    named=[address],
                    sent_ms=sent,
                )
            )
        batch.append(ses("Open", message_id, sent + 9000, destination=team, sent_ms=sent))
    return batch


def timelines() -> dict[str, list[dict]]:
    """Each source's usual timeline for one message, one event per Firehose batch."""
    t = 1_700_000_000_000
    team = ["ana@example.com", "ben@example.com", "cy@example.org"]
    return {
        "SES: send, delivery, open, click": [
            ses(kind, "w-ses", t + n * 1000, sent_ms=t) for n, kind in enumerate(EVENT_KINDS)
        ],
        "SES with a correlation id: send, delivery": [
            ses("Send", "w-ses-cid", t, tags={CORRELATION_KEY: "order-1"}),
            ses("Delivery", "w-ses-cid", t + 1000, sent_ms=t, tags={CORRELATION_KEY: "order-1"}),
        ],
        "SES to 3 recipients: send, 2 deliveries, 1 bounce": [
            ses("Send", "w-team", t, destination=team),
            ses("Delivery", "w-team", t + 1000, destination=team, named=team[:1], sent_ms=t),
            ses("Delivery", "w-team", t + 1100, destination=team, named=team[2:], sent_ms=t),
            ses("Bounce", "w-team", t + 2000, destination=team, named=team[1:2], sent_ms=t),
        ],
        "SES held up: send, delivery delay, delivery": [
            ses("Send", "w-delay", t),
            ses("DeliveryDelay", "w-delay", t + 60_000, sent_ms=t),
            ses("Delivery", "w-delay", t + 600_000, sent_ms=t),
        ],
        "SES hard bounce: send, bounce": [
            ses("Send", "w-bounce", t),
            ses("Bounce", "w-bounce", t + 1500, sent_ms=t),
        ],
        "SES suppressed: send, suppression-list bounce": [
            ses("Send", "w-suppressed", t),
            ses("Bounce", "w-suppressed", t + 500, sent_ms=t, sub_type="OnAccountSuppressionList"),
        ],
        "SES for a tenant: send, delivery, open, click": [
            ses(kind, "w-tenant", t + n * 1000, sent_ms=t, tags={TENANT_TAG: "acme-mail"})
            for n, kind in enumerate(EVENT_KINDS)
        ],
        "SES with scanners: send, delivery, 2 automated opens, click": [
            ses("Send", "w-bots", t),
            ses("Delivery", "w-bots", t + 1000, sent_ms=t),
            ses("Open", "w-bots", t + 2000, sent_ms=t, bot="Likely"),
            ses("Click", "w-bots", t + 2100, sent_ms=t, bot="Likely"),
            ses("Open", "w-bots", t + 60_000, sent_ms=t, bot="Unlikely"),
        ],
        "SMS v2: pending, successful, delivered": [
            sms_v2("TEXT_PENDING", "w-sms", t, is_final=False),
            sms_v2("TEXT_SUCCESSFUL", "w-sms", t + 1000, is_final=False),
            sms_v2("TEXT_DELIVERED", "w-sms", t + 5000),
        ],
        "MMS: pending, successful, delivered": [
            sms_v2("MEDIA_PENDING", "w-mms", t, is_final=False),
            sms_v2("MEDIA_SUCCESSFUL", "w-mms", t + 1000, is_final=False),
            sms_v2("MEDIA_DELIVERED", "w-mms", t + 5000),
        ],
        "voice: initiated, ringing, answered, completed": [
            sms_v2("VOICE_INITIATED", "w-voice", t),
            sms_v2("VOICE_RINGING", "w-voice", t + 1000),
            sms_v2("VOICE_ANSWERED", "w-voice", t + 5000),
            sms_v2("VOICE_COMPLETED", "w-voice", t + 20_000),
        ],
        "Pinpoint email: send, delivered, open": [
            pinpoint_email("_email.send", "w-pp-email", t),
            pinpoint_email("_email.delivered", "w-pp-email", t + 1000),
            pinpoint_email("_email.open", "w-pp-email", t + 60_000),
        ],
        "Pinpoint SMS: buffered, success": [
            pinpoint_sms("_SMS.BUFFERED", "w-pp-sms", t, "SUCCESSFUL"),
            pinpoint_sms("_SMS.SUCCESS", "w-pp-sms", t + 1000, "DELIVERED"),
        ],
    }


def measure_write_units(transform: LambdaProcess, timeline: list[dict]) -> dict[str, Any]:
    """Write units of each event of one message, every event in its own batch."""
    transform.writes(reset=True)
    per_event = []
    for n, event in enumerate(timeline):
        assert results(run_firehose(transform, [event], start=n)) == ["Ok"]
        writes = write_units_of(transform)
        per_event.append(
            {
                "table": sum(w["table"] for w in writes),
                "index": sum(w["index"] for w in writes),
                "item_bytes": writes[0]["bytes"] if writes else 0,
                "writes": len(writes),
            }
        )
    total = sum(e["table"] + e["index"] for e in per_event)
    return {
        "events": len(timeline),
        "per_event": per_event,
        "wru_total": total,
        "wru_per_event": round(total / len(timeline), 2),
        "item_bytes_final": max(e["item_bytes"] for e in per_event),
    }


def measure_long_lived(
    transform: LambdaProcess, events: int = 1000, kinds: tuple[str, ...] = ("Open",)
) -> dict[str, Any]:
    """One message receiving ``events`` events one batch at a time (opens from an image proxy).

    Write units are computed from the items written, by DynamoDB's published
    rules (devkit.capacity): moto reports no truthful ConsumedCapacity.
    """
    message_id = f"long-lived-{events}-{len(kinds)}"
    base = 1_700_000_000_000
    timeline = [
        ses("Send", message_id, base),
        ses("Delivery", message_id, base + 1000, sent_ms=base),
    ]
    timeline += [
        ses(kinds[n % len(kinds)], message_id, base + 10_000 + n * 1000, sent_ms=base)
        for n in range(events - 2)
    ]
    transform.writes(reset=True)
    for n, event in enumerate(timeline):
        assert results(run_firehose(transform, [event], start=n)) == ["Ok"]
    writes = write_units_of(transform)
    units = [w["table"] + w["index"] for w in writes]
    return {
        "events": events,
        "writes": len(writes),
        "wru_per_write_mean": round(statistics.mean(units), 3),
        "wru_per_write_max": max(units),
        "wru_last_write": units[-1],
        "item_bytes_last": writes[-1]["bytes"],
    }


def message_id_of(event: dict) -> str:
    return str(event["mail"]["messageId"])


def measure_transform(transform: LambdaProcess, batch: list[dict]) -> dict[str, Any]:
    transform.requests(reset=True)
    start = time.perf_counter()
    response = run_firehose(transform, batch)
    elapsed = time.perf_counter() - start
    assert set(results(response)) == {"Ok"}, "the benchmark batch must be fully processed"
    messages = len({message_id_of(event) for event in batch})
    requests = dynamodb_requests(transform)
    return {
        "events": len(batch),
        "messages": messages,
        "seconds": round(elapsed, 3),
        "events_per_second": round(len(batch) / elapsed),
        "requests": requests,
        "requests_per_message": round(sum(requests.values()) / messages, 3),
    }


def measure_core(batch: list[dict], rounds: int = 3) -> dict[str, Any]:
    """The pure core alone (decode, parse, merge, item, archive line): no AWS, no moto."""
    encoded = [b64(event) for event in batch]
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        interpretations = [interpret(str(n), data) for n, data in enumerate(encoded)]
        for events in group_by_message(events_of(interpretations)).values():
            to_item(fold(events))
        for interpretation in interpretations:
            archive_data(interpretation.event)
        samples.append(time.perf_counter() - start)
    best = min(samples)
    return {
        "events": len(batch),
        "seconds": round(best, 3),
        "events_per_second": round(len(batch) / best),
    }


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def measure_query(query: LambdaProcess, ids: list[str], rounds: int = 200) -> dict[str, Any]:
    single = []
    for n in range(rounds):
        start = time.perf_counter()
        status, _ = call_api(query, "GET", f"/messages/{ids[n % len(ids)]}")
        single.append((time.perf_counter() - start) * 1000)
        assert status == 200
    batch = []
    body = json.dumps({"message_ids": ids[:100]})
    for _ in range(rounds // 10):
        start = time.perf_counter()
        status, answer = call_api(query, "POST", "/messages/batch-get", body=body)
        batch.append((time.perf_counter() - start) * 1000)
        assert status == 200
        assert len(answer["messages"]) == 100
    return {
        "get_ms_p50": round(statistics.median(single), 2),
        "get_ms_p95": round(percentile(single, 95), 2),
        "batch_get_100_ms_p50": round(statistics.median(batch), 2),
        "batch_get_100_ms_p95": round(percentile(batch, 95), 2),
    }


SEARCH_MESSAGES = 10_000
SEARCH_PEOPLE = 500  # 10,000 mails to 500 people: about 20 each
SEARCH_ORDERS = 2_000  # half the mails carry an order id, ~2.5 mails per order


def search_world(now_ms: int, seed: int = 7) -> list[list[dict]]:
    """10,000 mails sent over the last 23 hours, in batches of 500 messages; 4% bounce."""
    rng = random.Random(seed)
    batches: list[list[dict]] = []
    for start in range(0, SEARCH_MESSAGES, 500):
        batch = []
        for n in range(start, start + 500):
            sent = now_ms - rng.randrange(60_000, 23 * 3_600_000)
            person = [f"person-{rng.randrange(SEARCH_PEOPLE)}@example.com"]
            tags = {CORRELATION_KEY: f"order-{rng.randrange(SEARCH_ORDERS)}"} if n % 2 else {}
            tags[TENANT_TAG] = f"tenant-{n % SEARCH_TENANTS}"
            message_id = f"s-{n:05d}"
            batch.append(ses("Send", message_id, sent, destination=person, tags=tags))
            outcome = "Bounce" if rng.random() < 0.04 else "Delivery"
            batch.append(
                ses(outcome, message_id, sent + 2000, destination=person, sent_ms=sent, tags=tags)
            )
        batches.append(batch)
    return batches


def latency(query: LambdaProcess, params: dict[str, str], rounds: int) -> dict[str, Any]:
    samples, found = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        status, body = call_api(query, "GET", "/messages", query=params)
        samples.append((time.perf_counter() - start) * 1000)
        assert status == 200, body
        found = len(body["messages"])
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "found": found,
    }


def measure_search(query: LambdaProcess, now_ms: int, rounds: int = 40) -> dict[str, Any]:
    hour, day = 3_600_000, 24 * 3_600_000
    window = {"since": to_iso(now_ms - day), "until": to_iso(now_ms)}
    routes = {
        "recipient (~20 mails, first page of 25)": {"recipient": "person-42@example.com"},
        "correlation_id (~2-3 mails)": {"correlation_id": "order-42"},
        "tenant (500 mails, first page of 25)": {"tenant": "tenant-7"},
        "status=HARD_BOUNCED, last 24 h, limit 100": {
            "status": "HARD_BOUNCED",
            "limit": "100",
            **window,
        },
        "status=failed, last hour": {
            "status": "failed",
            "since": to_iso(now_ms - hour),
            "until": to_iso(now_ms),
        },
    }
    report = {name: latency(query, params, rounds) for name, params in routes.items()}
    query.requests(reset=True)
    call_api(query, "GET", "/messages", query=routes["status=failed, last hour"])
    report["requests_per_failed_search"] = dynamodb_requests(query)
    return report


def measure_stream(stream: LambdaProcess, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The stream function over every table change the transform benchmarks made, in
    batches of 100 as the module's mapping sends them (pointer items filtered out)."""
    settings = MappingSettings(batch_size=100, filters=(json.dumps(MODULE_FILTER),))
    stream.requests(reset=True)
    start = time.perf_counter()
    report = run_mapping(stream.invoke, records, settings)
    elapsed = time.perf_counter() - start
    requests = stream.requests(reset=True)
    put_calls = sum(n for key, n in requests.items() if key.endswith(".PutEvents"))
    published = count_changes(records, settings)
    return {
        "records": report.records_in,
        "records_filtered_out": report.records_filtered_out,
        "invocations": report.invocations,
        "status_changes": published,
        "put_events_requests": put_calls,
        "put_events_per_changed_message": round(put_calls / max(1, published), 3),
        "seconds": round(elapsed, 3),
        "records_per_second": round(report.records_in / elapsed),
        "failed_batches": len(report.failed_batches),
    }


def count_changes(records: list[dict[str, Any]], settings: MappingSettings) -> int:
    """Status changes in ``records``, by the pure core (what the function must publish)."""
    total = 0
    for record in records:
        if not settings.accepts(record):
            continue
        stream = record["dynamodb"]
        old, new = stream.get("OldImage"), stream.get("NewImage")
        change = status_change(deserialize(old) if old else None, deserialize(new) if new else None)
        total += change is not None
    return total


def cold_import_ms(zip_path: Path, module: str = "app", runs: int = 5) -> float:
    """Median time for a fresh interpreter to import ``module`` from the unpacked zip."""
    probe = (
        f"import time; t = time.perf_counter(); import {module}; "
        "print((time.perf_counter() - t) * 1000)"
    )
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(tmp)
        env = {**os.environ, "PYTHONPATH": tmp, "TABLE_NAME": TABLE, "PYTHONDONTWRITEBYTECODE": "1"}
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", probe],
                env=env,
                cwd=tmp,
                capture_output=True,
                text=True,
                check=True,
            )
            samples.append(float(out.stdout.strip().splitlines()[-1]))
    return round(statistics.median(samples), 1)


# --- healing ---------------------------------------------------------------------------

HEAL_BATCH_TIMES = (0, 10, 20, 30, 40, 50)  # a Firehose batch every 10 s of the bad minute
HEAL_MESSAGES_PER_BATCH = 40
BIG_OBJECT_RECORDS = 10_000
# slug (its table and bucket) => (what happens, when)
HEAL_FAULTS = {
    "throttled": (
        "half the writes throttled for 60 s",
        FaultSchedule([Window(0, 60, THROTTLE_HALF_THE_WRITES)]),
    ),
    "down": ("the endpoint down for 60 s", FaultSchedule([Window(0, 60, DOWN)])),
    "outage": ("the endpoint down for 10 minutes", FaultSchedule([Window(0, 600, DOWN)])),
}


def bad_minute_batches(prefix: str) -> dict[int, list[dict]]:
    """Each message sent in one batch and delivered in the next, through the minute."""
    out: dict[int, list[dict]] = {}
    for i, at in enumerate(HEAL_BATCH_TIMES):
        batch = [
            ses("Send", f"{prefix}-{i}-{n}", 1_700_000_000_000 + at)
            for n in range(HEAL_MESSAGES_PER_BATCH)
        ]
        if i:
            batch += [
                ses(
                    "Delivery",
                    f"{prefix}-{i - 1}-{n}",
                    1_700_000_000_000 + at,
                    sent_ms=1_700_000_000_000 + at - 10,
                )
                for n in range(HEAL_MESSAGES_PER_BATCH)
            ]
        out[at] = batch
    return out


def error_records(s3: Any, bucket: str) -> int:
    return sum(
        len(gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).splitlines())
        for key in keys(s3, bucket, SOURCE_PREFIX)
    )


def measure_bad_minute(
    emulator: Emulator, name: str, schedule: FaultSchedule, proxy: FaultProxy, proxy_url: str
) -> dict[str, Any]:
    """One bad minute, end to end, on the queue's clock; every record checked in the table."""
    table = bucket = f"bench-heal-{name}"
    emulator.client("dynamodb").create_table(**table_definition(table))
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=bucket)
    env = {**function_env(emulator), "TABLE_NAME": table, "AWS_ENDPOINT_URL_DYNAMODB": proxy_url}
    heal_env = {**env, "ARCHIVE_BUCKET": bucket, "FUNCTION_TIMEOUT_SECONDS": "120"}
    with built_function("transform", env) as transform, built_function("heal", heal_env) as heal:
        durations: list[float] = []

        def timed_heal(event: dict[str, Any]) -> dict[str, Any]:
            start = time.perf_counter()
            try:
                return heal.invoke(event, timeout_s=120)
            finally:
                durations.append(time.perf_counter() - start)

        path = HealPath(s3, emulator.client("sqs"), bucket, timed_heal)
        path.at_each_step = lambda now: setattr(proxy, "fault", schedule.at(now))
        destination = Destination.module(bucket, "bench-events", "arn:aws:lambda:transform")
        failed_records = 0
        for at, batch in sorted(bad_minute_batches("heal").items()):
            path.run_until(at)
            proxy.fault = schedule.at(at)
            before = error_records(s3, bucket)
            process(s3, destination, transform.invoke, firehose_event(batch), when=None)
            failed_records += error_records(s3, bucket) - before
        healed_at = path.run_until_empty()
        proxy.fault = None
    ids = [
        f"heal-{i}-{n}"
        for i in range(len(HEAL_BATCH_TIMES))
        for n in range(HEAL_MESSAGES_PER_BATCH)
    ]
    dynamodb = emulator.client("dynamodb")
    stored = sum(
        "Item" in dynamodb.get_item(TableName=table, Key={"message_id": {"S": m}}) for m in ids
    )
    return {
        "records_sent": sum(len(b) for b in bad_minute_batches("heal").values()),
        "records_failed_by_the_transform": failed_records,
        "heal_invocations": path.report.invocations,
        "notifications_returned_for_a_retry": path.report.returned,
        "given_up": len(path.queue.dead_letters),
        "fault_clears_at_s": schedule.clears_at,
        "last_record_healed_at_s": healed_at,
        "healed_this_long_after_the_fault_cleared_s": healed_at - schedule.clears_at,
        "messages_in_the_table": f"{stored}/{len(ids)}",
        "heal_wall_time_s": round(sum(durations), 2),
    }


def measure_big_object(emulator: Emulator) -> dict[str, Any]:
    """One error object of BIG_OBJECT_RECORDS failed records, healed in one invocation with the
    module's default timeout (120 s)."""
    table = bucket = "bench-heal-big"
    emulator.client("dynamodb").create_table(**table_definition(table))
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=bucket)
    batch = [ses("Send", f"big-{n:05d}", 1_700_000_000_000 + n) for n in range(BIG_OBJECT_RECORDS)]
    body = error_object(error_lines(firehose_event(batch)["records"], "arn:aws:lambda:t", 0))
    env = {**function_env(emulator), "TABLE_NAME": table, "ARCHIVE_BUCKET": bucket}
    with built_function("heal", {**env, "FUNCTION_TIMEOUT_SECONDS": "120"}) as heal:
        path = HealPath(s3, emulator.client("sqs"), bucket, lambda e: heal.invoke(e, timeout_s=120))
        s3.put_object(Bucket=bucket, Key=f"{SOURCE_PREFIX}2026/12/04/10/big.gz", Body=body)
        start = time.perf_counter()
        path.run_until_empty()
        elapsed = time.perf_counter() - start
        peak = heal.peak_memory_mb()
    return {
        "records": BIG_OBJECT_RECORDS,
        "object_bytes_gzip": len(body),
        "invocations": path.report.invocations,
        "seconds": round(elapsed, 2),
        "records_per_second": round(BIG_OBJECT_RECORDS / elapsed),
        "peak_memory_mb": peak,
        "left_in_errors": len(keys(s3, bucket, SOURCE_PREFIX)),
    }


def measure_healing(emulator: Emulator) -> dict[str, Any]:
    report: dict[str, Any] = {}
    with fault_proxy(emulator.endpoint_url) as (proxy_url, proxy):
        for slug, (name, schedule) in HEAL_FAULTS.items():
            report[name] = measure_bad_minute(emulator, slug, schedule, proxy, proxy_url)
    report["one object of 10,000 failed records"] = measure_big_object(emulator)
    return report


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    python = platform.python_version()
    return (
        f"{platform.system()} {platform.machine()} ({cpu}), {os.cpu_count()} cores, Python {python}"
    )


def function_env(emulator: Emulator) -> dict[str, str]:
    """The shipped code's environment: the table, the emulator, and quiet Powertools."""
    return {
        **emulator.env,
        "TABLE_NAME": TABLE,
        "CORRELATION_KEY": CORRELATION_KEY,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def main(argv: list[str] | None = None) -> None:
    parts = sys.argv[1:] if argv is None else argv
    if parts == ["backfill"]:
        with moto_server() as emulator:
            report = {"machine": machine(), "backfill": backfill.report(emulator, PRICED_INDEXES)}
        print(json.dumps(report, indent=2))
        return
    if parts == ["healing"]:
        with moto_server() as emulator:
            report = {"machine": machine(), "healing": measure_healing(emulator)}
        print(json.dumps(report, indent=2))
        return
    report: dict[str, Any] = {"machine": machine()}
    report["core_2000_events"] = measure_core(timeline_batch(500, "core"))
    with moto_server() as emulator:
        emulator.client("dynamodb").create_table(
            **table_definition(TABLE),
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        with built_function("transform", function_env(emulator)) as transform:
            report["transform_2000_events"] = measure_transform(
                transform, timeline_batch(500, "b2k")
            )
            big, size = batch_of_size(3 * 1024 * 1024, "b3m")
            report["transform_3mb"] = {
                "payload_bytes": size,
                **measure_transform(transform, big),
            }
            report["transform_replay_2000_events"] = measure_transform(
                transform, timeline_batch(500, "b2k")
            )
            report["transform_500_mails_to_3"] = measure_transform(
                transform, team_batch(500, "team")
            )
            report["write_units"] = {
                name: measure_write_units(transform, timeline)
                for name, timeline in timelines().items()
            }
            report["engaged_message_200_events"] = measure_long_lived(
                transform, 200, ("Open", "Click")
            )
            report["long_lived_message_1000_events"] = measure_long_lived(transform)
            records = StreamReader(
                emulator.client("dynamodbstreams"),
                emulator.client("dynamodb").describe_table(TableName=TABLE)["Table"][
                    "LatestStreamArn"
                ],
            ).new_records()
        with built_function("stream", function_env(emulator)) as stream:
            report["stream_function"] = measure_stream(stream, records)
        with built_function("transform", function_env(emulator)) as transform:
            now_ms = int(time.time() * 1000)
            start = time.perf_counter()
            for batch in search_world(now_ms):
                assert set(results(run_firehose(transform, batch))) == {"Ok"}
            report["search_world_load_seconds"] = round(time.perf_counter() - start, 1)
        # moto answers a Query by scanning the whole table, so the 36-Query fan-out of
        # status=failed (4 channels) takes seconds here, where DynamoDB takes milliseconds:
        # the function gets API Gateway's longest timeout, so that its deadline never
        # refuses a call the real service would have answered in time.
        query_env = {**function_env(emulator), "FUNCTION_TIMEOUT_SECONDS": "29"}
        with built_function("query", query_env) as query:
            report["query"] = measure_query(query, [f"b2k-{n:05d}" for n in range(500)])
            report["search_10000_messages"] = measure_search(query, now_ms)
        report["backfill"] = backfill.report(emulator, PRICED_INDEXES)
        report["healing"] = measure_healing(emulator)
    report["cold_import_ms"] = {
        name: cold_import_ms(DIST / f"{name}.zip")
        for name in ("transform", "query", "stream", "heal")
    }
    # Our own code alone, without boto3/Powertools (which the runtime and the layer provide).
    report["cold_import_ms"]["core_only"] = cold_import_ms(
        DIST / "transform.zip", "message_status.pipeline, message_status.item"
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
