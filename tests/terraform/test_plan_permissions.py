"""What the module's roles may do, read from plans with every ARN known.

The emulator enforces no policy, boundary or condition: these tests evaluate
the planned documents themselves (devkit.permissions.evaluate, the permission
proof's evaluator), with the ARNs the resources will have
(tests/support/known_arns.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from devkit.permissions.evaluate import allowed_requests, allows, statements_of
from devkit.permissions.reference import RESOURCELESS_ACTIONS, as_list
from tests.terraform.conftest import Workspace, planned

pytestmark = [pytest.mark.terraform]

MODULE = "module.message_status."


Known = dict[str, dict[str, Any]]


def of_type(known: Known, type_: str, prefix: str = "") -> dict[str, dict[str, Any]]:
    """Values of every resource (or ``data.`` source) of ``type_`` under address ``prefix``."""
    return {
        address: values
        for address, values in known.items()
        if address.startswith(prefix) and address.removeprefix(prefix).startswith(f"{type_}.")
    }


def role_policies(known: Known, prefix: str = MODULE) -> dict[str, list[dict[str, Any]]]:
    """Each inline role policy under ``prefix``, by address, as statements."""
    return {
        address: statements_of(values["policy"])
        for address, values in of_type(known, "aws_iam_role_policy", prefix).items()
    }


# The example's functions in two subnets, as test_apply_complete deploys them.
EXAMPLE_VPC = {
    "vpc_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "vpc_security_group_ids": ["sg-0123456789abcdef0"],
}


@pytest.fixture(scope="module", params=["outside a VPC", "in a VPC"])
def complete(request: pytest.FixtureRequest, workspaces: dict[str, Workspace]) -> Known:
    """examples/complete as it would be deployed, both with and without a VPC."""
    return workspaces["complete"].known(**(EXAMPLE_VPC if request.param == "in a VPC" else {}))


# ---------------------------------------------------------------- the example's boundary


def test_the_complete_examples_boundary_allows_everything_its_roles_are_allowed(
    complete: Known,
) -> None:
    cap = statements_of(complete["aws_iam_policy.boundary"]["policy"])
    policies = role_policies(complete)
    assert len(policies) == 8  # transform, query, stream, heal, firehose, ses, sms, webhook
    refused = sorted(
        (address.removeprefix(MODULE), action, resource)
        for address, statements in policies.items()
        for action, resource in allowed_requests(statements)
        if not allows(cap, action, resource)
    )
    assert refused == [], "the boundary refuses what the roles need:\n" + json.dumps(
        refused, indent=1
    )


def test_the_complete_examples_boundary_stays_a_cap_on_this_pipeline(complete: Known) -> None:
    """No wildcard action, "*" only where AWS allows nothing else, every other resource one
    of this pipeline's (its name), the example's key, or its account's network interfaces."""
    key_arn = complete["aws_kms_key.this"]["arn"]
    for statement in statements_of(complete["aws_iam_policy.boundary"]["policy"]):
        assert statement["Effect"] == "Allow"
        actions, resources = as_list(statement["Action"]), as_list(statement["Resource"])
        assert not [a for a in actions if "*" in a], statement["Sid"]
        if resources == ["*"]:
            assert set(actions) <= RESOURCELESS_ACTIONS, statement["Sid"]
            continue
        for resource in resources:
            service, account = resource.split(":")[2], resource.split(":")[4]
            in_this_account = service == "ec2" and account == "123456789012"
            assert "msgstatus-complete" in resource or resource in (key_arn,) or in_this_account, (
                statement["Sid"],
                resource,
            )


# ---------------------------------------------------------------- network interfaces

VPC = {
    "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "security_group_ids": ["sg-0123456789abcdef0"],
}
EC2 = "arn:aws:ec2:us-east-1:123456789012"
INTERFACE = f"{EC2}:network-interface/eni-0123456789abcdef0"


@pytest.fixture(scope="module")
def in_a_vpc(root: Workspace) -> Known:
    return root.known(name="demo", status_events_enabled=True, lambda_vpc_config=VPC)


