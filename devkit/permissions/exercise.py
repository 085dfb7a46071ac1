"""Every call path of the shipped code, run on a deployed stack with its calls recorded.

The transform (a batch with a multi-recipient mail, so that pointer items go
through BatchWriteItem), the query (each route and search), the stream
function (on the table stream's records) and ``msgstatus`` (get and search
through the API, replay through S3 and Firehose) run as they do in AWS; the
functions in the worker with DEVKIT_RECORD_CALLS set, the CLI in process with
a recorder on each client it creates and on its HTTP transport.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlparse

from msgstatus import api as msgapi
from msgstatus.main import Runtime, default_aws_client, main

from devkit.calls import call_api, run_firehose
from devkit.emulator import patched_environ
from devkit.events import firehose_event, http_event, ses
from devkit.firehose import Destination, deliver
from devkit.permissions.calls import RECORD_ENV, Call, CallRecorder
from devkit.stack import Stack
from devkit.streams import StreamReader

QUIET = {
    RECORD_ENV: "1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}
SENT_MS = 1_795_500_000_000
TEAM = ["proof.ann@example.com", "proof.bob@example.org", "proof.cy@example.net"]


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

    with stack.function("query_function_name", QUIET) as query:
        for method, path, params, body in [
            ("GET", "/messages/proof-1", None, None),
            ("POST", "/messages/batch-get", None, json.dumps({"message_ids": ["proof-1", "x"]})),
            ("GET", "/messages", {"recipient": TEAM[1]}, None),
            ("GET", "/messages", {"correlation_id": "ORD-PROOF"}, None),
            ("GET", "/messages", {"status": "failed"}, None),
        ]:
            status, answer = call_api(query, method, path, params, body)
            assert status == 200, (path, params, answer)
        recorded.functions[outputs["query_function_name"]] = _calls(query)
        recorded.operator, recorded.api_requests = _run_cli(stack, query)

    records = reader.new_records()
    assert records, "the transform's writes are on the table's stream"
    with stack.function("stream_function_name", QUIET) as stream:
        answer = stream.invoke({"Records": [_without_shard(r) for r in records]})
        assert answer == {"batchItemFailures": []}, answer
        recorded.functions[outputs["stream_function_name"]] = _calls(stream)
    return recorded


def _without_shard(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _run_cli(stack: Stack, query: Any) -> tuple[list[Call], list[tuple[str, str]]]:
    """msgstatus get, search and replay, as an operator runs them."""
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
    api = ["--api-url", "https://api.example.com", "--token", "proof-token"]
    outputs = stack.outputs
    argvs = [
        ["get", *api, "proof-1"],
        ["search", *api, "--recipient", TEAM[0]],
        [
            "replay",
            "--bucket",
            outputs["archive_bucket_name"],
            "--stream",
            outputs["delivery_stream_name"],
            "--region",
            "us-east-1",
        ],
    ]
    with _environment(stack):
        for argv in argvs:
            code = main(argv, runtime)
            assert code in (0, 1), f"msgstatus {argv[0]}: {out.getvalue()}"
    return recorder.calls, requests


def _environment(stack: Stack) -> Any:
    return patched_environ(stack.runtime_env)


Exercised = Callable[[Stack], Recorded]
