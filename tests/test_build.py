"""The committed dist/ zips: reproducible, current, small, and loadable as Lambda loads them."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from devkit import DIST, LAMBDA_SRC, build
from devkit.calls import call_api, results, run_firehose
from devkit.lambdas import built_function

ZIPS = ["transform.zip", "query.zip", "stream.zip", "heal.zip"]
GENERATED = [*ZIPS, "archive_columns.json"]


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first, second = build.build(tmp_path / "a"), build.build(tmp_path / "b")
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize("name", GENERATED)
def test_committed_zip_matches_a_fresh_build(tmp_path: Path, name: str) -> None:
    build.build(tmp_path)
    assert (DIST / name).read_bytes() == (tmp_path / name).read_bytes(), (
        "dist/ is stale: run `make build` and commit dist/"
    )


@pytest.mark.parametrize("name", ZIPS)
def test_zip_entries_are_normalized_and_hold_only_our_code(name: str) -> None:
    with zipfile.ZipFile(DIST / name) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert "app.py" in names
    assert all(n == "app.py" or n.startswith("message_status/") for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.external_attr >> 16 == 0o100644
    # Our code, stored uncompressed, is ~250-265 KB (the whole core, healing's modules
    # included, in every zip); boto3 or Powertools bundled by mistake would be megabytes
    # (they come from the runtime and the managed layer).
    assert (DIST / name).stat().st_size < 300_000


ZIP_ENV = {"TABLE_NAME": "t", "AWS_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"}


def test_transform_zip_runs_alone_as_lambda_runs_it() -> None:
    """Unpacked and imported in a fresh interpreter with TABLE_NAME alone, it answers Firehose."""
    with built_function("transform", ZIP_ENV) as transform:
        response = run_firehose(transform, [b"not an event"])
        assert results(response) == ["ProcessingFailed"]
        assert transform.requests() == {}, "a batch with no event must not call AWS"


def test_query_zip_runs_alone_as_lambda_runs_it() -> None:
    with built_function("query", ZIP_ENV) as query:
        status, body = call_api(query, "GET", "/nothing-here")
        assert (status, body["error"]) == (404, "Not Found")
        assert query.requests() == {}


def test_stream_zip_runs_alone_as_lambda_runs_it() -> None:
    """A batch of records that change nothing (a pointer item, a removal) puts no event."""
    pointer = {"message_id": {"S": "m\u001fa@example.com"}, "rcpt": {"S": "a@example.com"}}
    records = [
        {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "1", "NewImage": pointer}},
        {"eventName": "REMOVE", "dynamodb": {"SequenceNumber": "2", "OldImage": pointer}},
    ]
    with built_function("stream", ZIP_ENV) as stream:
        assert stream.invoke({"Records": records}) == {"batchItemFailures": []}
        assert stream.requests() == {}


def test_heal_zip_runs_alone_as_lambda_runs_it() -> None:
    """S3's test message (sent when the bucket's notification is configured) is acknowledged,
    and nothing is read or written for it."""
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}
    message = {
        "messageId": "m-1",
        "body": json.dumps(test_event),
        "attributes": {"ApproximateReceiveCount": "1"},
    }
    with built_function("heal", ZIP_ENV) as heal:
        assert heal.invoke({"Records": [message]}) == {"batchItemFailures": []}
        assert heal.requests() == {}


SDK_PACKAGES = "{'boto3', 'botocore', 'aws_lambda_powertools'}"
CORE_PROBE = (
    "import sys; import message_status.pipeline, message_status.item, message_status.requests, "
    "message_status.changes, message_status.heal, message_status.error_output; "
    f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {SDK_PACKAGES})))"
)


def test_pure_core_imports_no_aws_sdk() -> None:
    """Parsing, merging, items and the pipeline load without boto3 or Powertools (the edges do)."""
    out = subprocess.run(
        [sys.executable, "-c", CORE_PROBE],
        cwd=LAMBDA_SRC,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == ""
