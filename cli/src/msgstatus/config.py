"""Where the API, the bucket and the stream are, and which region to sign for."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from typing import Any

from msgstatus.errors import CliError

API_URL_ENV = "MSGSTATUS_API_URL"
TOKEN_ENV = "MSGSTATUS_TOKEN"  # noqa: S105 - the name of a variable, not a secret
REGION_ENVS = ("AWS_REGION", "AWS_DEFAULT_REGION")
TERRAFORM_TIMEOUT_S = 120

# https://{api_id}.execute-api.{region}.amazonaws.com[.cn][/stage]
EXECUTE_API_HOST = re.compile(
    r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$", re.IGNORECASE
)

TerraformRunner = Callable[[str], str]


def run_terraform_output(directory: str) -> str:
    """The text of ``terraform output -json`` run in ``directory``."""
    terraform = shutil.which("terraform")
    if terraform is None:
        raise CliError("--terraform-dir needs the terraform command, which is not on PATH")
    try:
        done = subprocess.run(  # noqa: S603 - a fixed command, no shell
            [terraform, "output", "-json"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=TERRAFORM_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise CliError(f"terraform output -json in {directory} failed: {err}") from err
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise CliError(f"terraform output -json in {directory} failed: {detail}")
    return done.stdout


def parse_outputs(text: str) -> dict[str, Any]:
    """``terraform output -json`` as a mapping of output name to value."""
    try:
        document = json.loads(text)
    except ValueError as err:
        raise CliError(f"terraform output -json did not print JSON: {err}") from err
    if not isinstance(document, dict):
        raise CliError("terraform output -json did not print a JSON object")
    return {
        name: entry.get("value") if isinstance(entry, dict) else entry
        for name, entry in document.items()
    }


def output_value(outputs: Mapping[str, Any], name: str, flag: str) -> str:
    """One string output; a map with a single entry (one project) is unwrapped."""
    if name not in outputs:
        raise CliError(f"the terraform outputs have no {name!r}; pass {flag}")
    value = outputs[name]
    if isinstance(value, dict):
        if len(value) != 1:
            keys = ", ".join(sorted(str(key) for key in value)) or "none"
            raise CliError(f"output {name!r} holds one value per instance ({keys}); pass {flag}")
        value = next(iter(value.values()))
    if not isinstance(value, str) or not value:
        raise CliError(f"output {name!r} is empty (is the module's create false?); pass {flag}")
    return value


def resolve_api_url(
    flag: str | None,
    env: Mapping[str, str],
    terraform_dir: str | None,
    run_terraform: TerraformRunner,
) -> str:
    """--api-url, else MSGSTATUS_API_URL, else the api_endpoint output of --terraform-dir."""
    url = flag or env.get(API_URL_ENV)
    if not url and terraform_dir:
        outputs = parse_outputs(run_terraform(terraform_dir))
        url = output_value(outputs, "api_endpoint", "--api-url")
    if not url:
        raise CliError(f"no API URL: pass --api-url, set {API_URL_ENV} or pass --terraform-dir")
    if not url.startswith(("https://", "http://")):
        raise CliError(f"the API URL must start with https:// or http://, not {url!r}")
    return url.rstrip("/")


def region_from_url(url: str) -> str | None:
    """The region of an execute-api URL, None for any other host (a custom domain, localhost)."""
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    match = EXECUTE_API_HOST.match(host)
    return match.group(1).lower() if match else None


def resolve_region(flag: str | None, url: str | None, env: Mapping[str, str]) -> str | None:
    """--region, else the execute-api URL's own region, else AWS_REGION / AWS_DEFAULT_REGION.

    An execute-api URL names the only region its signature can be valid for, so
    it comes before the environment's default region.
    """
    if flag:
        return flag
    from_url = region_from_url(url) if url else None
    if from_url:
        return from_url
    return next((env[name] for name in REGION_ENVS if env.get(name)), None)
