"""The msgstatus client as users install it, built from a copy of cli/ and lambda_src/.

The wheel carries the service's pure core (message_status) beside msgstatus, and
declares floors, so `pip install ./cli` goes into an environment that already
holds boto3 without replacing it. The test that installs into a fresh virtual
environment needs PyPI (marker `network`; deselect it with -m "not network").
"""

from __future__ import annotations

import email
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from msgstatus.main import UI_EXTRA_MODULES
from packaging.requirements import Requirement

from devkit import LAMBDA_SRC, ROOT

CLI = ROOT / "cli"
PIP_QUIET = ("--disable-pip-version-check", "--no-input", "--quiet")
# Subprocesses see no PYTHONPATH: what they import is what is installed.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
# What a fresh clone does not have: caches and build output.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    "__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache", "*.egg-info", "build", "dist"
)


def project() -> dict:
    return tomllib.loads((CLI / "pyproject.toml").read_text())["project"]


def requirements(extra: str | None = None) -> dict[str, Requirement]:
    listed = project()["optional-dependencies"][extra] if extra else project()["dependencies"]
    return {req.name: req for req in map(Requirement, listed)}


def floor(name: str) -> str:
    """The version a `>=` requirement of the client starts at."""
    (spec,) = requirements()[name].specifier
    assert spec.operator == ">=", spec
    return spec.version


def run(*argv: str | Path, cwd: Path | None = None, code: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(arg) for arg in argv],
        capture_output=True, text=True, env=CLEAN_ENV, cwd=cwd, check=False,
    )  # fmt: skip
    assert done.returncode == code, f"{argv}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cli/ and lambda_src/ as a fresh clone has them, outside this working tree."""
    root = tmp_path_factory.mktemp("clone")
    shutil.copytree(CLI, root / "cli", ignore=NOT_IN_A_CLONE)
    shutil.copytree(LAMBDA_SRC, root / "lambda_src", ignore=NOT_IN_A_CLONE)
    return root


def test_the_wheel_ships_the_client_and_the_whole_core(clone: Path, tmp_path: Path) -> None:
    # hatchling comes from requirements-dev.txt, at cli/pyproject.toml's pin: no download.
    (backend,) = tomllib.loads((CLI / "pyproject.toml").read_text())["build-system"]["requires"]
    assert backend == f"hatchling=={importlib.metadata.version('hatchling')}"
    run(sys.executable, "-m", "pip", "wheel", clone / "cli", "--no-deps", "--no-build-isolation",
        "--wheel-dir", tmp_path, *PIP_QUIET)  # fmt: skip
    (wheel,) = tmp_path.glob("msgstatus-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    core = {f"message_status/{path.name}" for path in (LAMBDA_SRC / "message_status").glob("*.py")}
    assert "message_status/model.py" in core
    assert core == {name for name in names if name.startswith("message_status/")}
    assert {"msgstatus/main.py", "msgstatus/ui/app.py", "msgstatus/ui/static/console.js"} <= names
    assert "msgstatus/ui/templates/base.html" in names
    dist_info = f"msgstatus-{project()['version']}.dist-info"
    assert {name.split("/", 1)[0] for name in names} == {"msgstatus", "message_status", dist_info}
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]

    metadata = email.message_from_bytes(zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA"))
    declared = [Requirement(line) for line in metadata.get_all("Requires-Dist")]
    assert all(str(req.specifier).startswith(">=") for req in declared), declared
    ui = {req.name for req in declared if req.marker and "ui" in str(req.marker)}
    assert ui == set(requirements("ui")) == UI_EXTRA_MODULES


def test_the_editable_install_runs_the_trees_core_outside_pytest(tmp_path: Path) -> None:
    """make venv installs the client editable: its .pth puts cli/src and lambda_src on the
    path, so .venv/bin/msgstatus and `make demo` run this tree's core, and no copy of it
    sits under cli/."""
    assert not list(CLI.rglob("message_status"))
    script = "import message_status, msgstatus; print(message_status.__file__, msgstatus.__file__)"
    core, client = run(sys.executable, "-c", script, cwd=tmp_path).stdout.split()
    assert Path(core).parent == LAMBDA_SRC / "message_status"
    assert Path(client).parent == CLI / "src" / "msgstatus"
    assert "usage: msgstatus" in run(Path(sys.executable).parent / "msgstatus", "--help").stdout


def test_runtime_dependencies_are_floors_and_the_dev_lock_pins_them() -> None:
    lock = {
        req.name: req
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if line and not line.startswith(("#", "-"))
        for req in [Requirement(line)]
    }
    for name, req in {**requirements(), **requirements("ui")}.items():
        (spec,) = req.specifier
        assert spec.operator == ">=", req
        (pin,) = lock[name].specifier
        assert pin.operator == "==", lock[name]
        assert spec.contains(pin.version), (req, pin)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / "python"


def versions(python: Path, *names: str) -> dict[str, str | None]:
    """The installed version of each distribution in that environment (None: absent)."""
    script = (
        "import importlib.metadata as m, json, sys\n"
        "def v(n):\n"
        "    try: return m.version(n)\n"
        "    except m.PackageNotFoundError: return None\n"
        "print(json.dumps({n: v(n) for n in sys.argv[1:]}))"
    )
    return json.loads(run(python, "-c", script, *names).stdout)


@pytest.mark.network
def test_pip_install_keeps_the_boto3_already_there_and_ui_brings_the_console(
    clone: Path, tmp_path: Path
) -> None:
    """A fresh environment with boto3 and botocore at the client's floors (not the dev pins):
    `pip install ./cli` keeps them, `msgstatus` runs, and `./cli[ui]` adds the console."""
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv_python(venv)
    msgstatus = python.parent / "msgstatus"
    pip = (python, "-m", "pip", "install", "--no-compile", *PIP_QUIET)
    boto = {"boto3": floor("boto3"), "botocore": floor("botocore")}
    run(*pip, *(f"{name}=={version}" for name, version in boto.items()))
    assert versions(python, *boto) == boto

    run(*pip, clone / "cli")
    assert versions(python, *boto) == boto  # nothing replaced
    assert "usage: msgstatus" in run(msgstatus, "--help").stdout
    core = run(python, "-c", "import message_status.model as m; print(m.__file__)").stdout
    assert Path(core.strip()).is_relative_to(venv)  # the wheel's core
    assert versions(python, *UI_EXTRA_MODULES) == dict.fromkeys(UI_EXTRA_MODULES)
    no_ui = run(msgstatus, "ui", "--api-url", "http://127.0.0.1:9", "--no-sign", code=2)
    assert no_ui.stderr.count("\n") == 1
    assert "pip install './cli[ui]'" in no_ui.stderr

    run(*pip, f"{clone / 'cli'}[ui]")
    assert versions(python, *boto) == boto
    assert all(versions(python, *UI_EXTRA_MODULES).values())
    run(python, "-c", "import jinja2, starlette, uvicorn, msgstatus.ui.server")
    assert "usage: msgstatus ui" in run(msgstatus, "ui", "--help").stdout
