"""Lambda's DynamoDB Streams event-source mapping, played by hand where nothing runs it.

The emulator stores the mapping but runs no function (no Docker), so the demo,
the apply tests and the benchmark read the table's stream with the
``dynamodbstreams`` API and invoke the deployed stream function themselves,
following the mapping's own settings as Lambda documents them:

* records that do not match the mapping's filter patterns are dropped before
  any invocation (matched with moto's EventBridge pattern matcher, the syntax
  Lambda's filters use);
* batches of ``BatchSize`` records, in shard order;
* ``ReportBatchItemFailures``: the batch is retried from the lowest sequence
  number the function reported; a function error retries the whole batch,
  split in two first when ``BisectBatchOnFunctionError`` is on;
* after ``MaximumRetryAttempts`` retries, an invocation record describing the
  batch (shard, first and last sequence numbers) goes to the on-failure
  destination, and processing moves on.

The records and the failure message have the shapes Lambda gives them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from moto.events.models import EventPattern

Invoke = Callable[[dict[str, Any]], dict[str, Any]]
# The module's filter (events.tf): message items written, never pointer items, removals or
# quiet writes (a backfill's, marked "q": message_status.changes.QUIET_MARKER).
MODULE_FILTER: dict[str, Any] = {
    "eventName": ["INSERT", "MODIFY"],
    "dynamodb": {"NewImage": {"src": {"S": [{"exists": True}]}, "q": {"N": [{"exists": False}]}}},
}
_serializer = TypeSerializer()


# --- reading the stream ----------------------------------------------------------------


@dataclass
class StreamReader:
    """Every record of a stream, each read once: later calls return only new records."""

    client: Any  # a dynamodbstreams client
    stream_arn: str
    positions: dict[str, str] = field(default_factory=dict)  # shard -> last sequence number

    def new_records(self) -> list[dict[str, Any]]:
        records = []
        shards = self.client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in shards["Shards"]:
            records += self._shard_records(shard["ShardId"])
        return records

    def _shard_records(self, shard_id: str) -> list[dict[str, Any]]:
        last = self.positions.get(shard_id)
        position = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
            if last
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = self.client.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard_id, **position
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while iterator:
            page = self.client.get_records(ShardIterator=iterator)
            if not page["Records"]:
                break
            records += [lambda_record(r, self.stream_arn, shard_id) for r in page["Records"]]
            iterator = page.get("NextShardIterator")
        if records:
            self.positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        return records


def lambda_record(record: Mapping[str, Any], stream_arn: str, shard_id: str) -> dict[str, Any]:
    """A GetRecords record as Lambda hands it over (plus the shard, which Lambda keeps aside)."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", "us-east-1"),
        "dynamodb": stream,
        "eventSourceARN": stream_arn,
        "_shard": shard_id,
    }


