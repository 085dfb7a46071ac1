"""Fixtures for the Terraform tests: plans of a disposable module copy, and the complete stack.

Plans run on a copy of the repository's Terraform (devkit.terraform.copy_module),
laid out as in the repository so that the examples' ``source = "../../"``
resolves; nothing is written to the working tree. A plan needs an AWS endpoint
(the provider checks its credentials, and the module reads the caller
identity, Region and partition): the session's moto server answers.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tftest

from devkit import terraform
from devkit.emulator import Emulator
from devkit.validate import examples
from tests.support import known_arns

EXAMPLES = tuple(examples())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as a terraform test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.terraform)


@pytest.fixture(scope="session")
def tf_env(moto_endpoint: Emulator) -> dict[str, str]:
    """Environment for plans: the provider source, and this process's moto server with fake
    credentials (a plan creates nothing there: tests/conftest.py says why that matters)."""
    return terraform.environment(moto_endpoint.env)


@pytest.fixture(scope="session")
def module_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide copy of the module and examples, for plans."""
    return terraform.copy_module(tmp_path_factory.mktemp("module"))


class Workspace:
    """A directory of the module copy, initialised once, with cached plans (tftest)."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env
        self.tf = tftest.TerraformTest(str(path), env=env)
        with terraform.installing_providers():
            self.tf.setup(upgrade=False)
        self._plans: dict[str, tftest.TerraformPlanOutput] = {}
        self._known: dict[str, dict[str, dict[str, Any]]] = {}

    def _var_file(self, tf_vars: dict[str, Any]) -> str | None:
        if not tf_vars:
            return None
        return terraform.write_variables(self.path, tf_vars, name="test").name

    def plan(self, **tf_vars: Any) -> tftest.TerraformPlanOutput:
        """The JSON plan for these variables (cached per set of variables)."""
        key = json.dumps(tf_vars, sort_keys=True)
        if key not in self._plans:
            try:
                self._plans[key] = self.tf.plan(output=True, tf_var_file=self._var_file(tf_vars))
            finally:
                (self.path / "test.auto.tfvars.json").unlink(missing_ok=True)
        return self._plans[key]

    def known(self, **tf_vars: Any) -> dict[str, dict[str, Any]]:
        """Address => values of every resource and data source for these variables, with
        the ARNs AWS would give, so that every policy document is rendered (cached).

        The plan says what would be created; a `terraform test` run then applies
        the configuration with each of those resources overridden, its ARN as AWS
        would set it, creating nothing (tests/support/known_arns.py).
        """
        key = "known:" + json.dumps(tf_vars, sort_keys=True)
        if key not in self._known:
            overrides = known_arns.arn_overrides(self.plan(**tf_vars)._raw)
            folder = self.path / "known-arns"
            folder.mkdir(exist_ok=True)
            (folder / "known.tftest.hcl").write_text(known_arns.override_file(overrides, tf_vars))
            try:
                result = terraform.run(
                    self.path, self.env, "test", "-test-directory=known-arns", "-json", "-verbose"
                )
            finally:
                shutil.rmtree(folder)
            self._known[key] = known_arns.state_of_the_run(result.stdout)
        return self._known[key]

    def plan_error(self, **tf_vars: Any) -> str:
        """The errors of a plan that must fail."""
        (error,) = self.plan_errors(tf_vars)
        return error

    def plan_errors(self, *variable_sets: dict[str, Any]) -> list[str]:
        """The errors of plans that must each fail, one per set of variables.

        All of them are planned by one `terraform test`, which loads the
        configuration and the provider's schema once instead of once a plan.
        Each set is the one run of a file of its own: an error skips the rest
        of its file, never another file's runs.
        """
        folder = self.path / "refused"
        folder.mkdir()
        files = [f"plan{n:03d}.tftest.hcl" for n in range(len(variable_sets))]
        for name, tf_vars in zip(files, variable_sets, strict=True):
            (folder / name).write_text(known_arns.plan_file(tf_vars))
        try:
            result = terraform.run(
                self.path, self.env, "test", "-test-directory=refused", "-json", check=False
            )
        finally:
            shutil.rmtree(folder)
        status, errors = _test_runs(result.stdout)
        for name, tf_vars in zip(files, variable_sets, strict=True):
            path = f"refused/{name}"
            assert status.get(path) == "error", (
                f"the plan of {tf_vars} did not fail ({status.get(path)}): {result.output[-4000:]}"
            )
        return [" ".join(errors[f"refused/{name}"]) for name in files]


def _test_runs(json_lines: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each test file's run status, and its errors, from `terraform test -json`."""
    status: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for line in json_lines.splitlines():
        message = json.loads(line)
        if message.get("type") == "test_run" and "status" in message["test_run"]:
            status[message["test_run"]["path"]] = message["test_run"]["status"]
        if message.get("@level") == "error" and "@testfile" in message:
            diagnostic = message.get("diagnostic", {})
            errors.setdefault(message["@testfile"], []).extend(
                (diagnostic.get("summary", ""), diagnostic.get("detail", ""))
            )
    return status, errors


