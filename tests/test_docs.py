"""The README and the OpenAPI document say what the code does (one source of truth: model.py)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from message_status import model

from devkit import ROOT, statusdocs
from tests.support.openapi import document, validate_response

README = (ROOT / "README.md").read_text()


def test_readme_status_model_is_generated_from_the_model() -> None:
    assert statusdocs.updated(README) == README, "run: make docs"


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
    channels = [c.value for c in model.Channel]
    assert schemas["MessageStatus"]["properties"]["channel"]["enum"] == channels
    search = document()["paths"]["/messages"]["get"]["parameters"]
    channel_parameter = next(p for p in search if p["name"] == "channel")
    assert channel_parameter["schema"]["enum"] == channels
    recipient = schemas["MessageStatus"]["properties"]["recipients"]["additionalProperties"]
    lists = recipient["properties"]["suppression_list"]["enum"]
    assert lists == [listed.value for listed in model.SuppressionList]
    tenant_parameter = next(p for p in search if p["name"] == "tenant")
    assert tenant_parameter["schema"]["pattern"] == f"^{model.TENANT_NAME_PATTERN}$"


def test_readme_names_the_test_command_and_ci_runs_it() -> None:
    assert "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_license_file_is_the_license_pyproject_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    assert declared == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text


def test_the_readme_answer_is_what_the_api_answers() -> None:
    """The example under "An answer" is a valid document by the OpenAPI contract."""
    section = README.split("### An answer", 1)[1]
    example = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    validate_response("/messages/{message_id}", "GET", 200, example)
    assert set(example["recipients"]) == set(example["destination"])


def test_the_recipient_page_examples_are_valid_answers() -> None:
    """docs/openapi.yaml's examples of GET /recipients/{address}, by the document's own schema."""
    responses = document()["paths"]["/recipients/{address}"]["get"]["responses"]
    examples = responses["200"]["content"]["application/json"]["examples"]
    assert set(examples) == {"suppressed", "unknown", "phone"}
    for example in examples.values():
        validate_response("/recipients/{address}", "GET", 200, example["value"])
    states = {example["value"]["suppression"]["state"] for example in examples.values()}
    assert states == {"suppressed", "unknown", "not_applicable"}


def test_the_event_schema_is_valid_and_its_statuses_are_the_models() -> None:
    schema = json.loads(
        (ROOT / "docs" / "events" / "message-status-changed.schema.json").read_text()
    )
    Draft202012Validator.check_schema(schema)
    statuses = {status for channel in model.Channel for status in model.PRECEDENCE[channel]}
    assert set(schema["$defs"]["status"]["enum"]) == statuses
    assert set(schema["properties"]["channel"]["enum"]) == {c.value for c in model.Channel}


# --- links between the documents ------------------------------------------------------

MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "CHANGELOG.md",
    ROOT / "cli" / "README.md",
    ROOT / "bench" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "examples").glob("*/README.md")),
]


def heading_anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a document's headings (lower case, punctuation dropped)."""
    anchors, in_code = set(), False
    for line in path.read_text().splitlines():
        in_code ^= line.startswith("```")
        if not in_code and line.startswith("#"):
            text = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_reach_a_file_and_a_heading_that_exist(path: Path) -> None:
    for target in MARKDOWN_LINK.findall(path.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        destination = (path.parent / file) if file else path
        assert destination.exists(), f"{target}: no such file"
        if anchor and destination.suffix == ".md":
            assert anchor in heading_anchors(destination), f"{target}: no such heading"


def test_the_readme_recommends_each_channels_event_types_from_the_model() -> None:
    section = README.split("### AWS End User Messaging SMS v2", 1)[1].split(
        "### Amazon Pinpoint", 1
    )[0]
    for channel, event_type in model.RECOMMENDED_EVENT_TYPES.items():
        assert f"`channel: {channel.value}`" in section
        assert f"| `{event_type}` |" in section
    snippet = section.split("```hcl", 1)[1].split("```", 1)[0]
    assert json.dumps(list(model.RECOMMENDED_EVENT_TYPES.values())) in snippet
