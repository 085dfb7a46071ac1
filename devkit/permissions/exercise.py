"""Every call path of the shipped code, run on a deployed stack with its calls recorded.

The transform (a batch with a multi-recipient mail, so that pointer items go
through BatchWriteItem), the query (each route and search, and the page of a
recipient SES suppressed, so that it reads the suppression list), the stream
function (on the table stream's records), the heal function (an error object
of its own, notified by the emulator's S3: a record healed, one parked) and
``msgstatus`` (get, search and recipient through the API; the recipient's
removal from the suppression list with the operator's credentials; replay
through S3 and Firehose; backfill of one hour of the archive's raw backup,
history the table has not seen, so that it reads the transform's settings and
writes items and pointers) run as they do in AWS; the functions in the worker
with DEVKIT_RECORD_CALLS set, the CLI in process with a recorder on each
client it creates and on its HTTP transport.
"""

from __future__ import annotations

import gzip
import io
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus, urlparse

from botocore.exceptions import ClientError
from msgstatus import api as msgapi
from msgstatus.main import Runtime, default_aws_client, main

from devkit.calls import call_api, run_firehose
from devkit.emulator import patched_environ
from devkit.events import firehose_event, http_event, ses
from devkit.firehose import Destination, deliver, expand_prefix, object_key
from devkit.permissions.calls import RECORD_ENV, Call, CallRecorder
from devkit.queues import Clock, PlayedQueue, QueueSettings, deliver_due
from devkit.ses_suppression import suppress
from devkit.stack import Stack
from devkit.streams import StreamReader

QUIET = {
    RECORD_ENV: "1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}
SENT_MS = 1_795_500_000_000
TEAM = ["proof.ann@example.com", "proof.bob@example.org", "proof.cy@example.net"]
SUPPRESSED = TEAM[1]  # proof-1 bounced for her: SES put her on the suppression list
HISTORY_SENT_MS = SENT_MS - 86_400_000  # a message from before the table: the backfill's
REGION = "us-east-1"


@dataclass
class Recorded:
    """The calls each part made: by function name, and the operator's (CLI)."""

    functions: dict[str, list[Call]] = field(default_factory=dict)
    operator: list[Call] = field(default_factory=list)
    api_requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)


def _calls(process: Any) -> list[Call]:
    return [Call.of(c) for c in process.calls()]


def exercise(stack: Stack) -> Recorded:
    recorded = Recorded()
    outputs = stack.outputs
    reader = StreamReader(stack.client("dynamodbstreams"), outputs["table_stream_arn"])
    reader.new_records()  # what earlier tests wrote is theirs
    mail = [
        ses("Send", "proof-1", SENT_MS, destination=TEAM, tags={"order_id": "ORD-PROOF"}),
        ses("Bounce", "proof-1", SENT_MS + 50, destination=TEAM, named=TEAM[1:], sent_ms=SENT_MS),
        "not an event",  # ProcessingFailed: goes to errors/, for the replay
    ]
    with stack.function("transform_function_name", QUIET) as transform:
        event = firehose_event(mail)
        response = run_firehose(transform, mail)
        recorded.functions[outputs["transform_function_name"]] = _calls(transform)
    firehose = stack.client("firehose")
    description = firehose.describe_delivery_stream(
        DeliveryStreamName=outputs["delivery_stream_name"]
    )["DeliveryStreamDescription"]
    deliver(stack.client("s3"), Destination.of(description), event, response)
    history = put_history(stack, description)
    account = outputs["table_arn"].split(":")[4]
    suppress(SUPPRESSED, message_id="proof-1", account_id=account, region=REGION)
    with stack.function("heal_function_name", QUIET) as heal:
        _heal(stack, Destination.of(description), heal)
        recorded.functions[outputs["heal_function_name"]] = _calls(heal)

    with stack.function("query_function_name", QUIET) as query:
        for method, path, params, body in [
            ("GET", "/messages/proof-1", None, None),
            ("POST", "/messages/batch-get", None, json.dumps({"message_ids": ["proof-1", "x"]})),
            ("GET", "/messages", {"recipient": TEAM[1]}, None),
            ("GET", "/messages", {"correlation_id": "ORD-PROOF"}, None),
            ("GET", "/messages", {"status": "failed"}, None),
            ("GET", f"/recipients/{quote(SUPPRESSED, safe='')}", None, None),
        ]:
            status, answer = call_api(query, method, path, params, body)
            assert status == 200, (path, params, answer)
        assert answer["suppression"]["state"] == "suppressed", answer["suppression"]
        recorded.functions[outputs["query_function_name"]] = _calls(query)
        recorded.operator, recorded.api_requests = _run_cli(stack, query, history)
    assert_removed(stack, SUPPRESSED)

    records = reader.new_records()
    assert records, "the transform's writes are on the table's stream"
    with stack.function("stream_function_name", QUIET) as stream:
        answer = stream.invoke({"Records": [_without_shard(r) for r in records]})
        assert answer == {"batchItemFailures": []}, answer
        recorded.functions[outputs["stream_function_name"]] = _calls(stream)
    return recorded


