"""Run a function's code as Lambda does: a fresh interpreter with ``app.py`` at the root of its code.

Both packages have an ``app`` module and their own copy of ``message_status``,
so each runs in a process of its own (:mod:`devkit.lambda_worker`), with the
unpacked zip first on its path and the function's environment, and nothing of
the caller's imports. The caller sends events and reads responses over a
pipe, as the Lambda runtime API would. Used for the built zips (`make bench`,
the build tests) and for the code the emulator holds (the apply tests and
`make demo`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from moto.awslambda.models import lambda_backends  # the emulator runs in this process

from devkit import DIST, ROOT
from devkit.lambda_context import LambdaContextStub

# The environment variables a worker keeps from this process: enough to start Python.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
# How long a worker may take to answer what is not an invocation (its start, its meters):
# no read of its pipe waits for ever, so a stuck worker fails a test instead of hanging it.
ANSWER_TIMEOUT_S = 60


class InvocationFailed(RuntimeError):
    """The handler raised; the message holds its traceback, as Lambda's error response would."""


class InvocationTimedOut(RuntimeError):
    """The handler ran past the timeout: the process was stopped, as Lambda stops it."""


class LambdaProcess:
    """A function's code, running in its own interpreter, answering invocations."""

    def __init__(
        self,
        code_dir: Path,
        env: Mapping[str, str],
        *,
        function_name: str = "function",
        output: Path | None = None,
    ) -> None:
        self.function_name = function_name
        self._lock = threading.Lock()  # one invocation at a time, as one Lambda instance
        to_child_read, self._to_child = os.pipe()
        self._from_child, from_child_write = os.pipe()
        child_env = {key: os.environ[key] for key in INHERITED if key in os.environ}
        child_env.update(
            {
                "PYTHONPATH": str(ROOT),  # devkit itself; the code directory comes first
                "PYTHONDONTWRITEBYTECODE": "1",
                "AWS_LAMBDA_FUNCTION_NAME": function_name,
                "LAMBDA_TASK_ROOT": str(code_dir),
            }
        )
        child_env.update(env)
        # Lambda always sets both; boto3 reads the second.
        child_env.setdefault("AWS_REGION", "us-east-1")
        child_env.setdefault("AWS_DEFAULT_REGION", child_env["AWS_REGION"])
        self._output = output.open("ab") if output is not None else None
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devkit.lambda_worker",
                str(to_child_read),
                str(from_child_write),
            ],
            cwd=code_dir,
            env=child_env,
            pass_fds=(to_child_read, from_child_write),
            stdout=self._output if self._output is not None else None,
            stderr=subprocess.STDOUT if self._output is not None else None,
        )
        os.close(to_child_read)
        os.close(from_child_write)
        self._reader = os.fdopen(self._from_child, "rb")
        self._writer = os.fdopen(self._to_child, "wb")
        ready = self._receive(timeout=ANSWER_TIMEOUT_S)
        if not ready.get("ok"):
            self.close()
            raise InvocationFailed(f"{function_name} failed to start:\n{ready.get('error')}")

    def _send(self, message: dict[str, Any]) -> None:
        self._writer.write(json.dumps(message).encode() + b"\n")
        self._writer.flush()

    def _receive(self, timeout: float) -> dict[str, Any]:
        ready, _, _ = select.select([self._reader], [], [], timeout)
        if not ready:
            self.close()
            raise InvocationTimedOut(f"{self.function_name} did not answer in {timeout} s")
        line = self._reader.readline()
        if not line:
            raise InvocationFailed(f"{self.function_name} exited (code {self._process.wait()})")
        return dict(json.loads(line))

    def _request(self, message: dict[str, Any], timeout: float | None = None) -> Any:
        with self._lock:
            self._send(message)
            answer = self._receive(ANSWER_TIMEOUT_S if timeout is None else timeout)
        if not answer["ok"]:
            raise InvocationFailed(answer["error"])
        return answer.get("result")

    def invoke(
        self, event: Mapping[str, Any], *, timeout_s: float = 60, trace_header: str | None = None
    ) -> dict[str, Any]:
        """``app.lambda_handler(event, context)``; the context's remaining time is ``timeout_s``.

        Like Lambda, a handler still running at the timeout is stopped
        (InvocationTimedOut) and this process is then unusable. ``trace_header``
        becomes the invocation's _X_AMZN_TRACE_ID, as Lambda sets it for X-Ray.
        """
        request = {"op": "invoke", "event": dict(event), "remaining_ms": int(timeout_s * 1000)}
        if trace_header is not None:
            request["trace_header"] = trace_header
        return dict(self._request(request, timeout=timeout_s + 1))

    __call__ = invoke

    def requests(self, reset: bool = False) -> dict[str, int]:
        """AWS requests the code sent, by ``service.Operation``, retries included."""
        return dict(self._request({"op": "requests", "reset": reset}))

    def writes(self, reset: bool = False) -> list[dict[str, Any]]:
        """Every DynamoDB item the code wrote, with its size before and after (see dynamo_meter)."""
        return list(self._request({"op": "writes", "reset": reset}))

    def calls(self, reset: bool = False) -> list[dict[str, Any]]:
        """Every AWS call the code made, with the parameters naming its resource (only
        when started with DEVKIT_RECORD_CALLS set; devkit.permissions.calls)."""
        return list(self._request({"op": "calls", "reset": reset}))

    def peak_memory_mb(self) -> float | None:
        """The process's peak resident memory so far (Linux's VmHWM), or None elsewhere."""
        try:
            status = Path(f"/proc/{self._process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return None

    def close(self) -> None:
        for stream in (self._writer, self._reader):
            with contextlib.suppress(OSError):  # the worker may already be gone
                stream.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._output is not None:
            self._output.close()

    def __enter__(self) -> LambdaProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@contextmanager
def zipped_function(
    code: bytes,
    env: Mapping[str, str],
    *,
    function_name: str = "function",
    output: Path | None = None,
) -> Iterator[LambdaProcess]:
    """A function zip, unpacked into a temporary directory and running in its own process."""
    with tempfile.TemporaryDirectory(prefix="lambda-code-") as tmp:
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            archive.extractall(tmp)
        with LambdaProcess(Path(tmp), env, function_name=function_name, output=output) as process:
            yield process


@contextmanager
def built_function(
    name: str, env: Mapping[str, str], *, output: Path | None = None
) -> Iterator[LambdaProcess]:
    """``dist/<name>.zip``, the zip the module ships, running as Lambda runs it."""
    with zipped_function(
        (DIST / f"{name}.zip").read_bytes(), env, function_name=name, output=output
    ) as process:
        yield process


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
def deployed_function(
    lambda_client: Any,
    function_name: str,
    extra_env: Mapping[str, str] | None = None,
    *,
    output: Path | None = None,
) -> Iterator[LambdaProcess]:
    """A deployed function's code and configured environment, running as Lambda runs it."""
    code, configuration = emulator_function_zip(lambda_client, function_name)
    if configuration.get("Handler") != "app.lambda_handler":
        raise AssertionError(f"unexpected handler {configuration.get('Handler')!r}")
    env = dict(configuration.get("Environment", {}).get("Variables", {}))
    env.update(extra_env or {})
    arn = str(configuration.get("FunctionArn", "")).split(":")
    if len(arn) > 3 and arn[3]:  # Lambda sets AWS_REGION to the function's own Region
        env["AWS_REGION"] = arn[3]
    with zipped_function(code, env, function_name=function_name, output=output) as process:
        yield process


__all__ = ["LambdaContextStub", "LambdaProcess", "built_function", "deployed_function"]
