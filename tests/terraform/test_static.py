"""Checks that need no AWS endpoint: formatting, interface rules, generated docs, naming.

`terraform validate` of the module and every example runs in `make lint`
(devkit.validate), before these tests.
"""

from __future__ import annotations

import os
import re
import subprocess

import hcl2
import pytest
from message_status.model import INDEXES
from message_status.parse import SES_EVENT_TYPES

from devkit import ROOT, build, tfdocs
from tests.terraform.conftest import EXAMPLES

MODULE_FILES = sorted(ROOT.glob("*.tf"))
EXAMPLE_FILES = sorted(ROOT.glob("examples/*/*.tf"))
# SES's EventType names (what a configuration set's event destination matches)
# and the eventType each publishes in its events (what the parser reads).
SES_PUBLISHED_EVENT_TYPE = {
    "SEND": "Send",
    "REJECT": "Reject",
    "BOUNCE": "Bounce",
    "COMPLAINT": "Complaint",
    "DELIVERY": "Delivery",
    "OPEN": "Open",
    "CLICK": "Click",
    "RENDERING_FAILURE": "Rendering Failure",
    "DELIVERY_DELAY": "DeliveryDelay",
    "SUBSCRIPTION": "Subscription",
}


def test_terraform_files_are_formatted() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null"},
    )
    assert result.returncode == 0, f"run `make fmt`:\n{result.stdout}{result.stderr}"


def test_module_pins_floors_only_and_declares_no_provider() -> None:
    with (ROOT / "versions.tf").open() as handle:
        (terraform,) = hcl2.load(handle)["terraform"]
    assert terraform["required_version"] == '">= 1.5"'
    (providers,) = terraform["required_providers"]
    assert set(providers) - {"__is_block__"} == {"aws"}
    assert providers["aws"]["version"] == '">= 5.72"'
    for path in MODULE_FILES:
        text = path.read_text()
        assert not re.search(r'^provider\s+"', text, re.MULTILINE), f"provider block in {path.name}"
        assert "default_tags" not in text
        assert "local-exec" not in text


@pytest.mark.parametrize("path", MODULE_FILES + EXAMPLE_FILES, ids=lambda p: p.name)
def test_no_attribute_deprecated_in_provider_6_is_used(path) -> None:
    """data.aws_region's name is deprecated in 6.x; id is the Region in 5.x and 6.x alike."""
    assert not re.search(r"data\.aws_region\.[a-z_]+\.name\b", path.read_text())


def test_every_variable_has_type_description_and_default_except_name() -> None:
    for variable in tfdocs.read_variables():
        assert variable.description, variable.name
        assert variable.type, variable.name
        assert variable.required == (variable.name == "name"), variable.name


UNIT_WORDS = ("timeout", "memory", "retention", "interval", "buffer_size")
UNIT_SUFFIXES = ("_seconds", "_mb", "_days")


def test_every_quantity_names_its_unit_the_same_way() -> None:
    for variable in tfdocs.read_variables():
        if any(word in variable.name for word in UNIT_WORDS):
            assert variable.name.endswith(UNIT_SUFFIXES), variable.name
            assert "_in_" not in variable.name, variable.name


def resource_blocks(type_: str) -> dict[str, list[str]]:
    """Module file name => the names of its ``resource "<type_>"`` blocks."""
    pattern = re.compile(rf'^resource\s+"{type_}"\s+"([a-z0-9_]+)"', re.MULTILINE)
    return {
        path.name: names for path in MODULE_FILES if (names := pattern.findall(path.read_text()))
    }


def test_no_function_stack_is_written_out_more_than_once() -> None:
    """One function, log group, role and policy block, for_each over local.functions."""
    assert resource_blocks("aws_lambda_function") == {"lambda.tf": ["this"]}
    lambda_log_groups = [
        path.name
        for path in MODULE_FILES
        for block in re.findall(
            r'^resource\s+"aws_cloudwatch_log_group".*?^}', path.read_text(), re.M | re.S
        )
        if "/aws/lambda/" in block
    ]
    assert lambda_log_groups == ["lambda.tf"]
    lambda_roles = [
        path.name
        for path in MODULE_FILES
        for block in re.findall(r'^resource\s+"aws_iam_role"\s.*?^}', path.read_text(), re.M | re.S)
        if "lambda_assume" in block
    ]
    assert lambda_roles == ["iam.tf"]


