"""A deployment of the module for `make smoke`: read from a root module's state, or applied
from a temporary copy of examples/basic and destroyed after.

Reading never changes anything: ``terraform show -json`` gives the root module's outputs
(the examples re-export every output of the module under its own name) and the module's
resources, from which come the two facts no output carries: the SES configuration sets
it streams (its event destinations) and its correlation key (the transform's
environment). A throwaway deployment is applied from a copy under a temporary directory,
never from the working tree, and only that copy is destroyed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from devkit import terraform

EXAMPLE = "basic"
REQUIRED_OUTPUTS = ("api_endpoint", "table_name", "table_arn", "transform_function_name")


class DeploymentError(Exception):
    """The deployment cannot be read, applied or destroyed; one line for the user."""


@dataclass(frozen=True)
class Deployment:
    """What the smoke needs to know about a deployment of the module."""

    api_url: str
    region: str
    table_name: str
    transform_function_name: str
    configuration_sets: tuple[str, ...] = ()
    correlation_key: str | None = None
    event_bus: str | None = None
    event_source: str | None = None
    event_detail_type: str | None = None

    @property
    def status_events(self) -> bool:
        return bool(self.event_bus and self.event_source and self.event_detail_type)


@dataclass(frozen=True)
class ModuleFacts:
    """What the module's outputs do not say, read from its resources."""

    configuration_sets: tuple[str, ...]
    correlation_key: str | None


def _module_nodes(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield node
    for child in node.get("child_modules") or []:
        yield from _module_nodes(child)


def _lambda_variables(values: Mapping[str, Any]) -> Mapping[str, Any]:
    blocks = values.get("environment") or []
    return (blocks[0].get("variables") or {}) if blocks else {}


def module_facts(root_module: Mapping[str, Any], transform_function_name: str) -> ModuleFacts:
    """The SES configuration sets and correlation key of the module instance whose transform
    function is ``transform_function_name``, from state (or plan) JSON's ``root_module``."""
    for node in _module_nodes(root_module):
        resources = node.get("resources") or []
        transform = next(
            (
                r
                for r in resources
                if r.get("type") == "aws_lambda_function"
                and (r.get("values") or {}).get("function_name") == transform_function_name
            ),
            None,
        )
        if transform is None:
            continue
        sets = sorted(
            str(r["values"]["configuration_set_name"])
            for r in resources
            if r.get("type") == "aws_sesv2_configuration_set_event_destination"
            and (r.get("values") or {}).get("configuration_set_name")
        )
        key = _lambda_variables(transform["values"]).get("CORRELATION_KEY")
        return ModuleFacts(tuple(sets), str(key) if key else None)
    raise DeploymentError(f"the state holds no function named {transform_function_name!r}")


def deployment_from_state(document: Mapping[str, Any], where: str) -> Deployment:
    """A Deployment from ``terraform show -json`` of a root module that re-exports the
    module's outputs under their own names (as every example does)."""
    values = document.get("values") or {}
    outputs = {name: entry.get("value") for name, entry in (values.get("outputs") or {}).items()}
    missing = [name for name in REQUIRED_OUTPUTS if not isinstance(outputs.get(name), str)]
    if missing:
        raise DeploymentError(
            f"the root module in {where} has no output {', '.join(missing)} (or nothing is "
            "applied there): re-export the module's outputs under their names, as the "
            "examples do (outputs.tf)"
        )
    facts = module_facts(values.get("root_module") or {}, outputs["transform_function_name"])
    return Deployment(
        api_url=outputs["api_endpoint"],
        region=outputs["table_arn"].split(":")[3],
        table_name=outputs["table_name"],
        transform_function_name=outputs["transform_function_name"],
        configuration_sets=facts.configuration_sets,
        correlation_key=facts.correlation_key,
        event_bus=outputs.get("event_bus_name"),
        event_source=outputs.get("event_source"),
        event_detail_type=outputs.get("event_detail_type"),
    )


class Runner(Protocol):
    """Runs ``terraform ARGS`` in a directory and returns its result (never raises on exit)."""

    def __call__(self, workdir: Path, *args: str) -> terraform.Result: ...


@dataclass(frozen=True)
class Terraform:
    """The Runner for real: devkit.terraform.run with an environment and a log."""

    env: Mapping[str, str]
    log: Path | None = None

    def __call__(self, workdir: Path, *args: str) -> terraform.Result:
        return terraform.run(workdir, self.env, *args, log=self.log, check=False, timeout=1800)


def last_line(result: terraform.Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"exit {result.returncode}"


def read_deployment(workdir: Path, run: Runner) -> Deployment:
    """The deployment in ``workdir``'s state; reads only (``terraform show -json``)."""
    result = run(workdir, "show", "-json", "-no-color")
    if result.returncode != 0:
        raise DeploymentError(
            f"terraform show -json in {workdir} failed ({last_line(result)}); is it "
            "initialised (terraform init) and applied?"
        )
    try:
        document = json.loads(result.stdout)
    except ValueError as err:
        raise DeploymentError(
            f"terraform show -json in {workdir} did not print JSON: {err}"
        ) from err
    return deployment_from_state(document, str(workdir))


# --- a throwaway deployment ----------------------------------------------------------------


def account_environment(scratch: Path) -> dict[str, str]:
    """terraform's environment for the throwaway apply: devkit's (the provider source), with
    the caller's AWS profile and session token kept (devkit drops them for the emulator)."""
    env = terraform.environment(config_dir=scratch)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    return env


def keep_log(scratch: Path) -> str:
    """Copy the throwaway's terraform log out of the scratch directory; its new path."""
    log = scratch / "terraform.log"
    if not log.exists():
        return "no terraform log"
    kept = Path(tempfile.gettempdir()) / "message-status-smoke-terraform.log"
    shutil.copy(log, kept)
    return f"the terraform log is at {kept}"


@contextmanager
def throwaway(
    runner_for: Callable[[Path], Runner], region: str, name: str, say: Callable[[str], None]
) -> Iterator[tuple[Path, Runner]]:
    """examples/basic applied from a temporary copy, and destroyed after: only what it
    created. A failed destroy keeps the copy (and its state) and says where. Yields the
    copy's directory and the runner that applied it."""
    scratch = Path(tempfile.mkdtemp(prefix="message-status-smoke-"))
    workdir = terraform.copy_module(scratch / "module") / "examples" / EXAMPLE
    terraform.write_variables(workdir, {"name": name, "region": region}, name="smoke")
    run = runner_for(scratch)
    say(f"applying examples/{EXAMPLE} as {name!r} in {region} from a copy in {scratch}")
    init = run(workdir, "init", "-input=false", "-no-color")
    if init.returncode != 0:
        where = keep_log(scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        raise DeploymentError(f"terraform init failed ({last_line(init)}); {where}")
    destroyed = False
    try:
        apply = run(workdir, "apply", "-auto-approve", "-input=false", "-no-color")
        if apply.returncode != 0:
            raise DeploymentError(
                f"terraform apply failed ({last_line(apply)}); {keep_log(scratch)}"
            )
        yield workdir, run
    finally:
        say(f"destroying the throwaway {name!r} (terraform destroy in {workdir})")
        destroy = run(workdir, "destroy", "-auto-approve", "-input=false", "-no-color")
        destroyed = destroy.returncode == 0
        if destroyed:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            say(
                f"terraform destroy failed ({last_line(destroy)}): resources may remain; "
                f"their state is in {workdir}: run `terraform destroy` there"
            )
    if not destroyed:
        raise DeploymentError(f"the throwaway {name!r} was not destroyed: see {workdir}")
