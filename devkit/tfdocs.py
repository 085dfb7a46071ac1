"""Render the module's inputs and outputs (variables.tf, outputs.tf) into README.md.

The tables between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` are
generated; tests/terraform/test_static.py fails when they drift.

    python -m devkit.tfdocs          # rewrite README.md
    python -m devkit.tfdocs --check  # exit 1 if README.md is stale

Why not the terraform-docs binary: no registry this project installs from
ships it (PyPI, npm and Debian were checked on 2026-12-01; its releases are
GitHub downloads, out of reach offline), and the tables need only the
variable and output blocks, which python-hcl2 (pinned) parses. The table
layout follows terraform-docs' markdown table, so switching later is a
one-line change in the Makefile.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

from devkit import ROOT

README = ROOT / "README.md"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
NOTE = "<!-- Generated from variables.tf and outputs.tf by `make docs`; do not edit by hand. -->"
REQUIRED = object()


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    description: str
    default: Any

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Output:
    name: str
    description: str


def _text(value: Any) -> str:
    """A string attribute as written, without python-hcl2's quotes and escapes."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return str(json.loads(value))
    return str(value)


def _expression(value: str) -> str:
    """A type expression (``${map(string)}``) as Terraform code, on one line."""
    match = re.fullmatch(r"\$\{(.*)\}", value, flags=re.DOTALL)
    return " ".join((match.group(1) if match else value).split())


def _unquote(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    if isinstance(value, dict):
        return {_text(key): _unquote(item) for key, item in value.items() if key != "__is_block__"}
    return value


def _blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    with path.open() as handle:
        parsed = hcl2.load(handle)
    return [(_text(name), body) for block in parsed.get(kind, []) for name, body in block.items()]


def read_variables(module: Path = ROOT) -> list[Variable]:
    return [
        Variable(
            name=name,
            type=_expression(body["type"]),
            description=_text(body["description"]),
            default=_unquote(body["default"]) if "default" in body else REQUIRED,
        )
        for name, body in _blocks(module / "variables.tf", "variable")
    ]


def read_outputs(module: Path = ROOT) -> list[Output]:
    return [
        Output(name=name, description=_text(body["description"]))
        for name, body in _blocks(module / "outputs.tf", "output")
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(variable: Variable) -> str:
    if variable.required:
        return "n/a"
    return _cell(f"`{json.dumps(variable.default)}`")


def render(module: Path = ROOT) -> str:
    """The generated region: Inputs (required first, then in file order) and Outputs."""
    variables = read_variables(module)
    ordered = [v for v in variables if v.required] + [v for v in variables if not v.required]
    lines = [
        NOTE,
        "",
        "### Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    lines += [
        f"| `{v.name}` | {_cell(v.description)} | `{_cell(v.type)}` | {_default(v)} | "
        f"{'yes' if v.required else 'no'} |"
        for v in ordered
    ]
    lines += ["", "### Outputs", "", "| Name | Description |", "|------|-------------|"]
    lines += [f"| `{o.name}` | {_cell(o.description)} |" for o in read_outputs(module)]
    return "\n".join(lines)


def updated(readme: str, generated: str) -> str:
    """``readme`` with the region between the markers replaced by ``generated``."""
    start, end = readme.index(BEGIN), readme.index(END)
    return readme[: start + len(BEGIN)] + "\n" + generated + "\n" + readme[end:]


# Examples re-export every module output with its description.


def _hcl_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("${", "$${")


def render_example_outputs(module: Path = ROOT) -> str:
    """An example's ``outputs.tf``: every module output, re-exported (each example calls
    the module once, as ``module.message_status``)."""
    blocks = [
        f'output "{output.name}" {{\n'
        f"  description = {_hcl_string(output.description)}\n"
        f"  value       = module.message_status.{output.name}\n"
        "}\n"
        for output in read_outputs(module)
    ]
    return "# Generated by `make docs`: every output of the module, re-exported.\n\n" + "\n".join(
        blocks
    )


def generated_files(module: Path = ROOT) -> dict[Path, str]:
    """Every file this generator owns, with the content it should have."""
    files = {README: updated(README.read_text(), render(module))}
    # Each submodule (modules/*) has a README of its own, generated the same way.
    for readme in sorted((module / "modules").glob("*/README.md")):
        files[readme] = updated(readme.read_text(), render(readme.parent))
    for directory in sorted((module / "examples").glob("*/versions.tf")):
        files[directory.parent / "outputs.tf"] = render_example_outputs(module)
    return files


def main(argv: list[str]) -> int:
    stale = [path for path, text in generated_files().items() if path.read_text() != text]
    if "--check" in argv:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run `make docs`", file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated_files().items():
        if path in stale:
            path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
