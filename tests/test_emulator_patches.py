"""What devkit.stack teaches the emulator while a stack is deployed, so that terraform's
provider gets the answers AWS gives (and a destroy ends)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from devkit.stack import athena_named_queries_like_athena, delete_markers_deletable


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
