"""Firehose data-transformation handler: delivery events -> one DynamoDB item per message.

Thin edge around message_status: decode (pipeline.interpret), merge and write
(store.MessageStore), encode (pipeline.record_result, in Powertools' Firehose
response data classes). Every input record
comes back exactly once: Ok (archived as one normalized JSON line), Dropped
(valid but not a delivery event) or ProcessingFailed (kept with its original
data, so Firehose writes it to the S3 error prefix).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import (
    KinesisFirehoseDataTransformationRecord,
    KinesisFirehoseDataTransformationResponse,
    KinesisFirehoseEvent,
    event_source,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from message_status.model import DEFAULT_RETENTION_DAYS
from message_status.outcomes import WriteOutcome, WriteResult
from message_status.pipeline import (
    Disposition,
    Interpretation,
    group_by_message,
    interpret,
    record_result,
)
from message_status.store import RETRY_CONFIG, MessageStore

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "message-status-transform")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "MessageStatus")
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def int_setting(name: str, default: int) -> int:
    """An integer environment setting; a bad value fails the cold start loudly."""
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as err:
        raise RuntimeError(f"environment variable {name} must be an integer, got {raw!r}") from err


@cache
def message_store() -> MessageStore:
    """Created on first use, so importing the module needs no AWS configuration."""
    return MessageStore(
        boto3.client("dynamodb", config=RETRY_CONFIG),
        os.environ["TABLE_NAME"],
        int_setting("RETENTION_DAYS", DEFAULT_RETENTION_DAYS),
    )


def record_metrics(dispositions: Counter[Disposition], outcomes: dict[str, WriteOutcome]) -> None:
    for disposition in Disposition:
        metrics.add_metric(
            f"records_{disposition.value}", MetricUnit.Count, dispositions[disposition]
        )
    results = Counter(outcome.result for outcome in outcomes.values())
    for result in WriteResult:
        metrics.add_metric(f"messages_{result.value}", MetricUnit.Count, results[result])


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
                    "attempts": outcome.attempts,
                },
            )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=KinesisFirehoseEvent)
def lambda_handler(event: KinesisFirehoseEvent, context: LambdaContext) -> dict[str, Any]:
    interpretations = [interpret(record.record_id, record.data) for record in event.records]
    groups = group_by_message(interpretations)
    outcomes = message_store().apply_all(groups) if groups else {}
    log_problems(interpretations, outcomes)
    record_metrics(Counter(i.disposition for i in interpretations), outcomes)
    return firehose_response(interpretations, outcomes)


def firehose_response(
    interpretations: Sequence[Interpretation], outcomes: dict[str, WriteOutcome]
) -> dict[str, Any]:
    """Every recordId exactly once, in input order, with its result and data."""
    response = KinesisFirehoseDataTransformationResponse()
    for interpretation in interpretations:
        result, data = record_result(interpretation, outcomes)
        response.add_record(
            KinesisFirehoseDataTransformationRecord(
                record_id=interpretation.record_id, result=result, data=data
            )
        )
    return response.asdict()
