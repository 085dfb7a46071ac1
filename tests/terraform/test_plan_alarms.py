"""Plans of the alarms and the dashboard: every alarm's metric, namespace, dimensions and
threshold, and that the custom metrics they read are the ones the transform emits."""

from __future__ import annotations

from typing import Any

import pytest
from message_status import model
from message_status.heal import OBJECTS_UNREADABLE, RECORDS_GIVEN_UP
from message_status.metrics import (
    RECIPIENT_EVENT_DIMENSIONS,
    RECIPIENT_EVENTS,
    SUPPRESSED_RECIPIENT_DIMENSION,
    SUPPRESSED_RECIPIENTS,
)

from devkit import ROOT
from tests.terraform.conftest import Workspace, one, planned, policy_statements

pytestmark = [pytest.mark.terraform]

NAME = "msgstatus-complete"
NS = "MessageStatus"
SERVICE = f"{NAME}-transform"
# name suffix -> (namespace, metric, dimensions, statistic, comparison, threshold)
METRIC_ALARMS = {
    "firehose-processing": (
        "AWS/Firehose",
        "ExecuteProcessing.Success",
        {"DeliveryStreamName": f"{NAME}-events"},
        "Average",
        "LessThanThreshold",
        1,
    ),
    "firehose-delivery": (
        "AWS/Firehose",
        "DeliveryToS3.Success",
        {"DeliveryStreamName": f"{NAME}-events"},
        "Average",
        "LessThanThreshold",
        1,
    ),
    "firehose-freshness": (
        "AWS/Firehose",
        "DeliveryToS3.DataFreshness",
        {"DeliveryStreamName": f"{NAME}-events"},
        "Maximum",
        "GreaterThanThreshold",
        900,
    ),
    # The complete example's Kinesis source has a delivery stream, and alarms, of its own.
    "firehose-kinesis-pinpoint-processing": (
        "AWS/Firehose",
        "ExecuteProcessing.Success",
        {"DeliveryStreamName": f"{NAME}-kinesis-pinpoint"},
        "Average",
        "LessThanThreshold",
        1,
    ),
    "firehose-kinesis-pinpoint-delivery": (
        "AWS/Firehose",
        "DeliveryToS3.Success",
        {"DeliveryStreamName": f"{NAME}-kinesis-pinpoint"},
        "Average",
        "LessThanThreshold",
        1,
    ),
    "firehose-kinesis-pinpoint-freshness": (
        "AWS/Firehose",
        "DeliveryToS3.DataFreshness",
        {"DeliveryStreamName": f"{NAME}-kinesis-pinpoint"},
        "Maximum",
        "GreaterThanThreshold",
        900,
    ),
    "firehose-kinesis-pinpoint-behind": (
        "AWS/Firehose",
        "KinesisMillisBehindLatest",
        {"DeliveryStreamName": f"{NAME}-kinesis-pinpoint"},
        "Maximum",
        "GreaterThanThreshold",
        900000,
    ),
    "transform-errors": (
        "AWS/Lambda",
        "Errors",
        {"FunctionName": SERVICE},
        "Sum",
        "GreaterThanThreshold",
        0,
    ),
    "transform-throttles": (
        "AWS/Lambda",
        "Throttles",
        {"FunctionName": SERVICE},
        "Sum",
        "GreaterThanThreshold",
        0,
    ),
    "transform-duration": (
        "AWS/Lambda",
        "Duration",
        {"FunctionName": SERVICE},
        "Maximum",
        "GreaterThanThreshold",
        48000,
    ),
    "records-invalid": (
        NS,
        "records_invalid",
        {"service": SERVICE},
        "Sum",
        "GreaterThanThreshold",
        10,
    ),
    "query-errors": (
        "AWS/Lambda",
        "Errors",
        {"FunctionName": f"{NAME}-query"},
        "Sum",
        "GreaterThanThreshold",
        0,
    ),
    "stream-iterator-age": (
        "AWS/Lambda",
        "IteratorAge",
        {"FunctionName": f"{NAME}-stream"},
        "Maximum",
        "GreaterThanThreshold",
        300000,
    ),
    "stream-errors": (
        "AWS/Lambda",
        "Errors",
        {"FunctionName": f"{NAME}-stream"},
        "Sum",
        "GreaterThanThreshold",
        0,
    ),
    "status-events-failed": (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": f"{NAME}-status-events-failed"},
        "Maximum",
        "GreaterThanThreshold",
        0,
    ),
    "webhook-failures-dead-letters": (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": f"{NAME}-webhook-failures-dlq"},
        "Maximum",
        "GreaterThanThreshold",
        0,
    ),
}
MATH_ALARMS = {
    "messages-failed": 0,
    "api-5xx-rate": 1,
    "dynamodb-throttles": 0,
    "dynamodb-system-errors": 0,
    "email-bounce-rate": 2,
    "email-complaint-rate": 0.05,
    "sms-failure-rate": 5,
    "mms-failure-rate": 5,
    "voice-failure-rate": 25,
}