def test_roles_and_their_policies_live_in_iam_tf() -> None:
    for type_ in ("aws_iam_role", "aws_iam_role_policy"):
        assert set(resource_blocks(type_)) == {"iam.tf"}, type_


@pytest.mark.parametrize("function", sorted(build.PACKAGES))
def test_every_function_takes_the_same_inputs(function: str) -> None:
    variables = {v.name: v for v in tfdocs.read_variables()}
    for setting in ("memory_mb", "timeout_seconds", "reserved_concurrency"):
        variable = variables.get(f"{function}_{setting}")
        assert variable, f"{function}_{setting} is missing"
        assert variable.type == "number", variable.name
        assert f"the {function} function" in variable.description, variable.name


def test_ses_destinations_subscribe_to_exactly_the_event_types_the_parser_reads() -> None:
    with (ROOT / "modules" / "event-types" / "outputs.tf").open() as handle:
        parsed = hcl2.load(handle)
    outputs = {key.strip('"'): value for block in parsed["output"] for key, value in block.items()}
    subscribed = [name.strip('"') for name in outputs["ses_event_types"]["value"]]
    assert {SES_PUBLISHED_EVENT_TYPE[name] for name in subscribed} == set(SES_EVENT_TYPES)


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_is_a_complete_root_module(example: str) -> None:
    directory = ROOT / "examples" / example
    for name in ("versions.tf", "main.tf", "outputs.tf", "variables.tf", "README.md"):
        assert (directory / name).is_file(), f"{example}/{name}"
    assert 'provider "aws"' in (directory / "versions.tf").read_text()
    assert re.search(r'source\s+=\s+"\.\./\.\./"', (directory / "main.tf").read_text())


def test_readme_and_example_outputs_are_generated_from_the_module() -> None:
    stale = [
        path.relative_to(ROOT).as_posix()
        for path, text in tfdocs.generated_files().items()
        if path.read_text() != text
    ]
    assert not stale, f"stale, run `make docs`: {stale}"


def test_example_outputs_reexport_every_module_output() -> None:
    module_outputs = {o.name: o.description for o in tfdocs.read_outputs()}
    for example in EXAMPLES:
        example_outputs = {
            o.name: o.description for o in tfdocs.read_outputs(ROOT / "examples" / example)
        }
        assert example_outputs == module_outputs, example


def test_tests_leave_no_terraform_files_in_the_repository() -> None:
    examples = ROOT / "examples"
    assert not list(examples.rglob(".terraform")), "tests must work on a copy of examples/"
    assert not list(examples.rglob("*.tfstate"))
    assert not list(ROOT.glob("*.tfstate"))


def test_every_checkov_skip_gives_a_reason() -> None:
    skips = [
        (path.relative_to(ROOT), line.strip())
        for path in [*MODULE_FILES, *EXAMPLE_FILES]
        for line in path.read_text().splitlines()
        if "checkov:skip" in line
    ]
    assert skips, "expected the documented skips"
    for path, line in skips:
        match = re.fullmatch(r"#checkov:skip=(CKV2?_AWS_\d+):(.+)", line)
        assert match, f"{path}: malformed skip {line!r}"
        assert len(match.group(2).split()) >= 6, f"{path}: give a reason for {match.group(1)}"


def test_the_query_may_search_exactly_the_indexes_the_code_knows() -> None:
    """main.tf's table_indexes scopes the query's dynamodb:Query: the names of model.INDEXES."""
    with (ROOT / "main.tf").open() as handle:
        (local,) = hcl2.load(handle)["locals"]
    assert local["table_indexes"] == [f'"{index.name}"' for index in INDEXES]
