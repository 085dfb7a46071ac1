"""Plans of one instance serving many accounts: the hub's sender bus and the spokes.

The emulator enforces no resource policy, trust policy or condition key, so
these evaluate the planned documents themselves with the permission proof's
evaluator (devkit.permissions.evaluate): the hub's bus admits only the accounts
(or the organization) it names, and only the SES and End User Messaging events
the module reads; each role is trusted only by EventBridge for its own rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from devkit.events import EUM_DETAIL_TYPES, SES_DETAIL_TYPES, eventbridge, ses, sms_v2
from devkit.permissions.evaluate import Principal, Request, allows, decide, statements_of
from tests.terraform.conftest import Workspace, one, planned

pytestmark = [pytest.mark.terraform]

HUB_ACCOUNT, HUB_REGION = "123456789012", "us-east-1"
SHOP, BILLING, STRANGER = "111111111111", "222222222222", "333333333333"
ORGANIZATION = "o-a1b2c3d4e5"
BUS = f"arn:aws:events:{HUB_REGION}:{HUB_ACCOUNT}:event-bus/demo-senders"
RULE = f"arn:aws:events:{HUB_REGION}:{HUB_ACCOUNT}:rule/demo-senders/demo-senders-to-stream"
SOURCES = {
    "aws.ses": sorted(SES_DETAIL_TYPES.values()),
    "aws.sms-voice": sorted(EUM_DETAIL_TYPES.values()),
}


@pytest.fixture(scope="module")
def hub(root: Workspace) -> dict[str, dict[str, Any]]:
    """The module naming two sender accounts, with every ARN known."""
    return root.known(name="demo", sender_account_ids=[SHOP, BILLING])


@pytest.fixture(scope="module")
def organization_hub(root: Workspace) -> Any:
    return root.plan(name="demo", sender_organization_id=ORGANIZATION)


def bus_policy(values: dict[str, Any]) -> dict[str, Any]:
    return {"Statement": statements_of(values["json"])}


def forwarded_by(
    account: str,
    source: str = "aws.ses",
    detail_type: str = "Email Delivered",
    context: dict[str, Any] | None = None,
    bus: str = BUS,
) -> Request:
    """PutEvents on the hub's bus by a forwarding role in ``account``, as a rule makes it."""
    role = Principal(arn=f"arn:aws:iam::{account}:role/demo-forward-to-hub")
    keys = {"events:source": [source], "events:detail-type": [detail_type], **(context or {})}
    return Request(role, "events:PutEvents", bus, keys)


def admitted(policy: dict[str, Any], request: Request) -> bool:
    """Cross-account: the bus policy must allow the sender's account, and the sender's own
    role policy the call (the spoke's, which allows exactly this)."""
    role_policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "events:PutEvents", "Resource": request.resource}
        ]
    }
    return decide(
        request,
        identity=[role_policy],
        resource_policy=policy,
        resource_policy_required=True,
    ).allowed


# ------------------------------------------------------------------ the hub's bus policy


def test_the_bus_admits_each_named_account_for_every_event_the_module_reads(hub) -> None:
    policy = bus_policy(hub["data.aws_iam_policy_document.senders_bus[0]"])
    for account in (SHOP, BILLING):
        for source, detail_types in SOURCES.items():
            for detail_type in detail_types:
                assert admitted(policy, forwarded_by(account, source, detail_type))


def test_the_bus_refuses_an_account_it_does_not_name(hub) -> None:
    policy = bus_policy(hub["data.aws_iam_policy_document.senders_bus[0]"])
    assert not admitted(policy, forwarded_by(STRANGER))
    assert not admitted(policy, forwarded_by(HUB_ACCOUNT)), "not even the hub's own, unnamed"