@pytest.fixture(scope="module")
def complete_plan(workspaces: dict[str, Workspace]) -> Any:
    return workspaces["complete"].plan()


def alarms(plan: Any) -> dict[str, dict[str, Any]]:
    return {v["alarm_name"]: v for v in planned(plan, "aws_cloudwatch_metric_alarm").values()}


def test_the_complete_example_plans_every_alarm(complete_plan: Any) -> None:
    names = {n for n in alarms(complete_plan) if n.startswith(f"{NAME}-")}
    assert names == {
        f"{NAME}-{suffix}" for suffix in {*METRIC_ALARMS, *MATH_ALARMS, "api-latency-p99"}
    }


@pytest.mark.parametrize("suffix", sorted(METRIC_ALARMS))
def test_each_metric_alarm_watches_its_metric(complete_plan: Any, suffix: str) -> None:
    alarm = alarms(complete_plan)[f"{NAME}-{suffix}"]
    namespace, metric, dimensions, statistic, comparison, threshold = METRIC_ALARMS[suffix]
    assert (alarm["namespace"], alarm["metric_name"], alarm["dimensions"]) == (
        namespace,
        metric,
        dimensions,
    )
    assert (alarm["statistic"], alarm["comparison_operator"], alarm["threshold"]) == (
        statistic,
        comparison,
        threshold,
    )
    assert alarm["treat_missing_data"] == "notBreaching"
    assert len(alarm["alarm_description"]) > 40, "says what to do"


def test_api_latency_alarm_is_on_p99(complete_plan: Any) -> None:
    alarm = alarms(complete_plan)[f"{NAME}-api-latency-p99"]
    assert (alarm["namespace"], alarm["metric_name"], alarm["extended_statistic"]) == (
        "AWS/ApiGateway",
        "Latency",
        "p99",
    )
    assert alarm["threshold"] == 2000


def queries(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in alarm["metric_query"]}


@pytest.mark.parametrize(
    ("suffix", "channel", "numerator", "denominator"),
    [
        ("email-bounce-rate", "email", ["HARD_BOUNCED"], ["SENT"]),
        ("email-complaint-rate", "email", ["COMPLAINED"], ["SENT"]),
        ("sms-failure-rate", "sms", ["FAILED"], ["DELIVERED", "FAILED"]),
        ("mms-failure-rate", "mms", ["FAILED"], ["DELIVERED", "FAILED"]),
        ("voice-failure-rate", "voice", ["FAILED"], ["DELIVERED", "FAILED"]),
    ],
)
def test_rates_divide_the_recipient_events_the_transform_emits(
    complete_plan: Any, suffix: str, channel: str, numerator: list[str], denominator: list[str]
) -> None:
    alarm = alarms(complete_plan)[f"{NAME}-{suffix}"]
    assert alarm["threshold"] == MATH_ALARMS[suffix]
    found = queries(alarm)
    (rate,) = [q for q in found.values() if q["return_data"]]
    assert ">= 100" in rate["expression"], "an hour with few recipients raises nothing"
    metrics = [
        q["metric"][0]
        for q in found.values()
        if q["metric"] and q["metric"][0]["metric_name"] == RECIPIENT_EVENTS
    ]
    assert {m["namespace"] for m in metrics} == {NS}
    assert {m["period"] for m in metrics} == {3600}
    for m in metrics:
        assert set(m["dimensions"]) == {*RECIPIENT_EVENT_DIMENSIONS, "service"}
        assert (m["dimensions"]["channel"], m["dimensions"]["service"]) == (channel, SERVICE)
    assert {m["dimensions"]["status"] for m in metrics} == {*numerator, *denominator}


