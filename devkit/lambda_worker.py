"""The process devkit.lambdas starts for one function: it imports ``app`` and answers invocations.

Started as ``python -m devkit.lambda_worker IN_FD OUT_FD`` in the function's
code directory (so ``app`` and its ``message_status`` come from the code, as
in Lambda), with the function's environment. Requests and answers are JSON
lines on the two pipes; the code's own output (logs, metrics) goes to stdout
and stderr, which the parent may capture.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from types import ModuleType
from typing import Any, BinaryIO

import boto3

from devkit.botometer import RequestCounter, WriteRecorder, attach
from devkit.lambda_context import LambdaContextStub
from devkit.permissions.calls import RECORD_ENV, CallRecorder


def answer(stream: BinaryIO, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, default=str).encode() + b"\n")
    stream.flush()


class Worker:
    """The imported function and the meters watching what it sends."""

    def __init__(
        self,
        app: ModuleType,
        counter: RequestCounter,
        recorder: WriteRecorder,
        call_recorder: CallRecorder | None = None,
    ) -> None:
        self.app = app
        self.counter = counter
        self.recorder = recorder
        self.call_recorder = call_recorder
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function")

    def invoke(self, request: dict[str, Any]) -> Any:
        context = LambdaContextStub(self.function_name, request["remaining_ms"])
        if "trace_header" in request:  # Lambda sets it per invocation when tracing is active
            os.environ["_X_AMZN_TRACE_ID"] = request["trace_header"]
        return self.app.lambda_handler(request["event"], context)

    def requests(self, request: dict[str, Any]) -> Any:
        counts = dict(self.counter.counts)
        if request.get("reset"):
            self.counter.counts.clear()
        return counts

    def writes(self, request: dict[str, Any]) -> Any:
        writes = list(self.recorder.writes)
        if request.get("reset"):
            self.recorder.writes.clear()
        return writes

    def calls(self, request: dict[str, Any]) -> Any:
        if self.call_recorder is None:
            raise RuntimeError(f"calls are recorded only with {RECORD_ENV} set")
        calls = [call.as_json() for call in self.call_recorder.calls]
        if request.get("reset"):
            self.call_recorder.calls.clear()
        return calls

    def handle(self, request: dict[str, Any]) -> Any:
        operations = {
            "invoke": self.invoke,
            "requests": self.requests,
            "writes": self.writes,
            "calls": self.calls,
        }
        return operations[request["op"]](request)


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    # Before the code creates its clients, so that they inherit the hooks.
    counter, recorder = attach(boto3.DEFAULT_SESSION.events)
    calls = (
        CallRecorder().attach(boto3.DEFAULT_SESSION.events) if os.environ.get(RECORD_ENV) else None
    )
    try:
        worker = Worker(importlib.import_module("app"), counter, recorder, calls)
    except Exception:  # noqa: BLE001 - reported to the parent, as Lambda reports an init error
        answer(answers, {"ok": False, "error": traceback.format_exc()})
        return
    answer(answers, {"ok": True})
    for line in requests:
        try:
            result = worker.handle(json.loads(line))
        except Exception:  # noqa: BLE001 - the handler's error goes back, as Lambda returns it
            answer(answers, {"ok": False, "error": traceback.format_exc()})
            continue
        answer(answers, {"ok": True, "result": result})


def main() -> None:
    boto3.setup_default_session()
    with (
        os.fdopen(int(sys.argv[1]), "rb") as requests,
        os.fdopen(int(sys.argv[2]), "wb") as answers,
    ):
        serve(requests, answers)


if __name__ == "__main__":
    main()
