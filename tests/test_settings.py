"""Settings are read one way: typed, once per cold start, and a bad value fails loudly by name.

The reader (message_status.settings) is an edge: the pure core never reads the
environment, so the same event always gives the same item.
"""

from __future__ import annotations

import pytest
from message_status.settings import BadSetting, positive_int, required, setting, text

from devkit import LAMBDA_SRC
from devkit.calls import call_api, run_firehose
from devkit.events import ses
from tests.conftest import TABLE_NAME
from tests.support.items import stored_document
from tests.support.modules import imports, top_level

# The modules that may touch the process's environment or AWS; the rest is the pure core.
EDGES = {
    "settings",
    "store",
    "publisher",
    "ses",
    "objects",
    "budget",
    "call_errors",
    "dynamodb_json",
    "tracing",
}


def test_an_unset_or_empty_setting_takes_its_default() -> None:
    assert setting("SHARDS", positive_int, 4, environ={}) == 4
    assert setting("SHARDS", positive_int, 4, environ={"SHARDS": ""}) == 4
    assert setting("KEY", text, None, environ={}) is None


def test_a_set_value_is_parsed_to_its_type() -> None:
    assert setting("SHARDS", positive_int, 4, environ={"SHARDS": "8"}) == 8
    assert setting("KEY", text, None, environ={"KEY": "order_id"}) == "order_id"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("seven", "must be a whole number"),
        ("1.5", "must be a whole number"),
        ("0", "must be at least 1"),
        ("-3", "must be at least 1"),
    ],
)
def test_a_bad_value_names_the_variable_the_problem_and_the_value(raw: str, problem: str) -> None:
    with pytest.raises(BadSetting) as raised:
        setting("RETENTION_DAYS", positive_int, 90, environ={"RETENTION_DAYS": raw})
    assert str(raised.value) == f"environment variable RETENTION_DAYS: {problem} (got {raw!r})"


def test_a_missing_required_setting_is_named() -> None:
    with pytest.raises(BadSetting, match="environment variable TABLE_NAME is required"):
        required("TABLE_NAME", environ={"TABLE_NAME": ""})
    assert required("TABLE_NAME", environ={"TABLE_NAME": "t"}) == "t"


@pytest.mark.parametrize("function", ["transform", "query", "stream", "heal"])
def test_every_handler_fails_its_cold_start_on_a_bad_timeout(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    handler = request.getfixturevalue(function)
    monkeypatch.setenv("FUNCTION_TIMEOUT_SECONDS", "ten")
    handler.restart()
    with pytest.raises(BadSetting, match="FUNCTION_TIMEOUT_SECONDS"):
        handler.settings()


def test_the_transform_refuses_a_batch_when_a_setting_is_bad(transform, monkeypatch) -> None:
    """Loudly, before any record is answered: Firehose retries, then writes to errors/."""
    monkeypatch.setenv("RETENTION_DAYS", "ninety")
    transform.restart()
    with pytest.raises(BadSetting, match="RETENTION_DAYS"):
        run_firehose(transform, [ses("Send", "m1", 0)])


def test_the_query_without_a_table_name_fails_naming_it(query, monkeypatch) -> None:
    monkeypatch.delenv("TABLE_NAME")
    query.restart()
    with pytest.raises(BadSetting, match="TABLE_NAME"):
        call_api(query, "GET", "/messages/m1")


def test_settings_are_read_once_per_cold_start(transform, dynamodb, monkeypatch) -> None:
    run_firehose(transform, [ses("Send", "m1", 0)])
    monkeypatch.setenv("RETENTION_DAYS", "7")
    run_firehose(transform, [ses("Send", "m2", 0)])
    transform.restart()
    run_firehose(transform, [ses("Send", "m3", 0)])
    expiries = [stored_document(dynamodb, TABLE_NAME, m)["expires_at"] for m in ("m1", "m2", "m3")]
    assert expiries == [90 * 86_400, 90 * 86_400, 7 * 86_400]


def test_the_pure_core_reads_no_environment_and_uses_no_edge() -> None:
    core = [
        path
        for path in (LAMBDA_SRC / "message_status").glob("*.py")
        if path.stem not in EDGES | {"__init__"}
    ]
    assert len(core) > 10, "the core's modules were found"
    for path in core:
        imported = imports(path)
        assert "os" not in top_level(imported), f"{path.name} imports os"
        assert not imported & {f".{edge}" for edge in EDGES}, f"{path.name} imports an edge"