@pytest.mark.parametrize(
    ("source", "detail_type"),
    [
        ("aws.ec2", "EC2 Instance State-change Notification"),  # another service
        ("aws.ses", "Advisor Recommendation Status Open"),  # SES, but not a message event
        ("aws.sms-voice", "Registration Status Change"),
        ("message-status", "Message Status Changed"),  # custom events, even the module's own
    ],
)
def test_the_bus_refuses_a_named_account_any_other_event(
    hub, source: str, detail_type: str
) -> None:
    policy = bus_policy(hub["data.aws_iam_policy_document.senders_bus[0]"])
    assert not admitted(policy, forwarded_by(SHOP, source, detail_type))


def test_the_bus_refuses_a_call_that_names_no_source_or_mixes_in_another(hub) -> None:
    policy = bus_policy(hub["data.aws_iam_policy_document.senders_bus[0]"])
    role = Principal(arn=f"arn:aws:iam::{SHOP}:role/demo-forward-to-hub")
    assert not admitted(policy, Request(role, "events:PutEvents", BUS, {}))
    mixed = {"events:source": ["aws.ses", "aws.ec2"], "events:detail-type": ["Email Sent"]}
    assert not admitted(policy, Request(role, "events:PutEvents", BUS, mixed))


def test_the_bus_policy_names_the_accounts_and_nothing_else(hub) -> None:
    (statement,) = statements_of(hub["data.aws_iam_policy_document.senders_bus[0]"]["json"])
    assert statement["Principal"] == {
        "AWS": [f"arn:aws:iam::{SHOP}:root", f"arn:aws:iam::{BILLING}:root"]
    } or statement["Principal"] == {
        "AWS": [f"arn:aws:iam::{BILLING}:root", f"arn:aws:iam::{SHOP}:root"]
    }
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == BUS
    assert hub["aws_cloudwatch_event_bus_policy.senders[0]"]["event_bus_name"] == "demo-senders"


def test_an_organization_hub_admits_its_accounts_only(organization_hub) -> None:
    policy = bus_policy(one(organization_hub, "data.aws_iam_policy_document.senders_bus[0]"))
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"AWS": "*"}
    member = {"aws:PrincipalOrgID": ORGANIZATION}
    assert admitted(policy, forwarded_by(STRANGER, context=member))
    assert not admitted(
        policy, forwarded_by(STRANGER, context={"aws:PrincipalOrgID": "o-other0000"})
    )
    assert not admitted(policy, forwarded_by(STRANGER)), "no organization: not admitted"
    assert not admitted(policy, forwarded_by(STRANGER, "aws.ec2", "x", context=member))


def test_naming_accounts_and_an_organization_is_refused_at_plan(root: Workspace) -> None:
    error = root.plan_error(
        name="demo", sender_account_ids=[SHOP], sender_organization_id=ORGANIZATION
    )
    assert "Give sender_account_ids or sender_organization_id, not both" in error


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"sender_account_ids": ["12345"]}, "12 digits"),
        ({"sender_organization_id": "org-1"}, "AWS Organizations id"),
    ],
)
def test_a_bad_sender_is_refused_at_plan(root: Workspace, variables: dict, message: str) -> None:
    assert message in root.plan_error(name="demo", **variables)


def test_without_senders_there_is_no_bus(root: Workspace) -> None:
    plan = root.plan(name="demo")
    assert planned(plan, "aws_cloudwatch_event_bus") == {}
    assert planned(plan, "aws_cloudwatch_event_bus_policy") == {}


# ------------------------------------------------------------- the hub's rule and role


