"""What Amazon Data Firehose writes to S3 after its processor answers, played by hand.

moto's Firehose never calls the processor: its PutRecordBatch writes the raw
records straight to the bucket. The demo and the tests invoke the deployed
transform themselves (devkit.calls.run_firehose_event) and then write what
Firehose would, as Firehose does:

* the Ok records' data, concatenated, GZIP-compressed, under the stream's
  prefix;
* each ProcessingFailed record as one JSON line in Firehose's documented error
  format (attemptsMade, arrivalTimestamp, errorCode, errorMessage,
  attemptEndingTimestamp, rawData, lambdaArn: "Handle failure in data
  transformation", Amazon Data Firehose Developer Guide), GZIP-compressed,
  under ``errors/processing-failed/``;
* ``process``: an invocation that fails is retried three times (Firehose's
  default NumberOfRetries), then the whole batch goes to the error output.

Object names follow Firehose's pattern: the expanded prefix, then
``<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<random>``.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# What Firehose records as the error of a record its processor flagged.
PROCESSING_FAILED_CODE = "Lambda.ProcessingFailed"
PROCESSING_FAILED_MESSAGE = "The record was flagged as ProcessingFailed by Lambda."
# A batch whose invocation failed every time: the documentation gives errorCode as "the
# HTTP error code returned by Lambda" without listing the values; this one is the model's.
INVOCATION_FAILED_CODE = "Lambda.InvokeFailed"
INVOCATION_FAILED_MESSAGE = "The Lambda function invocation failed."
# "If your Lambda function invocation fails because of a network timeout or because you've
# reached the Lambda invocation limit, Amazon Data Firehose retries the invocation three
# times by default. If the invocation does not succeed, Amazon Data Firehose then skips
# that batch of records" (to the error output): NumberOfRetries.
INVOCATION_RETRIES = 3
# The module's prefixes (firehose.tf; tests/terraform/test_static.py keeps them in step).
MODULE_PREFIX = "events/!{timestamp:yyyy/MM/dd}/"
MODULE_ERROR_PREFIX = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"


def expand_prefix(prefix: str, when: datetime, error_type: str = "processing-failed") -> str:
    """A Firehose prefix with its !{timestamp:...} and !{firehose:...} expressions resolved."""

    def timestamp(match: re.Match[str]) -> str:
        java = match.group(1)
        return when.strftime(
            java.replace("yyyy", "%Y").replace("MM", "%m").replace("dd", "%d").replace("HH", "%H")
        )

    expanded = re.sub(r"!\{timestamp:([^}]+)\}", timestamp, prefix)
    expanded = expanded.replace("!{firehose:error-output-type}", error_type)
    return expanded.replace("!{firehose:random-string}", uuid.uuid4().hex[:8])


def object_key(prefix: str, stream: str, when: datetime) -> str:
    """Firehose's object name under an (expanded) prefix; it adds the hour when the prefix
    uses only the day."""
    hour = "" if "%H" in prefix else when.strftime("%H/")
    return f"{prefix}{hour}{stream}-1-{when.strftime('%Y-%m-%d-%H-%M-%S')}-{uuid.uuid4()}.gz"


@dataclass(frozen=True)
class Destination:
    """Where a delivery stream writes: its bucket, prefixes and processor."""

    bucket: str
    stream: str
    prefix: str
    error_prefix: str
    lambda_arn: str

    @classmethod
    def module(cls, bucket: str, stream: str, lambda_arn: str = "") -> Destination:
        """The module's destination for ``stream``, with its prefixes (firehose.tf)."""
        return cls(bucket, stream, MODULE_PREFIX, MODULE_ERROR_PREFIX, lambda_arn)

    @classmethod
    def of(cls, description: Mapping[str, Any]) -> Destination:
        """From DescribeDeliveryStream's DeliveryStreamDescription."""
        s3 = description["Destinations"][0]["ExtendedS3DestinationDescription"]
        processors = s3.get("ProcessingConfiguration", {}).get("Processors", [])
        parameters = {
            p["ParameterName"]: p["ParameterValue"]
            for processor in processors
            for p in processor.get("Parameters", [])
        }
        return cls(
            bucket=s3["BucketARN"].split(":")[-1],
            stream=description["DeliveryStreamName"],
            prefix=s3.get("Prefix", ""),
            error_prefix=s3.get("ErrorOutputPrefix", ""),
            lambda_arn=parameters.get("LambdaArn", ""),
        )


