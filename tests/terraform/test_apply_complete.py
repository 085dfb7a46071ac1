"""examples/complete on the local emulator, deployed the way a user upgrades to it.

One deployment serves every test here (each apply costs about a minute):

1. examples/complete of the previous release (PREVIOUS_RELEASE) is applied;
2. the module and the example are swapped for this tree's, with the previous
   release's IAM layout (no role path, no boundary): the plan must destroy
   and replace nothing (test_upgrade_from_the_previous_release_destroys_nothing);
3. the example's own settings are applied: roles under /message-status/ with a
   permissions boundary, every function in a VPC, reserved concurrency, extra
   environment; the tests read them back, and a second plan must be empty.

An upgrade from the main branch before the function map (MAIN_BEFORE_THE_MAP)
is checked without a deployment of its own: the applied state, with each
function's stack at the address that revision gave it, is planned against
this tree (test_upgrade_from_one_stack_per_function_destroys_nothing).

The emulator has no SES v2 event destinations, so a Pinpoint project stands
in for the example's SES configuration set (devkit.stack.EMULATOR_FILES), and
the deployment is made destroyable (no deletion protection, force_destroy).
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from message_status.model import INDEXES

from devkit import ROOT, terraform
from devkit.calls import call_api, results, run_firehose_event
from devkit.emulator import Emulator
from devkit.events import firehose_kinesis_event, pinpoint_email
from devkit.firehose import Destination, deliver, read_error_records
from devkit.permissions.calls import Call, UnmappedOperation
from devkit.permissions.documents import Deployment, read_plan, real_plan
from devkit.permissions.evaluate import Principal, allowed_requests, allows, statements_of
from devkit.permissions.exercise import Recorded, exercise
from devkit.permissions.proof import (
    Verdict,
    denied,
    prove_api_requests,
    prove_recorded,
    prove_service_calls,
)
from devkit.permissions.reference import check_document
from devkit.permissions.scan import operations_called
from devkit.permissions.service_calls import service_calls
from devkit.permissions.waivers import WAIVERS, waived
from devkit.stack import Stack, deployed, emulator_files

pytestmark = [pytest.mark.terraform, pytest.mark.apply]

NAME = "msgstatus-complete"  # examples/complete's default name
# The last landed commit before this interface (v0.1.0's module and examples).
PREVIOUS_RELEASE = "5684ebda38e901de150ae9c8b7d49f99259c8a21"
PREVIOUS_IAM_LAYOUT = {
    "upgrade_override.tf": """\
# The previous release's IAM layout, to prove the upgrade alone replaces nothing.
module "message_status" {
  iam_role_path                = "/"
  iam_permissions_boundary_arn = null
}
""",
}
# The previous release's addresses (before the function map, and before Kinesis
# sources) => this tree's: `moved` blocks carry them over.
MOVED_FROM_THE_PREVIOUS_RELEASE = {
    **{
        f"module.message_status.{type_}.{function}[0]": (
            f'module.message_status.{type_}.{name}["{function}"]'
        )
        for function in ("transform", "query")
        for type_, name in (
            ("aws_lambda_function", "this"),
            ("aws_cloudwatch_log_group", "function"),
            ("aws_iam_role", "function"),
            ("aws_iam_role_policy", "function"),
        )
    },
    "module.message_status.aws_kinesis_firehose_delivery_stream.this[0]": (
        'module.message_status.aws_kinesis_firehose_delivery_stream.this["events"]'
    ),
}
# The main branch's last commit with one written-out stack per function; the
# stream function's stack was counted too (events.tf).
MAIN_BEFORE_THE_MAP = "bf43136"
FUNCTION_STACK = {  # resource type => its name in the function map
    "aws_lambda_function": "this",
    "aws_cloudwatch_log_group": "function",
    "aws_iam_role": "function",
    "aws_iam_role_policy": "function",
}
# On the emulator a Pinpoint project stands in for SES (devkit.stack.EMULATOR_FILES).
ROLES = (
    "transform",
    "query",
    "stream",
    "heal",
    "firehose",
    "pinpoint-source",
    "sms-source",
    "webhook-failures",
)


def create_vpc(stack: Stack) -> dict[str, list[str]]:
    """Two subnets and a security group in the emulator, for lambda_vpc_config."""
    ec2 = stack.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.40.{n}.0/24", AvailabilityZone=zone)[
            "Subnet"
        ]["SubnetId"]
        for n, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    group = ec2.create_security_group(
        GroupName=f"{NAME}-functions", Description="message status functions", VpcId=vpc_id
    )["GroupId"]
    return {"vpc_subnet_ids": subnets, "vpc_security_group_ids": [group]}


@pytest.fixture(scope="module")
def upgrade(
    emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The complete stack, upgraded from the previous release; yields the stack and facts."""
    previous = terraform.export_revision(PREVIOUS_RELEASE, tmp_path_factory.mktemp("previous"))
    scratch = tmp_path_factory.mktemp("complete-stack")
    with deployed(
        "complete", emulator, scratch, module_source=previous, files=emulator_files("complete")
    ) as stack:
        previous_outputs = dict(stack.outputs)
        stack.replace_module(ROOT)
        stack.write_files(PREVIOUS_IAM_LAYOUT)
        upgrade_plan = stack.plan_json()
        stack.write_files(dict.fromkeys(PREVIOUS_IAM_LAYOUT, ""))
        vpc = create_vpc(stack)
        terraform.write_variables(stack.workdir, vpc)
        stack.apply()
        yield {
            "stack": stack,
            "upgrade_plan": upgrade_plan,
            "previous_outputs": previous_outputs,
            "vpc": vpc,
        }


