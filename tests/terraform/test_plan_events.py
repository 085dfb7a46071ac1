"""Plans of the status-change events and webhooks: what the emulator's apply cannot show.

The apply tests run the stream and EventBridge on the emulator; these check the
settings and the IAM of what would be created, with and without webhooks.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from message_status.model import Channel, Status
from moto.events.models import EventPattern

from devkit import ROOT
from devkit.events import ses, sms_v2
from devkit.streams import MODULE_FILTER
from tests.support.changes import change, envelope
from tests.terraform.conftest import Workspace, one, planned, policy_statements

pytestmark = [pytest.mark.terraform]

ACCOUNT, REGION = "123456789012", "us-east-1"
WEBHOOK = {
    "url": "https://hooks.example.com/status",
    "statuses": ["HARD_BOUNCED", "FAILED"],
    "channels": ["email"],
    "auth": {"type": "BASIC", "username": "status"},
}


@pytest.fixture(scope="module")
def events_plan(root: Workspace) -> Any:
    return root.plan(name="demo", status_events_enabled=True)


@pytest.fixture(scope="module")
def webhook_plan(root: Workspace) -> Any:
    return root.plan(
        name="demo",
        event_bus_name="orders",
        create_event_bus=True,
        webhooks={"ops": WEBHOOK},
        webhook_secrets={"ops": "s3cret"},
    )


@pytest.fixture(scope="module")
def complete_plan(workspaces: dict[str, Workspace]) -> Any:
    return workspaces["complete"].plan()


def test_status_events_are_off_by_default(root: Workspace) -> None:
    plan = root.plan(name="demo")
    assert planned(plan, "aws_lambda_function").keys() == {
        'aws_lambda_function.this["transform"]',
        'aws_lambda_function.this["query"]',
        'aws_lambda_function.this["heal"]',
    }
    assert one(plan, "aws_dynamodb_table.this[0]")["stream_enabled"] is False
    assert planned(plan, "aws_lambda_event_source_mapping").keys() == {
        "aws_lambda_event_source_mapping.heal[0]"
    }, "the heal queue's mapping only"


def test_the_table_streams_both_images_to_the_stream_function(events_plan: Any) -> None:
    table = one(events_plan, "aws_dynamodb_table.this[0]")
    assert (table["stream_enabled"], table["stream_view_type"]) == (True, "NEW_AND_OLD_IMAGES")
    function = one(events_plan, 'aws_lambda_function.this["stream"]')
    assert function["filename"].endswith("dist/stream.zip")
    env = function["environment"][0]["variables"]
    assert (env["EVENT_BUS_NAME"], env["EVENT_SOURCE"]) == ("default", "message-status")
    assert env["FUNCTION_TIMEOUT_SECONDS"] == "30"
    assert function["tracing_config"] == [{"mode": "Active"}]


def test_the_mapping_retries_bisects_reports_and_skips_pointers(events_plan: Any) -> None:
    mapping = one(events_plan, "aws_lambda_event_source_mapping.stream[0]")
    assert mapping["starting_position"] == "TRIM_HORIZON"
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert mapping["bisect_batch_on_function_error"] is True
    assert mapping["maximum_retry_attempts"] == 10
    assert mapping["batch_size"] == 100
    assert mapping["parallelization_factor"] == 1
    (criteria,) = mapping["filter_criteria"]
    (only,) = criteria["filter"]
    assert json.loads(only["pattern"]) == MODULE_FILTER, "devkit.streams plays the same filter"
    queue = one(events_plan, "aws_sqs_queue.stream_failures[0]")
    assert queue["message_retention_seconds"] == 1209600
    assert queue["sqs_managed_sse_enabled"] is True


def test_the_stream_role_reads_one_stream_and_puts_on_one_bus(events_plan: Any) -> None:
    own = policy_statements(one(events_plan, 'data.aws_iam_policy_document.function["stream"]'))
    # Logs and traces come from what every function's role has (function_basics).
    basics = policy_statements(
        one(events_plan, 'data.aws_iam_policy_document.function_basics["stream"]')
    )
    statements = {s["sid"]: s for s in [*own, *basics]}
    assert set(statements) == {
        "ReadTheTableStream",
        "FindTheTableStream",
        "PublishStatusChanges",
        "ReportUnpublishedBatches",
        "WriteOwnLogs",
        "SendTraces",
    }
    assert statements["PublishStatusChanges"]["actions"] == ["events:PutEvents"]
    assert statements["PublishStatusChanges"]["resources"] == [
        f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    ]
    assert statements["ReportUnpublishedBatches"]["actions"] == ["sqs:SendMessage"]
    assert statements["FindTheTableStream"]["actions"] == ["dynamodb:ListStreams"]
    assert not any("dynamodb:PutItem" in s["actions"] for s in statements.values())


def test_event_names_are_refused_as_extra_environment(root: Workspace) -> None:
    names = ("EVENT_BUS_NAME", "EVENT_SOURCE")
    errors = root.plan_errors(
        *({"name": "demo", "lambda_environment_variables": {name: "x"}} for name in names)
    )
    for name, error in zip(names, errors, strict=True):
        assert "lambda_environment_variables keys must be" in " ".join(error.split()), name


# --- webhooks ------------------------------------------------------------------------------


def test_a_webhook_turns_events_on_and_gets_its_own_bus_rule(webhook_plan: Any) -> None:
    assert one(webhook_plan, "aws_dynamodb_table.this[0]")["stream_enabled"] is True
    bus = one(webhook_plan, "aws_cloudwatch_event_bus.this[0]")
    assert bus["name"] == "orders"
    rule = one(webhook_plan, 'aws_cloudwatch_event_rule.webhook["ops"]')
    assert rule["event_bus_name"] == "orders"
    assert json.loads(rule["event_pattern"]) == {
        "source": ["message-status"],
        "detail-type": ["Message Status Changed"],
        "detail": {
            "status": ["HARD_BOUNCED", "FAILED"],
            "status_changed": [True],
            "channel": ["email"],
        },
    }


def test_a_webhook_is_a_connection_and_an_api_destination(webhook_plan: Any) -> None:
    connection = one(webhook_plan, 'aws_cloudwatch_event_connection.webhook["ops"]')
    assert connection["authorization_type"] == "BASIC"
    (auth,) = connection["auth_parameters"]
    assert auth["basic"][0]["username"] == "status"
    destination = one(webhook_plan, 'aws_cloudwatch_event_api_destination.webhook["ops"]')
    assert destination["invocation_endpoint"] == WEBHOOK["url"]
    assert destination["http_method"] == "POST"
    assert destination["invocation_rate_limit_per_second"] == 10


def test_a_webhook_retries_then_dead_letters(webhook_plan: Any) -> None:
    target = one(webhook_plan, 'aws_cloudwatch_event_target.webhook["ops"]')
    assert target["retry_policy"] == [
        {"maximum_event_age_in_seconds": 86400, "maximum_retry_attempts": 185}
    ]
    assert len(target["dead_letter_config"]) == 1
    queue = one(webhook_plan, 'aws_sqs_queue.webhook_dead_letter["ops"]')
    assert queue["message_retention_seconds"] == 1209600
    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders/demo-webhook-ops"
    (deliver,) = policy_statements(
        one(webhook_plan, 'data.aws_iam_policy_document.webhook_dead_letter["ops"]')
    )
    assert deliver["actions"] == ["sqs:SendMessage"]
    assert deliver["principal"] in (
        {"Service": "events.amazonaws.com"},
        [{"type": "Service", "identifiers": ["events.amazonaws.com"]}],
    )
    assert json.dumps(deliver["condition"]).count(rule_arn) == 1


def test_a_webhook_role_trusts_its_rule_and_invokes_its_destination_only(
    webhook_plan: Any,
) -> None:
    (trust,) = policy_statements(
        one(webhook_plan, 'data.aws_iam_policy_document.eventbridge_assume["webhook-ops"]')
    )
    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders/demo-webhook-ops"
    assert trust["condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert trust["condition"]["ArnEquals"] == {"aws:SourceArn": rule_arn}
    (invoke,) = policy_statements(one(webhook_plan, 'data.aws_iam_policy_document.webhook["ops"]'))
    assert invoke["actions"] == ["events:InvokeApiDestination"]
    assert len(invoke["resources"]) == 1


# --- which changes a webhook hears ----------------------------------------------------------

T = 1_800_000_000_000
TEAM = ["ana@example.com", "ben@example.org"]
SEND = [ses("Send", "m", T)]
DELIVERED = [*SEND, ses("Delivery", "m", T + 1, sent_ms=T)]
OPENED = [*DELIVERED, ses("Open", "m", T + 2, sent_ms=T)]
COMPLAINED = [*DELIVERED, ses("Complaint", "m", T + 3, sent_ms=T)]


def hears(pattern: str, before: list[dict], after: list[dict]) -> bool:
    """Whether a rule with ``pattern`` matches the event the stream publishes for the
    events ``after`` that follow ``before`` (moto's implementation of EventBridge's
    matching, as tests/test_changes.py uses it for docs/events/patterns)."""
    published = change(before, after[len(before) :])
    assert published is not None
    return bool(EventPattern.load(pattern).matches_event(envelope(published)))


def webhook_pattern(root: Workspace, **hook: Any) -> str:
    plan = root.plan(
        name="demo",
        webhooks={"ops": {**WEBHOOK, "statuses": [], "channels": [], **hook}},
        webhook_secrets={"ops": "s3cret"},
    )
    return str(one(plan, 'aws_cloudwatch_event_rule.webhook["ops"]')["event_pattern"])


def test_final_only_hears_once_per_message_when_it_becomes_final(root: Workspace) -> None:
    pattern = webhook_pattern(root, final_only=True)
    assert not hears(pattern, [], SEND)
    assert hears(pattern, SEND, DELIVERED)
    assert not hears(pattern, DELIVERED, OPENED), "an open of a delivered mail"
    assert not hears(pattern, DELIVERED, COMPLAINED), "a later change of a final mail"
    sent = [sms_v2("TEXT_SUCCESSFUL", "s", T, is_final=False)]
    assert hears(pattern, sent, [*sent, sms_v2("TEXT_SUCCESSFUL", "s", T + 1, is_final=True)])
    bounced = [
        ses("Send", "team", T, destination=TEAM),
        ses("Bounce", "team", T + 1, destination=TEAM, named=TEAM[:1], sent_ms=T),
    ]
    late = [ses("Delivery", "team", T + 2, destination=TEAM, named=TEAM[1:], sent_ms=T)]
    assert not hears(pattern, bounced, bounced + late), "a recipient change only"


def test_final_only_with_statuses_hears_a_final_message_reaching_one(root: Workspace) -> None:
    """A complaint comes after the delivery that made the mail final: it still counts."""
    pattern = webhook_pattern(root, final_only=True, statuses=["COMPLAINED", "HARD_BOUNCED"])
    assert hears(pattern, DELIVERED, COMPLAINED)
    assert not hears(pattern, SEND, DELIVERED)
    assert not hears(pattern, DELIVERED, OPENED)


def test_statuses_hear_each_message_reaching_one(root: Workspace) -> None:
    pattern = webhook_pattern(root, statuses=["DELIVERED"])
    assert hears(pattern, SEND, DELIVERED)
    assert not hears(pattern, DELIVERED, OPENED)
    assert not hears(pattern, [], SEND)


def test_a_status_the_model_does_not_know_is_refused(root: Workspace) -> None:
    hook = {**WEBHOOK, "statuses": ["DELIVERD"]}
    error = " ".join(
        root.plan_error(name="demo", webhooks={"ops": hook}, webhook_secrets={"ops": "x"}).split()
    )
    assert "statuses must be among" in error
    assert "DELIVERED" in error


def test_the_statuses_a_webhook_may_name_are_the_models() -> None:
    """Terraform cannot import the model: variables.tf lists its statuses, and this keeps
    the list (and its error message) in step with message_status.model.Status."""
    block = re.search(r'variable "webhooks" \{.*?\n\}\n', (ROOT / "variables.tf").read_text(), re.S)
    assert block is not None
    (listed,) = re.findall(r"contains\(\[([^\]]*)\], status\)", block.group(0))
    assert re.findall(r'"([A-Z_]+)"', listed) == [s.value for s in Status]
    (message,) = re.findall(r"statuses must be among ([A-Z_, ]+)", block.group(0))
    assert message.strip().split(", ") == [s.value for s in Status]


def test_a_webhook_without_a_secret_is_refused(root: Workspace) -> None:
    error = " ".join(root.plan_error(name="demo", webhooks={"ops": WEBHOOK}).split())
    assert 'Webhook ops has no secret: set webhook_secrets["ops"] or its auth.secret_arn' in error


def test_a_webhook_channel_the_model_does_not_have_is_refused(root: Workspace) -> None:
    """Every channel of the model (email, sms, mms, voice) is taken; "fax" is not."""
    channels = [c.value for c in Channel]
    hook = {**WEBHOOK, "channels": channels}
    plan = root.plan(name="demo", webhooks={"ops": hook}, webhook_secrets={"ops": "s"})
    rule = one(plan, 'aws_cloudwatch_event_rule.webhook["ops"]')
    assert json.loads(rule["event_pattern"])["detail"]["channel"] == channels
    refused = {**hook, "channels": [*channels, "fax"]}
    error = " ".join(
        root.plan_error(
            name="demo", webhooks={"ops": refused}, webhook_secrets={"ops": "s"}
        ).split()
    )
    assert "channels must be email, sms, mms or voice" in error


def test_creating_the_default_bus_is_refused(root: Workspace) -> None:
    error = " ".join(
        root.plan_error(name="demo", status_events_enabled=True, create_event_bus=True).split()
    )
    assert "create_event_bus needs an event_bus_name other than" in error


def test_the_complete_example_publishes_on_its_own_encrypted_bus(complete_plan: Any) -> None:
    bus = one(complete_plan, "module.message_status.aws_cloudwatch_event_bus.this[0]")
    assert bus["name"] == "msgstatus-complete-status"
    changes = {c["address"]: c["change"] for c in complete_plan.resource_changes.values()}
    bus_change = changes["module.message_status.aws_cloudwatch_event_bus.this[0]"]
    assert bus_change["after_unknown"]["kms_key_identifier"] is True, "the example's key"
    rule = one(complete_plan, 'module.message_status.aws_cloudwatch_event_rule.webhook["failures"]')
    assert json.loads(rule["event_pattern"])["detail"]["is_final"] == [True]
    assert json.loads(rule["event_pattern"])["source"] == ["message-status.complete"]
