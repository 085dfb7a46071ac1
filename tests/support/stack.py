"""examples/basic applied to a moto server: shared by the apply tests and `make demo`.

The example is applied unchanged, with ``AWS_ENDPOINT_URL`` pointing at moto
and fake credentials, exactly as against real AWS. Two things are prepared in
the emulator first, without touching the example:

* The default Powertools layer lives in AWS's account 017000801446, and moto
  only accepts layers of the function's own account. So the credentials belong
  to an emulated account 017000801446 in which the layer has been published up
  to the module's default version: the function's layer ARN is the real default.
* moto 5.2 returns a Pinpoint app's CreationDate as a number where AWS returns
  a string, which the provider rejects; the emulator's App.to_json is patched
  to return a string.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.pinpoint.models import App

from .emulator import Emulator
from .tfenv import terraform_env

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
AWS_LAYER_ACCOUNT = "017000801446"


def module_default(variable: str) -> str:
    """The default of a root-module variable, read from variables.tf (no second copy here)."""
    text = (ROOT / "variables.tf").read_text()
    block = re.search(rf'variable "{variable}" \{{(.*?)\n\}}', text, re.S)
    if block is None:
        raise LookupError(f"variable {variable} not found in variables.tf")
    match = re.search(r"^\s*default\s*=\s*\"?([^\"\n]+)\"?", block.group(1), re.M)
    if match is None:
        raise LookupError(f"variable {variable} has no default")
    return match.group(1).strip()


DEFAULT_LAYER_VERSION = int(module_default("powertools_layer_version"))


def copy_module(target: Path) -> Path:
    """Copy the root module, its zips and the examples into ``target`` (same layout)."""
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl", "*.tfplan")
    target.mkdir(parents=True, exist_ok=True)
    for tf_file in ROOT.glob("*.tf"):
        shutil.copy2(tf_file, target / tf_file.name)
    shutil.copytree(ROOT / "dist", target / "dist", ignore=ignore)
    shutil.copytree(ROOT / "examples", target / "examples", ignore=ignore)
    return target


def emulated_layer_account(emulator: Emulator, user: str) -> dict[str, str]:
    """Access keys of a user in emulated account 017000801446, where AWS publishes Powertools.

    moto only accepts layers from the function's own account, and reports layer
    ARNs with that account; deploying as this account lets the module's real
    default layer ARN resolve, so the example applies unchanged and re-plans empty.
    """

    def as_layer_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = AWS_LAYER_ACCOUNT

    fake = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    iam = boto3.client("iam", endpoint_url=emulator.endpoint_url, region_name=REGION, **fake)
    iam.meta.events.register("before-send", as_layer_account)
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }


def publish_powertools_layer(
    emulator: Emulator, credentials: dict[str, str], runtime: str, architecture: str
) -> str:
    """Publish the managed layer's name up to the module's default version; return its ARN."""
    client = boto3.client(
        "lambda", endpoint_url=emulator.endpoint_url, region_name=REGION, **credentials
    )
    name = f"AWSLambdaPowertoolsPythonV3-{runtime.replace('.', '')}-{architecture}"
    wanted = DEFAULT_LAYER_VERSION
    existing = client.list_layer_versions(LayerName=name).get("LayerVersions", [])
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr("python/aws_lambda_powertools/__init__.py", "")
    for _ in range(len(existing), wanted):
        client.publish_layer_version(
            LayerName=name,
            Content={"ZipFile": content.getvalue()},
            CompatibleRuntimes=[runtime],
            CompatibleArchitectures=[architecture],
        )
    arn = f"arn:aws:lambda:{REGION}:{AWS_LAYER_ACCOUNT}:layer:{name}:{wanted}"
    versions = client.list_layer_versions(LayerName=name)["LayerVersions"]
    if arn not in {version["LayerVersionArn"] for version in versions}:
        raise AssertionError(f"{arn} was not published in the emulator")
    return arn


@contextmanager
def pinpoint_creation_date_as_string() -> Iterator[None]:
    original = App.to_json

    def to_json(self: Any) -> dict[str, Any]:
        data = original(self)
        data["CreationDate"] = time.strftime(
            "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(float(data["CreationDate"]))
        )
        return data

    App.to_json = to_json
    try:
        yield
    finally:
        App.to_json = original


class TerraformFailed(RuntimeError):
    """A terraform command failed; its output is in the log."""


@dataclass
class Stack:
    """examples/basic, copied to ``workdir``'s tree and applied to the emulator."""

    emulator: Emulator
    workdir: Path
    env: dict[str, str]
    credentials: dict[str, str]
    log: Path
    outputs: dict[str, Any]

    def terraform(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_terraform(self.workdir, self.env, self.log, *args, check=check)

    def client(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.emulator.endpoint_url, region_name=REGION, **self.credentials
        )

    @property
    def runtime_env(self) -> dict[str, str]:
        """What the deployed code needs on top of its configured environment to reach the emulator."""
        return {
            "AWS_ENDPOINT_URL": self.emulator.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.credentials["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": self.credentials["aws_secret_access_key"],
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
        }


def terraform_command(
    workdir: Path, env: dict[str, str], *args: str, timeout: int = 1200
) -> subprocess.CompletedProcess[str]:
    """Run one terraform command in ``workdir``, capturing its output; never raises on failure."""
    return subprocess.run(
        ["terraform", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_terraform(
    workdir: Path, env: dict[str, str], log: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run terraform, appending its output to ``log``."""
    result = terraform_command(workdir, env, *args)
    with log.open("a") as handle:
        handle.write(
            f"\n$ terraform {' '.join(args)}  (in {workdir})\n{result.stdout}{result.stderr}"
        )
    if check and result.returncode != 0:
        raise TerraformFailed(f"terraform {args[0]} failed (exit {result.returncode}); see {log}")
    return result


def terraform_base_env(
    emulator: Emulator, credentials: dict[str, str], config_dir: Path
) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TF_VAR_")}
    env.pop("TF_LOG", None)
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    env.update(terraform_env(config_dir / "terraformrc"))
    env.update(emulator.env)
    env.pop("AWS_SESSION_TOKEN", None)
    env.update(
        {
            "AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
    )
    if os.environ.get("TF_PLUGIN_CACHE_DIR"):
        env["TF_PLUGIN_CACHE_DIR"] = os.environ["TF_PLUGIN_CACHE_DIR"]
    return env


@contextmanager
def applied_basic(
    emulator: Emulator, scratch: Path, on_step: Callable[[str], None] = lambda _message: None
) -> Iterator[Stack]:
    """Apply examples/basic (a copy under ``scratch``) to the emulator; destroy it afterwards."""
    credentials = emulated_layer_account(emulator, f"demo-{time.time_ns()}")
    publish_powertools_layer(
        emulator,
        credentials,
        module_default("lambda_runtime"),
        module_default("lambda_architecture"),
    )
    env = terraform_base_env(emulator, credentials, scratch)
    workdir = copy_module(scratch / "module") / "examples" / "basic"
    log = scratch / "terraform.log"
    with pinpoint_creation_date_as_string():
        on_step("terraform init")
        run_terraform(workdir, env, log, "init", "-input=false", "-no-color")
        try:
            on_step("terraform apply")
            run_terraform(workdir, env, log, "apply", "-auto-approve", "-input=false", "-no-color")
            raw = json.loads(run_terraform(workdir, env, log, "output", "-json").stdout)
            outputs = {key: value["value"] for key, value in raw.items()}
            yield Stack(emulator, workdir, env, credentials, log, outputs)
        finally:
            on_step("terraform destroy")
            run_terraform(
                workdir,
                env,
                log,
                "destroy",
                "-auto-approve",
                "-input=false",
                "-no-color",
                check=False,
            )
