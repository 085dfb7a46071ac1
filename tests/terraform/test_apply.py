"""Apply examples/basic, unchanged, to a local moto server and run the deployed code.

The example is applied with `AWS_ENDPOINT_URL` pointing at moto and fake
credentials, exactly as against real AWS. Two things are prepared in the
emulator first, without touching the example:

- The default Powertools layer lives in AWS's account 017000801446, and moto
  only accepts layers of the function's own account. So the credentials belong
  to an emulated account 017000801446 in which the layer
  AWSLambdaPowertoolsPythonV3-python312-arm64 has been published up to the
  module's default version: the function's layer ARN is then the real default.
- moto 5.2 returns a Pinpoint app's CreationDate as a number where AWS returns a
  string, which the provider rejects; the emulator's App.to_json is patched to
  return a string.

What moto cannot cover here, and the plan tests (test_plan.py) check instead:
SES v2 event destinations, End User Messaging SMS v2 (no resource in provider
5.x either), the JWT authorizer and KMS key of examples/complete, and whether
the Powertools layer exists in a Region. moto also runs neither Firehose's
Lambda processor nor API Gateway, so the deployed code is invoked directly.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.support.calls import call_api, results, run_firehose
from tests.support.emulator import Emulator
from tests.support.events import pinpoint_email
from tests.support.handlers import deployed_handler
from tests.support.stack import (
    AWS_LAYER_ACCOUNT,
    DEFAULT_LAYER_VERSION,
    REGION,
    copy_module,
    emulated_layer_account,
    pinpoint_creation_date_as_string,
    publish_powertools_layer,
)
from tests.terraform.conftest import deployed, plan_is_empty

pytestmark = [pytest.mark.terraform, pytest.mark.apply]

NAME = "msgstatus-basic"  # examples/basic's default name
LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python312-arm64"


@pytest.fixture(scope="module")
def layer_account(emulator: Emulator) -> dict[str, str]:
    """Credentials of emulated account 017000801446, holding the default Powertools layer."""
    credentials = emulated_layer_account(emulator, "terraform-apply-basic")
    publish_powertools_layer(emulator, credentials, "python3.12", "arm64")
    return credentials


@pytest.fixture(scope="module")
def applied(
    emulator: Emulator,
    tf_env: dict[str, str],
    layer_account: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    """examples/basic applied to moto; yields its outputs; destroys it afterwards."""
    workdir = copy_module(tmp_path_factory.mktemp("apply")) / "examples" / "basic"
    try:
        with pinpoint_creation_date_as_string(), deployed(workdir, tf_env, layer_account) as result:
            yield result
    finally:
        shutil.rmtree(workdir.parents[1], ignore_errors=True)


@pytest.fixture(scope="module")
def aws(emulator: Emulator, layer_account: dict[str, str]) -> Any:
    """boto3 clients for the account the example was applied to."""

    def client(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=emulator.endpoint_url, region_name=REGION, **layer_account
        )

    return client


def test_outputs_name_every_part(applied: dict[str, Any]) -> None:
    outputs = applied["outputs"]
    assert outputs["table_name"] == NAME
    assert outputs["transform_function_name"] == f"{NAME}-transform"
    assert outputs["query_function_name"] == f"{NAME}-query"
    assert outputs["delivery_stream_name"] == f"{NAME}-events"
    assert outputs["archive_bucket_name"] == f"{NAME}-{AWS_LAYER_ACCOUNT}-{REGION}"
    assert outputs["message_status_url"] == outputs["api_endpoint"] + "/messages/{message_id}"
    assert outputs["pinpoint_role_arn"].endswith(f":role/{NAME}-pinpoint-source")
    assert outputs.get("ses_role_arn") is None  # null outputs are left out
    assert outputs.get("sms_event_destination_role_arn") is None


def test_table_is_keyed_by_message_id_with_ttl_and_pitr(applied: dict[str, Any], aws: Any) -> None:
    dynamodb = aws("dynamodb")
    table = dynamodb.describe_table(TableName=applied["outputs"]["table_name"])["Table"]
    assert table["KeySchema"] == [{"AttributeName": "message_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    backups = dynamodb.describe_continuous_backups(TableName=table["TableName"])
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


@pytest.mark.parametrize("function", ["transform", "query"])
def test_functions_run_python312_arm64_with_powertools_layer(
    applied: dict[str, Any], aws: Any, function: str
) -> None:
    name = applied["outputs"][f"{function}_function_name"]
    config = aws("lambda").get_function_configuration(FunctionName=name)
    assert config["Runtime"] == "python3.12"
    assert config["Handler"] == "app.lambda_handler"
    assert config["Architectures"] == ["arm64"]
    assert config["TracingConfig"]["Mode"] == "Active"
    assert [layer["Arn"] for layer in config["Layers"]] == [
        f"arn:aws:lambda:{REGION}:{AWS_LAYER_ACCOUNT}:layer:{LAYER_NAME}:{DEFAULT_LAYER_VERSION}"
    ]
    env = config["Environment"]["Variables"]
    assert env["TABLE_NAME"] == applied["outputs"]["table_name"]
    assert env["POWERTOOLS_SERVICE_NAME"] == name
    if function == "transform":
        assert env["RETENTION_DAYS"] == "90"
    else:
        assert "RETENTION_DAYS" not in env


def test_firehose_invokes_transform_with_short_buffer(applied: dict[str, Any], aws: Any) -> None:
    stream = aws("firehose").describe_delivery_stream(
        DeliveryStreamName=applied["outputs"]["delivery_stream_name"]
    )["DeliveryStreamDescription"]
    assert stream["DeliveryStreamType"] == "DirectPut"
    s3 = stream["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert s3["BucketARN"].endswith(":" + applied["outputs"]["archive_bucket_name"])
    assert s3["ErrorOutputPrefix"].startswith("errors/")
    processing = s3["ProcessingConfiguration"]
    assert processing["Enabled"] is True
    params = {
        p["ParameterName"]: p["ParameterValue"] for p in processing["Processors"][0]["Parameters"]
    }
    assert params["LambdaArn"].endswith(f":function:{NAME}-transform:$LATEST")
    assert int(params["BufferIntervalInSeconds"]) <= 10


def test_archive_bucket_is_private_encrypted_and_tls_only(
    applied: dict[str, Any], aws: Any
) -> None:
    s3 = aws("s3")
    bucket = applied["outputs"]["archive_bucket_name"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert lifecycle["Expiration"]["Days"] == 90


def test_api_routes_require_iam_auth(applied: dict[str, Any], aws: Any) -> None:
    routes = aws("apigatewayv2").get_routes(ApiId=applied["outputs"]["api_id"])["Items"]
    assert {route["RouteKey"]: route["AuthorizationType"] for route in routes} == {
        "GET /messages/{message_id}": "AWS_IAM",
        "GET /messages": "AWS_IAM",
        "POST /messages/batch-get": "AWS_IAM",
    }


def test_pinpoint_project_streams_into_firehose(applied: dict[str, Any], aws: Any) -> None:
    pinpoint = aws("pinpoint")
    (app,) = [
        app for app in pinpoint.get_apps()["ApplicationsResponse"]["Item"] if app["Name"] == NAME
    ]
    stream = pinpoint.get_event_stream(ApplicationId=app["Id"])["EventStream"]
    assert stream["DestinationStreamArn"] == applied["outputs"]["delivery_stream_arn"]
    assert stream["RoleArn"] == applied["outputs"]["pinpoint_role_arn"]


def test_deployed_code_transforms_then_answers_delivered(
    applied: dict[str, Any], aws: Any, emulator: Emulator, layer_account: dict[str, str]
) -> None:
    """The zips Lambda holds, with their configured env, write and read the table."""
    runtime_env = {
        "AWS_ENDPOINT_URL": emulator.endpoint_url,
        "AWS_ACCESS_KEY_ID": layer_account["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": layer_account["aws_secret_access_key"],
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    lambda_client = aws("lambda")
    message_id = "0100018c-apply-test-0001"
    batch = [
        pinpoint_email("_email.send", message_id, 1_795_392_000_000),
        pinpoint_email("_email.delivered", message_id, 1_795_392_001_000),
        b"\x00 not an event",
    ]
    outputs = applied["outputs"]
    with deployed_handler(
        lambda_client, outputs["transform_function_name"], runtime_env
    ) as transform:
        response = run_firehose(transform, batch)
    assert results(response) == ["Ok", "Ok", "ProcessingFailed"]
    archived = base64.b64decode(response["records"][1]["data"])
    assert message_id.encode() in archived

    with deployed_handler(lambda_client, outputs["query_function_name"], runtime_env) as query:
        status, body = call_api(query, "GET", f"/messages/{message_id}")
    assert status == 200
    assert body["status"] == "DELIVERED"


def test_second_plan_is_empty(applied: dict[str, Any]) -> None:
    result = plan_is_empty(applied["workdir"], applied["env"])
    assert result.returncode == 0, f"plan after apply is not empty:\n{result.stdout}"


def _statements(document: Any) -> list[dict[str, Any]]:
    document = json.loads(document) if isinstance(document, str) else document
    return document["Statement"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("role", ["transform", "query", "firehose", "pinpoint-source"])
def test_deployed_role_policies_are_scoped(applied: dict[str, Any], aws: Any, role: str) -> None:
    iam = aws("iam")
    role_name = f"{NAME}-{role}"
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    for statement in _statements(document):
        actions = _as_list(statement["Action"])
        assert not any("*" in action for action in actions), statement
        if "*" in _as_list(statement["Resource"]):
            assert all(action.startswith("xray:") for action in actions), statement
    assert not any(
        action in {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:Query"}
        for statement in _statements(document)
        for action in _as_list(statement["Action"])
    )


@pytest.mark.parametrize(
    ("role", "service"),
    [("firehose", "firehose.amazonaws.com"), ("pinpoint-source", "pinpoint.amazonaws.com")],
)
def test_deployed_service_roles_carry_confused_deputy_conditions(
    applied: dict[str, Any], aws: Any, role: str, service: str
) -> None:
    trust = aws("iam").get_role(RoleName=f"{NAME}-{role}")["Role"]["AssumeRolePolicyDocument"]
    (statement,) = _statements(trust)
    assert statement["Principal"] == {"Service": service}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": AWS_LAYER_ACCOUNT}
    assert "aws:SourceArn" in statement["Condition"]["ArnLike"]