def test_the_bounce_rate_counts_suppressed_sends_as_ses_counts_its_own(
    complete_plan: Any,
) -> None:
    """Sends to the account's and tenants' lists count neither way; the global list's are
    bounces (model.COUNTS_IN_SES_BOUNCE_RATE)."""
    found = queries(alarms(complete_plan)[f"{NAME}-email-bounce-rate"])
    suppressed = {
        q["id"]: q["metric"][0]
        for q in found.values()
        if q["metric"] and q["metric"][0]["metric_name"] == SUPPRESSED_RECIPIENTS
    }
    lists = {
        query_id: m["dimensions"][SUPPRESSED_RECIPIENT_DIMENSION]
        for query_id, m in suppressed.items()
    }
    counted = {listed.value for listed, c in model.COUNTS_IN_SES_BOUNCE_RATE.items() if c}
    left_out = {listed.value for listed, c in model.COUNTS_IN_SES_BOUNCE_RATE.items() if not c}
    assert {v for k, v in lists.items() if k.startswith("s_")} == counted
    assert {v for k, v in lists.items() if k.startswith("x_")} == left_out
    for m in suppressed.values():
        assert (m["namespace"], m["period"], m["dimensions"]["service"]) == (NS, 3600, SERVICE)
    rate = found["rate"]["expression"]
    attempted = "sent - FILL(x_account, 0) - FILL(x_tenant, 0)"
    assert rate == (
        f"IF({attempted} >= 100, 100 * (n_hard_bounced + FILL(s_global, 0)) / ({attempted}), 0)"
    )


def test_dynamodb_alarms_cover_the_table_and_every_index(complete_plan: Any) -> None:
    throttles = queries(alarms(complete_plan)[f"{NAME}-dynamodb-throttles"])
    metrics = [q["metric"][0] for q in throttles.values() if q["metric"]]
    assert {m["dimensions"].get("GlobalSecondaryIndexName") for m in metrics} == {
        None,
        "by_recipient",
        "by_correlation",
        "by_outcome",
        "by_tenant",
    }
    errors = queries(alarms(complete_plan)[f"{NAME}-dynamodb-system-errors"])
    operations = {q["metric"][0]["dimensions"]["Operation"] for q in errors.values() if q["metric"]}
    assert operations == {"GetItem", "PutItem", "BatchGetItem", "BatchWriteItem", "Query"}


def test_the_api_5xx_rate_is_errors_over_requests(complete_plan: Any) -> None:
    found = queries(alarms(complete_plan)[f"{NAME}-api-5xx-rate"])
    assert found["rate"]["expression"] == "IF(requests > 0, 100 * errors / requests, 0)"
    assert found["errors"]["metric"][0]["metric_name"] == "5xx"
    assert found["requests"]["metric"][0]["metric_name"] == "Count"


def test_messages_failed_watches_what_healing_leaves_for_a_person(complete_plan: Any) -> None:
    """Not the transform's failed messages (retries scheduled), but what is given up, unreadable,
    dead-lettered, or waiting in a heal queue nothing receives from."""
    alarm = alarms(complete_plan)[f"{NAME}-messages-failed"]
    found = queries(alarm)
    assert set(found) == {"needs_a_person", "given_up", "unreadable", "dead_letters", "oldest"}
    assert found["needs_a_person"]["return_data"] is True
    # 60 + 6 x 300 s to give up, one interval more for a notification nothing receives.
    assert found["needs_a_person"]["expression"] == (
        "FILL(given_up, 0) + FILL(unreadable, 0) + FILL(dead_letters, 0)"
        " + IF(FILL(oldest, 0) > 2160, 1, 0)"
    )
    metrics = {key: q["metric"][0] for key, q in found.items() if q["metric"]}
    heal = {"service": f"{NAME}-heal"}
    assert (metrics["given_up"]["metric_name"], metrics["given_up"]["dimensions"]) == (
        RECORDS_GIVEN_UP,
        heal,
    )
    assert (metrics["unreadable"]["metric_name"], metrics["unreadable"]["dimensions"]) == (
        OBJECTS_UNREADABLE,
        heal,
    )
    assert metrics["dead_letters"]["dimensions"] == {"QueueName": f"{NAME}-heal-dead-letters"}
    assert metrics["oldest"] == {
        **metrics["oldest"],
        "namespace": "AWS/SQS",
        "metric_name": "ApproximateAgeOfOldestMessage",
        "dimensions": {"QueueName": f"{NAME}-heal"},
    }
    assert "msgstatus replay" in alarm["alarm_description"]
    assert "healed never raise this" in alarm["alarm_description"]


