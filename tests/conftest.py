"""Shared fixtures: AWS mocked in-process, a table, the handlers and event builders."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lambda_src"))  # the pure core, imported as message_status

from tests.support.emulator import FAKE_CREDENTIALS  # noqa: E402
from tests.support.handlers import source_app  # noqa: E402

TABLE_NAME = "message-status-test"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint override: moto intercepts every call."""
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "MessageStatusTest")


def create_table(client: Any, name: str = TABLE_NAME) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "message_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "message_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def dynamodb(aws_env: None) -> Iterator[Any]:
    """A DynamoDB client on moto, with the module's table created."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client)
        yield client


@pytest.fixture
def transform(dynamodb: Any) -> Iterator[Any]:
    """The transform's ``app`` module, configured with TABLE_NAME only."""
    with source_app("transform", {"TABLE_NAME": TABLE_NAME}) as app:
        app.message_store.cache_clear()
        yield app


@pytest.fixture
def query(dynamodb: Any) -> Iterator[Any]:
    """The query's ``app`` module, configured with TABLE_NAME only."""
    with source_app("query", {"TABLE_NAME": TABLE_NAME}) as app:
        app.message_store.cache_clear()
        yield app
