"""Load a Lambda handler the way Lambda does: ``app.py`` at the root of its code, in isolation.

Both packages have an ``app`` module and the same ``message_status`` package,
so each load gets clean ``sys.modules`` entries and restores them afterwards.
Used for the source tree (unit tests), for the built zips, and for the code
the emulator holds (apply tests, demo).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from moto.awslambda.models import lambda_backends

from .emulator import patched_environ

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_SRC = ROOT / "lambda_src"
OUR_MODULES = ("app", "message_status")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _ours(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in OUR_MODULES)


@contextmanager
def isolated_app(code_dirs: list[Path], env: dict[str, str] | None = None) -> Iterator[ModuleType]:
    """Import ``app`` from ``code_dirs`` with ``env`` set; undo everything afterwards."""
    saved = {name: module for name, module in sys.modules.items() if _ours(name)}
    for name in saved:
        del sys.modules[name]
    sys.path[:0] = [str(path) for path in code_dirs]
    try:
        with patched_environ(env or {}):
            yield importlib.import_module("app")
    finally:
        del sys.path[: len(code_dirs)]
        for name in [name for name in sys.modules if _ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


@contextmanager
def source_app(function: str, env: dict[str, str] | None = None) -> Iterator[ModuleType]:
    """``app`` of ``lambda_src/<function>`` (transform or query), straight from the source tree."""
    with isolated_app([LAMBDA_SRC / function, LAMBDA_SRC], env) as module:
        yield module


@contextmanager
def zipped_app(code: bytes, env: dict[str, str] | None = None) -> Iterator[ModuleType]:
    """``app`` of a function zip, unpacked into a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="lambda-code-") as tmp:
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            archive.extractall(tmp)
        with isolated_app([Path(tmp)], env) as module:
            yield module


def code_sha256(code: bytes) -> str:
    """Lambda's CodeSha256: base64 of the SHA-256 digest (what filebase64sha256 gives)."""
    return base64.b64encode(hashlib.sha256(code).digest()).decode()


def emulator_function_zip(lambda_client: Any, function_name: str) -> tuple[bytes, dict[str, Any]]:
    """The zip and configuration the emulator holds for a deployed function.

    moto's GetFunction returns a Code.Location that nothing serves, so the bytes
    are read from the in-process moto backend, then checked against the
    CodeSha256 that the Lambda API reports for the function.
    """
    configuration = lambda_client.get_function(FunctionName=function_name)["Configuration"]
    account_id = configuration["FunctionArn"].split(":")[4]
    region = lambda_client.meta.region_name
    function = lambda_backends[account_id][region].get_function(function_name)
    code = function.code_bytes
    if code_sha256(code) != configuration["CodeSha256"]:
        raise AssertionError(f"emulator code of {function_name} does not match its CodeSha256")
    return code, configuration


@contextmanager
def deployed_handler(
    lambda_client: Any, function_name: str, extra_env: dict[str, str] | None = None
) -> Iterator[Handler]:
    """``app.lambda_handler`` of a deployed function, with the function's configured environment."""
    code, configuration = emulator_function_zip(lambda_client, function_name)
    if configuration.get("Handler") != "app.lambda_handler":
        raise AssertionError(f"unexpected handler {configuration.get('Handler')!r}")
    env = dict(configuration.get("Environment", {}).get("Variables", {}))
    env.update(extra_env or {})
    with zipped_app(code, env) as module:
        yield module.lambda_handler
