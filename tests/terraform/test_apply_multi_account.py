"""examples/multi-account applied to the emulator once: a hub and two sender accounts in
other Regions, read back, and a message from each spoke followed to the hub's API.

The emulator is one account: the example's account ids (111111111111,
222222222222) stand for the senders where the hub's bus policy names them, and
each spoke's events carry its id, as they would from its own account. moto has
no SES v2 event destinations and plays no cross-account forwarding or Firehose
target (devkit.forwarding): each rule is read back and played on the event
AWS documents, the bus policy evaluated with the proof's evaluator, and the
deployed transform and query run on the records as Firehose and API Gateway
would (devkit.stack).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from devkit.calls import call_api, results, run_firehose
from devkit.events import eventbridge, ses, sms_v2
from devkit.forwarding import Delivery, play_rule
from devkit.permissions.documents import Deployment, read_plan, real_plan
from devkit.permissions.evaluate import Principal, Request, decide
from devkit.permissions.proof import denied, prove_service_calls
from devkit.permissions.reference import check_document
from devkit.permissions.service_calls import service_calls
from devkit.permissions.waivers import waived
from devkit.stack import Stack

pytestmark = [pytest.mark.terraform, pytest.mark.apply]

NAME = "msgstatus-multi"
HUB_REGION = "us-east-1"
SPOKES = {
    "shop": ("111111111111", "eu-west-1"),
    "billing": ("222222222222", "ap-southeast-2"),
}
QUIET = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
T0 = 1_795_392_000_000


def events_in(stack: Stack, region: str) -> Any:
    return stack.emulator.client("events", stack.credentials, region_name=region)


def test_the_hub_has_a_sender_bus_admitting_the_two_accounts(multi_account_stack: Stack) -> None:
    outputs = multi_account_stack.outputs
    bus = events_in(multi_account_stack, HUB_REGION).describe_event_bus(
        Name=outputs["senders_event_bus_name"]
    )
    assert bus["Arn"] == outputs["senders_event_bus_arn"]
    (statement,) = json.loads(bus["Policy"])["Statement"]
    principals = statement["Principal"]["AWS"]
    assert sorted(principals) == [f"arn:aws:iam::{a}:root" for a, _ in SPOKES.values()]
    assert statement["Condition"]["ForAllValues:StringEquals"]["events:source"] == [
        "aws.ses",
        "aws.sms-voice",
    ]


@pytest.mark.parametrize("spoke", sorted(SPOKES))
def test_each_spoke_forwards_from_its_own_region_with_its_role(
    multi_account_stack: Stack, spoke: str
) -> None:
    _, region = SPOKES[spoke]
    events = events_in(multi_account_stack, region)
    rules = {rule["Name"]: rule for rule in events.list_rules(NamePrefix=NAME)["Rules"]}
    assert f"{NAME}-ses-to-hub" in rules
    assert (f"{NAME}-sms-to-hub" in rules) is (spoke == "shop")  # billing: sms_enabled = false
    (target,) = events.list_targets_by_rule(Rule=f"{NAME}-ses-to-hub")["Targets"]
    assert target["Arn"] == multi_account_stack.outputs["senders_event_bus_arn"]
    iam = multi_account_stack.client("iam")
    role = iam.get_role(RoleName=f"{NAME}-forward-to-hub-{region}")["Role"]
    assert target["RoleArn"] == role["Arn"]


def forward(stack: Stack, spoke: str, event: dict[str, Any]) -> list[Delivery]:
    """The event on the spoke's default bus, through its rule, onto the hub's bus (whose
    policy must admit it), through the hub's rule: what reaches the delivery stream."""
    _, region = SPOKES[spoke]
    kind = "ses" if event["source"] == "aws.ses" else "sms"
    (hop,) = play_rule(events_in(stack, region), f"{NAME}-{kind}-to-hub", "default", event)
    hub_bus = stack.outputs["senders_event_bus_arn"]
    assert hop.target_arn == hub_bus
    hub_bus_name = stack.outputs["senders_event_bus_name"]
    policy = events_in(stack, HUB_REGION).describe_event_bus(Name=hub_bus_name)["Policy"]
    put = Request(
        Principal(arn=f"arn:aws:iam::{event['account']}:role/{NAME}-forward-to-hub-{region}"),
        "events:PutEvents",
        hub_bus,
        {
            "events:source": [hop.payload["source"]],
            "events:detail-type": [hop.payload["detail-type"]],
        },
    )
    role_policy = {
        "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": hub_bus}]
    }
    assert decide(
        put,
        identity=[role_policy],
        resource_policy=json.loads(policy),
        resource_policy_required=True,
    ), "the hub's bus refuses it"
    rule = f"{NAME}-senders-to-stream"
    deliveries = play_rule(
        events_in(stack, HUB_REGION), rule, stack.outputs["senders_event_bus_name"], hop.payload
    )
    assert [d.target_arn for d in deliveries] == [stack.outputs["delivery_stream_arn"]]
    return deliveries


