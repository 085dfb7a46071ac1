"""What devkit.stack teaches the emulator while a stack is deployed, so that terraform's
provider gets the answers AWS gives (and a destroy ends)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from devkit.stack import athena_named_queries_like_athena


@pytest.fixture
def athena(monkeypatch: pytest.MonkeyPatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
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
