"""The README and the OpenAPI document say what the code does (one source of truth: model.py)."""

from __future__ import annotations

from pathlib import Path

from message_status import model

from tests.support import statusdocs
from tests.support.openapi import document

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_status_model_is_generated_from_the_model() -> None:
    assert statusdocs.updated(README) == README, "run: python -m tests.support.statusdocs"


def test_generated_tables_change_when_the_model_changes(monkeypatch) -> None:
    monkeypatch.setitem(statusdocs.FINALITY_TEXT, model.Finality.NEVER, "never, ever")
    assert statusdocs.updated(README) != README


def test_openapi_statuses_and_kinds_match_the_model() -> None:
    schemas = document()["components"]["schemas"]
    statuses = {status for channel in model.Channel for status in model.PRECEDENCE[channel]}
    assert set(schemas["Status"]["enum"]) == statuses
    assert schemas["EventKind"]["enum"] == list(model.ALL_KINDS)
    assert schemas["MessageId"]["maxLength"] == model.MAX_MESSAGE_ID_LENGTH
    documented = set(schemas["MessageStatus"]["properties"])
    assert set(model.ALL_ATTRIBUTES) <= documented


def test_readme_names_the_test_command_and_ci_runs_it() -> None:
    assert "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()