def test_a_message_from_either_spoke_answers_from_the_hub_with_its_account_and_region(
    multi_account_stack: Stack,
) -> None:
    sent = {
        "shop": [
            eventbridge(
                ses(
                    "Send",
                    "shop-mail",
                    T0,
                    destination=["pat@example.com"],
                    tags={"ses:configuration-set": f"{NAME}-shop"},
                ),
                *SPOKES["shop"],
            ),
            eventbridge(
                ses(
                    "Delivery",
                    "shop-mail",
                    T0 + 1000,
                    destination=["pat@example.com"],
                    tags={"ses:configuration-set": f"{NAME}-shop"},
                ),
                *SPOKES["shop"],
            ),
            eventbridge(sms_v2("TEXT_DELIVERED", "shop-sms", T0 + 2000), *SPOKES["shop"]),
        ],
        "billing": [
            eventbridge(
                ses(
                    "Bounce",
                    "billing-mail",
                    T0 + 3000,
                    destination=["pat@example.com"],
                    tags={"ses:configuration-set": f"{NAME}-billing"},
                ),
                *SPOKES["billing"],
            ),
        ],
    }
    records = [
        delivery.payload
        for spoke, events in sent.items()
        for event in events
        for delivery in forward(multi_account_stack, spoke, event)
    ]
    assert len(records) == 4
    with multi_account_stack.function("transform_function_name", QUIET) as transform:
        assert results(run_firehose(transform, records)) == ["Ok"] * 4
    with multi_account_stack.function("query_function_name", QUIET) as query:
        answers = {
            message_id: call_api(query, "GET", f"/messages/{message_id}")
            for message_id in ("shop-mail", "shop-sms", "billing-mail")
        }
        _, shop_only = call_api(
            query,
            "GET",
            "/messages",
            {"recipient": "pat@example.com", "account": SPOKES["shop"][0]},
        )
        _, sydney = call_api(
            query, "GET", "/messages", {"recipient": "pat@example.com", "region": "ap-southeast-2"}
        )
    for message_id, spoke, status in (
        ("shop-mail", "shop", "DELIVERED"),
        ("shop-sms", "shop", "DELIVERED"),
        ("billing-mail", "billing", "HARD_BOUNCED"),
    ):
        code, body = answers[message_id]
        assert code == 200, body
        assert (body["aws_account_id"], body["aws_region"], body["status"]) == (
            *SPOKES[spoke],
            status,
        )
    assert [m["message_id"] for m in shop_only["messages"]] == ["shop-mail"]
    assert [m["message_id"] for m in sydney["messages"]] == ["billing-mail"]


def test_mail_of_another_configuration_set_is_not_forwarded(multi_account_stack: Stack) -> None:
    account, region = SPOKES["shop"]
    other = eventbridge(
        ses("Delivery", "m", T0, tags={"ses:configuration-set": "marketing"}), account, region
    )
    assert (
        play_rule(events_in(multi_account_stack, region), f"{NAME}-ses-to-hub", "default", other)
        == []
    )


# ------------------------------------------------- the permission proof, hub and spokes


@pytest.fixture(scope="module")
def deployment(multi_account_stack: Stack) -> Deployment:
    """The real example's plan against the deployed stack (no emulator stand-ins): the
    documents AWS would get, with the deployed ARNs. A plan, not a second apply."""
    plan = real_plan(multi_account_stack)
    account = multi_account_stack.outputs["table_arn"].split(":")[4]
    return read_plan(plan, account, HUB_REGION)


def test_every_document_of_the_hub_and_the_spokes_is_valid_against_the_reference(
    deployment: Deployment,
) -> None:
    names = [doc.name for doc in deployment.documents()]
    assert any("bus policy" in name for name in names)
    assert any(f"{NAME}-forward-to-hub" in name for name in names)
    assert any(f"{NAME}-senders" in name for name in names)
    findings = [
        str(f)
        for doc in deployment.documents()
        for f in check_document(doc.name, doc.document)
        if not waived(f.key)
    ]
    assert findings == []


def test_every_call_eventbridge_makes_for_the_hub_and_the_spokes_is_allowed(
    deployment: Deployment,
) -> None:
    calls = service_calls(deployment, deployment.variables)
    forwarding = [c for c in calls if c.action == "events:PutEvents"]
    # shop: its SES rule's 10 detail-types and its SMS rule's 3; billing: SES only
    assert len(forwarding) == 10 + 3 + 10
    assert {c.resource for c in forwarding} == {
        deployment_output(deployment, "senders_event_bus_arn")
    }
    into_stream = [
        c for c in calls if c.action in ("firehose:PutRecord", "firehose:PutRecordBatch")
    ]
    assert {c.principal.arn for c in into_stream} == {
        deployment_output(deployment, "senders_role_arn")
    }
    assert any(c.action == "sqs:SendMessage" and "senders-dlq" in c.resource for c in calls)
    refused = denied(prove_service_calls(deployment, calls))
    assert refused == {}, [str(v) for found in refused.values() for v in found]


def deployment_output(deployment: Deployment, name: str) -> str:
    values = {
        "senders_event_bus_arn": [b["arn"] for b in deployment.of_type("aws_cloudwatch_event_bus")],
        "senders_role_arn": [
            r.arn for r in deployment.roles.values() if r.name.endswith("-senders")
        ],
    }[name]
    (value,) = values
    return str(value)
