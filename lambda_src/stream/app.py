"""DynamoDB Streams handler: the table's changes -> "Message Status Changed" on EventBridge.

Thin edge around message_status: each record's old and new images are read
by the same code the API answers with (changes.status_change), the changes
are put on the bus in batches of 10 (publisher.EventPublisher, failed entries
retried), and the records whose events could not be put are returned as
``batchItemFailures``: Lambda retries from the first of them, bisects, and
after ``maximum_retry_attempts`` sends the batch to the on-failure queue.
Nothing is dropped silently. Delivery is at least once: consumers dedupe on
``(message_id, version)``.

Powertools' BatchProcessor is not used: it hands records to a handler one at
a time, and this function must batch the events of many records into one
PutEvents call (10 per request, not 1).

No personal data leaves through traces or logs: annotations and log lines
carry counts, sequence numbers and message ids only; the event's detail,
which names recipients, goes to EventBridge alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from message_status.budget import CallBudget, Deadline, stream_call_budget
from message_status.changes import DEFAULT_EVENT_SOURCE, StatusChange, put_entry, status_change
from message_status.dynamodb_json import deserialize
from message_status.publisher import EventPublisher
from message_status.settings import positive_int, setting, text
from message_status.tracing import annotate

SERVICE = setting("POWERTOOLS_SERVICE_NAME", text, "message-status-stream")
NAMESPACE = setting("POWERTOOLS_METRICS_NAMESPACE", text, "MessageStatus")
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
RESPONSE_MARGIN_S = 2.0


@dataclass(frozen=True)
class Reading:
    """One stream record: its sequence number, and its change, none, or why it is unreadable."""

    sequence_number: str
    change: StatusChange | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Settings:
    """What the deployment decides (events.tf sets each variable), read once: settings()."""

    # One PutEvents call's timeouts and worst case, from FUNCTION_TIMEOUT_SECONDS.
    call_budget: CallBudget
    event_bus: str
    event_source: str


@cache
def settings() -> Settings:
    """Read on first use, so importing the module needs no configuration."""
    return Settings(
        call_budget=stream_call_budget(setting("FUNCTION_TIMEOUT_SECONDS", positive_int, 30)),
        event_bus=setting("EVENT_BUS_NAME", text, "default"),
        event_source=setting("EVENT_SOURCE", text, DEFAULT_EVENT_SOURCE),
    )


@cache
def events_client() -> Any:
    """Created on first use, so importing the module needs no AWS configuration."""
    return boto3.client("events", config=settings().call_budget.config)


def read_record(record: Mapping[str, Any]) -> Reading:
    """The change one stream record carries; a record without a sequence number is refused."""
    stream = record.get("dynamodb") or {}
    sequence_number = str(stream.get("SequenceNumber", ""))
    try:
        old = stream.get("OldImage")
        new = stream.get("NewImage")
        change = status_change(
            deserialize(old) if old else None,
            deserialize(new) if new and record.get("eventName") != "REMOVE" else None,
        )
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        return Reading(sequence_number, problem=f"{type(err).__name__}: image unreadable")
    return Reading(sequence_number, change)


@dataclass(frozen=True)
class Published:
    """What became of a batch: the records not fully handled, and why events were not put."""

    failed: list[str]  # sequence numbers, in the batch's order
    not_put: list[str]  # the sequence numbers of records whose event was not put
    error_codes: Counter[str]  # events not put, by the error code of their last attempt


def publish_changes(readings: Sequence[Reading], publisher: EventPublisher) -> Published:
    """Publish every change; which records were not fully handled, and why."""
    publishable = [r for r in readings if r.change is not None]
    config = settings()
    entries = [
        put_entry(r.change, config.event_source, config.event_bus) for r in publishable if r.change
    ]
    not_put = publisher.publish(entries)
    unpublished = {publishable[p].sequence_number for p in not_put}
    failed = unpublished | {r.sequence_number for r in readings if r.problem}
    return Published(
        failed=[r.sequence_number for r in readings if r.sequence_number in failed],
        not_put=[r.sequence_number for r in readings if r.sequence_number in unpublished],
        error_codes=Counter(not_put.values()),
    )


def log_problems(readings: Sequence[Reading], published: Published) -> None:
    for reading in readings:
        if reading.problem:
            logger.error(
                "stream record unreadable; Lambda retries it, then reports it to the failure queue",
                extra={"sequence_number": reading.sequence_number, "reason": reading.problem},
            )
    if published.not_put:
        logger.warning(
            "events not put; their records go back to Lambda for a retry",
            extra={
                "records": len(published.not_put),
                "first_sequence_number": published.not_put[0],
                "error_codes": dict(published.error_codes.most_common()),
            },
        )


def record_metrics(readings: Sequence[Reading], failed: Sequence[str], requests: int) -> None:
    changes = sum(1 for r in readings if r.change is not None)
    metrics.add_metric("stream_records", MetricUnit.Count, len(readings))
    metrics.add_metric("status_changes", MetricUnit.Count, changes)
    metrics.add_metric("records_failed", MetricUnit.Count, len(failed))
    metrics.add_metric("put_events_requests", MetricUnit.Count, requests)
    annotate(tracer, records=len(readings), changes=changes, records_failed=len(failed))


def invocation_deadline(context: LambdaContext) -> Deadline:
    """No PutEvents call starts unless it can finish, with the response margin left over."""
    remaining_s = context.get_remaining_time_in_millis() / 1000 - RESPONSE_MARGIN_S
    return Deadline(remaining_s, settings().call_budget.worst_s)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise TypeError("not a DynamoDB Streams event: no Records list")
    readings = [read_record(record) for record in records]
    publisher = EventPublisher(events_client(), invocation_deadline(context))
    published = publish_changes(readings, publisher)
    log_problems(readings, published)
    record_metrics(readings, published.failed, publisher.requests)
    return {"batchItemFailures": [{"itemIdentifier": number} for number in published.failed]}