@pytest.fixture(scope="session")
def workspaces(module_copy: Path, tf_env: dict[str, str]) -> dict[str, Workspace]:
    """Lazily initialised workspaces: "root" and each example, by name."""

    class Lazy(dict[str, Workspace]):
        def __missing__(self, name: str) -> Workspace:
            path = module_copy if name == "root" else module_copy / "examples" / name
            self[name] = Workspace(path, tf_env)
            return self[name]

    return Lazy()


@pytest.fixture(scope="session")
def root(workspaces: dict[str, Workspace]) -> Workspace:
    """The root module itself, initialised once."""
    return workspaces["root"]


################################################################################
# Reading plans
################################################################################


def _walk(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _walk(child)


def planned(plan: Any, type_: str) -> dict[str, dict[str, Any]]:
    """Planned values of every resource (or data source read at plan time) of ``type_``.

    Keys are full addresses, e.g. ``module.message_status.aws_dynamodb_table.this[0]``.
    Data sources that can only be read during apply are given with the values
    the plan knows (unknown ones are None). ``plan`` is a tftest plan or plan JSON.
    """
    raw = plan if isinstance(plan, dict) else plan._raw  # tftest keeps the JSON here
    found: dict[str, dict[str, Any]] = {}
    sources = [
        raw.get("planned_values", {}).get("root_module", {}),
        raw.get("prior_state", {}).get("values", {}).get("root_module", {}),
    ]
    for root_module in sources:
        for resource in _walk(root_module):
            if resource["type"] == type_:
                found.setdefault(resource["address"], resource.get("values", {}))
    for change in raw.get("resource_changes", []):
        if change["type"] == type_ and change["address"] not in found:
            found[change["address"]] = change["change"].get("after") or {}
    return found


def one(plan: Any, address_suffix: str) -> dict[str, Any]:
    """Planned values of the one resource whose address ends with ``address_suffix``."""
    parts = address_suffix.split(".")
    while parts[0] == "module":
        parts = parts[2:]
    type_ = parts[1] if parts[0] == "data" else parts[0]
    matches = {
        address: values
        for address, values in planned(plan, type_).items()
        if address.endswith(address_suffix)
    }
    assert len(matches) == 1, f"expected one {address_suffix}, found {sorted(matches)}"
    return next(iter(matches.values()))


def policy_statements(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Statements of an aws_iam_policy_document, from its JSON when known, else its blocks."""
    if values.get("json"):
        statements = json.loads(values["json"])["Statement"]
        return [
            {
                "sid": s.get("Sid"),
                "effect": s.get("Effect", "Allow"),
                "actions": as_list(s.get("Action")),
                "resources": as_list(s.get("Resource")),
                "condition": s.get("Condition", {}),
                "principal": s.get("Principal"),
            }
            for s in statements
        ]
    return [
        {
            "sid": s.get("sid"),
            "effect": s.get("effect") or "Allow",
            "actions": s.get("actions") or [],
            "resources": s.get("resources") or [],
            "condition": {c["variable"]: c for c in s.get("condition") or []},
            "principal": s.get("principals"),
        }
        for s in values.get("statement") or []
    ]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def check_warnings(plan: Any) -> dict[str, list[str]]:
    """The messages of every check block that failed in a plan (a warning), by check address.

    A check block never fails a plan: Terraform prints its failure as a warning
    and records it in the plan JSON's ``checks``, which is what this reads.
    """
    raw = plan if isinstance(plan, dict) else plan._raw
    warnings: dict[str, list[str]] = {}
    for check in raw.get("checks", []):
        if check["address"]["kind"] != "check" or check["status"] != "fail":
            continue
        messages = [
            problem["message"]
            for instance in check.get("instances", [])
            for problem in instance.get("problems", [])
        ]
        warnings[check["address"]["to_display"]] = messages
    return warnings
