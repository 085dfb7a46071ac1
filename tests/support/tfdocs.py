"""Render the module's inputs and outputs (variables.tf, outputs.tf) into README.md.

The tables between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` are
generated; tests/terraform/test_static.py fails when they drift.

    python -m tests.support.tfdocs          # rewrite README.md
    python -m tests.support.tfdocs --check  # exit 1 if README.md is stale
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
NOTE = (
    "<!-- Generated from variables.tf and outputs.tf by `python -m tests.support.tfdocs`; "
    "do not edit by hand. -->"
)
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


def main(argv: list[str]) -> int:
    current = README.read_text()
    wanted = updated(current, render())
    if "--check" in argv:
        if current != wanted:
            print("README.md inputs/outputs are stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    if current != wanted:
        README.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