def test_the_rule_takes_the_named_accounts_message_events_whole(hub) -> None:
    rule = hub["aws_cloudwatch_event_rule.senders[0]"]
    pattern = EventPattern.load(rule["event_pattern"])
    for account in (SHOP, BILLING):
        assert pattern.matches_event(eventbridge(ses("Bounce", "m", 0), account, "eu-west-1"))
        assert pattern.matches_event(
            eventbridge(sms_v2("TEXT_DELIVERED", "m", 0), account, "eu-west-1")
        )
    assert not pattern.matches_event(eventbridge(ses("Bounce", "m", 0), STRANGER, "eu-west-1"))
    target = hub["aws_cloudwatch_event_target.senders[0]"]
    stream = hub['aws_kinesis_firehose_delivery_stream.this["events"]']
    assert target["arn"] == stream["arn"]
    # Whole events: the envelope's account and Region reach the transform.
    assert not target.get("input_path")
    assert not target.get("input_transformer")
    assert target["dead_letter_config"] == [
        {"arn": hub["aws_sqs_queue.senders_dead_letter[0]"]["arn"]}
    ]
    assert target["retry_policy"][0]["maximum_retry_attempts"] == 185


def test_the_rules_role_is_eventbridges_for_that_rule_and_puts_into_the_stream_only(hub) -> None:
    role = hub["aws_iam_role.senders[0]"]
    trust = {"Statement": statements_of(role["assume_role_policy"])}
    events = Principal(service="events.amazonaws.com")
    context = {"aws:SourceAccount": HUB_ACCOUNT, "aws:SourceArn": RULE}
    role_arn = role["arn"]
    assert decide(Request(events, "sts:AssumeRole", role_arn, context), resource_policy=trust)
    for other in (
        {**context, "aws:SourceArn": RULE.replace("senders-to-stream", "other")},
        {**context, "aws:SourceAccount": SHOP},
        {},
    ):
        assert not decide(Request(events, "sts:AssumeRole", role_arn, other), resource_policy=trust)
    policy = hub["aws_iam_role_policy.senders[0]"]["policy"]
    stream = hub['aws_kinesis_firehose_delivery_stream.this["events"]']["arn"]
    assert allows(policy, "firehose:PutRecordBatch", stream)
    assert not allows(policy, "firehose:PutRecordBatch", stream.replace("demo-events", "other"))
    assert {
        a
        for s in statements_of(policy)
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    } == {
        "firehose:PutRecord",
        "firehose:PutRecordBatch",
    }


def test_the_dead_letter_queue_takes_messages_from_the_senders_rule_only(hub) -> None:
    queue = hub["aws_sqs_queue.senders_dead_letter[0]"]
    policy = {
        "Statement": statements_of(hub["aws_sqs_queue_policy.senders_dead_letter[0]"]["policy"])
    }
    events = Principal(service="events.amazonaws.com")
    send = Request(events, "sqs:SendMessage", queue["arn"], {"aws:SourceArn": RULE})
    assert decide(send, resource_policy=policy)
    other = Request(events, "sqs:SendMessage", queue["arn"], {"aws:SourceArn": RULE + "x"})
    assert not decide(other, resource_policy=policy)
    assert queue["message_retention_seconds"] == 1209600
    assert queue["sqs_managed_sse_enabled"] is True


# ------------------------------------------------------------------------------ the spokes


@pytest.fixture(scope="module")
def multi_account(workspaces: dict[str, Workspace]) -> dict[str, dict[str, Any]]:
    return workspaces["multi-account"].known()


def spoke(known: dict[str, dict[str, Any]], name: str) -> dict[str, dict[str, Any]]:
    prefix = f"module.{name}."
    return {
        address.removeprefix(prefix): v
        for address, v in known.items()
        if address.startswith(prefix)
    }


@pytest.mark.parametrize(("name", "region"), [("shop", "eu-west-1"), ("billing", "ap-southeast-2")])
def test_each_spoke_publishes_its_configuration_set_to_its_default_bus(
    multi_account, name: str, region: str
) -> None:
    (destination,) = [
        v
        for a, v in spoke(multi_account, name).items()
        if a.startswith("aws_sesv2_configuration_set_event_destination.this")
    ]
    (definition,) = destination["event_destination"]
    (bridge,) = definition["event_bridge_destination"]
    assert bridge["event_bus_arn"] == f"arn:aws:events:{region}:{HUB_ACCOUNT}:event-bus/default"
    assert definition["kinesis_firehose_destination"] == []
    assert definition["enabled"] is True
    assert "DELIVERY" in definition["matching_event_types"]


