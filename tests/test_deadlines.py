"""When DynamoDB fails, the shipped functions answer before their timeout: the query with its
documented JSON 503, the transform with its records back in Firehose's error output. When
SES fails, the recipient page answers 200 in time, its suppression state unknown.

Each function runs as Lambda runs it (devkit.lambdas), pointed at an endpoint
that throttles, fails, resets connections, hangs, or is not there at all.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

import pytest

from devkit.calls import call_api, results, run_firehose
from devkit.dynamo import table_definition
from devkit.emulator import FAKE_CREDENTIALS, moto_server
from devkit.events import ses
from devkit.faultproxy import fault_endpoint, refusing_port
from devkit.lambdas import built_function
from tests.support.openapi import validate_response

MODES = ["throttle", "error", "reset", "hang", "down"]


@contextmanager
def endpoint(mode: str):
    if mode == "down":
        with refusing_port() as port:
            yield f"http://127.0.0.1:{port}"
    else:
        with fault_endpoint(mode) as url:
            yield url


def function_env(url: str, timeout_s: int) -> dict[str, str]:
    return {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": url,
        "TABLE_NAME": "message-status",
        "FUNCTION_TIMEOUT_SECONDS": str(timeout_s),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    }


@pytest.mark.parametrize("mode", MODES)
def test_the_query_answers_503_well_before_its_timeout(mode: str) -> None:
    timeout_s = 10  # the module's default query_timeout_seconds
    with endpoint(mode) as url, built_function("query", function_env(url, timeout_s)) as query:
        started = time.monotonic()
        status, body = call_api(
            lambda event: query.invoke(event, timeout_s=timeout_s), "GET", "/messages/m-1"
        )
        elapsed = time.monotonic() - started
    assert status == 503
    validate_response("/messages/{message_id}", "GET", 503, body)
    assert elapsed < timeout_s - 2, f"{mode}: answered after {elapsed:.1f} s"


@pytest.mark.parametrize("mode", MODES)
def test_the_transform_fails_its_records_before_its_timeout(mode: str) -> None:
    timeout_s = 15
    batch = [ses("Send", "m-1", 1_800_000_000_000), ses("Delivery", "m-2", 1_800_000_001_000)]
    with (
        endpoint(mode) as url,
        built_function("transform", function_env(url, timeout_s)) as transform,
    ):
        started = time.monotonic()
        response = run_firehose(lambda event: transform.invoke(event, timeout_s=timeout_s), batch)
        elapsed = time.monotonic() - started
    assert results(response) == ["ProcessingFailed", "ProcessingFailed"]
    assert elapsed < timeout_s - 2, f"{mode}: answered after {elapsed:.1f} s"
    assert json.dumps(response)


@pytest.mark.parametrize("mode", MODES)
def test_the_recipient_page_answers_in_time_whatever_ses_does(mode: str) -> None:
    """The table on a moto server, SES throttling, failing, resetting, hanging or absent."""
    timeout_s = 10
    with moto_server() as emulator, endpoint(mode) as ses_url:
        env = {
            **function_env(emulator.endpoint_url, timeout_s),
            "AWS_ENDPOINT_URL_SESV2": ses_url,
            "TABLE_NAME": f"recipient-page-{mode}",  # moto's backends outlive its server
        }
        dynamodb = emulator.client("dynamodb")
        dynamodb.create_table(**table_definition(env["TABLE_NAME"]))
        try:
            with built_function("query", env) as query:
                started = time.monotonic()
                status, body = call_api(
                    lambda event: query.invoke(event, timeout_s=timeout_s),
                    "GET",
                    "/recipients/jane@example.com",
                )
                elapsed = time.monotonic() - started
        finally:
            dynamodb.delete_table(TableName=env["TABLE_NAME"])
    assert status == 200, body
    validate_response("/recipients/{address}", "GET", 200, body)
    assert body["suppression"]["state"] == "unknown"
    assert body["suppression"]["error_code"]
    # One SES attempt of at most 2.5 s, whatever SES does, and the function's start.
    assert elapsed < timeout_s / 2, f"{mode}: answered after {elapsed:.1f} s"