def image(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A plain item as a stream image (DynamoDB JSON)."""
    if item is None:
        return None
    return {key: _serializer.serialize(value) for key, value in item.items()}


def record_of(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, sequence_number: int
) -> dict[str, Any]:
    """A stream record for a write from ``old`` to ``new`` (plain items), as Lambda sends it."""
    name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    key = (new or old or {}).get("message_id", "")
    stream: dict[str, Any] = {
        "Keys": {"message_id": {"S": key}},
        "SequenceNumber": str(sequence_number),
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        stream["NewImage"] = image(new)
    if old is not None:
        stream["OldImage"] = image(old)
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": stream,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2027-01-01T00:00:00.000",
        "_shard": "shardId-00000000000000000000-00000000",
    }


# --- the mapping -----------------------------------------------------------------------


@dataclass(frozen=True)
class MappingSettings:
    batch_size: int = 100
    filters: tuple[str, ...] = ()
    report_batch_item_failures: bool = True
    bisect_on_error: bool = True
    maximum_retry_attempts: int = 10
    on_failure_arn: str | None = None

    @classmethod
    def of(cls, mapping: Mapping[str, Any]) -> MappingSettings:
        """From a ListEventSourceMappings entry."""
        return cls(
            batch_size=int(mapping.get("BatchSize", 100)),
            filters=tuple(
                f["Pattern"] for f in (mapping.get("FilterCriteria") or {}).get("Filters", [])
            ),
            report_batch_item_failures="ReportBatchItemFailures"
            in (mapping.get("FunctionResponseTypes") or []),
            bisect_on_error=bool(mapping.get("BisectBatchOnFunctionError")),
            # -1 is "until the record expires": a day of retries, played as 10,000.
            maximum_retry_attempts=max(-1, int(mapping.get("MaximumRetryAttempts", -1))) % 10_001,
            on_failure_arn=((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
                "Destination"
            ),
        )

    def accepts(self, record: Mapping[str, Any]) -> bool:
        """Whether the mapping's filters let ``record`` through (no filter: every record)."""
        visible = {k: v for k, v in record.items() if not k.startswith("_")}
        return not self.filters or any(
            EventPattern.load(pattern).matches_event(visible)  # type: ignore[arg-type]
            for pattern in self.filters
        )


@dataclass
class MappingReport:
    invocations: int = 0
    records_in: int = 0
    records_filtered_out: int = 0
    failed_batches: list[dict[str, Any]] = field(default_factory=list)


class FunctionError(Exception):
    """The function raised (or answered something that is not a partial-batch response)."""


def run_mapping(
    invoke: Invoke,
    records: Sequence[dict[str, Any]],
    settings: MappingSettings,
    on_failure: Callable[[dict[str, Any]], None] | None = None,
) -> MappingReport:
    """Deliver ``records`` to ``invoke`` as the mapping would; failed batches to ``on_failure``."""
    delivery = _Delivery(invoke, settings, MappingReport(records_in=len(records)), on_failure)
    kept = [r for r in records if settings.accepts(r)]
    delivery.report.records_filtered_out = len(records) - len(kept)
    for start in range(0, len(kept), settings.batch_size):
        delivery.deliver(kept[start : start + settings.batch_size], settings.maximum_retry_attempts)
    return delivery.report


def _event(batch: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": [{k: v for k, v in r.items() if not k.startswith("_")} for r in batch]}


@dataclass
class _Delivery:
    invoke: Invoke
    settings: MappingSettings
    report: MappingReport
    on_failure: Callable[[dict[str, Any]], None] | None

    def invoke_once(self, batch: Sequence[dict[str, Any]]) -> list[str]:
        """The sequence numbers the function reported failed; FunctionError when it failed."""
        self.report.invocations += 1
        try:
            response = self.invoke(_event(batch))
        except Exception as err:  # any error of the function is a function error
            raise FunctionError(str(err)) from err
        failures = (response or {}).get("batchItemFailures")
        if not isinstance(failures, list):
            raise FunctionError(f"not a partial-batch response: {response!r}")
        return [str(f.get("itemIdentifier", "")) for f in failures]

    def deliver(self, batch: list[dict[str, Any]], retries: int) -> None:
        pending = batch
        while pending:
            try:
                failed = self.invoke_once(pending)
            except FunctionError:
                if self.settings.bisect_on_error and len(pending) > 1:
                    # Splitting does not count as a retry.
                    half = len(pending) // 2
                    for part in (pending[:half], pending[half:]):
                        self.deliver(part, retries)
                    return
                failed = [pending[0]["dynamodb"]["SequenceNumber"]]
            if not failed:
                return
            if retries == 0:
                _give_up(pending, self.settings, self.report, self.on_failure)
                return
            retries -= 1
            lowest = min(int(number) if number.isdigit() else -1 for number in failed)
            pending = [r for r in pending if int(r["dynamodb"]["SequenceNumber"]) >= lowest]


def _give_up(
    batch: Sequence[dict[str, Any]],
    settings: MappingSettings,
    report: MappingReport,
    on_failure: Callable[[dict[str, Any]], None] | None,
) -> None:
    """The invocation record Lambda sends to the on-failure destination for a stream batch."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    message = {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": settings.maximum_retry_attempts + 1,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "version": "1.0",
        "timestamp": now,
        "DDBStreamBatchInfo": {
            "shardId": batch[0].get("_shard"),
            "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
            "batchSize": len(batch),
            "streamArn": batch[0].get("eventSourceARN"),
        },
    }
    report.failed_batches.append(message)
    if on_failure is not None:
        on_failure(message)


def sqs_sender(sqs: Any, queue_arn: str) -> Callable[[dict[str, Any]], None]:
    """An on-failure destination: the SQS queue ``queue_arn``, as Lambda sends to it."""
    name = queue_arn.rsplit(":", 1)[-1]
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return lambda message: sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))


def taken_bodies(sqs: Any, queue_url: str) -> Iterator[str]:
    """Every message's body in a queue until it is empty, each deleted once handed over."""
    while True:
        page = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = page.get("Messages", [])
        if not messages:
            return
        for message in messages:
            yield message["Body"]
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message in a queue, parsed and deleted (EventBridge targets deliver JSON)."""
    return [json.loads(body) for body in taken_bodies(sqs, queue_url)]