def test_the_spokes_forward_only_their_sets_mail_and_their_sms_to_the_hubs_bus(
    multi_account,
) -> None:
    hub_bus = multi_account["module.message_status.aws_cloudwatch_event_bus.senders[0]"]["arn"]
    shop = spoke(multi_account, "shop")
    ses_rule = EventPattern.load(shop['aws_cloudwatch_event_rule.forward["ses"]']["event_pattern"])
    mail = ses("Delivery", "m", 0, tags={"ses:configuration-set": "msgstatus-multi-shop"})
    assert ses_rule.matches_event(eventbridge(mail, SHOP, "eu-west-1"))
    other_set = ses("Delivery", "m", 0, tags={"ses:configuration-set": "marketing"})
    assert not ses_rule.matches_event(eventbridge(other_set, SHOP, "eu-west-1"))
    sms_rule = EventPattern.load(shop['aws_cloudwatch_event_rule.forward["sms"]']["event_pattern"])
    assert sms_rule.matches_event(eventbridge(sms_v2("TEXT_DELIVERED", "m", 0), SHOP, "eu-west-1"))
    for key in ("ses", "sms"):
        target = shop[f'aws_cloudwatch_event_target.forward["{key}"]']
        assert (target["arn"], target["event_bus_name"]) == (hub_bus, "default")
        assert target["role_arn"] == shop["aws_iam_role.forward[0]"]["arn"]
    billing = spoke(multi_account, "billing")
    assert 'aws_cloudwatch_event_rule.forward["sms"]' not in billing  # sms_enabled = false


@pytest.mark.parametrize(("name", "region"), [("shop", "eu-west-1"), ("billing", "ap-southeast-2")])
def test_each_spokes_role_is_eventbridges_for_its_rules_and_may_put_on_the_hubs_bus_only(
    multi_account, name: str, region: str
) -> None:
    hub_bus = multi_account["module.message_status.aws_cloudwatch_event_bus.senders[0]"]["arn"]
    resources = spoke(multi_account, name)
    role = resources["aws_iam_role.forward[0]"]
    trust = {"Statement": statements_of(role["assume_role_policy"])}
    events = Principal(service="events.amazonaws.com")
    # The rules' ARNs as AWS gives them, in the spoke's Region (known_arns gives every
    # resource the default provider's Region).
    rules = [
        f"arn:aws:events:{region}:{HUB_ACCOUNT}:rule/{v['name']}"
        for a, v in resources.items()
        if a.startswith("aws_cloudwatch_event_rule.")
    ]
    assert rules
    for rule in rules:
        context = {"aws:SourceAccount": HUB_ACCOUNT, "aws:SourceArn": rule}
        assert decide(
            Request(events, "sts:AssumeRole", role["arn"], context), resource_policy=trust
        )
    foreign = {
        "aws:SourceAccount": HUB_ACCOUNT,
        "aws:SourceArn": f"arn:aws:events:{region}:{HUB_ACCOUNT}:rule/other",
    }
    assert not decide(
        Request(events, "sts:AssumeRole", role["arn"], foreign), resource_policy=trust
    )
    policy = resources["aws_iam_role_policy.forward[0]"]["policy"]
    assert allows(policy, "events:PutEvents", hub_bus)
    assert not allows(
        policy, "events:PutEvents", f"arn:aws:events:{region}:{HUB_ACCOUNT}:event-bus/default"
    )
    assert json.loads(policy)["Statement"][0]["Resource"] == hub_bus