@pytest.mark.parametrize("function", ["transform", "query", "stream", "heal"])
def test_a_function_role_can_clean_up_interfaces_in_subnets_it_has_left(
    in_a_vpc: Known, function: str
) -> None:
    """Lambda deletes a function's interfaces with its role, also those in subnets its
    configuration no longer names (AWS's guide: a role that cannot delete them leaves
    the function unable to reach the VPC, and the subnets undeletable)."""
    policy = role_policies(in_a_vpc, "")[f'aws_iam_role_policy.function["{function}"]']
    left = {"ec2:Subnet": f"{EC2}:subnet/subnet-0fedcba9876543210"}
    for action in ("ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"):
        assert allows(policy, action, INTERFACE, left), action
    assert allows(policy, "ec2:DescribeNetworkInterfaces", "*")


@pytest.mark.parametrize("function", ["transform", "query", "stream", "heal"])
def test_a_function_role_creates_interfaces_only_in_its_subnets_and_groups(
    in_a_vpc: Known, function: str
) -> None:
    policy = role_policies(in_a_vpc, "")[f'aws_iam_role_policy.function["{function}"]']
    create = "ec2:CreateNetworkInterface"
    assert allows(policy, create, f"{EC2}:subnet/{VPC['subnet_ids'][0]}")
    assert allows(policy, create, f"{EC2}:security-group/{VPC['security_group_ids'][0]}")
    assert allows(policy, create, INTERFACE)
    assert not allows(policy, create, f"{EC2}:subnet/subnet-0fedcba9876543210")
    assert not allows(policy, create, f"{EC2}:security-group/sg-0fedcba9876543210")
    assert not allows(policy, create, "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-1")


# ---------------------------------------------------------------- the key-policy helper

LOGS = "logs.us-east-1.amazonaws.com"
EVENTS = "events.amazonaws.com"
S3 = "s3.amazonaws.com"
BUS_CONTEXT = "kms:EncryptionContext:aws:events:event-bus:arn"
QUEUE_CONTEXT = "kms:EncryptionContext:aws:sqs:arn"
LOG_CONTEXT = "kms:EncryptionContext:aws:logs:arn"
ACCOUNT_PREFIX = "arn:aws:{}:us-east-1:123456789012"
WEBHOOK = {
    "url": "https://hooks.example.com/status",
    "auth": {"type": "API_KEY", "api_key_name": "x-key"},
}


def key_statements(plan: Any) -> list[dict[str, Any]]:
    """kms_key_policy_statements_json, which must be known at plan time: a key's policy
    is written before the key exists, and the module's resources need the key."""
    value = plan.outputs["kms_key_policy_statements_json"]
    assert value is not None, "unknown at plan time, or null"
    return statements_of(value)


def for_service(statements: list[dict[str, Any]], service: str) -> list[dict[str, Any]]:
    return [s for s in statements if service in as_list(s["Principal"].get("Service"))]


def test_the_key_policy_statements_let_cloudwatch_logs_encrypt_the_modules_log_groups(
    root: Workspace,
) -> None:
    plan = root.plan(name="demo")
    statements = key_statements(plan)
    assert {service for s in statements for service in as_list(s["Principal"]["Service"])} == {
        LOGS,
        S3,
    }, "without status events or webhooks, CloudWatch Logs, and S3 for the heal queue"
    logs = for_service(statements, LOGS)
    groups = [group["name"] for group in planned(plan, "aws_cloudwatch_log_group").values()]
    assert len(groups) == 5  # transform, query, heal, firehose, api
    for group in groups:
        context = {LOG_CONTEXT: f"{ACCOUNT_PREFIX.format('logs')}:log-group:{group}"}
        for action in ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"):
            assert allows(logs, action, "*", context), (group, action)
    other = {LOG_CONTEXT: f"{ACCOUNT_PREFIX.format('logs')}:log-group:/aws/lambda/other"}
    assert not allows(logs, "kms:Decrypt", "*", other)


