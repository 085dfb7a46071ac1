"""Running terraform: the one subprocess wrapper, the one environment, and a disposable module copy.

Every terraform command the harness runs (init, plan, apply, output, destroy,
validate, test) goes through :func:`run`, with an environment built by
:func:`environment`: the provider source from :mod:`devkit.tfenv`, no
``TF_VAR_*`` or ``TF_LOG`` leaking in from the caller's shell, and, when an
emulator is given, its endpoint and credentials.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit import ROOT
from devkit.tfenv import terraform_env

# Provider binaries are cached here between runs (.terraform-cli/ is gitignored).
PLUGIN_CACHE = ROOT / ".terraform-cli" / "plugin-cache"
# Held while a terraform init of this checkout installs providers (installing_providers).
INIT_LOCK = ROOT / ".terraform-cli" / "init.lock"
# What the tests of the module need: mock_provider in `terraform test` came in 1.7.
MIN_TERRAFORM = (1, 7)
COPY_IGNORE = shutil.ignore_patterns(
    ".terraform", "*.tfstate*", ".terraform.lock.hcl", "*.tfplan", "*.auto.tfvars.json"
)


class TerraformFailed(RuntimeError):
    """A terraform command failed; its output is in the message or in the log it names."""


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def environment(
    overrides: Mapping[str, str] | None = None, config_dir: Path | None = None
) -> dict[str, str]:
    """The environment terraform runs with: this process's, cleaned, plus ``overrides``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TF_VAR_")}
    for key in ("TF_LOG", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(key, None)
    PLUGIN_CACHE.mkdir(parents=True, exist_ok=True)
    env.setdefault("TF_PLUGIN_CACHE_DIR", str(PLUGIN_CACHE))
    env.update(terraform_env() if config_dir is None else terraform_env(config_dir / "terraformrc"))
    env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"})
    env.update(overrides or {})
    return env


@contextmanager
def installing_providers() -> Iterator[None]:
    """Hold this checkout's init lock: one ``terraform init`` at a time installs providers.

    Terraform's plugin cache is not safe for concurrent inits (its CLI
    configuration documentation says so; hashicorp/terraform#31964 is two inits
    installing the same provider into it at once), and the tests run in several
    processes (pytest-xdist) that init their copies at the same time. An init
    takes about a second; nothing else waits on the lock.
    """
    INIT_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with INIT_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run(
    workdir: Path,
    env: Mapping[str, str],
    *args: str,
    log: Path | None = None,
    check: bool = True,
    timeout: int = 600,
) -> Result:
    """Run ``terraform ARGS`` in ``workdir``; append its output to ``log`` when given.

    Raises TerraformFailed when it exits non-zero and ``check`` is set.
    """
    try:
        with installing_providers() if args[:1] == ("init",) else nullcontext():
            completed = subprocess.run(
                ["terraform", *args],
                cwd=workdir,
                env=dict(env),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
    except subprocess.TimeoutExpired as stopped:
        # What it printed says what it was waiting on (a provider retrying a call).
        output = _text(stopped.stdout) + _text(stopped.stderr)
        _log(log, args, workdir, output)
        where = f"see {log}" if log is not None else output[-4000:]
        raise TerraformFailed(
            f"terraform {args[0]} did not finish in {timeout} s and was stopped: {where}"
        ) from None
    result = Result(tuple(args), completed.returncode, completed.stdout, completed.stderr)
    _log(log, args, workdir, result.output)
    if check and result.returncode != 0:
        where = f"see {log}" if log is not None else result.output[-4000:]
        raise TerraformFailed(f"terraform {args[0]} failed (exit {result.returncode}): {where}")
    return result


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def _log(log: Path | None, args: tuple[str, ...], workdir: Path, output: str) -> None:
    if log is not None:
        with log.open("a") as handle:
            handle.write(f"\n$ terraform {' '.join(args)}  (in {workdir})\n{output}")


def outputs(workdir: Path, env: Mapping[str, str], log: Path | None = None) -> dict[str, Any]:
    """``terraform output -json`` as plain values (null outputs are left out by terraform)."""
    raw = json.loads(run(workdir, env, "output", "-json", log=log).stdout)
    return {key: value["value"] for key, value in raw.items()}


def version() -> tuple[int, ...] | None:
    """The installed terraform's version, or None when terraform is not on PATH."""
    if shutil.which("terraform") is None:
        return None
    completed = subprocess.run(
        ["terraform", "version", "-json"], capture_output=True, text=True, check=False
    )
    try:
        text = json.loads(completed.stdout)["terraform_version"]
    except (ValueError, KeyError):
        return ()
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def copy_module(target: Path, source: Path = ROOT) -> Path:
    """Copy the root module, its zips, modules/, analytics/, tests/*.tftest.hcl and examples
    into ``target``.

    The layout is the repository's, so that the examples' ``source = "../../"``
    resolves; nothing is ever written to the working tree.
    """
    target.mkdir(parents=True, exist_ok=True)
    for tf_file in source.glob("*.tf"):
        shutil.copy2(tf_file, target / tf_file.name)
    shutil.copytree(source / "dist", target / "dist", ignore=COPY_IGNORE, dirs_exist_ok=True)
    shutil.copytree(
        source / "examples", target / "examples", ignore=COPY_IGNORE, dirs_exist_ok=True
    )
    if (source / "modules").is_dir():  # submodules (older revisions have none)
        shutil.copytree(
            source / "modules", target / "modules", ignore=COPY_IGNORE, dirs_exist_ok=True
        )
    if (source / "analytics").is_dir():  # the named queries' SQL (older revisions have none)
        shutil.copytree(
            source / "analytics", target / "analytics", ignore=COPY_IGNORE, dirs_exist_ok=True
        )
    (target / "tests").mkdir(exist_ok=True)
    for test_file in (source / "tests").glob("*.tftest.hcl"):
        shutil.copy2(test_file, target / "tests" / test_file.name)
    return target


def write_variables(workdir: Path, variables: Mapping[str, Any], name: str = "devkit") -> Path:
    """Variables as a ``.auto.tfvars.json`` file, so that null, numbers and lists keep their type."""
    path = workdir / f"{name}.auto.tfvars.json"
    path.write_text(json.dumps(dict(variables), indent=2))
    return path


def export_revision(revision: str, target: Path) -> Path:
    """The repository's tree at ``revision`` (for upgrade tests), unpacked into ``target``.

    Needs the git history of a full clone; a shallow clone without that
    revision fails here with git's message.
    """
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise TerraformFailed(
            f"cannot read revision {revision} from git (a full clone is needed): "
            f"{archive.stderr.decode(errors='replace').strip()}"
        )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target