def test_the_example_hub_names_the_spoke_accounts(multi_account) -> None:
    policy = bus_policy(
        multi_account["module.message_status.data.aws_iam_policy_document.senders_bus[0]"]
    )
    bus = multi_account["module.message_status.aws_cloudwatch_event_bus.senders[0]"]["arn"]
    assert admitted(policy, forwarded_by(SHOP, bus=bus))
    assert admitted(policy, forwarded_by(BILLING, bus=bus))
    assert not admitted(policy, forwarded_by(STRANGER, bus=bus))


def test_the_rules_and_the_bus_read_the_same_events_as_the_parser(hub, multi_account) -> None:
    """One list of detail-types: the hub's rule, its bus policy and the spokes' rules."""
    rule = json.loads(hub["aws_cloudwatch_event_rule.senders[0]"]["event_pattern"])
    assert {
        s: sorted(t for t in rule["detail-type"] if t in SOURCES[s]) for s in SOURCES
    } == SOURCES
    assert sorted(rule["detail-type"]) == sorted(t for types in SOURCES.values() for t in types)
    shop = spoke(multi_account, "shop")
    for key, source in (("ses", "aws.ses"), ("sms", "aws.sms-voice")):
        pattern = json.loads(shop[f'aws_cloudwatch_event_rule.forward["{key}"]']["event_pattern"])
        assert (pattern["source"], sorted(pattern["detail-type"])) == ([source], SOURCES[source])


def test_with_a_key_the_dead_letter_queue_uses_it_and_the_key_policy_lets_eventbridge(
    root: Workspace,
) -> None:
    key = f"arn:aws:kms:{HUB_REGION}:{HUB_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    plan = root.plan(name="demo", sender_account_ids=[SHOP], kms_key_arn=key)
    queue = one(plan, "aws_sqs_queue.senders_dead_letter[0]")
    assert queue["kms_master_key_id"] == key
    statements = statements_of(
        one(plan, "data.aws_iam_policy_document.kms_key_services[0]")["json"]
    )
    (statement,) = [
        s for s in statements if s.get("Sid") == "EventBridgeDeadLettersOfTheModulesRules"
    ]
    queue_arn = f"arn:aws:sqs:{HUB_REGION}:{HUB_ACCOUNT}:demo-senders-dlq"
    context = {"kms:EncryptionContext:aws:sqs:arn": queue_arn}
    assert allows([statement], "kms:GenerateDataKey", key, context)
    assert not allows(
        [statement],
        "kms:GenerateDataKey",
        key,
        {**context, "kms:EncryptionContext:aws:sqs:arn": queue_arn + "x"},
    )


# ------------------------------------------------------------------ the submodule alone


@pytest.fixture(scope="module")
def sender_module(module_copy: Path, tf_env: dict[str, str]) -> Workspace:
    """modules/sender-account on its own (the provider from the environment: the emulator)."""
    return Workspace(module_copy / "modules" / "sender-account", tf_env)


def test_the_submodule_creates_nothing_when_create_is_false(sender_module: Workspace) -> None:
    plan = sender_module.plan(
        hub_event_bus_arn=BUS, ses_configuration_set_names=["shop"], create=False
    )
    assert [
        c["address"] for c in plan._raw.get("resource_changes", []) if c["mode"] == "managed"
    ] == []


def test_the_submodule_without_sources_creates_no_role(sender_module: Workspace) -> None:
    plan = sender_module.plan(hub_event_bus_arn=BUS, sms_enabled=False)
    assert planned(plan, "aws_iam_role") == {}
    assert planned(plan, "aws_cloudwatch_event_rule") == {}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"hub_event_bus_arn": "message-status-senders"}, "must be an EventBridge bus ARN"),
        (
            {"hub_event_bus_arn": BUS, "ses_configuration_set_names": ["no spaces"]},
            "configuration set name",
        ),
        ({"hub_event_bus_arn": BUS, "name": "Shop"}, "lowercase letters"),
    ],
)
def test_the_submodule_refuses_bad_inputs_at_plan(
    sender_module: Workspace, variables: dict, message: str
) -> None:
    assert message in sender_module.plan_error(**variables)
