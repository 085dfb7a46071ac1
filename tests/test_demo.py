"""`make demo`'s flow on the shared deployment of examples/basic, and its one-line answers
when something is missing."""

from __future__ import annotations

import http.cookiejar
import io
import json
import re
import socket
import urllib.parse
import urllib.request
from contextlib import redirect_stdout

import pytest
from msgstatus.main import main as msgstatus

from devkit import demo, tfenv
from devkit.calls import results, run_firehose
from devkit.console import running_console
from devkit.events import ses
from devkit.faultproxy import refusing_port
from devkit.local_api import LocalApi
from devkit.stack import Stack


@pytest.mark.terraform
@pytest.mark.apply
def test_demo_feeds_the_pipeline_and_answers_over_http(basic_stack: Stack) -> None:
    out = io.StringIO()
    report = demo.exercise(basic_stack, demo.Console(out), 0, keep=False)  # any free port
    text = out.getvalue()

    statuses = {mid: (doc["status"], doc["is_final"]) for mid, doc in report["answers"].items()}
    assert statuses == {
        "email-clicked-0001": ("CLICKED", True),
        "email-bounced-0002": ("HARD_BOUNCED", True),
        "sms-delivered-0003": ("DELIVERED", True),
        "sms-failed-0004": ("FAILED", True),
        "ses-delivered-0005": ("DELIVERED", True),
        "eum-delivered-0006": ("DELIVERED", True),
        "ses-team-0007": ("HARD_BOUNCED", True),
    }
    team = report["answers"]["ses-team-0007"]["recipients"]
    assert {r: o["status"] for r, o in team.items()} == {
        "ana@example.com": "DELIVERED",
        "ben@example.org": "HARD_BOUNCED",
    }
    assert report["answers"]["sms-failed-0004"]["record_status"] == "CARRIER_UNREACHABLE"
    # The stack is shared with the other emulator tests, whose messages a search of the
    # last hour also finds: compare the demo's own, in the order the API gave them.
    found = {
        search: [mid for mid in ids if mid in report["answers"]]
        for search, ids in report["found"].items()
    }
    assert found == {
        "by recipient": ["ses-team-0007"],
        "by order id": ["ses-team-0007"],
        # newest first by the time each reached its status
        "failed in the last hour": ["sms-failed-0004", "email-bounced-0002", "ses-team-0007"],
    }
    assert report["results"] == {"Ok": 17, "ProcessingFailed": 1}
    changes = sorted(
        (
            e["detail"]["message_id"],
            e["detail"]["version"],
            e["detail"]["previous_status"] or "",
            e["detail"]["status"],
        )
        for e in report["status_events"]
    )
    # A batch's messages are written concurrently, so only each message's own order holds.
    assert changes == [
        ("email-bounced-0002", 1, "", "HARD_BOUNCED"),
        ("email-clicked-0001", 1, "", "CLICKED"),
        ("eum-delivered-0006", 1, "", "DELIVERED"),
        ("ses-delivered-0005", 1, "", "DELIVERED"),
        ("ses-team-0007", 1, "", "HARD_BOUNCED"),
        # batch 2 delivers to ana: her status changes, the message's does not
        ("ses-team-0007", 2, "HARD_BOUNCED", "HARD_BOUNCED"),
        ("sms-delivered-0003", 1, "", "DELIVERED"),
        ("sms-failed-0004", 1, "", "FAILED"),
    ], "one event per real change: none for the duplicate click or the late sends"
    team = [
        e["detail"] for e in report["status_events"] if e["detail"]["message_id"] == "ses-team-0007"
    ]
    assert [d["version"] for d in team] == [1, 2], "a message's changes keep their order"
    assert team[1]["status_changed"] is False
    replay = report["replay"]
    assert replay["exit_code"] == 0, replay["output"]
    assert replay["resent"] == [b"\x89PNG this is not an event"], "the original bytes went back"
    assert replay["results"] == ["ProcessingFailed"], "and fail again, to errors/"
    assert "1 re-sent, 0 still failing" in replay["output"]
    assert "Message Status Changed events" in text
    assert "ProcessingFailed record-00003" in text
    assert "$ curl -s http://127.0.0.1:" in text

    # `make demo-ui`: the console on the demo's API opens ana's page: her two messages, each
    # by her own outcome, and SES's answer (the emulator's suppression list does not hold her).
    with (
        basic_stack.function("query_function_name", demo.QUIET) as query,
        LocalApi(query) as api,
        running_console(api.url) as sign_in,
    ):
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        opener.open(sign_in).read()  # the token becomes a cookie
        origin = sign_in.split("/?", 1)[0]
        query_string = urllib.parse.urlencode({"q": demo.TEAM[0]})
        page = opener.open(f"{origin}/find?{query_string}").read().decode()
    rows = {
        message_id: re.sub(r"<[^>]+>", " ", status)
        for message_id, status in re.findall(
            r'<th scope="row"[^>]*><a[^>]*>([^<]+)</a></th>\s*<td data-label="Status">(.*?)</td>',
            page,
            re.S,
        )
    }
    assert sorted(rows) == ["ses-delivered-0005", "ses-team-0007"]
    assert "DELIVERED" in rows["ses-delivered-0005"]
    assert "DELIVERED" in rows["ses-team-0007"], "bounced for a teammate, delivered to ana"
    assert "NOT SUPPRESSED" in page


