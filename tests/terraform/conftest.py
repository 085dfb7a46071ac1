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

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tftest

from tests.support.emulator import Emulator, moto_server
from tests.support.tfenv import terraform_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ("basic", "per-project", "complete")
# Provider binaries are cached here between sessions (.terraform-cli/ is gitignored).
PLUGIN_CACHE = ROOT / ".terraform-cli" / "plugin-cache"

pytestmark = pytest.mark.terraform


def terraform_available() -> bool:
    return shutil.which("terraform") is not None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as a terraform test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.terraform)


def copy_module(target: Path) -> Path:
    """Copy the root module, its zips and the examples into ``target``."""
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl", "*.tfplan")
    target.mkdir(parents=True, exist_ok=True)
    for tf_file in ROOT.glob("*.tf"):
        shutil.copy2(tf_file, target / tf_file.name)
    shutil.copytree(ROOT / "dist", target / "dist", ignore=ignore)
    shutil.copytree(ROOT / "examples", target / "examples", ignore=ignore)
    return target


def terraform(
    workdir: Path, env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run one terraform command in ``workdir``, capturing its output."""
    result = subprocess.run(
        ["terraform", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
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

    def plan(self, **tf_vars: Any) -> tftest.TerraformPlanOutput:
        """The JSON plan for these variables (cached per set of variables)."""
        key = repr(sorted(tf_vars.items()))
        if key not in self._plans:
            self._plans[key] = self.tf.plan(output=True, tf_vars=tf_vars or None)
        return self._plans[key]

    def plan_error(self, **tf_vars: Any) -> str:
        """The error output of a plan that must fail."""
        with pytest.raises(tftest.TerraformTestError) as failure:
            self.tf.plan(output=True, tf_vars=tf_vars)
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
