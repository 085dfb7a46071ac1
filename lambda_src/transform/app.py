"""Firehose data-transformation handler: delivery events -> one DynamoDB item per message.

Thin edge around message_status: decode (pipeline.interpret_record), merge and
write (store.MessageStore), encode (pipeline.firehose_results). Every input
record comes back exactly once, whatever it holds: Ok (archived as one
normalized JSON line), Dropped (valid but not a delivery event) or
ProcessingFailed (kept with its original data, so Firehose writes it to the S3
error prefix, where the heal function writes it once the table answers again:
heal/app.py). One bad record never fails its neighbours, and the response
stays under Lambda's 6 MB limit by construction.

No personal data leaves through traces or logs: the Tracer records neither
the handler's response nor its errors (they hold recipients' addresses), only
counts, as annotations; logs name record and message ids, never event content.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext
from message_status.budget import CallBudget, Deadline, transform_call_budget
from message_status.item import ItemSettings
from message_status.metrics import (
    INGEST_LAG,
    RECIPIENT_EVENTS,
    SUPPRESSED_RECIPIENT_DIMENSION,
    SUPPRESSED_RECIPIENTS,
    dimensions,
    ingest_lag_ms,
    recipient_event_counts,
    suppressed_recipient_counts,
)
from message_status.outcomes import WriteOutcome, WriteResult
from message_status.pipeline import (
    Disposition,
    Interpretation,
    events_of,
    firehose_results,
    group_by_message,
    interpret_record,
)
from message_status.settings import item_settings, positive_int, required, setting, text
from message_status.store import MessageStore
from message_status.tracing import annotate

SERVICE = setting("POWERTOOLS_SERVICE_NAME", text, "message-status-transform")
NAMESPACE = setting("POWERTOOLS_METRICS_NAMESPACE", text, "MessageStatus")
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
# Time kept back at the end of an invocation for the response and metrics.
RESPONSE_MARGIN_S = 2.0


@dataclass(frozen=True)
class Settings:
    """What the deployment decides (lambda.tf sets each variable), read once: settings()."""

    table_name: str
    # One DynamoDB call's timeouts and worst case, from FUNCTION_TIMEOUT_SECONDS.
    call_budget: CallBudget
    item: ItemSettings
    # The SES tag, SMS v2 Context key or Pinpoint attribute holding the caller's own id.
    correlation_key: str | None
    # The function's own Region (Lambda sets AWS_REGION): where an event that names
    # none was sent from, since it came through this Region's delivery stream.
    region: str | None


@cache
def settings() -> Settings:
    """Read on first use, so importing the module needs no configuration."""
    return Settings(
        table_name=required("TABLE_NAME"),
        call_budget=transform_call_budget(setting("FUNCTION_TIMEOUT_SECONDS", positive_int, 60)),
        item=item_settings(),
        correlation_key=setting("CORRELATION_KEY", text, None),
        region=setting("AWS_REGION", text, None),
    )


@cache
def message_store() -> MessageStore:
    """Created on first use, so importing the module needs no AWS configuration."""
    config = settings()
    return MessageStore(
        boto3.client("dynamodb", config=config.call_budget.config),
        config.table_name,
        config.item,
    )


def record_metrics(dispositions: Counter[Disposition], outcomes: dict[str, WriteOutcome]) -> None:
    for disposition in Disposition:
        metrics.add_metric(
            f"records_{disposition.value}", MetricUnit.Count, dispositions[disposition]
        )
    results = Counter(outcome.result for outcome in outcomes.values())
    for result in WriteResult:
        metrics.add_metric(f"messages_{result.value}", MetricUnit.Count, results[result])


def emit_count(name: str, count: int, dimensions: Mapping[str, str]) -> None:
    """One metric under its own dimensions and the function's service (one EMF document)."""
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=count,
        namespace=NAMESPACE,
        default_dimensions={"service": SERVICE},  # as the alarms expect, set or not in env
    ) as metric:
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)