def test_the_key_policy_statements_let_eventbridge_use_a_created_bus_and_the_dead_letters(
    root: Workspace,
) -> None:
    statements = key_statements(
        root.plan(
            name="demo",
            event_bus_name="orders",
            create_event_bus=True,
            webhooks={"ops": WEBHOOK},
            webhook_secrets={"ops": "s3cret"},
        )
    )
    events = for_service(statements, EVENTS)
    bus = {BUS_CONTEXT: f"{ACCOUNT_PREFIX.format('events')}:event-bus/orders"}
    queue = {QUEUE_CONTEXT: f"{ACCOUNT_PREFIX.format('sqs')}:demo-webhook-ops-dlq"}
    for context in (bus, queue):
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            assert allows(events, action, "*", context), (context, action)
    assert allows(events, "kms:DescribeKey", "*"), "EventBridge checks the bus's key"
    other_bus = {BUS_CONTEXT: f"{ACCOUNT_PREFIX.format('events')}:event-bus/default"}
    assert not allows(events, "kms:Decrypt", "*", other_bus)
    other_queue = {QUEUE_CONTEXT: f"{ACCOUNT_PREFIX.format('sqs')}:demo-status-events-failed"}
    assert not allows(events, "kms:GenerateDataKey", "*", other_queue)
    assert not allows(events, "kms:Decrypt", "*"), "always under an encryption context"


def test_the_key_policy_statements_let_s3_notify_the_heal_queue_only(root: Workspace) -> None:
    """S3 sends the archive's notifications to the heal queue, encrypted with the key: its
    data keys are bound to that queue (aws:sqs:arn), and to no other of the module's."""
    plan = root.plan(name="demo", status_events_enabled=True)
    s3 = for_service(key_statements(plan), S3)
    (heal_queue,) = [
        q["name"] for q in planned(plan, "aws_sqs_queue").values() if q["name"] == "demo-heal"
    ]
    queue = {QUEUE_CONTEXT: f"{ACCOUNT_PREFIX.format('sqs')}:{heal_queue}"}
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert allows(s3, action, "*", queue), action
    for other in ("demo-heal-dead-letters", "demo-status-events-failed"):
        context = {QUEUE_CONTEXT: f"{ACCOUNT_PREFIX.format('sqs')}:{other}"}
        assert not allows(s3, "kms:GenerateDataKey", "*", context), other
    assert not allows(s3, "kms:Decrypt", "*"), "always under the queue's encryption context"
    assert not allows(s3, "kms:Encrypt", "*", queue)
    without = key_statements(root.plan(name="demo", heal_enabled=False))
    assert not for_service(without, S3), "no heal queue, nothing for S3"


def test_the_key_policy_statements_name_only_the_features_that_are_on(root: Workspace) -> None:
    """Status events on the default bus, no webhook: nothing for EventBridge to encrypt."""
    plan = root.plan(name="demo", status_events_enabled=True)
    statements = key_statements(plan)
    assert not for_service(statements, EVENTS)
    logs = for_service(statements, LOGS)
    for group in planned(plan, "aws_cloudwatch_log_group").values():
        arn = f"{ACCOUNT_PREFIX.format('logs')}:log-group:{group['name']}"
        assert allows(logs, "kms:GenerateDataKey", "*", {LOG_CONTEXT: arn}), group["name"]
    assert root.plan(name="demo", create=False).outputs["kms_key_policy_statements_json"] is None


def test_the_complete_examples_key_policy_holds_the_modules_statements(
    workspaces: dict[str, Workspace],
) -> None:
    plan = workspaces["complete"].plan()
    wanted = key_statements(plan)
    policy = json.loads(
        next(
            values["policy"]
            for address, values in planned(plan, "aws_kms_key").items()
            if address == "aws_kms_key.this"
        )
    )
    held = policy["Statement"]
    for statement in wanted:
        assert statement in held, statement["Sid"]
    assert for_service(wanted, EVENTS), "the example's bus and webhook need EventBridge"
    assert for_service(wanted, S3), "the example heals, and S3 notifies its heal queue"
