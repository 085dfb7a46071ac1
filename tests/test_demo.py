"""`make demo`'s flow, end to end, and its one-line answers when something is missing."""

from __future__ import annotations

import importlib.util
import io
import json
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support import tfenv
from tests.support.emulator import free_port

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("demo", ROOT / "examples" / "demo" / "demo.py")
demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo)


@pytest.mark.terraform
@pytest.mark.apply
def test_demo_runs_the_pipeline_and_cleans_up() -> None:
    before = set(Path(tempfile.gettempdir()).glob("message-status-demo-*"))
    out = io.StringIO()
    report = demo.run(free_port(), keep=False, out=out)
    text = out.getvalue()

    statuses = {mid: (doc["status"], doc["is_final"]) for mid, doc in report["answers"].items()}
    assert statuses == {
        "email-clicked-0001": ("CLICKED", True),
        "email-bounced-0002": ("HARD_BOUNCED", True),
        "sms-delivered-0003": ("DELIVERED", True),
        "sms-failed-0004": ("FAILED", True),
        "ses-delivered-0005": ("DELIVERED", True),
        "eum-delivered-0006": ("DELIVERED", True),
    }
    assert report["answers"]["sms-failed-0004"]["record_status"] == "CARRIER_UNREACHABLE"
    assert report["results"] == {"Ok": 13, "ProcessingFailed": 1}
    for step in range(1, 6):
        assert f"[{step}/5]" in text
    assert "ProcessingFailed record-00003" in text
    assert "$ curl -s http://127.0.0.1:" in text
    assert "terraform output goes to" in text
    assert set(Path(tempfile.gettempdir()).glob("message-status-demo-*")) == before


def test_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(demo.DemoError, match=f"port {port} is in use.*PORT="):
            demo.check_port(port)


def test_missing_terraform_is_one_clear_line(monkeypatch) -> None:
    monkeypatch.setattr(demo.shutil, "which", lambda _name: None)
    with pytest.raises(demo.DemoError, match="terraform is not installed"):
        demo.check_terraform()


def test_old_terraform_is_one_clear_line(monkeypatch) -> None:
    def old_version(*_args, **_kwargs):
        return subprocess.CompletedProcess([], 0, json.dumps({"terraform_version": "1.4.6"}), "")

    monkeypatch.setattr(demo.subprocess, "run", old_version)
    monkeypatch.setattr(demo.shutil, "which", lambda _name: "/usr/bin/terraform")
    with pytest.raises(demo.DemoError, match=r"1\.4\.6 is older than 1\.5: upgrade"):
        demo.check_terraform()


def test_no_network_and_no_mirror_is_one_clear_line(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(tfenv, "registry_reachable", lambda timeout=3.0: False)
    monkeypatch.setattr(tfenv, "find_mirror", lambda: None)
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    with pytest.raises(demo.DemoError, match="no network and no provider mirror"):
        demo.check_providers(tmp_path)


def test_main_prints_one_line_and_exits_nonzero_on_a_missing_tool(monkeypatch, capsys) -> None:
    monkeypatch.setattr(demo.shutil, "which", lambda _name: None)
    assert demo.main(["--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: terraform is not installed")