@pytest.fixture(scope="module")
def stack(upgrade: dict[str, Any]) -> Stack:
    return upgrade["stack"]


def test_upgrade_from_the_previous_release_destroys_nothing(upgrade: dict[str, Any]) -> None:
    changes = upgrade["upgrade_plan"]["resource_changes"]
    destroyed = [c["address"] for c in changes if "delete" in c["change"]["actions"]]
    assert destroyed == [], f"the upgrade would destroy or replace: {destroyed}"
    moved = {c["previous_address"]: c["address"] for c in changes if "previous_address" in c}
    assert moved == MOVED_FROM_THE_PREVIOUS_RELEASE
    updated = {c["address"] for c in changes if c["change"]["actions"] == ["update"]}
    # The new settings do reach the existing functions, in place.
    assert 'module.message_status.aws_lambda_function.this["transform"]' in updated
    # The table gains its indexes (by_tenant among them) in place: DynamoDB builds a new
    # global secondary index on a live table, nothing is replaced.
    table = next(
        c for c in changes if c["address"] == "module.message_status.aws_dynamodb_table.this[0]"
    )
    assert table["change"]["actions"] == ["update"]
    indexes = {i["name"] for i in table["change"]["after"]["global_secondary_index"]}
    assert indexes == {index.name for index in INDEXES}


# The functions MAIN_BEFORE_THE_MAP had; the heal function came later, in the map.
FUNCTIONS_BEFORE_THE_MAP = ("transform", "query", "stream")