def _heal(stack: Stack, destination: Destination, heal: Any) -> None:
    """An error object of the heal function's own (the transform's stays for the replay):
    its notification, as the emulator's S3 sent it, handed over as the mapping would."""
    s3 = stack.client("s3")
    event = firehose_event([ses("Send", "proof-heal", SENT_MS), "not an event either"])
    failed = {
        "records": [
            {"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]}
            for r in event["records"]
        ]
    }
    key = deliver(s3, destination, event, failed)["ProcessingFailed"]
    queue_arn = stack.outputs["heal_queue_arn"]
    (note,) = [
        body
        for body in stack.queued_bodies(queue_arn)
        if key
        in [unquote_plus(r["s3"]["object"]["key"]) for r in json.loads(body).get("Records", [])]
    ]
    queue = PlayedQueue(QueueSettings(0, 300, 6), Clock(), arn=queue_arn)
    queue.send(note)
    report = deliver_due(queue, heal.invoke)
    assert (report.invocations, report.deleted) == (1, 1), report


def _without_shard(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def put_history(stack: Stack, description: dict[str, Any]) -> str:
    """A mail to the team from the day before, as Firehose's raw backup kept SES's events,
    in the archive; the prefix of its hour (one object), for the backfill."""
    when = datetime.fromtimestamp(HISTORY_SENT_MS / 1000, UTC)
    s3 = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    prefix = expand_prefix(s3["S3BackupDescription"]["Prefix"], when)
    key = object_key(prefix, description["DeliveryStreamName"], when)
    events = [
        ses("Send", "proof-history-1", HISTORY_SENT_MS, destination=TEAM),
        ses(
            "Delivery",
            "proof-history-1",
            HISTORY_SENT_MS + 900,
            destination=TEAM,
            named=TEAM,
            sent_ms=HISTORY_SENT_MS,
        ),
    ]
    body = b"".join(json.dumps(e).encode() + b"\n" for e in events)
    bucket = stack.outputs["archive_bucket_name"]
    stack.client("s3").put_object(Bucket=bucket, Key=key, Body=gzip.compress(body, mtime=0))
    return f"s3://{bucket}/{key.rsplit('/', 1)[0]}/"


def assert_removed(stack: Stack, address: str) -> None:
    """The CLI's removal reached SES (the emulator's list)."""
    try:
        stack.client("sesv2").get_suppressed_destination(EmailAddress=address)
        answer = "still listed"
    except ClientError as err:
        answer = err.response["Error"]["Code"]
    if answer != "NotFoundException":
        raise AssertionError(f"msgstatus recipient did not remove {address}: {answer}")


def _run_cli(stack: Stack, query: Any, history: str) -> tuple[list[Call], list[tuple[str, str]]]:
    """msgstatus get, search, recipient (with its removal), replay and backfill, as an
    operator runs them."""
    recorder = CallRecorder()
    requests: list[tuple[str, str]] = []

    def aws_client(service: str, region: str | None) -> Any:
        client = default_aws_client(service, region)
        recorder.attach(client.meta.events)
        return client

    def transport(request: msgapi.HttpRequest) -> msgapi.HttpResponse:
        """The API, as API Gateway serves it: the deployed query function."""
        url = urlparse(request.url)
        requests.append((request.method, url.path))
        query_params = dict(parse_qsl(url.query)) or None
        body = request.body.decode() if request.body else None
        answer = query(http_event(request.method, url.path, query_params, body))
        return msgapi.HttpResponse(answer["statusCode"], answer["body"].encode())

    out = io.StringIO()
    runtime = Runtime(stdout=out, stderr=out, aws_client=aws_client, transport=transport)
    api = ["--api-url", "https://api.example.com", "--token", "proof-token", "--region", REGION]
    outputs = stack.outputs
    with tempfile.TemporaryDirectory() as scratch, _environment(stack):
        # (argv, the exit codes it may end with)
        runs: list[tuple[list[str], tuple[int, ...]]] = [
            (["get", *api, "proof-1"], (0,)),
            (["search", *api, "--recipient", TEAM[0]], (0,)),
            (["recipient", *api, SUPPRESSED, "--remove-from-suppression-list", "--yes"], (0,)),
            (
                [
                    "replay",
                    "--bucket",
                    outputs["archive_bucket_name"],
                    "--stream",
                    outputs["delivery_stream_name"],
                    "--region",
                    REGION,
                ],
                (0, 1),  # 1: some records not put back; the proof needs the calls it made
            ),
            (
                [
                    "backfill",
                    history,
                    "--table",
                    outputs["table_name"],
                    "--function",
                    outputs["transform_function_name"],
                    "--region",
                    REGION,
                    "--checkpoint",
                    str(Path(scratch) / "backfill.sqlite"),
                ],
                (0,),
            ),
        ]
        for argv, codes in runs:
            code = main(argv, runtime)
            assert code in codes, f"msgstatus {argv[0]} ended {code}: {out.getvalue()}"
    return recorder.calls, requests


def _environment(stack: Stack) -> Any:
    return patched_environ(stack.runtime_env)


Exercised = Callable[[Stack], Recorded]
