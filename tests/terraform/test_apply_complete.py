"""Apply the root module with examples/complete's settings to a local moto server.

examples/complete itself cannot be applied to moto 5.2: its SES v2
configuration set reads back malformed (the provider rejects moto's answer),
and moto has no SES v2 event destinations and no End User Messaging SMS v2.
So this test applies the root module with the same settings minus the SES
source: a customer-managed KMS key (created in moto first), JWT
authentication, an SMS v2 configuration set name, raw-record backup, a 0 s
processor buffer of 0.5 MiB, x86_64 and Python 3.13. The SES event
destination is covered by the plan tests (test_plan.py).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.support.emulator import Emulator
from tests.support.stack import (
    AWS_LAYER_ACCOUNT,
    REGION,
    copy_module,
    emulated_layer_account,
    publish_powertools_layer,
)
from tests.terraform.conftest import deployed, plan_is_empty

pytestmark = [pytest.mark.terraform, pytest.mark.apply]

NAME = "msgstatus-complete"


@pytest.fixture(scope="module")
def account(emulator: Emulator) -> dict[str, str]:
    credentials = emulated_layer_account(emulator, "terraform-apply-complete")
    publish_powertools_layer(emulator, credentials, "python3.13", "x86_64")
    return credentials


@pytest.fixture(scope="module")
def aws(emulator: Emulator, account: dict[str, str]) -> Any:
    def client(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=emulator.endpoint_url, region_name=REGION, **account
        )

    return client


@pytest.fixture(scope="module")
def key_arn(aws: Any) -> str:
    return str(aws("kms").create_key(Description=NAME)["KeyMetadata"]["Arn"])


@pytest.fixture(scope="module")
def applied(
    tf_env: dict[str, str],
    account: dict[str, str],
    key_arn: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    workdir = copy_module(tmp_path_factory.mktemp("apply-complete"))
    settings = {
        "name": NAME,
        "kms_key_arn": key_arn,
        "api_authorization_type": "JWT",
        "jwt_issuer": "https://auth.example.com/",
        "jwt_audience": ["message-status-readers"],
        "sms_configuration_set_names": ["transactional-sms"],
        "raw_backup_enabled": True,
        "archive_versioning_enabled": True,
        "processor_buffer_interval_seconds": 0,
        "processor_buffer_size_mb": 0.5,
        "lambda_architecture": "x86_64",
        "lambda_runtime": "python3.13",
        "retention_days": 30,
        "force_destroy": True,
    }
    (workdir / "complete.auto.tfvars.json").write_text(json.dumps(settings))
    try:
        with deployed(workdir, tf_env, account) as result:
            yield result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_routes_use_the_jwt_authorizer(applied: dict[str, Any], aws: Any) -> None:
    client = aws("apigatewayv2")
    api_id = applied["outputs"]["api_id"]
    routes = client.get_routes(ApiId=api_id)["Items"]
    assert len(routes) == 3
    assert {route["AuthorizationType"] for route in routes} == {"JWT"}
    (authorizer_id,) = {route["AuthorizerId"] for route in routes}
    # moto has GetAuthorizer but not GetAuthorizers.
    authorizer = client.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["JwtConfiguration"] == {
        "Audience": ["message-status-readers"],
        "Issuer": "https://auth.example.com/",
    }


def test_table_and_logs_use_the_customer_managed_key(
    applied: dict[str, Any], aws: Any, key_arn: str
) -> None:
    table = aws("dynamodb").describe_table(TableName=NAME)["Table"]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == key_arn
    groups = aws("logs").describe_log_groups()["logGroups"]
    ours = [group for group in groups if NAME in group["logGroupName"]]
    assert len(ours) == 4
    assert {group.get("kmsKeyId") for group in ours} == {key_arn}


def test_stream_uses_the_key_backs_up_raw_records_and_buffers_briefly(
    applied: dict[str, Any], aws: Any, key_arn: str
) -> None:
    stream = aws("firehose").describe_delivery_stream(DeliveryStreamName=f"{NAME}-events")
    description = stream["DeliveryStreamDescription"]
    s3 = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert s3["S3BackupMode"] == "Enabled"
    assert s3["S3BackupDescription"]["Prefix"].startswith("raw/")
    assert s3["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"] == key_arn
    params = {
        p["ParameterName"]: p["ParameterValue"]
        for p in s3["ProcessingConfiguration"]["Processors"][0]["Parameters"]
    }
    assert params["BufferIntervalInSeconds"] == "0"
    assert params["BufferSizeInMBs"] == "0.5"


def test_functions_run_python313_on_x86_64_with_encrypted_environment(
    applied: dict[str, Any], aws: Any, key_arn: str
) -> None:
    config = aws("lambda").get_function_configuration(FunctionName=f"{NAME}-transform")
    assert config["Runtime"] == "python3.13"
    assert config["Architectures"] == ["x86_64"]
    assert config["KMSKeyArn"] == key_arn
    assert config["Environment"]["Variables"]["RETENTION_DAYS"] == "30"
    assert config["Layers"][0]["Arn"].endswith(
        f":{AWS_LAYER_ACCOUNT}:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27"
    )


def test_sms_role_trusts_only_sms_voice_for_the_configuration_set(
    applied: dict[str, Any], aws: Any
) -> None:
    role_arn = applied["outputs"]["sms_event_destination_role_arn"]
    role = aws("iam").get_role(RoleName=role_arn.split("/")[-1])["Role"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": AWS_LAYER_ACCOUNT},
        "ArnLike": {
            "aws:SourceArn": (
                f"arn:aws:sms-voice:{REGION}:{AWS_LAYER_ACCOUNT}:configuration-set/transactional-sms"
            )
        },
    }


def test_second_plan_is_empty(applied: dict[str, Any]) -> None:
    result = plan_is_empty(applied["workdir"], applied["env"])
    assert result.returncode == 0, f"plan after apply is not empty:\n{result.stdout}"