def record_outcome_metrics(
    interpretations: Sequence[Interpretation],
    outcomes: dict[str, WriteOutcome],
    records: Sequence[Any],
) -> None:
    """Recipient events by (channel, status) and suppressed recipients by list, each under
    its own dimensions (one EMF document per pair or list), and how long the oldest record
    waited since Firehose took it."""
    written = [
        i.event
        for i in interpretations
        if i.event is not None
        and outcomes.get(i.event.message_id, WriteOutcome(WriteResult.FAILED, 0)).result
        is WriteResult.WRITTEN
    ]
    for key, count in sorted(recipient_event_counts(written).items()):
        emit_count(RECIPIENT_EVENTS, count, dimensions(key))
    for listed, count in sorted(suppressed_recipient_counts(written).items()):
        emit_count(SUPPRESSED_RECIPIENTS, count, {SUPPRESSED_RECIPIENT_DIMENSION: listed.value})
    arrivals = [r.get("approximateArrivalTimestamp") for r in records if isinstance(r, Mapping)]
    lag = ingest_lag_ms(arrivals, int(time.time() * 1000))
    if lag is not None:
        metrics.add_metric(INGEST_LAG, MetricUnit.Milliseconds, lag)


def annotate_trace(dispositions: Counter[Disposition], outcomes: dict[str, WriteOutcome]) -> None:
    """Counts only: searchable in X-Ray, and free of personal data."""
    failed = sum(1 for outcome in outcomes.values() if outcome.result is WriteResult.FAILED)
    annotate(
        tracer,
        records=sum(dispositions.values()),
        records_invalid=dispositions[Disposition.INVALID],
        messages=len(outcomes),
        messages_failed=failed,
    )


def log_problems(
    interpretations: Sequence[Interpretation], outcomes: dict[str, WriteOutcome]
) -> None:
    for interpretation in interpretations:
        if interpretation.disposition is Disposition.INVALID:
            logger.warning(
                "record failed to parse",
                extra={"record_id": interpretation.record_id, "reason": interpretation.reason},
            )
    for message_id, outcome in outcomes.items():
        if outcome.result is WriteResult.FAILED:
            logger.error(
                "message write failed; its records go to the error output",
                extra={
                    "message_id": message_id,
                    "reason": outcome.error,
                    "error_code": outcome.error_code,
                    "attempts": outcome.attempts,
                },
            )


def invocation_deadline(context: LambdaContext) -> Deadline:
    """No write starts unless it can finish, with the response margin left over."""
    remaining_s = context.get_remaining_time_in_millis() / 1000 - RESPONSE_MARGIN_S
    return Deadline(remaining_s, settings().call_budget.worst_s)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise TypeError("not a Firehose data-transformation event: no records list")
    config = settings()
    interpretations = [
        interpret_record(record, config.correlation_key, config.region) for record in records
    ]
    groups = group_by_message(events_of(interpretations))
    outcomes: dict[str, WriteOutcome] = {}
    if groups:
        store = message_store()
        store.deadline = invocation_deadline(context)
        outcomes = store.apply_all(groups)
    log_problems(interpretations, outcomes)
    dispositions = Counter(i.disposition for i in interpretations)
    record_metrics(dispositions, outcomes)
    record_outcome_metrics(interpretations, outcomes, records)
    annotate_trace(dispositions, outcomes)
    return firehose_response(interpretations, outcomes)


def firehose_response(
    interpretations: Sequence[Interpretation], outcomes: dict[str, WriteOutcome]
) -> dict[str, Any]:
    """Every recordId exactly once, in input order, with its result and data.

    Built as a plain dict: Powertools' response class refuses an empty batch,
    which Firehose may well send.
    """
    return {
        "records": [
            {"recordId": r.record_id, "result": r.result, "data": r.data}
            for r in firehose_results(interpretations, outcomes)
        ]
    }