def test_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(demo.DemoError, match=f"port {port} is in use.*PORT="):
            demo.check_port(port)


def test_missing_terraform_is_one_clear_line(monkeypatch) -> None:
    monkeypatch.setattr(demo.terraform, "version", lambda: None)
    with pytest.raises(demo.DemoError, match="terraform is not installed"):
        demo.check_terraform()


def test_old_terraform_is_one_clear_line(monkeypatch) -> None:
    monkeypatch.setattr(demo.terraform, "version", lambda: (1, 4, 6))
    with pytest.raises(demo.DemoError, match=r"1\.4\.6 is older than 1\.5: upgrade"):
        demo.check_terraform()


def test_no_network_and_no_mirror_is_one_clear_line(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(tfenv, "registry_reachable", lambda timeout=3.0: False)
    monkeypatch.setattr(tfenv, "find_mirror", lambda: None)
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    with pytest.raises(demo.DemoError, match="no network and no provider mirror"):
        demo.check_providers(tmp_path)


def test_main_prints_one_line_and_exits_nonzero_on_a_missing_tool(monkeypatch, capsys) -> None:
    monkeypatch.setattr(demo.terraform, "version", lambda: None)
    with refusing_port() as port:  # free, and no other test process can take it
        assert demo.main(["--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: terraform is not installed")


@pytest.mark.terraform
@pytest.mark.apply
def test_the_client_watches_and_searches_through_the_deployed_query(basic_stack: Stack) -> None:
    """`msgstatus` against the deployed query function served as API Gateway would serve it."""
    t = demo.base_ms()
    batch = [
        ses("Send", "cli-ok-1", t, destination=["cli.ok@example.com"]),
        ses("Delivery", "cli-ok-1", t + 1000, destination=["cli.ok@example.com"], sent_ms=t),
        ses("Bounce", "cli-bounced-1", t + 2000, destination=["cli.ok@example.com"]),
    ]
    with basic_stack.function("transform_function_name", demo.QUIET) as transform:
        assert results(run_firehose(transform, batch)) == ["Ok"] * 3
    with (
        basic_stack.function("query_function_name", demo.QUIET) as query,
        LocalApi(query) as api,
    ):
        common = ["--api-url", api.url, "--no-sign"]
        assert msgstatus(["watch", "cli-ok-1", *common, "--timeout", "5"]) == 0
        assert msgstatus(["watch", "cli-bounced-1", *common, "--timeout", "5"]) == 1
        out = io.StringIO()
        with redirect_stdout(out):
            code = msgstatus(["search", "--recipient", "CLI.OK@example.com", "--json", *common])
        assert code == 0
        found = json.loads(out.getvalue())
        ids = [m["message_id"] for m in (found["messages"] if isinstance(found, dict) else found)]
        assert sorted(ids) == ["cli-bounced-1", "cli-ok-1"]
