"""What devkit.stack teaches the emulator while a stack is deployed, so that terraform's
provider gets the answers AWS gives (and a destroy ends)."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from devkit.ses_suppression import suppress, suppression_list_like_ses
from devkit.stack import (
    api_stages_updatable,
    athena_named_queries_like_athena,
    delete_markers_deletable,
    queue_messages_kept,
    redrive_policies_as_sqs_answers,
)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def athena(aws: None):
    with mock_aws(), athena_named_queries_like_athena():
        yield boto3.client("athena")


def test_a_named_query_can_be_deleted_and_is_then_gone_as_athena_says(athena) -> None:
    query_id = athena.create_named_query(
        Name="q", Database="db", QueryString="SELECT 1", WorkGroup="primary"
    )["NamedQueryId"]
    assert athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]["Name"] == "q"
    athena.delete_named_query(NamedQueryId=query_id)
    with pytest.raises(ClientError) as gone:
        athena.get_named_query(NamedQueryId=query_id)
    # The provider reads exactly this as "already deleted" (not a 500 to retry).
    assert gone.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "does not exist" in gone.value.response["Error"]["Message"]


def test_a_bucket_whose_object_was_deleted_can_be_emptied_after_versioning_is_suspended(
    aws: None,
) -> None:
    """What a destroy of the archive does after ``msgstatus replay`` moved an object."""
    with mock_aws(), delete_markers_deletable():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="archive")
        s3.put_bucket_versioning(Bucket="archive", VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="archive", Key="errors/a.gz", Body=b"x")
        s3.delete_object(Bucket="archive", Key="errors/a.gz")  # a delete marker
        s3.put_bucket_versioning(Bucket="archive", VersioningConfiguration={"Status": "Suspended"})
        listing = s3.list_object_versions(Bucket="archive")
        versions = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*listing["Versions"], *listing["DeleteMarkers"]]
        ]
        s3.delete_objects(Bucket="archive", Delete={"Objects": versions, "Quiet": True})
        assert "Versions" not in s3.list_object_versions(Bucket="archive")
        s3.delete_bucket(Bucket="archive")


@pytest.fixture
def sesv2(monkeypatch: pytest.MonkeyPatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(), suppression_list_like_ses():
        yield boto3.client("sesv2")


def test_the_suppression_list_answers_as_ses_does_matching_case(sesv2) -> None:
    suppress("Jane@Example.com", "COMPLAINT", message_id="m-1", feedback_id="f-1", at=1_796_000_000)
    entry = sesv2.get_suppressed_destination(EmailAddress="Jane@Example.com")
    assert entry["SuppressedDestination"]["Reason"] == "COMPLAINT"
    assert entry["SuppressedDestination"]["Attributes"] == {"MessageId": "m-1", "FeedbackId": "f-1"}
    assert entry["SuppressedDestination"]["LastUpdateTime"].timestamp() == 1_796_000_000
    with pytest.raises(ClientError) as missing:
        sesv2.get_suppressed_destination(EmailAddress="jane@example.com")
    assert missing.value.response["Error"]["Code"] == "NotFoundException"


def test_a_tenant_list_is_apart_and_an_entry_can_be_removed_once(sesv2) -> None:
    sesv2.put_suppressed_destination(EmailAddress="a@example.com", Reason="BOUNCE", TenantName="t")
    with pytest.raises(ClientError):
        sesv2.get_suppressed_destination(EmailAddress="a@example.com")
    assert sesv2.get_suppressed_destination(EmailAddress="a@example.com", TenantName="t")
    sesv2.delete_suppressed_destination(EmailAddress="a@example.com", TenantName="t")
    with pytest.raises(ClientError) as gone:
        sesv2.delete_suppressed_destination(EmailAddress="a@example.com", TenantName="t")
    assert gone.value.response["Error"]["Code"] == "NotFoundException"


def test_an_http_api_stage_can_be_updated_as_api_gateway_does(aws: None) -> None:
    """An upgrade that changes the stage's access-log format updates it in place."""
    with mock_aws(), api_stages_updatable():
        client = boto3.client("apigatewayv2")
        api_id = client.create_api(Name="api", ProtocolType="HTTP")["ApiId"]
        logs = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/api"
        client.create_stage(
            ApiId=api_id,
            StageName="$default",
            AutoDeploy=True,
            AccessLogSettings={"DestinationArn": logs, "Format": '{"path":"$context.path"}'},
        )
        updated = client.update_stage(
            ApiId=api_id,
            StageName="$default",
            AccessLogSettings={"DestinationArn": logs, "Format": '{"route":"$context.routeKey"}'},
        )
        stage = client.get_stage(ApiId=api_id, StageName="$default")
    assert updated["AccessLogSettings"]["Format"] == '{"route":"$context.routeKey"}'
    assert stage["AccessLogSettings"]["Format"] == '{"route":"$context.routeKey"}'
    assert stage["AutoDeploy"] is True  # what the update did not name is kept


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def test_a_mapped_queue_keeps_its_messages_for_devkit_to_play(aws: None) -> None:
    """moto would hand the message to the function (through Docker) as it is sent."""
    with mock_aws():
        iam, awslambda, sqs = boto3.client("iam"), boto3.client("lambda"), boto3.client("sqs")
        role = iam.create_role(RoleName="heal", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        function = awslambda.create_function(
            FunctionName="heal",
            Runtime="python3.12",
            Role=role,
            Handler="app.lambda_handler",
            Code={"ZipFile": function_zip()},
        )["FunctionArn"]
        url = sqs.create_queue(QueueName="heal")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        awslambda.create_event_source_mapping(
            EventSourceArn=arn["QueueArn"], FunctionName=function, BatchSize=1
        )
        with queue_messages_kept():
            sqs.send_message(QueueUrl=url, MessageBody="an S3 notification")
        (message,) = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])[
            "Messages"
        ]
    assert message["Body"] == "an S3 notification"
    assert message["Attributes"]["ApproximateReceiveCount"] == "1", "never received before"


def test_a_queue_answers_its_redrive_policies_as_sqs_does(aws: None) -> None:
    """The provider reads back what it set, by name and with All, before it goes on, and
    compares the redrive policy with what it wrote (compact JSON, as SQS answers it)."""
    allow = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": ["arn:x"]})
    with mock_aws(), redrive_policies_as_sqs_answers():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedriveAllowPolicy": allow})
        by_name = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedriveAllowPolicy"])
        every = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        redrive = json.dumps(
            {"deadLetterTargetArn": every["Attributes"]["QueueArn"], "maxReceiveCount": 6},
            separators=(",", ":"),
        )
        other = sqs.create_queue(QueueName="source", Attributes={"RedrivePolicy": redrive})
        source = sqs.get_queue_attributes(QueueUrl=other["QueueUrl"], AttributeNames=["All"])
    assert by_name["Attributes"] == {"RedriveAllowPolicy": allow}
    assert every["Attributes"]["RedriveAllowPolicy"] == allow
    assert every["Attributes"]["QueueArn"].endswith(":dead-letters")
    assert "RedriveAllowPolicy" not in source["Attributes"]
    assert source["Attributes"]["RedrivePolicy"] == redrive, "as written, no spaces added"
