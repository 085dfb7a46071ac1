"""Rebuild is a backfill into an empty table: every item deleted, every answer as before.

On the shared deployment of examples/basic (conftest's ``basic_stack``: no apply
of its own). The demo's traffic goes through the deployed transform, and
devkit.firehose writes what Firehose would (Ok lines to ``events/``, failures to
``errors/``). Then every item is deleted, ``msgstatus backfill --terraform-dir``
rebuilds the table from ``events/`` with the deployed transform's settings,
and the deployed query function answers every question as it did before.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from msgstatus.main import Runtime, main

from devkit import demo
from devkit.calls import call_api
from devkit.firehose import keys
from devkit.stack import Stack

PREFIXES = ("events/", "errors/")


def empty_the_table(dynamodb: Any, table: str) -> int:
    """Delete every item, pointers included; how many there were."""
    deleted = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            dynamodb.delete_item(TableName=table, Key={"message_id": item["message_id"]})
            deleted += 1
    return deleted


def delete_objects(s3: Any, bucket: str, names: set[str]) -> None:
    for key in sorted(names):
        s3.delete_object(Bucket=bucket, Key=key)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def answers(query: Any, documents: dict[str, Any], since_ms: int, until_ms: int) -> dict[str, Any]:
    """Every question the API takes about these messages: each by id, a batch-get, and the
    searches by each recipient, the order id, and by status."""
    ids = sorted(documents)
    window = {"since": iso(since_ms), "until": iso(until_ms)}
    found: dict[str, Any] = {f"GET {m}": call_api(query, "GET", f"/messages/{m}") for m in ids}
    body = json.dumps({"message_ids": [*ids, "never-sent"]})
    found["batch-get"] = call_api(query, "POST", "/messages/batch-get", body=body)
    recipients = sorted({r for d in documents.values() for r in d.get("recipients", {})})
    searches = [{"recipient": r} for r in recipients]
    searches += [{"correlation_id": demo.ORDER_ID}]
    searches += [{"status": s, **window} for s in ("failed", "HARD_BOUNCED", "FAILED")]
    for params in searches:
        found[f"search {params}"] = call_api(query, "GET", "/messages", params)
    return found


@contextmanager
def clean_deployment(stack: Stack) -> Iterator[None]:
    """The shared deployment with an empty table and no archive: other tests write items
    without archiving them, and the demo test expects to find neither this test's items
    nor its error objects. Left as it was found, but for what this test wrote.

    A context manager in the test, not a fixture: the shared deployment is destroyed
    after the last test that uses it, before fixtures are torn down (conftest).
    """
    s3, bucket = stack.client("s3"), stack.outputs["archive_bucket_name"]
    dynamodb, table = stack.client("dynamodb"), stack.outputs["table_name"]
    empty_the_table(dynamodb, table)
    before = {key for prefix in PREFIXES for key in keys(s3, bucket, prefix)}
    delete_objects(s3, bucket, {key for key in before if key.startswith("events/")})
    try:
        yield
    finally:
        empty_the_table(dynamodb, table)
        written = {key for prefix in PREFIXES for key in keys(s3, bucket, prefix)} - before
        delete_objects(s3, bucket, written)


def msgstatus(stack: Stack, *argv: str) -> tuple[int, str]:
    """The command as an operator runs it in the example's directory: terraform's outputs,
    then the emulator's AWS."""
    out = io.StringIO()

    def terraform_output(directory: str) -> str:
        assert directory == str(stack.workdir)
        return stack.terraform("output", "-json").stdout

    runtime = Runtime(
        stdout=out,
        stderr=out,
        env={"XDG_STATE_HOME": str(stack.workdir / ".msgstatus-state")},
        run_terraform=terraform_output,
        aws_client=lambda service, _region: stack.client(service),
    )
    return main(list(argv), runtime), out.getvalue()


@pytest.mark.terraform
@pytest.mark.apply
def test_the_table_rebuilt_from_the_demos_archive_answers_every_question_as_before(
    basic_stack: Stack,
) -> None:
    with clean_deployment(basic_stack):
        rebuild_and_compare(basic_stack)


def rebuild_and_compare(stack: Stack) -> None:
    dynamodb, table = stack.client("dynamodb"), stack.outputs["table_name"]
    since_ms = demo.base_ms() - 3_600_000
    reader = demo.stream_reader(stack)
    assert demo.feed_timeline(stack, lambda _line: None) == {"Ok": 17, "ProcessingFailed": 1}

    with stack.function("query_function_name", demo.QUIET) as query:
        documents = {m: call_api(query, "GET", f"/messages/{m}")[1] for m in demo.MESSAGE_IDS}
        until_ms = int(time.time() * 1000) + 3_600_000
        before = answers(query, documents, since_ms, until_ms)
        assert all(code == 200 for key, (code, _) in before.items()), before
        assert all(
            page["messages"] for key, (_, page) in before.items() if key.startswith("search")
        ), "every search finds something"

        assert empty_the_table(dynamodb, table) > len(demo.MESSAGE_IDS), "pointers too"
        assert call_api(query, "GET", f"/messages/{demo.MESSAGE_IDS[0]}")[0] == 404
        reader.new_records()  # the writes and the deletions so far

        code, output = msgstatus(stack, "backfill", "--terraform-dir", str(stack.workdir))
        assert code == 0, output
        assert f"backfill of s3://{stack.outputs['archive_bucket_name']}/events/" in output
        assert "events: 17 read" in output

        assert answers(query, documents, since_ms, until_ms) == before

    # Rebuilding announced nothing: the mapping's filter drops every quiet write.
    records = reader.new_records()
    with stack.function("stream_function_name", demo.QUIET) as stream:
        report = stack.play_stream_mapping(stream.invoke, records)
    assert report.records_in == len(records) > 0
    assert (report.records_filtered_out, report.invocations) == (len(records), 0)
