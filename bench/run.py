"""Benchmark the shipped Lambda code (dist/*.zip) against a moto server on loopback.

Reports, for `make bench`:
  * transform: events/s and DynamoDB requests per distinct message, on a
    2,000-event batch (500 messages x 4 events) and on a ~3 MB batch;
  * query: per-request latency of GET /messages/{id} and of a 100-id batch-get;
  * cold import time of each handler (fresh interpreter, median of 5).

Not a test: numbers depend on the machine. Record them in bench/README.md.

    make bench     # PYTHONPATH=lambda_src python -m bench.run
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from message_status.item import to_item
from message_status.pipeline import archive_data, group_by_message, interpret
from message_status.record import fold

from devkit import DIST
from devkit.calls import call_api, results, run_firehose
from devkit.capacity import item_size, write_units
from devkit.emulator import Emulator, moto_server
from devkit.events import b64, ses
from devkit.lambdas import LambdaProcess, built_function

TABLE = "bench-message-status"
EVENT_KINDS = ("Send", "Delivery", "Open", "Click")


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
        table, index = write_units(write["before"], write["after"])
        out.append({"table": table, "index": index, "bytes": item_size(write["after"])})
    return out


def measure_long_lived(transform: LambdaProcess, events: int = 1000) -> dict[str, Any]:
    """One message receiving ``events`` events one batch at a time (opens from an image proxy).

    Write units are computed from the items written, by DynamoDB's published
    rules (devkit.capacity): moto reports no truthful ConsumedCapacity.
    """
    message_id = "long-lived-0001"
    base = 1_700_000_000_000
    timeline = [ses("Send", message_id, base), ses("Delivery", message_id, base + 1000)]
    timeline += [ses("Open", message_id, base + 10_000 + n * 1000) for n in range(events - 2)]
    transform.writes(reset=True)
    for n, event in enumerate(timeline):
        assert results(run_firehose(transform, [event], start=n)) == ["Ok"]
    writes = write_units_of(transform)
    units = [w["table"] + w["index"] for w in writes]
    return {
        "events": events,
        "writes": len(writes),
        "wcu_per_write_mean": round(statistics.mean(units), 3),
        "wcu_per_write_max": max(units),
        "wcu_last_write": units[-1],
        "item_bytes_last": writes[-1]["bytes"],
    }


def measure_transform(transform: LambdaProcess, batch: list[dict]) -> dict[str, Any]:
    transform.requests(reset=True)
    start = time.perf_counter()
    response = run_firehose(transform, batch)
    elapsed = time.perf_counter() - start
    assert set(results(response)) == {"Ok"}, "the benchmark batch must be fully processed"
    messages = len({event["mail"]["messageId"] for event in batch})
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
        for events in group_by_message(interpretations).values():
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
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def main() -> None:
    report: dict[str, Any] = {"machine": machine()}
    report["core_2000_events"] = measure_core(timeline_batch(500, "core"))
    with moto_server() as emulator:
        emulator.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "message_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "message_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
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
            report["long_lived_message_1000_events"] = measure_long_lived(transform)
        with built_function("query", function_env(emulator)) as query:
            report["query"] = measure_query(query, [f"b2k-{n:05d}" for n in range(500)])
    report["cold_import_ms"] = {
        name: cold_import_ms(DIST / f"{name}.zip") for name in ("transform", "query")
    }
    # Our own code alone, without boto3/Powertools (which the runtime and the layer provide).
    report["cold_import_ms"]["core_only"] = cold_import_ms(
        DIST / "transform.zip", "message_status.pipeline, message_status.item"
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
