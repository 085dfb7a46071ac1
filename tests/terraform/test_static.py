"""Checks that need no AWS endpoint: formatting, validation, interface rules, generated docs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import hcl2
import pytest

from tests.support import tfdocs
from tests.terraform.conftest import EXAMPLES, ROOT, Workspace

MODULE_FILES = sorted(ROOT.glob("*.tf"))


def test_terraform_files_are_formatted() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"run `make fmt`:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("directory", ["root", *EXAMPLES])
def test_configuration_is_valid(workspaces: dict[str, Workspace], directory: str) -> None:
    workspace = workspaces[directory]
    output = workspace.tf.execute_command("validate", "-no-color").out
    assert "Success!" in output


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


def test_every_variable_has_type_description_and_default_except_name() -> None:
    for variable in tfdocs.read_variables():
        assert variable.description, variable.name
        assert variable.type, variable.name
        assert variable.required == (variable.name == "name"), variable.name


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_reexports_every_output_with_the_same_description(example: str) -> None:
    module_outputs = {o.name: o.description for o in tfdocs.read_outputs()}
    example_outputs = {
        o.name: o.description for o in tfdocs.read_outputs(ROOT / "examples" / example)
    }
    assert example_outputs == module_outputs


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_is_a_complete_root_module(example: str) -> None:
    directory = ROOT / "examples" / example
    for name in ("versions.tf", "main.tf", "outputs.tf", "variables.tf", "README.md"):
        assert (directory / name).is_file(), f"{example}/{name}"
    assert 'provider "aws"' in (directory / "versions.tf").read_text()
    assert re.search(r'source\s+=\s+"\.\./\.\./"', (directory / "main.tf").read_text())


def test_readme_inputs_and_outputs_are_generated_from_the_module() -> None:
    readme = tfdocs.README.read_text()
    assert readme == tfdocs.updated(readme, tfdocs.render()), "README is stale: run `make docs`"


def test_tests_leave_no_terraform_files_in_the_repository() -> None:
    examples = Path(ROOT / "examples")
    assert not list(examples.rglob(".terraform")), "tests must work on a copy of examples/"
    assert not list(examples.rglob("*.tfstate"))
    assert not list(ROOT.glob("*.tfstate"))


def test_every_checkov_skip_gives_a_reason() -> None:
    skips = [
        (path.relative_to(ROOT), line.strip())
        for path in [*MODULE_FILES, *ROOT.glob("examples/*/*.tf")]
        for line in path.read_text().splitlines()
        if "checkov:skip" in line
    ]
    assert skips, "expected the documented skips"
    for path, line in skips:
        match = re.fullmatch(r"#checkov:skip=(CKV2?_AWS_\d+):(.+)", line)
        assert match, f"{path}: malformed skip {line!r}"
        assert len(match.group(2).split()) >= 6, f"{path}: give a reason for {match.group(1)}"