def error_lines(
    failed: Sequence[Mapping[str, Any]],
    lambda_arn: str,
    now_ms: int,
    *,
    code: str = PROCESSING_FAILED_CODE,
    message: str = PROCESSING_FAILED_MESSAGE,
    attempts: int = 1,
) -> list[dict[str, Any]]:
    """Firehose's error documents for the failed records (each with its original data)."""
    return [
        {
            "attemptsMade": attempts,
            "arrivalTimestamp": int(record.get("approximateArrivalTimestamp", now_ms)),
            "errorCode": code,
            "errorMessage": message,
            "attemptEndingTimestamp": now_ms,
            "rawData": record["data"],
            "lambdaArn": lambda_arn,
        }
        for record in failed
    ]


def error_object(lines: Sequence[Mapping[str, Any]]) -> bytes:
    """An error output object: one JSON document per line, GZIP-compressed."""
    return gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode(), mtime=0)


def deliver(
    s3: Any,
    destination: Destination,
    event: Mapping[str, Any],
    response: Mapping[str, Any],
    *,
    when: datetime | None = None,
    mirror: Path | None = None,
) -> dict[str, str]:
    """Write the processor's answer to S3 as Firehose would; the keys written, by result.

    With ``mirror``, each object is also written under that folder, at its key.
    """
    when = when or datetime.now(UTC)
    now_ms = int(when.timestamp() * 1000)
    originals = {record["recordId"]: record for record in event["records"]}
    ok = b"".join(base64.b64decode(r["data"]) for r in response["records"] if r["result"] == "Ok")
    failed = [
        {**originals[r["recordId"]], "data": r["data"]}
        for r in response["records"]
        if r["result"] == "ProcessingFailed"
    ]
    written = {}
    if ok:
        key = object_key(expand_prefix(destination.prefix, when), destination.stream, when)
        _put(s3, destination.bucket, key, gzip.compress(ok, mtime=0), mirror)
        written["Ok"] = key
    if failed:
        lines = error_lines(failed, destination.lambda_arn, now_ms)
        key = object_key(expand_prefix(destination.error_prefix, when), destination.stream, when)
        _put(s3, destination.bucket, key, error_object(lines), mirror)
        written["ProcessingFailed"] = key
    return written


def process(
    s3: Any,
    destination: Destination,
    invoke: Callable[[dict[str, Any]], dict[str, Any]],
    event: Mapping[str, Any],
    *,
    retries: int = INVOCATION_RETRIES,
    when: datetime | None = None,
) -> dict[str, str]:
    """Invoke the processor with one batch as Firehose does, then write what it writes.

    An invocation that fails (an error, a timeout) is tried ``retries`` more
    times; when none succeeds, every record of the batch goes to the error
    output with its original data. The keys written, by result.
    """
    for _ in range(retries + 1):
        try:
            response = invoke(dict(event))
        except Exception:  # noqa: BLE001, S112 - any failed invocation is retried, as Firehose does
            continue
        return deliver(s3, destination, event, response, when=when)
    when = when or datetime.now(UTC)
    now_ms = int(when.timestamp() * 1000)
    lines = error_lines(
        event["records"],
        destination.lambda_arn,
        now_ms,
        code=INVOCATION_FAILED_CODE,
        message=INVOCATION_FAILED_MESSAGE,
        attempts=retries + 1,
    )
    key = object_key(expand_prefix(destination.error_prefix, when), destination.stream, when)
    _put(s3, destination.bucket, key, error_object(lines), None)
    return {"ProcessingFailed": key}


def _put(s3: Any, bucket: str, key: str, body: bytes, mirror: Path | None) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    if mirror is not None:
        path = mirror / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


def keys(s3: Any, bucket: str, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found |= {item["Key"] for item in page.get("Contents", [])}
    return found


def read_error_records(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return [json.loads(line) for line in body.decode().splitlines() if line.strip()]
