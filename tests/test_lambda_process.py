"""devkit.lambdas runs a function's code in a worker process: a worker that stops answering
fails the caller with a clear error within its timeout, and is stopped; it never hangs a test."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from devkit import lambdas
from devkit.lambdas import InvocationTimedOut, LambdaProcess

SLOW_APP = """\
import time

def lambda_handler(event, context):
    time.sleep(event["sleep_s"])
    return {"slept": event["sleep_s"]}
"""


@pytest.fixture
def slow_code(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(SLOW_APP)
    return tmp_path


def test_a_handler_past_its_timeout_is_stopped_with_a_clear_error(slow_code: Path) -> None:
    with LambdaProcess(slow_code, {}, function_name="slow") as process:
        assert process.invoke({"sleep_s": 0}, timeout_s=5) == {"slept": 0}
        started = time.monotonic()
        with pytest.raises(InvocationTimedOut, match=r"slow did not answer in 1\.2 s"):
            process.invoke({"sleep_s": 30}, timeout_s=0.2)
        assert time.monotonic() - started < 10
        assert process._process.poll() is not None, "the worker is stopped, as Lambda stops it"


def test_a_worker_that_does_not_start_in_time_fails_and_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app.py").write_text("import time\ntime.sleep(30)\n")
    monkeypatch.setattr(lambdas, "ANSWER_TIMEOUT_S", 0.3)
    started = time.monotonic()
    with pytest.raises(InvocationTimedOut, match=r"stuck did not answer in 0\.3 s"):
        LambdaProcess(tmp_path, {}, function_name="stuck")
    assert time.monotonic() - started < 10


def test_a_meter_read_that_gets_no_answer_fails_instead_of_waiting(
    slow_code: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LambdaProcess(slow_code, {}, function_name="slow") as process:
        monkeypatch.setattr(lambdas, "ANSWER_TIMEOUT_S", 0.3)
        # The worker answers one request at a time: while this invocation runs, a meter
        # request behind it gets no answer.
        process._send({"op": "invoke", "event": {"sleep_s": 30}, "remaining_ms": 30_000})
        with pytest.raises(InvocationTimedOut, match=r"slow did not answer in 0\.3 s"):
            process.requests()