def one_stack_per_function(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with each function's stack where MAIN_BEFORE_THE_MAP had it (``<function>[0]``)."""
    resources = []
    for resource in state["resources"]:
        if (
            resource.get("mode") != "managed"
            or FUNCTION_STACK.get(resource["type"]) != (resource["name"])
        ):
            resources.append(resource)
            continue
        later = [i for i in resource["instances"] if i["index_key"] not in FUNCTIONS_BEFORE_THE_MAP]
        if later:
            resources.append({**resource, "instances": later})
        for instance in resource["instances"]:
            if instance["index_key"] not in FUNCTIONS_BEFORE_THE_MAP:
                continue
            resources.append(
                {
                    **resource,
                    "name": instance["index_key"],
                    "each": "list",
                    "instances": [{**instance, "index_key": 0}],
                }
            )
    return {**state, "resources": resources}


@pytest.fixture(scope="module")
def upgrade_from_main_plan(stack: Stack) -> dict[str, Any]:
    """This tree's plan over the deployed state laid out as MAIN_BEFORE_THE_MAP had it.

    No deployment of its own: the resources are this tree's (so settings match),
    only their addresses are that revision's; the plan neither refreshes nor
    writes the real state.
    """
    state = json.loads(stack.terraform("state", "pull").stdout)
    old_layout = stack.workdir / "main-layout.tfstate"
    old_layout.write_text(json.dumps(one_stack_per_function(state)))
    try:
        stack.terraform(
            "plan",
            f"-state={old_layout.name}",
            "-refresh=false",
            "-input=false",
            "-no-color",
            "-out=main-layout.tfplan",
        )
        return dict(json.loads(stack.terraform("show", "-json", "main-layout.tfplan").stdout))
    finally:
        old_layout.unlink()
        (stack.workdir / "main-layout.tfplan").unlink(missing_ok=True)


def test_upgrade_from_one_stack_per_function_destroys_nothing(
    upgrade_from_main_plan: dict[str, Any],
) -> None:
    changes = upgrade_from_main_plan["resource_changes"]
    changed = {
        c["address"]: c["change"]["actions"]
        for c in changes
        if set(c["change"]["actions"]) - {"no-op", "read"}
    }
    assert changed == {}, f"the upgrade from {MAIN_BEFORE_THE_MAP} would change: {changed}"
    moved = {c["previous_address"]: c["address"] for c in changes if "previous_address" in c}
    assert moved == {
        f"module.message_status.{type_}.{function}[0]": (
            f'module.message_status.{type_}.{name}["{function}"]'
        )
        for function in FUNCTIONS_BEFORE_THE_MAP
        for type_, name in FUNCTION_STACK.items()
    }


def test_every_role_has_the_path_and_the_boundary(stack: Stack) -> None:
    iam = stack.client("iam")
    (boundary,) = [
        policy["Arn"]
        for policy in iam.list_policies(Scope="Local")["Policies"]
        if policy["PolicyName"] == f"{NAME}-boundary"
    ]
    for suffix in ROLES:
        role = iam.get_role(RoleName=f"{NAME}-{suffix}")["Role"]
        assert role["Path"] == "/message-status/", suffix
        assert role["PermissionsBoundary"] == {
            "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
            "PermissionsBoundaryArn": boundary,
        }, suffix
    assert stack.outputs["transform_role_arn"].endswith(f":role/message-status/{NAME}-transform")


def test_the_deployed_boundary_allows_everything_the_deployed_roles_may_do(stack: Stack) -> None:
    """The plan test (test_plan_permissions) with the ARNs the emulator gave, VPC included."""
    iam = stack.client("iam")
    (boundary,) = [
        policy
        for policy in iam.list_policies(Scope="Local")["Policies"]
        if policy["PolicyName"] == f"{NAME}-boundary"
    ]
    version = iam.get_policy_version(
        PolicyArn=boundary["Arn"], VersionId=boundary["DefaultVersionId"]
    )["PolicyVersion"]["Document"]
    cap = statements_of(version)
    refused = []
    for suffix in ROLES:
        role = f"{NAME}-{suffix}"
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            refused += [
                (role, action, resource)
                for action, resource in allowed_requests(document)
                if not allows(cap, action, resource)
            ]
    assert refused == []


def test_every_function_runs_in_the_vpc_with_reserved_concurrency_and_extra_environment(
    upgrade: dict[str, Any],
) -> None:
    stack, vpc = upgrade["stack"], upgrade["vpc"]
    client = stack.client("lambda")
    for function in ("transform", "query", "stream", "heal"):
        config = client.get_function_configuration(FunctionName=f"{NAME}-{function}")
        assert sorted(config["VpcConfig"]["SubnetIds"]) == sorted(vpc["vpc_subnet_ids"])
        assert config["VpcConfig"]["SecurityGroupIds"] == vpc["vpc_security_group_ids"]
        assert config["Environment"]["Variables"]["DEPLOYMENT"] == "complete-example"
    reserved = {
        function: client.get_function_concurrency(FunctionName=f"{NAME}-{function}").get(
            "ReservedConcurrentExecutions"
        )
        for function in ("transform", "query", "stream", "heal")
    }
    assert reserved == {
        "transform": 10,
        "query": None,
        "stream": 4,
        "heal": None,
    }  # None: unreserved


def test_each_function_role_has_its_logs_traces_key_and_network_interfaces(stack: Stack) -> None:
    iam = stack.client("iam")
    kms_actions = {}
    for function in ("transform", "query", "stream", "heal"):
        role = f"{NAME}-{function}"
        (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
        document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
        statements = {s["Sid"]: s for s in document["Statement"]}
        assert {
            "CreateInterfacesInTheseSubnets",
            "AssignAddressesInTheseSubnets",
            "CleanUpInterfacesInThisAccount",
            "DescribeInterfaces",
            "WriteOwnLogs",
            "SendTraces",
            "UseCustomerManagedKey",
        } <= set(statements), function
        assert statements["WriteOwnLogs"]["Resource"].endswith(f":log-group:/aws/lambda/{role}:*")
        actions = statements["UseCustomerManagedKey"]["Action"]
        kms_actions[function] = sorted([actions] if isinstance(actions, str) else actions)
    assert kms_actions == {
        "transform": ["kms:Decrypt", "kms:GenerateDataKey"],
        "query": ["kms:Decrypt"],  # it only reads
        "stream": ["kms:Decrypt", "kms:GenerateDataKey"],
        "heal": ["kms:Decrypt", "kms:GenerateDataKey"],  # the queue, the archive, the table
    }


def test_routes_use_the_jwt_authorizer(stack: Stack) -> None:
    client = stack.client("apigatewayv2")
    api_id = stack.outputs["api_id"]
    routes = client.get_routes(ApiId=api_id)["Items"]
    assert {route["AuthorizationType"] for route in routes} == {"JWT"}
    (authorizer_id,) = {route["AuthorizerId"] for route in routes}
    # moto has GetAuthorizer but not GetAuthorizers.
    authorizer = client.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["JwtConfiguration"] == {
        "Audience": ["message-status-readers"],
        "Issuer": "https://auth.example.com/",
    }


def test_table_and_logs_use_the_customer_managed_key(stack: Stack) -> None:
    (key,) = [
        alias["TargetKeyId"]
        for alias in stack.client("kms").list_aliases()["Aliases"]
        if alias["AliasName"] == f"alias/{NAME}"
    ]
    key_arn = stack.client("kms").describe_key(KeyId=key)["KeyMetadata"]["Arn"]
    table = stack.client("dynamodb").describe_table(TableName=NAME)["Table"]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == key_arn
    groups = stack.client("logs").describe_log_groups()["logGroups"]
    ours = [
        group
        for group in groups
        if group["logGroupName"] in stack.outputs["log_group_names"].values()
    ]
    assert len(ours) == 6  # transform, query, stream, heal, firehose, api
    assert {group.get("kmsKeyId") for group in ours} == {key_arn}
    for queue in (
        stack.outputs["status_events_failure_queue_url"],
        stack.outputs["webhooks"]["failures"]["dead_letter_queue_url"],
        stack.outputs["heal_queue_url"],
        stack.outputs["heal_dead_letter_queue_url"],
    ):
        attributes = stack.client("sqs").get_queue_attributes(
            QueueUrl=queue, AttributeNames=["All"]
        )["Attributes"]
        assert attributes["KmsMasterKeyId"] == key_arn
    assert {group["retentionInDays"] for group in ours} == {400}


def test_stream_backs_up_raw_records_and_buffers_briefly(stack: Stack) -> None:
    stream = stack.client("firehose").describe_delivery_stream(DeliveryStreamName=f"{NAME}-events")
    s3 = stream["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert s3["S3BackupMode"] == "Enabled"
    assert s3["S3BackupDescription"]["Prefix"].startswith("raw/")
    params = {
        p["ParameterName"]: p["ParameterValue"]
        for p in s3["ProcessingConfiguration"]["Processors"][0]["Parameters"]
    }
    assert params["BufferIntervalInSeconds"] == "0"
    assert params["BufferSizeInMBs"] == "0.5"


def test_functions_run_python313_on_x86_64_with_retention(stack: Stack) -> None:
    config = stack.client("lambda").get_function_configuration(FunctionName=f"{NAME}-transform")
    assert config["Runtime"] == "python3.13"
    assert config["Architectures"] == ["x86_64"]
    assert config["Environment"]["Variables"]["RETENTION_DAYS"] == "30"
    assert config["Layers"][0]["Arn"].endswith(
        ":layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27"
    )


def test_sms_role_trusts_only_sms_voice_for_the_configuration_set(stack: Stack) -> None:
    role = stack.client("iam").get_role(RoleName=stack.outputs["sms_source_role_name"])["Role"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    account = stack.outputs["table_arn"].split(":")[4]
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {
            "aws:SourceArn": (
                f"arn:aws:sms-voice:us-east-1:{account}:configuration-set/transactional-sms"
            )
        },
    }


def test_events_go_to_the_examples_own_encrypted_bus(stack: Stack) -> None:
    events = stack.client("events")
    bus = events.describe_event_bus(Name=f"{NAME}-status")
    assert bus["Arn"] == stack.outputs["event_bus_arn"]
    stream = stack.client("lambda").get_function_configuration(FunctionName=f"{NAME}-stream")
    env = stream["Environment"]["Variables"]
    assert (env["EVENT_BUS_NAME"], env["EVENT_SOURCE"]) == (
        f"{NAME}-status",
        "message-status.complete",
    )


def test_the_webhook_is_a_connection_a_destination_and_a_rule_with_a_dead_letter_queue(
    stack: Stack,
) -> None:
    events = stack.client("events")
    hook = stack.outputs["webhooks"]["failures"]
    connection = events.describe_connection(Name=f"{NAME}-failures")
    assert connection["ConnectionArn"] == hook["connection_arn"]
    assert connection["AuthorizationType"] == "API_KEY"
    assert connection["AuthParameters"]["ApiKeyAuthParameters"]["ApiKeyName"] == "x-webhook-key"
    destination = events.describe_api_destination(Name=f"{NAME}-failures")
    assert destination["InvocationEndpoint"] == "https://hooks.example.com/message-status"
    assert destination["InvocationRateLimitPerSecond"] == 20
    assert destination["ConnectionArn"] == hook["connection_arn"]
    rule = events.describe_rule(Name=f"{NAME}-webhook-failures", EventBusName=f"{NAME}-status")
    pattern = json.loads(rule["EventPattern"])
    assert pattern["detail"]["is_final"] == [True]
    (target,) = events.list_targets_by_rule(
        Rule=f"{NAME}-webhook-failures", EventBusName=f"{NAME}-status"
    )["Targets"]
    assert target["Arn"] == hook["api_destination_arn"]
    assert target["RoleArn"] == hook["role_arn"]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 50
    assert target["DeadLetterConfig"]["Arn"] == hook["dead_letter_queue_arn"]


def test_the_kinesis_source_has_a_delivery_stream_that_reads_only_it(stack: Stack) -> None:
    stream_arn = stack.client("kinesis").describe_stream_summary(
        StreamName=f"{NAME}-pinpoint-events"
    )["StreamDescriptionSummary"]
    assert stream_arn["EncryptionType"] == "KMS"
    description = stack.client("firehose").describe_delivery_stream(
        DeliveryStreamName=f"{NAME}-kinesis-pinpoint"
    )["DeliveryStreamDescription"]
    source = description["Source"]["KinesisStreamSourceDescription"]
    assert source["KinesisStreamARN"] == stream_arn["StreamARN"]
    assert source["RoleARN"] == stack.outputs["firehose_role_arn"]
    assert stack.outputs["kinesis_delivery_stream_arns"] == {
        "pinpoint": description["DeliveryStreamARN"]
    }
    # Same processor and archive as the direct stream.
    direct = Destination.of(
        stack.client("firehose").describe_delivery_stream(DeliveryStreamName=f"{NAME}-events")[
            "DeliveryStreamDescription"
        ]
    )
    kinesis = Destination.of(description)
    assert (kinesis.bucket, kinesis.prefix, kinesis.error_prefix, kinesis.lambda_arn) == (
        direct.bucket,
        direct.prefix,
        direct.error_prefix,
        direct.lambda_arn,
    )
    policy = stack.client("iam").get_role_policy(
        RoleName=f"{NAME}-firehose", PolicyName="transform-and-archive"
    )["PolicyDocument"]
    statements = {s.get("Sid"): s for s in policy["Statement"]}
    assert statements["ReadKinesisSources"]["Resource"] == stream_arn["StreamARN"]
    decrypt = statements["DecryptKinesisSources"]
    assert decrypt["Resource"] == stream_arn["KeyId"]
    assert (
        decrypt["Condition"]["StringEquals"]["kms:EncryptionContext:aws:kinesis:arn"]
        == (stream_arn["StreamARN"])
    )


def test_records_on_the_kinesis_stream_reach_the_table_and_bad_ones_errors(stack: Stack) -> None:
    """Producer -> Kinesis (emulator) -> what Firehose hands its processor -> deployed transform.

    The emulator's Firehose does not read Kinesis streams nor call processors: the
    test reads the stream and plays Firehose (devkit.events.firehose_kinesis_event,
    devkit.firehose.deliver) between the real stream and the deployed code.
    """
    kinesis = stack.client("kinesis")
    stream_name = f"{NAME}-pinpoint-events"
    sent = 1_795_392_000_000
    payloads = [
        json.dumps(pinpoint_email("_email.send", "kinesis-apply-1", sent)).encode(),
        b"\x00 a record from another producer on the stream",
        json.dumps(pinpoint_email("_email.delivered", "kinesis-apply-1", sent + 1000)).encode(),
    ]
    for data in payloads:  # one at a time, one partition key: one shard, in this order
        kinesis.put_record(StreamName=stream_name, Data=data, PartitionKey="project-1")
    read = {}  # an on-demand stream has several shards
    for shard in kinesis.list_shards(StreamName=stream_name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream_name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        if records := kinesis.get_records(ShardIterator=iterator)["Records"]:
            read[shard["ShardId"]] = records
    ((shard_id, records),) = read.items()
    assert [bytes(r["Data"]) for r in records] == payloads

    firehose = stack.client("firehose")
    description = firehose.describe_delivery_stream(DeliveryStreamName=f"{NAME}-kinesis-pinpoint")[
        "DeliveryStreamDescription"
    ]
    event = firehose_kinesis_event(
        description["Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"],
        description["DeliveryStreamARN"],
        records,
        shard_id=shard_id,
    )
    quiet = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
    with stack.function("transform_function_name", quiet) as transform:
        response = run_firehose_event(transform, event)
    assert results(response) == ["Ok", "ProcessingFailed", "Ok"]

    written = deliver(stack.client("s3"), Destination.of(description), event, response)
    assert written["Ok"].startswith("events/")
    (failed,) = read_error_records(
        stack.client("s3"), stack.outputs["archive_bucket_name"], written["ProcessingFailed"]
    )
    assert base64.b64decode(failed["rawData"]) == payloads[1]
    with stack.function("query_function_name", quiet) as query:
        status, body = call_api(query, "GET", "/messages/kinesis-apply-1")
    assert status == 200, body
    assert (body["status"], body["source"]) == ("DELIVERED", "pinpoint")


def test_second_plan_is_empty(stack: Stack) -> None:
    empty, output = stack.plan_is_empty()
    assert empty, f"plan after apply is not empty:\n{output}"


# --- the permission proof (devkit.permissions; README "Security") --------------------------
# moto enforces no IAM: these prove, on this deployment's documents as a real account
# gets them (a plan of the real example, devkit.permissions.documents), that every
# document is valid and every call of the code and of the services is allowed.

# Defects the proof finds that are not fixed yet, each with its issue number, checked both
# ways: when one is fixed its entry must go, and any failure not listed is new. Keys:
# (problem, Sid, subject) for the reference check; (principal, action, resource type)
# for calls. Empty: the defects of issue 19 are fixed. A defect found before its fix
# lands goes here, so that the proof stays green and still fails on anything else.
KNOWN_REFERENCE_DEFECTS: dict[tuple[str, str, str], int] = {}
KNOWN_CALL_DEFECTS: dict[tuple[str, str, str], int] = {}


@pytest.fixture(scope="module")
def deployment(stack: Stack) -> Deployment:
    plan = real_plan(stack)
    account, region = stack.outputs["table_arn"].split(":")[4], "us-east-1"
    return read_plan(plan, account, region)


@pytest.fixture(scope="module")
def recorded(stack: Stack) -> Recorded:
    return exercise(stack)


def test_every_policy_document_is_valid_against_the_service_authorization_reference(
    deployment: Deployment,
) -> None:
    findings = [f for doc in deployment.documents() for f in check_document(doc.name, doc.document)]
    unwaived = {f.key: f for f in findings if not waived(f.key)}
    assert len(deployment.documents()) >= 15, "every role, resource and output document is read"
    assert_known(unwaived, KNOWN_REFERENCE_DEFECTS)


def test_every_waiver_still_waives_a_finding(deployment: Deployment) -> None:
    findings = [f for doc in deployment.documents() for f in check_document(doc.name, doc.document)]
    used = {waived(f.key) for f in findings}
    assert set(WAIVERS) <= used, f"waivers that match nothing: remove {set(WAIVERS) - used}"


def all_verdicts(deployment: Deployment, recorded: Recorded) -> list[Verdict]:
    functions = {f["function_name"]: f["role"] for f in deployment.of_type("aws_lambda_function")}
    verdicts = [
        verdict
        for name, calls in recorded.functions.items()
        for verdict in prove_recorded(deployment, name, Principal(arn=functions[name]), calls)
    ]
    operator = Principal(arn=f"arn:aws:iam::{deployment.account}:role/operator")
    verdicts += prove_recorded(deployment, "msgstatus", operator, recorded.operator, operator=True)
    verdicts += prove_api_requests(deployment, recorded.api_requests)
    declared = service_calls(deployment, deployment.variables)
    return verdicts + prove_service_calls(deployment, declared)


def assert_every_call_allowed(
    deployment: Deployment,
    recorded: Recorded,
    known: dict[tuple[str, str, str], int] = KNOWN_CALL_DEFECTS,
) -> list[Verdict]:
    """The proof of the calls: every one allowed but the known defects, which must fail."""
    verdicts = all_verdicts(deployment, recorded)
    denials = {key: found[0] for key, found in denied(verdicts).items()}
    assert_known(denials, known)
    return verdicts


CODE = [ROOT / "lambda_src", ROOT / "cli" / "src"]  # the functions' code and msgstatus


def operations_made(recorded: Recorded) -> set[tuple[str, str]]:
    made = {(c.service, c.operation) for calls in recorded.functions.values() for c in calls}
    return made | {(c.service, c.operation) for c in recorded.operator}


def assert_every_client_call_recorded(recorded: Recorded, code: list[Path]) -> None:
    missing = operations_called(code) - operations_made(recorded)
    assert not missing, (
        f"client calls in the code that no run made: {sorted(missing)}; exercise them "
        "(devkit.permissions.exercise) so that the proof sees their resources"
    )


def test_every_call_of_the_code_the_cli_and_the_services_is_allowed(
    deployment: Deployment, recorded: Recorded
) -> None:
    made = {
        name: {(c.service, c.operation) for c in calls}
        for name, calls in recorded.functions.items()
    }
    # What each path calls is observed in the run, not assumed.
    assert ("dynamodb", "BatchWriteItem") in made[f"{NAME}-transform"]  # pointer items
    assert ("events", "PutEvents") in made[f"{NAME}-stream"]
    assert ("sesv2", "GetSuppressedDestination") in made[f"{NAME}-query"]  # a recipient's page
    assert {("s3", "GetObject"), ("s3", "PutObject"), ("s3", "DeleteObject")} <= made[
        f"{NAME}-heal"
    ]
    operator = {(c.service, c.operation) for c in recorded.operator}
    assert {("s3", "ListObjectsV2"), ("firehose", "PutRecordBatch")} <= operator  # replay
    assert {("sts", "GetCallerIdentity"), ("sesv2", "DeleteSuppressedDestination")} <= operator, (
        "msgstatus recipient --remove-from-suppression-list"
    )
    assert {
        ("lambda", "GetFunctionConfiguration"),
        ("dynamodb", "BatchGetItem"),
        ("dynamodb", "BatchWriteItem"),
        ("dynamodb", "PutItem"),
    } <= operator, "msgstatus backfill: the transform's settings, then items and pointers"
    assert any(
        c.params.get("ReturnConsumedCapacity") == "TOTAL"
        for c in recorded.operator
        if c.operation == "PutItem"
    ), "the backfill's paced writes ask what they consumed"
    assert any(path.startswith("/recipients/") for _, path in recorded.api_requests)
    verdicts = assert_every_call_allowed(deployment, recorded)
    assert {v.action for v in verdicts} >= {
        "dynamodb:Query",
        "events:InvokeApiDestination",  # EventBridge, declared
        "sqs:SendMessage",  # S3's notifications to the heal queue, declared
        "kms:GenerateDataKey",
        "lambda:GetFunctionConfiguration",
        "ses:DeleteSuppressedDestination",
        "ses:GetSuppressedDestination",
        "sts:AssumeRole",
    }
    # API Gateway may invoke the query for the recipient's page (declared from the routes).
    assert [
        v.decision.allowed for v in verdicts if v.who == "API Gateway (GET /recipients/{address})"
    ] == [True]


def test_every_client_call_in_the_code_is_recorded(recorded: Recorded) -> None:
    assert_every_client_call_recorded(recorded, CODE)


def with_calls(recorded: Recorded, function: str, *calls: Call) -> Recorded:
    functions = {**recorded.functions, function: [*recorded.functions[function], *calls]}
    return dataclasses.replace(recorded, functions=functions)


def test_a_call_that_no_policy_allows_fails_the_proof(
    deployment: Deployment, recorded: Recorded, tmp_path: Path
) -> None:
    transform = f"{NAME}-transform"
    # The transform gains a DeleteItem on its table: its role allows none.
    gained = with_calls(recorded, transform, Call("dynamodb", "DeleteItem", {"TableName": NAME}))
    with pytest.raises(AssertionError, match=r"(?s)new failures:.*dynamodb:DeleteItem"):
        assert_every_call_allowed(deployment, gained)
    # A client call in the code that no run made fails the scan.
    (tmp_path / "app.py").write_text(
        "import boto3\nboto3.client('sqs').purge_queue(QueueUrl='q')\n"
    )
    with pytest.raises(AssertionError, match=r"\('sqs', 'PurgeQueue'\)"):
        assert_every_client_call_recorded(recorded, [*CODE, tmp_path])
    # And an operation the table does not know cannot be proven at all.
    unknown = with_calls(recorded, transform, Call("sqs", "PurgeQueue", {"QueueUrl": "q"}))
    with pytest.raises(UnmappedOperation, match=r"sqs\.PurgeQueue"):
        assert_every_call_allowed(deployment, unknown)


def without_action(deployment: Deployment, role_name: str, action: str) -> Deployment:
    """A copy of the deployment whose boundary no longer allows ``action`` to any role."""
    changed = copy.deepcopy(deployment)
    (role,) = [r for r in changed.roles.values() if r.name == role_name]
    assert role.boundary_arn, "the example's roles have a boundary"
    for statement in changed.managed[role.boundary_arn].document["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        statement["Action"] = [a for a in actions if a != action]
    return changed


def test_known_defects_are_checked_both_ways(deployment: Deployment, recorded: Recorded) -> None:
    """A listed defect must still fail, and any failure not listed is new."""
    key = (f"{NAME}-transform", "dynamodb:BatchWriteItem", "dynamodb:table")
    # A boundary that leaves out the transform's pointer writes (issue 19's defect #1).
    broken = without_action(deployment, f"{NAME}-transform", "dynamodb:BatchWriteItem")
    with pytest.raises(AssertionError, match=r"(?s)new failures:.*dynamodb:BatchWriteItem"):
        assert_every_call_allowed(broken, recorded, known={})
    assert_every_call_allowed(broken, recorded, known={key: 1})  # listed: the proof passes
    # Fixed, and left in the list.
    with pytest.raises(AssertionError, match=r"(?s)no longer fail.*dynamodb:BatchWriteItem"):
        assert_every_call_allowed(deployment, recorded, known={key: 1})


def assert_known(found: dict[Any, Any], known: dict[Any, int]) -> None:
    """The failures are exactly the known defects: fixed ones must leave the list, new ones
    fail."""
    fixed = {key: number for key, number in known.items() if key not in found}
    new = {key: str(value) for key, value in found.items() if key not in known}
    assert not fixed, f"defects that no longer fail: remove their entries: {fixed}"
    assert not new, "new failures:\n" + "\n".join(new.values())