def test_without_healing_messages_failed_watches_the_transform(root: Workspace) -> None:
    alarm = alarms(root.plan(name="demo", heal_enabled=False))["demo-messages-failed"]
    found = queries(alarm)
    assert found["needs_a_person"]["expression"] == "FILL(failed, 0)"
    metric = found["failed"]["metric"][0]
    assert (metric["namespace"], metric["metric_name"], metric["dimensions"]) == (
        NS,
        "messages_failed",
        {"service": "demo-transform"},
    )
    assert "healing is off" in alarm["alarm_description"]


def test_alarms_can_be_switched_off(root: Workspace) -> None:
    plan = root.plan(name="demo", alarms={"enabled": False}, dashboard_enabled=False)
    assert alarms(plan) == {}
    assert planned(plan, "aws_cloudwatch_dashboard") == {}


def test_thresholds_can_be_overridden(root: Workspace) -> None:
    plan = root.plan(name="demo", alarms={"thresholds": {"email_bounce_rate_percent": 1.5}})
    assert alarms(plan)["demo-email-bounce-rate"]["threshold"] == 1.5


def test_a_bounce_threshold_at_the_ses_review_level_is_refused(root: Workspace) -> None:
    error = " ".join(
        root.plan_error(
            name="demo", alarms={"thresholds": {"email_bounce_rate_percent": 5}}
        ).split()
    )
    assert "the email bounce rate must stay below 5%" in error


def test_email_subscriptions_get_an_encrypted_topic_cloudwatch_may_publish_to(
    root: Workspace,
) -> None:
    plan = root.plan(
        name="demo",
        alarms={"email_subscriptions": ["oncall@example.com"], "actions": []},
    )
    topic = one(plan, "aws_sns_topic.alarms[0]")
    assert topic["name"] == "demo-alarms"
    key = one(plan, "aws_kms_key.alarms[0]")
    assert key["enable_key_rotation"] is True
    statements = {
        s["sid"]: s
        for s in policy_statements(one(plan, "data.aws_iam_policy_document.alarm_key[0]"))
    }
    assert statements["CloudWatchPublishesAlarms"]["principal"] in (
        {"Service": "cloudwatch.amazonaws.com"},
        [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}],
    )
    subscription = one(plan, 'aws_sns_topic_subscription.alarm_email["oncall@example.com"]')
    assert subscription["protocol"] == "email"
    changes = {c["address"]: c["change"] for c in plan.resource_changes.values()}
    actions = changes['aws_cloudwatch_metric_alarm.metric["transform-errors"]']["after_unknown"]
    assert actions["alarm_actions"] in (True, [True]), "the topic's ARN, known after apply"


def test_the_dashboard_is_planned_unless_switched_off(complete_plan: Any, root: Workspace) -> None:
    """Its body names the API, known after apply: test_apply reads the deployed one."""
    dashboard = one(complete_plan, "module.message_status.aws_cloudwatch_dashboard.this[0]")
    assert dashboard["dashboard_name"] == NAME


def test_the_readme_lists_every_alarm() -> None:
    readme = (ROOT / "README.md").read_text()
    for suffix in {*METRIC_ALARMS, *MATH_ALARMS, "api-latency-p99"}:
        listed = suffix.replace("webhook-failures-", "webhook-<name>-")
        listed = listed.replace("firehose-kinesis-pinpoint-", "firehose-kinesis-<key>-")
        assert f"`{listed}`" in readme, suffix
