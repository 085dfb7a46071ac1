"""Fixtures for the Terraform tests: a disposable copy of the module, one
`terraform init` per directory per session, and a moto server for the AWS API.

Every test works on a copy of the repository's Terraform (root module, dist/
zips, examples/) under a temporary directory, laid out as in the repository so
that the examples' `source = "../../"` resolves. Nothing is written to the
working tree, so the tests run the same from a fresh clone.

Plans also need an AWS endpoint: the provider checks its credentials and the
module reads the caller identity, Region and partition. A moto server answers
those calls offline, with fake credentials.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import tftest

from tests.support.emulator import Emulator, moto_server
from tests.support.stack import (  # the deploy helpers the demo shares
    copy_module,
    terraform_command,
)
from tests.support.tfenv import terraform_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ("basic", "per-project", "complete")
# Provider binaries are cached here between sessions (.terraform-cli/ is gitignored).
PLUGIN_CACHE = ROOT / ".terraform-cli" / "plugin-cache"
# The AWS-managed Powertools layers live in this account (variables.tf has the version).

pytestmark = pytest.mark.terraform


def terraform_available() -> bool:
    return shutil.which("terraform") is not None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as a terraform test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.terraform)


def terraform(
    workdir: Path, env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run one terraform command in ``workdir``; fail the test when it fails."""
    result = terraform_command(workdir, env, *args, timeout=900)
    if check and result.returncode != 0:
        pytest.fail(
            f"terraform {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One moto server for every plan in the session."""
    if not terraform_available():
        pytest.skip("terraform is not installed")
    with moto_server() as running:
        yield running


@pytest.fixture(scope="session")
def tf_env(emulator: Emulator) -> dict[str, str]:
    """Environment for terraform: provider mirror if offline, plugin cache, moto."""
    PLUGIN_CACHE.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("TF_VAR_")}
    env.pop("TF_LOG", None)
    env.update(terraform_env())
    env.update(emulator.env)
    env.update(
        {
            "TF_PLUGIN_CACHE_DIR": str(PLUGIN_CACHE),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
    )
    return env


@pytest.fixture(scope="session")
def module_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide copy of the module and examples, for plans and validate."""
    return copy_module(tmp_path_factory.mktemp("module"))


class Workspace:
    """A directory of the module copy, initialised once, with cached plans."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env
        self.tf = tftest.TerraformTest(str(path), env=env)
        self.tf.setup(upgrade=False)
        self._plans: dict[str, tftest.TerraformPlanOutput] = {}

    def _var_file(self, tf_vars: dict[str, Any]) -> str | None:
        """Variables go through a .tfvars.json file, so that null, numbers and lists keep their type."""
        if not tf_vars:
            return None
        path = self.path / "test.auto-test.tfvars.json"
        path.write_text(json.dumps(tf_vars))
        return path.name

    def plan(self, **tf_vars: Any) -> tftest.TerraformPlanOutput:
        """The JSON plan for these variables (cached per set of variables)."""
        key = json.dumps(tf_vars, sort_keys=True)
        if key not in self._plans:
            self._plans[key] = self.tf.plan(output=True, tf_var_file=self._var_file(tf_vars))
        return self._plans[key]

    def plan_error(self, **tf_vars: Any) -> str:
        """The error output of a plan that must fail."""
        with pytest.raises(tftest.TerraformTestError) as failure:
            self.tf.plan(output=True, tf_var_file=self._var_file(tf_vars))
        return " ".join(str(arg) for arg in failure.value.args)


@pytest.fixture(scope="session")
def workspaces(module_copy: Path, tf_env: dict[str, str]) -> dict[str, Workspace]:
    """Lazily initialised workspaces: "root" and each example, by name."""
    cache: dict[str, Workspace] = {}

    class Lazy(dict[str, Workspace]):
        def __missing__(self, name: str) -> Workspace:
            path = module_copy if name == "root" else module_copy / "examples" / name
            cache[name] = Workspace(path, tf_env)
            self[name] = cache[name]
            return cache[name]

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


def planned(plan: tftest.TerraformPlanOutput, type_: str) -> dict[str, dict[str, Any]]:
    """Planned values of every resource (or data source read at plan time) of ``type_``.

    Keys are full addresses, e.g. ``module.message_status.aws_dynamodb_table.this[0]``.
    Data sources that can only be read during apply are given with the values
    the plan knows (unknown ones are None).
    """
    raw = plan._raw  # tftest exposes the full plan JSON only here
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


def one(plan: tftest.TerraformPlanOutput, address_suffix: str) -> dict[str, Any]:
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
                "actions": _as_list(s.get("Action")),
                "resources": _as_list(s.get("Resource")),
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


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


################################################################################
# Applying to moto
################################################################################


@contextmanager
def deployed(
    workdir: Path, tf_env: dict[str, str], credentials: dict[str, str]
) -> Iterator[dict[str, Any]]:
    """init and apply ``workdir`` with ``credentials``; yield its outputs; destroy it after."""
    env = {
        **tf_env,
        "AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
    }
    env.pop("AWS_SESSION_TOKEN", None)
    terraform(workdir, env, "init", "-input=false", "-no-color")
    try:
        terraform(workdir, env, "apply", "-auto-approve", "-input=false", "-no-color")
        outputs = json.loads(terraform(workdir, env, "output", "-json").stdout)
        yield {
            "workdir": workdir,
            "env": env,
            # terraform output -json leaves null outputs out
            "outputs": {key: value["value"] for key, value in outputs.items()},
        }
    finally:
        terraform(workdir, env, "destroy", "-auto-approve", "-input=false", "-no-color")


def plan_is_empty(workdir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``terraform plan -detailed-exitcode``: return code 0 means no changes."""
    return terraform(
        workdir, env, "plan", "-detailed-exitcode", "-input=false", "-no-color", check=False
    )
