"""The msgstatus command-line client (cli/), against the real handlers and a real moto server.

The API commands talk HTTP to the project's query function, served on loopback
by devkit.local_api after events went through the real transform (both on
moto in-process). The replay command talks to a moto server through
AWS_ENDPOINT_URL, with a bucket and an Extended S3 delivery stream of its own.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import io
import json
import shlex
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.auth
import pytest
from botocore.credentials import ReadOnlyCredentials
from msgstatus import api as msgapi
from msgstatus import main as main_module
from msgstatus.batching import MAX_BYTES_PER_CALL, MAX_RECORD_BYTES, fits, plan_batches
from msgstatus.config import output_value, parse_outputs, region_from_url, resolve_region
from msgstatus.errors import CliError
from msgstatus.firehose_errors import (
    UnreadableObject,
    in_window,
    key_date,
    moved_key,
    parse_error_object,
)
from msgstatus.main import Runtime, build_parser, default_aws_client, main, search_params
from msgstatus.outcome import Outcome, classify
from msgstatus.render import timeline_lines
from msgstatus.replay import PUT_ATTEMPTS
from msgstatus.watch import backoff_delay

from devkit.calls import call_api, run_firehose
from devkit.emulator import Emulator, moto_server
from devkit.events import eventbridge, ses, sms_v2
from devkit.local_api import LocalApi
from devkit.ses_suppression import suppress
from tests.support.cli import Result, Terminal, assert_one_error_line, run

NOW = (int(time.time()) - 3600) * 1000  # an hour ago: inside every default window
ANA = "ana@example.com"
BEN = "ben@example.org"


################################################################################
# The API: real transform and query handlers behind a real HTTP server
################################################################################


def feed(transform: Any, *events: dict[str, Any]) -> None:
    response = run_firehose(transform, list(events))
    assert {r["result"] for r in response["records"]} == {"Ok"}, response


@dataclass
class Api:
    url: str
    requests: list[dict[str, Any]]  # the HTTP API events the server received
    transform: Any
    query: Any

    def args(self, *extra: str) -> list[str]:
        return ["--api-url", self.url, "--no-sign", *extra]


@pytest.fixture
def api(transform: Any, query: Any) -> Iterator[Api]:
    """Messages to ana and ben, and the query function on http://127.0.0.1:<port>."""
    feed(
        transform,
        ses("Send", "m-delivered", NOW, destination=[ANA]),
        ses("Delivery", "m-delivered", NOW + 1000, destination=[ANA], named=[ANA]),
        ses("Send", "m-bounced", NOW + 2000, destination=[BEN]),
        ses("Bounce", "m-bounced", NOW + 3000, destination=[BEN], named=[BEN]),
        ses("Send", "m-two", NOW + 4000, destination=[ANA, BEN]),
        ses(
            "Delivery", "m-two", NOW + 5000, destination=[ANA, BEN], named=[ANA], sent_ms=NOW + 4000
        ),
        ses("Bounce", "m-two", NOW + 6000, destination=[ANA, BEN], named=[BEN], sent_ms=NOW + 4000),
        ses("Send", "m-pending", NOW + 7000, destination=[ANA]),
        sms_v2("TEXT_DELIVERED", "sms-1", NOW + 8000),
    )
    received: list[dict[str, Any]] = []

    def recording(event: dict[str, Any]) -> dict[str, Any]:
        received.append(event)
        return dict(query(event))

    with LocalApi(recording) as server:
        yield Api(server.url, received, transform, query)


def test_get_prints_a_timeline_with_each_recipient(api: Api) -> None:
    result = run("get", *api.args("m-two"))

    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0] == "message  m-two"
    assert "  channel      email (ses)" in lines
    assert "  status       HARD_BOUNCED (final)" in lines
    history = [line.split()[1] for line in lines if line.startswith("    20")]
    assert history == ["send", "delivered", "hardbounce"]
    delivered = next(line for line in lines if " delivered " in line)
    assert "250 2.6.0 Message received" in delivered
    assert f"[{ANA}]" in delivered
    assert lines[-3] == "  recipients (2)"
    assert lines[-2].split() == [ANA, "DELIVERED", "(final)"]
    assert lines[-1].split() == [BEN, "HARD_BOUNCED", "(final)"]
    assert api.requests[-1]["rawPath"] == "/messages/m-two"


def test_get_json_prints_the_documents_as_the_api_answers_them(api: Api) -> None:
    _, expected = call_api(api.query, "GET", "/messages/m-two")

    one = run("get", *api.args("--json", "m-two"))
    assert one.code == 0, one
    assert json.loads(one.out) == expected

    several = run("get", *api.args("--json", "m-two", "sms-1", "m-two"))
    assert several.code == 0, several
    documents = json.loads(several.out)
    assert [d["message_id"] for d in documents] == ["m-two", "sms-1"]
    assert documents[0] == expected
    assert documents[1]["channel"] == "sms"
    assert api.requests[-1]["routeKey"] == "POST /messages/batch-get"


def test_get_of_an_unknown_id_is_reported_and_exits_1(api: Api) -> None:
    alone = run("get", *api.args("no-such-id"))
    assert alone.code == 1
    assert alone.out == ""
    assert alone.err_lines == ["msgstatus: not found: no-such-id (no events recorded for this id)"]

    mixed = run("get", *api.args("m-delivered", "no-such-id"))
    assert mixed.code == 1
    assert mixed.out.startswith("message  m-delivered\n")
    assert "DELIVERED (final)" in mixed.out
    assert mixed.err_lines == ["msgstatus: not found: no-such-id (no events recorded for this id)"]


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self, on_sleep: Callable[[int], None] | None = None) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(len(self.sleeps))

    def runtime(self) -> dict[str, Any]:
        return {"clock": self.clock, "sleep": self.sleep, "random": lambda: 0.5}


def test_watch_exits_0_for_a_delivered_message(api: Api) -> None:
    fake = FakeTime()
    result = run("watch", *api.args("m-delivered"), **fake.runtime())

    assert result.code == 0, result
    assert result.out == "m-delivered: DELIVERED, delivered\n"
    assert result.err_lines[0].endswith(
        "DELIVERED (final), last event delivered at " + api_time(NOW + 1000)
    )
    assert fake.sleeps == []


def api_time(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


def test_watch_exits_1_for_a_hard_bounced_message(api: Api) -> None:
    result = run("watch", *api.args("m-bounced"), **FakeTime().runtime())

    assert result.code == 1, result
    assert result.out == "m-bounced: HARD_BOUNCED, final and not delivered\n"


def test_watch_times_out_with_exit_3_backing_off_up_to_the_deadline(api: Api) -> None:
    fake = FakeTime()
    result = run(
        "watch", *api.args("m-pending", "--timeout", "40", "--interval", "2"), **fake.runtime()
    )

    assert result.code == 3, result
    assert result.out == "m-pending: timed out after 40 s, SENT (not final)\n"
    assert len(result.err_lines) == 1  # the status never changed
    # jitter 0.5 keeps 75% of each delay: 2, 4, 8, 16 s less a quarter, then what is left
    assert fake.sleeps == [1.5, 3.0, 6.0, 12.0, 17.5]
    assert sum(fake.sleeps) == 40
    polls = [r for r in api.requests if r["rawPath"] == "/messages/m-pending"]
    assert len(polls) == len(fake.sleeps) + 1


def test_watch_follows_changes_and_keeps_polling_through_404(api: Api) -> None:
    def events_arrive(sleeps: int) -> None:
        if sleeps == 1:
            feed(api.transform, ses("Send", "m-late", NOW + 9000, destination=[ANA]))
        if sleeps == 3:
            feed(
                api.transform, ses("Delivery", "m-late", NOW + 9500, destination=[ANA], named=[ANA])
            )

    fake = FakeTime(events_arrive)
    result = run("watch", *api.args("m-late"), **fake.runtime())

    assert result.code == 0, result
    assert [line.split("] ", 1)[1].split(",")[0] for line in result.err_lines] == [
        "no events recorded yet",
        "SENT (not final)",
        "DELIVERED (final)",
    ]
    # the backoff starts again from the interval once the status moves
    assert fake.sleeps == [1.5, 1.5, 3.0]
    assert result.out == "m-late: DELIVERED, delivered\n"


def test_search_by_recipient_follows_every_page(api: Api) -> None:
    result = run("search", *api.args("--recipient", "Ana@Example.com", "--limit", "1", "--all"))

    assert result.code == 0, result
    rows = [line.split("\t") for line in result.out.splitlines()]
    assert rows[0] == ["message_id", "channel", "status", "final", "sent_at", "last_event_at"]
    # newest first
    assert [row[0] for row in rows[1:]] == ["m-pending", "m-two", "m-delivered"]
    assert rows[1][1:4] == ["email", "SENT", "no"]
    assert rows[2][1:5] == ["email", "HARD_BOUNCED", "yes", api_time(NOW + 4000)]
    pages = [r for r in api.requests if r["routeKey"] == "GET /messages"]
    assert len(pages) >= 3
    assert all(p["queryStringParameters"]["limit"] == "1" for p in pages)
    assert "cursor" not in pages[0]["queryStringParameters"]
    assert all(p["queryStringParameters"].get("cursor") for p in pages[1:])
    assert result.err_lines[0] == "page 1: 1 messages so far"


def test_search_one_page_at_a_time_with_the_cursor_hint(api: Api) -> None:
    first = run("search", *api.args("--recipient", ANA, "--limit", "2", "--json"))
    assert first.code == 0, first
    page = json.loads(first.out)
    assert [m["message_id"] for m in page["messages"]] == ["m-pending", "m-two"]
    assert page["next_cursor"]
    hint = first.err_lines[-1]
    assert hint.startswith("more messages: add --cursor ")
    cursor = shlex.split(hint.removeprefix("more messages: add ").removesuffix(" (or --all)"))[1]
    assert cursor == page["next_cursor"]

    rest = run("search", *api.args("--recipient", ANA, "--limit", "2", "--cursor", cursor))
    assert rest.code == 0, rest
    assert [line.split("\t")[0] for line in rest.out.splitlines()[1:]] == ["m-delivered"]


def test_search_by_status_finds_the_failures(api: Api) -> None:
    result = run("search", *api.args("--status", "failed", "--channel", "email", "--json", "--all"))
    assert result.code == 0, result
    found = {m["message_id"] for m in json.loads(result.out)["messages"]}
    assert found == {"m-bounced", "m-two"}


def test_a_bad_search_is_one_clean_line(api: Api) -> None:
    result = run("search", *api.args("--status", "NOT_A_STATUS"))
    assert_one_error_line(result, "the API answered 400: ")
    assert "status" in result.err_lines[0].split("400: ", 1)[1]


# --- recipient ----------------------------------------------------------------------------------


def test_recipient_shows_the_suppression_its_cause_and_her_own_outcomes(api: Api) -> None:
    suppress(BEN, message_id="m-bounced", feedback_id="fb-1", at=1_796_000_000)

    result = run("recipient", *api.args("Ben@Example.org"))

    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[:7] == [
        "recipient  ben@example.org (email)",
        "  suppression  SUPPRESSED (BOUNCE) since 2026-11-30T00:53:20.000Z, on the "
        "account-level suppression list",
        "               listed as ben@example.org",
        "               caused by message m-bounced: HARD_BOUNCED (final)",
        lines[4],
        "  counts       0 delivered, 2 not delivered, 0 not final (2 messages on this page)",
        "  messages     newest first, each with this recipient's own status",
    ]
    assert lines[4].startswith("               checked 20")
    rows = [line.split("\t") for line in lines[7:]]
    assert rows[0] == ["message_id", "channel", "status", "final", "sent_at", "last_event_at"]
    assert [row[:4] for row in rows[1:]] == [
        ["m-two", "email", "HARD_BOUNCED", "yes"],
        ["m-bounced", "email", "HARD_BOUNCED", "yes"],
    ]
    [request] = [r for r in api.requests if r["routeKey"] == "GET /recipients/{address}"]
    assert request["queryStringParameters"] is None


def test_recipient_counts_her_own_outcome_not_the_messages(api: Api) -> None:
    """m-two bounced for ben but reached ana: on ana's page it is delivered."""
    result = run("recipient", *api.args(ANA, "--limit", "2"))
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[1] == "  suppression  not suppressed: not on the account-level suppression list"
    rows = [line.split("\t") for line in lines[5:]]
    assert [row[:4] for row in rows[1:]] == [
        ["m-pending", "email", "SENT", "no"],
        ["m-two", "email", "DELIVERED", "yes"],
    ]
    assert lines[3] == (
        "  counts       1 delivered, 0 not delivered, 1 not final (2 messages on this page)"
    )
    hint = result.err_lines[-1]
    assert hint.startswith("more messages: add --cursor ")


def test_recipient_json_is_the_apis_page(api: Api) -> None:
    result = run("recipient", *api.args("+1 (206) 555-0100", "--json"))
    assert result.code == 0, result
    page = json.loads(result.out)
    status, answered = call_api(api.query, "GET", "/recipients/%2B12065550100")
    assert status == 200
    assert page == answered
    assert page["suppression"]["state"] == "not_applicable"


def test_recipient_with_a_tenant_reads_the_tenants_list(api: Api) -> None:
    suppress(ANA, "COMPLAINT", tenant="acme")
    on_account = run("recipient", *api.args(ANA))
    on_tenant = run("recipient", *api.args(ANA, "--tenant", "acme"))
    assert "not suppressed" in on_account.out.splitlines()[1]
    assert on_tenant.out.splitlines()[1].startswith("  suppression  SUPPRESSED (COMPLAINT)")
    assert "on tenant acme's suppression list" in on_tenant.out.splitlines()[1]
    assert "no cause recorded" in on_tenant.out


@dataclass
class FakeSes:
    """The operator's own AWS clients: STS names them, SES v2 removes what it is asked."""

    removed: list[dict[str, Any]]
    regions: list[str | None]
    error: Exception | None = None

    def __call__(self, service: str, region: str | None) -> Any:
        self.regions.append(region)
        return self

    def get_caller_identity(self) -> dict[str, str]:
        return {"Arn": "arn:aws:sts::123456789012:assumed-role/Support/jo"}

    def delete_suppressed_destination(self, **request: Any) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        self.removed.append(request)
        return {}


@pytest.fixture
def ses_operator() -> FakeSes:
    return FakeSes(removed=[], regions=[])


REMOVAL_ENV = {"AWS_REGION": "eu-west-1", "AWS_PROFILE": "support"}


def test_removal_names_whose_credentials_and_where_then_asks_and_removes_as_ses_spells_it(
    api: Api, ses_operator: FakeSes
) -> None:
    suppress(BEN, message_id="m-bounced")
    questions: list[str] = []

    def answer_yes(question: str) -> str:
        questions.append(question)
        return "y\n"

    result = run(
        "recipient",
        *api.args("Ben@Example.org", "--remove-from-suppression-list"),
        env=REMOVAL_ENV,
        aws_client=ses_operator,
        ask=answer_yes,
    )

    assert result.code == 0, result
    where = "the account-level suppression list in eu-west-1"
    # SES matches case: the entry is removed as SES spells it, not as it was typed.
    assert questions == [f"Remove {BEN} from {where}? [y/N] "]
    assert ses_operator.removed == [{"EmailAddress": BEN}]
    assert set(ses_operator.regions) == {"eu-west-1"}
    assert (
        f"msgstatus: this removes {BEN} from {where}, with your own AWS credentials: "
        "arn:aws:sts::123456789012:assumed-role/Support/jo (profile support)"
    ) in result.err_lines
    assert result.out.splitlines()[-1] == f"removed {BEN} from {where}"
    assert "up to a minute" in result.err_lines[-1]


@pytest.mark.parametrize("answer", ["n\n", "\n", "yes please\n", EOFError()])
def test_removal_without_a_yes_removes_nothing(
    api: Api, ses_operator: FakeSes, answer: Any
) -> None:
    suppress(BEN, message_id="m-bounced")

    def ask(_question: str) -> str:
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    result = run(
        "recipient", *api.args(BEN, "--remove-from-suppression-list"),
        env=REMOVAL_ENV, aws_client=ses_operator, ask=ask,
    )  # fmt: skip
    assert result.code == 1, result
    assert ses_operator.removed == []
    assert result.err_lines[-1] == "msgstatus: nothing removed"


def test_removal_with_yes_does_not_ask(api: Api, ses_operator: FakeSes) -> None:
    suppress(BEN, message_id="m-bounced")

    def never(_question: str) -> str:
        raise AssertionError("asked")

    result = run(
        "recipient", *api.args(BEN, "--remove-from-suppression-list", "--yes"),
        env=REMOVAL_ENV, aws_client=ses_operator, ask=never,
    )  # fmt: skip
    assert result.code == 0, result
    assert ses_operator.removed == [{"EmailAddress": BEN}]


def test_removal_from_a_tenants_list_names_the_tenant(api: Api, ses_operator: FakeSes) -> None:
    suppress(BEN, tenant="acme")
    result = run(
        "recipient", *api.args(BEN, "--tenant", "acme", "--remove-from-suppression-list", "--yes"),
        env=REMOVAL_ENV, aws_client=ses_operator,
    )  # fmt: skip
    assert result.code == 0, result
    assert ses_operator.removed == [{"EmailAddress": BEN, "TenantName": "acme"}]
    assert "tenant acme's suppression list in eu-west-1" in result.out


def test_removal_really_removes_the_entry_on_the_emulator(api: Api, monkeypatch) -> None:
    """The default clients (boto3, the caller's credentials), against moto's SES and STS."""
    suppress(BEN, message_id="m-bounced")
    result = run(
        "recipient", *api.args(BEN, "--remove-from-suppression-list", "--yes"),
        env={"AWS_REGION": "us-east-1"},
    )  # fmt: skip
    assert result.code == 0, result
    assert "(the default credential chain)" in result.err
    api.query.restart()  # the API reuses SES's answer for a minute: a cold start asks again
    again = run("recipient", *api.args(BEN))
    assert "not suppressed" in again.out.splitlines()[1]


@pytest.mark.parametrize(
    ("address", "note"),
    [
        (ANA, "msgstatus: nothing to remove: it is not on the account-level suppression list"),
        ("+12065550100", "msgstatus: nothing to remove: a phone number is on no SES suppression"),
    ],
)
def test_removal_of_an_address_that_is_not_suppressed_does_nothing(
    api: Api, ses_operator: FakeSes, address: str, note: str
) -> None:
    result = run(
        "recipient", *api.args(address, "--remove-from-suppression-list", "--yes"),
        env=REMOVAL_ENV, aws_client=ses_operator,
    )  # fmt: skip
    assert result.code == 0, result
    assert result.err_lines[-1].startswith(note)
    assert ses_operator.regions == []


def test_removal_refused_by_ses_is_one_clean_line(api: Api, ses_operator: FakeSes) -> None:
    suppress(BEN)
    ses_operator.error = botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "Delete"
    )
    result = run(
        "recipient", *api.args(BEN, "--remove-from-suppression-list", "--yes", "--json"),
        env=REMOVAL_ENV, aws_client=ses_operator,
    )  # fmt: skip
    assert result.code == 2, result
    assert result.err_lines[-1] == (
        f"msgstatus: error: SES did not remove {BEN}: AccessDeniedException: not allowed"
    )


def test_removal_when_the_state_is_unknown_removes_nothing(
    api: Api, monkeypatch, refused_url: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", refused_url)
    api.query.restart()
    result = run("recipient", *api.args(BEN, "--remove-from-suppression-list", "--yes"))
    assert result.code == 2, result
    assert result.out.splitlines()[1].startswith(
        "  suppression  UNKNOWN: Amazon SES could not be asked (EndpointConnectionError)"
    )
    assert result.err_lines[-1] == (
        "msgstatus: error: the API could not read the suppression state "
        "(EndpointConnectionError): nothing removed; try again in a minute"
    )


def test_yes_alone_is_a_usage_error(api: Api) -> None:
    assert_one_error_line(
        run("recipient", *api.args(BEN, "--yes")), "--yes applies to --remove-from-suppression-list"
    )


def test_an_api_without_the_recipient_route_says_to_upgrade() -> None:
    with LocalApi(lambda _event: {"statusCode": 404, "body": '{"message": "no"}'}) as old:
        result = run("recipient", "--api-url", old.url, "--no-sign", BEN)
    assert_one_error_line(result, "the API has no /recipients route", "upgrade the module")


def test_an_unreachable_api_is_one_clean_line(refused_url: str) -> None:
    url = refused_url
    result = run("get", "--api-url", url, "--no-sign", "m-1")
    assert_one_error_line(result, f"cannot reach {url}/messages/m-1")


def test_missing_api_url_and_bad_arguments_are_one_clean_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MSGSTATUS_API_URL", raising=False)
    assert_one_error_line(run("get", "--no-sign", "m-1"), "no API URL")
    assert_one_error_line(
        run("watch", "--api-url", "http://x", "m-1", "--timeout", "soon"), "--timeout"
    )
    assert_one_error_line(
        run("search", "--api-url", "http://x", "--recipient", "a", "--status", "failed")
    )
    assert_one_error_line(run("frobnicate"), "invalid choice")


def test_ui_without_the_ui_extra_is_one_line_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without starlette (the [ui] extra), `msgstatus ui` says how to get it; the rest works."""
    for name in ("msgstatus.ui.app", "msgstatus.ui.guard", "msgstatus.ui.server"):
        monkeypatch.delitem(sys.modules, name, raising=False)  # imported again, below
    starlette = [name for name in sys.modules if name.partition(".")[0] == "starlette"]
    for name in {"starlette", *starlette}:
        monkeypatch.setitem(sys.modules, name, None)  # importing it: ModuleNotFoundError

    served: list[object] = []
    result = run("ui", "--api-url", "http://127.0.0.1:9", "--no-sign", serve_console=served.append)
    assert not served
    assert_one_error_line(
        result, "needs the client's [ui] extra", "'starlette'", "pip install './cli[ui]'"
    )
    assert run("ui", "--help").code == 0
    missing = main_module.missing_console_package
    assert missing(ModuleNotFoundError(name="uvicorn.config")) == "uvicorn"
    assert missing(ModuleNotFoundError(name="anyio")) is None  # a broken install: a traceback


def test_signing_without_credentials_is_one_clean_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "MSGSTATUS_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    url = "https://abc123.execute-api.eu-west-1.amazonaws.com"

    result = run("get", "--api-url", url, "m-1")

    assert_one_error_line(result, "no AWS credentials found", "--token", "--no-sign")


def test_requests_are_signed_by_default_or_carry_the_bearer_token(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.delenv("MSGSTATUS_TOKEN", raising=False)

    signed = run("get", "--api-url", api.url, "m-delivered")
    assert signed.code == 0, signed
    headers = api.requests[-1]["headers"]
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
    assert "/eu-central-1/execute-api/aws4_request" in headers["authorization"]
    assert headers["x-amz-date"]

    assert run("get", "--api-url", api.url, "--token", "t0k3n", "m-delivered").code == 0
    assert api.requests[-1]["headers"]["authorization"] == "Bearer t0k3n"

    monkeypatch.setenv("MSGSTATUS_TOKEN", "from-env")
    assert run("get", "--api-url", api.url, "m-delivered").code == 0
    assert api.requests[-1]["headers"]["authorization"] == "Bearer from-env"

    assert run("get", "--api-url", api.url, "--no-sign", "m-delivered").code == 0
    assert "authorization" not in api.requests[-1]["headers"]


def test_the_api_url_can_come_from_terraform_outputs(api: Api) -> None:
    outputs = json.dumps({"api_endpoint": {"value": api.url, "type": "string", "sensitive": False}})
    asked: list[str] = []

    def terraform(directory: str) -> str:
        asked.append(directory)
        return outputs

    result = run(
        "get", "--terraform-dir", "stack", "--no-sign", "m-bounced", run_terraform=terraform
    )
    assert result.code == 0, result
    assert asked == ["stack"]
    assert "HARD_BOUNCED (final)" in result.out


def scripted(*answers: tuple[int, Any]) -> tuple[list[msgapi.HttpRequest], msgapi.Transport]:
    """A transport that answers each request with the next (status, JSON body)."""
    sent: list[msgapi.HttpRequest] = []
    queue = list(answers)

    def transport(request: msgapi.HttpRequest) -> msgapi.HttpResponse:
        sent.append(request)
        status, body = queue.pop(0)
        return msgapi.HttpResponse(status, json.dumps(body).encode())

    return sent, transport


def doc(message_id: str, status: str = "DELIVERED", final: bool = True) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "channel": "email",
        "status": status,
        "is_final": final,
        "history": [],
    }


def test_get_asks_again_for_unprocessed_ids() -> None:
    sent, transport = scripted(
        (200, {"messages": [doc("a")], "not_found": ["x"], "unprocessed_ids": ["b", "c"]}),
        (200, {"messages": [], "not_found": [], "unprocessed_ids": ["b", "c"]}),  # no progress
        (200, doc("b")),
        (404, {"error": "Not Found", "message": "no events", "message_id": "c"}),
    )
    result = run(
        "get",
        "--api-url",
        "http://api",
        "--no-sign",
        "--json",
        "a",
        "x",
        "b",
        "c",
        transport=transport,
    )

    assert result.code == 1
    assert [d["message_id"] for d in json.loads(result.out)] == ["a", "b"]
    assert [json.loads(r.body or b"null") for r in sent[:2]] == [
        {"message_ids": ["a", "x", "b", "c"]},
        {"message_ids": ["b", "c"]},
    ]
    assert [r.url for r in sent[2:]] == ["http://api/messages/b", "http://api/messages/c"]
    assert sorted(result.err_lines) == [
        "msgstatus: not found: c (no events recorded for this id)",
        "msgstatus: not found: x (no events recorded for this id)",
    ]


def test_watch_rides_out_a_few_503s_but_not_a_403() -> None:
    unavailable = (
        503,
        {
            "error": "Service Unavailable",
            "message": "the status table could not be read; retry later",
        },
    )
    _, transport = scripted(
        unavailable, unavailable, (200, doc("a", "SENT", False)), unavailable, (200, doc("a"))
    )
    fake = FakeTime()
    result = run(
        "watch", "--api-url", "http://api", "--no-sign", "a", transport=transport, **fake.runtime()
    )
    assert result.code == 0, result
    assert sum("answered 503, trying again" in line for line in result.err_lines) == 3

    _, transport = scripted((403, {"message": "Forbidden"}))
    assert_one_error_line(
        run(
            "watch",
            "--api-url",
            "http://api",
            "--no-sign",
            "a",
            transport=transport,
            **FakeTime().runtime(),
        ),
        "the API answered 403: Forbidden",
    )


def test_search_draws_a_table_on_a_terminal() -> None:
    _, transport = scripted(
        (200, {"messages": [doc("m-1"), doc("m-2", "HARD_BOUNCED")], "next_cursor": None})
    )
    stdout, stderr = Terminal(), io.StringIO()
    code = main(
        ["search", "--api-url", "http://api", "--no-sign", "--status", "failed"],
        Runtime(stdout=stdout, stderr=stderr, transport=transport),
    )
    assert code == 0
    rows = [line for line in stdout.getvalue().splitlines() if "m-" in line]
    assert len(rows) == 2
    assert "HARD_BOUNCED" in rows[1]
    assert "\t" not in stdout.getvalue()


################################################################################
# Pure parts of the API client
################################################################################


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_sigv4(request: msgapi.HttpRequest, secret: str, region: str, signed: list[str]) -> str:
    """The SigV4 signature of ``request``, computed here from the specification's steps."""
    url = urlsplit(request.url)
    headers = {name.lower(): value.strip() for name, value in request.headers.items()}
    headers["host"] = url.netloc
    query = "&".join(sorted(url.query.split("&"))) if url.query else ""
    canonical = "\n".join(
        [
            request.method,
            url.path,
            query,
            *(f"{name}:{headers[name]}" for name in signed),
            "",
            ";".join(signed),
            sha256_hex(request.body or b""),
        ]
    )
    stamp = headers["x-amz-date"]
    scope = f"{stamp[:8]}/{region}/execute-api/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, sha256_hex(canonical.encode())])
    key = ("AWS4" + secret).encode()
    for part in (stamp[:8], region, "execute-api", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("method", "path", "query", "payload"),
    [
        ("GET", "/messages", {"recipient": "Ana.Doe+x@example.com", "limit": "5"}, None),
        ("POST", "/messages/batch-get", None, {"message_ids": ["a", "b"]}),
    ],
)
def test_sigv4_signing_for_execute_api(
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    query: dict[str, str] | None,
    payload: Any,
) -> None:
    monkeypatch.setattr(
        botocore.auth, "get_current_datetime", lambda: datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
    )
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    credentials = ReadOnlyCredentials("AKIDEXAMPLE", secret, "session-token")
    base = "https://abc123.execute-api.us-west-2.amazonaws.com"
    request = msgapi.build_request(method, base, path, query, payload)

    signed = msgapi.sign_sigv4(request, credentials, "us-west-2")

    assert signed.url == request.url
    assert signed.body == request.body
    assert signed.headers["X-Amz-Date"] == "20261123T090000Z"
    assert signed.headers["X-Amz-Security-Token"] == "session-token"
    authorization = signed.headers["Authorization"]
    prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-west-2/execute-api/aws4_request, "
    assert authorization.startswith(prefix)
    signed_headers = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-amz-date", "x-amz-security-token"} <= set(signed_headers)
    assert signed_headers == sorted(signed_headers)
    signature = authorization.split("Signature=")[1]
    assert signature == expected_sigv4(signed, secret, "us-west-2", signed_headers)


def test_bearer_and_unsigned_requests() -> None:
    request = msgapi.build_request(
        "GET", "http://127.0.0.1:8080", "/messages", {"recipient": "a b+c@x.com"}
    )
    assert request.url == "http://127.0.0.1:8080/messages?recipient=a%20b%2Bc%40x.com"
    bearer = msgapi.authorize(request, msgapi.Auth("bearer", token="jwt"))
    assert bearer.headers["Authorization"] == "Bearer jwt"
    assert "Authorization" not in msgapi.authorize(request, msgapi.Auth("none")).headers
    # --no-sign wins; a token wins over signing, which needs a region
    assert msgapi.make_auth(False, "jwt", None, lambda: None).mode == "none"
    assert msgapi.make_auth(True, "jwt", None, lambda: None).mode == "bearer"
    with pytest.raises(CliError, match="no region"):
        msgapi.make_auth(True, None, None, lambda: None)


def test_error_bodies_and_not_found() -> None:
    assert (
        msgapi.error_message(b'{"error": "Bad Request", "message": "unknown status"}')
        == "unknown status"
    )
    assert msgapi.error_message(b"<html>\n bad gateway </html>") == "<html> bad gateway </html>"
    assert msgapi.is_message_not_found(404, b'{"message": "no events", "message_id": "x"}')
    assert not msgapi.is_message_not_found(404, b'{"message": "Not Found"}')  # a route, not an id


def test_configuration() -> None:
    assert (
        region_from_url("https://a1b2c3.execute-api.ap-southeast-2.amazonaws.com/prod")
        == "ap-southeast-2"
    )
    assert region_from_url("https://status.example.com") is None
    env = {"AWS_DEFAULT_REGION": "us-east-2"}
    assert (
        resolve_region("eu-west-3", "https://a.execute-api.eu-west-1.amazonaws.com", env)
        == "eu-west-3"
    )
    assert resolve_region(None, "https://a.execute-api.eu-west-1.amazonaws.com", env) == "eu-west-1"
    assert resolve_region(None, "http://127.0.0.1:9000", env) == "us-east-2"
    outputs = parse_outputs(
        json.dumps(
            {
                "api_endpoint": {"value": {"shop": "https://one"}},
                "archive_bucket_name": {"value": {"a": "b1", "b": "b2"}},
                "delivery_stream_name": {"value": None},
            }
        )
    )
    assert output_value(outputs, "api_endpoint", "--api-url") == "https://one"
    with pytest.raises(CliError, match="one value per instance"):
        output_value(outputs, "archive_bucket_name", "--bucket")
    with pytest.raises(CliError, match="empty"):
        output_value(outputs, "delivery_stream_name", "--stream")


def test_outcomes_and_timeline_of_an_sms() -> None:
    assert classify({"status": "CLICKED", "is_final": True}) is Outcome.DELIVERED
    assert classify({"status": "OPTED_OUT", "is_final": True}) is Outcome.FAILED
    assert classify({"status": "SENT", "is_final": True}) is Outcome.FAILED  # no delivery receipt
    assert classify({"status": "SOFT_BOUNCED", "is_final": False}) is Outcome.PENDING
    lines = timeline_lines(
        {
            "message_id": "s-1",
            "channel": "sms",
            "status": "FAILED",
            "is_final": True,
            "history": [
                {
                    "kind": "failure",
                    "time": "t1",
                    "detail": "CARRIER_UNREACHABLE",
                    "description": "gone",
                }
            ],
            "history_truncated": True,
            "event_counts": {"failure": 9},
            "recipients": {"+14255550156": {"status": "FAILED", "is_final": True, "events": {}}},
        }
    )
    assert "    t1  failure  CARRIER_UNREACHABLE: gone" in lines
    assert any("9 counted" in line for line in lines)
    assert lines[-1].split() == ["+14255550156", "FAILED", "(final)"]


def test_the_timeline_names_the_tenant_the_suppression_list_and_automated_events() -> None:
    lines = timeline_lines(
        {
            "message_id": "m-1",
            "channel": "email",
            "status": "SUPPRESSED",
            "is_final": True,
            "tenant": "acme",
            "history": [
                {
                    "kind": "suppressed",
                    "time": "t1",
                    "detail": "Permanent/OnAccountSuppressionList",
                },
                {"kind": "open", "time": "t2", "automated": True},
            ],
            "recipients": {
                "ana@example.com": {
                    "status": "SUPPRESSED",
                    "is_final": True,
                    "events": {},
                    "suppression_list": "account",
                }
            },
        }
    )
    assert "  tenant       acme" in lines
    assert any(line.endswith("open        (automated: changes no status)") for line in lines)
    assert lines[-1].endswith("SUPPRESSED (final, on the account suppression list)")


def test_search_by_tenant_asks_the_api_for_the_tenant() -> None:
    args = build_parser().parse_args(["search", "--tenant", "acme"])
    assert search_params(args) == {"tenant": "acme"}


def test_search_narrows_to_a_sender_account_and_region_not_the_signing_region() -> None:
    args = build_parser().parse_args(
        [
            "search",
            "--recipient",
            ANA,
            "--account",
            "111111111111",
            "--sender-region",
            "eu-west-1",
            "--region",
            "us-east-1",
        ]
    )
    assert search_params(args) == {
        "recipient": ANA,
        "account": "111111111111",
        "region": "eu-west-1",
    }
    assert args.region == "us-east-1"  # the Region requests are signed for


def test_a_search_by_account_finds_only_that_accounts_messages(api: Api) -> None:
    feed(
        api.transform,
        eventbridge(
            ses("Send", "m-shop", NOW + 9000, destination=[ANA]), "111111111111", "eu-west-1"
        ),
    )
    result = run("search", *api.args("--recipient", ANA, "--account", "111111111111", "--json"))
    assert result.code == 0, result.err
    assert [m["message_id"] for m in json.loads(result.out)["messages"]] == ["m-shop"]
    shown = run("get", *api.args("m-shop"))
    assert "  sent from    111111111111 in eu-west-1" in shown.out.splitlines()


def test_backoff_grows_to_the_cap_with_jitter() -> None:
    assert [backoff_delay(n, 2, 30, 0.999999) for n in range(6)] == pytest.approx(
        [2, 4, 8, 16, 30, 30], rel=1e-5
    )
    assert [backoff_delay(n, 2, 30, 0.0) for n in range(6)] == [1, 2, 4, 8, 15, 15]
    assert backoff_delay(10_000, 2, 30, 0.5) == 22.5


################################################################################
# Replay: Firehose error objects on a moto server
################################################################################


def record(n: int) -> bytes:
    """An original record, as a source sent it to Firehose (one JSON line)."""
    return (
        json.dumps({"eventType": "Send", "mail": {"messageId": f"replay-{n:03d}"}}).encode() + b"\n"
    )


BIG = b'{"big": "' + b"x" * (MAX_RECORD_BYTES + 50_000) + b'"}\n'


def error_entry(data: bytes) -> dict[str, Any]:
    return {
        "attemptsMade": 4,
        "arrivalTimestamp": 1_795_424_400_000,
        "errorCode": "Lambda.FunctionError",
        "errorMessage": "The Lambda function was successfully invoked but it returned an error result.",
        "attemptEndingTimestamp": 1_795_424_460_000,
        "rawData": base64.b64encode(data).decode(),
        "lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:transform:$LATEST",
    }


def lines_of(entries: list[bytes], separator: bytes = b"\n") -> bytes:
    return separator.join(json.dumps(error_entry(e)).encode() for e in entries) + separator


PREFIX = "errors/processing-failed/"
HOUR9 = PREFIX + "2026/11/23/09/"
HOUR10 = PREFIX + "2026/11/24/10/"


@dataclass
class Lake:
    server: Emulator
    bucket: str
    stream: str
    objects: dict[str, bytes]  # key -> the object as written
    originals: dict[str, list[bytes]]  # key -> its original records

    @property
    def s3(self) -> Any:
        return self.server.client("s3")

    def listed(self, prefix: str = "") -> set[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return {entry["Key"] for page in pages for entry in page.get("Contents", [])}

    def body(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def delivered(self) -> list[bytes]:
        """Every record the stream wrote to events/ (moto writes each call's records back to back)."""
        data = b"".join(self.body(key) for key in sorted(self.listed("events/")))
        return [line + b"\n" for line in data.split(b"\n") if line]

    def args(self, *extra: str) -> list[str]:
        return [
            "replay",
            "--bucket",
            self.bucket,
            "--stream",
            self.stream,
            "--region",
            "us-east-1",
            *extra,
        ]

    @property
    def sendable(self) -> list[bytes]:
        return [r for records in self.originals.values() for r in records if fits(len(r))]


@pytest.fixture(scope="module")
def aws_server() -> Iterator[Emulator]:
    with moto_server() as server:
        yield server


@pytest.fixture
def lake(aws_server: Emulator, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """A bucket with 5 error objects (10 records, one too large) and a delivery stream to it."""
    for key, value in aws_server.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"replay-{uuid.uuid4().hex[:12]}"
    stream = f"stream-{uuid.uuid4().hex[:8]}"
    s3 = aws_server.client("s3")
    s3.create_bucket(Bucket=bucket)
    aws_server.client("firehose").create_delivery_stream(
        DeliveryStreamName=stream,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "Prefix": "events/",
            "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
            "CompressionFormat": "UNCOMPRESSED",
        },
    )
    originals = {
        HOUR9 + "stream-1-2026-11-23-09-00-00-a": [record(0), record(1), record(2)],
        HOUR9 + "stream-1-2026-11-23-09-05-00-b": [record(3), record(4)],
        HOUR9 + "stream-1-2026-11-23-09-10-00-c": [record(5), record(6)],
        HOUR9 + "stream-1-2026-11-23-09-15-00-d": [record(7), BIG],
        HOUR10 + "stream-1-2026-11-24-10-00-00-e": [record(8)],
    }
    keys = list(originals)
    objects = {
        keys[0]: gzip.compress(lines_of(originals[keys[0]])),
        # concatenated without newlines
        keys[1]: gzip.compress(lines_of(originals[keys[1]], b"")),
        # not compressed
        keys[2]: lines_of(originals[keys[2]]),
        keys[3]: gzip.compress(lines_of(originals[keys[3]])),
        keys[4]: gzip.compress(lines_of(originals[keys[4]])),
    }
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return Lake(aws_server, bucket, stream, objects, originals)


def replay_json(lake: Lake, *extra: str, **runtime: Any) -> tuple[int, dict[str, Any], Result]:
    result = run(*lake.args("--json", *extra), **{"sleep": lambda _: None, **runtime})
    assert "Traceback" not in result.err
    return result.code, json.loads(result.out), result


def test_replay_resends_every_record_and_moves_the_objects(lake: Lake) -> None:
    code, summary, result = replay_json(lake)

    assert code == 1  # the record over 1,000 KiB is still failing
    assert summary == {
        "dry_run": False,
        "objects": 5,
        "moved": 4,
        "deleted": 0,
        "left_in_place": 1,
        "unreadable": 0,
        "not_moved": 0,
        "records": 10,
        "resent": 9,
        "still_failing": 1,
        "too_large": 1,
        "invalid": 0,
        "ok": False,
    }
    assert summary["resent"] + summary["still_failing"] == sum(
        len(r) for r in lake.originals.values()
    )
    assert sorted(lake.delivered()) == sorted(lake.sendable)
    big_key = HOUR9 + "stream-1-2026-11-23-09-15-00-d"
    assert lake.listed("errors/processing-failed/") == {big_key}
    assert lake.body(big_key) == lake.objects[big_key]
    replayed = lake.listed("errors/replayed/")
    assert replayed == {
        "errors/replayed/" + key.removeprefix("errors/") for key in lake.objects if key != big_key
    }
    for key in lake.objects:
        if key != big_key:
            assert lake.body("errors/replayed/" + key.removeprefix("errors/")) == lake.objects[key]
    assert [line for line in result.err_lines if big_key in line] == [
        f"left in place: {big_key}: 1 of 2 records still failing "
        "(1 larger than 1,000 KiB, 0 invalid, 0 refused by Firehose)"
    ]

    # Replaying again is harmless: only the object that cannot be replayed is left.
    again = run(*lake.args(), sleep=lambda _: None)
    assert again.code == 1
    assert again.out.splitlines() == [
        "objects: 1 found, 0 moved, 1 left in place (0 unreadable, 0 could not be moved)",
        "records: 2 found, 1 re-sent, 1 still failing (1 too large, 0 invalid)",
    ]
    # record 7 went out a second time (its object stayed), nothing else did
    assert sorted(lake.delivered()) == sorted([*lake.sendable, record(7)])


def test_replay_dry_run_changes_nothing(lake: Lake) -> None:
    before = {key: lake.body(key) for key in lake.listed()}

    code, summary, _ = replay_json(lake, "--dry-run")

    assert code == 1
    assert (
        summary["objects"],
        summary["records"],
        summary["resent"],
        summary["still_failing"],
    ) == (5, 10, 9, 1)
    assert {key: lake.body(key) for key in lake.listed()} == before
    text = run(*lake.args("--dry-run"))
    assert text.out.splitlines()[0] == "dry run: nothing was sent, moved or deleted"


def test_replay_delete_after_deletes_the_replayed_objects(lake: Lake) -> None:
    code, summary, _ = replay_json(lake, "--delete-after")

    assert code == 1
    assert (summary["deleted"], summary["moved"], summary["left_in_place"]) == (4, 0, 1)
    assert lake.listed("errors/") == {HOUR9 + "stream-1-2026-11-23-09-15-00-d"}
    assert sorted(lake.delivered()) == sorted(lake.sendable)


def test_replay_windows_by_the_date_in_the_key(lake: Lake) -> None:
    code, summary, _ = replay_json(lake, "--since", "2026-11-24", "--until", "2026-11-24")

    assert code == 0
    assert (summary["objects"], summary["records"], summary["resent"], summary["moved"]) == (
        1,
        1,
        1,
        1,
    )
    assert lake.delivered() == [record(8)]
    assert lake.listed("errors/replayed/") == {
        "errors/replayed/" + HOUR10.removeprefix("errors/") + "stream-1-2026-11-24-10-00-00-e"
    }


class FlakyFirehose:
    """A firehose client whose PutRecordBatch refuses the entries ``refuse`` picks."""

    def __init__(self, real: Any, refuse: Callable[[int, int, bytes], bool]) -> None:
        self.real = real
        self.refuse = refuse
        self.calls: list[int] = []

    def put_record_batch(
        self, DeliveryStreamName: str, Records: list[dict[str, bytes]]
    ) -> dict[str, Any]:
        call = len(self.calls)
        self.calls.append(len(Records))
        refused = {i for i, r in enumerate(Records) if self.refuse(call, i, r["Data"])}
        passed = [r for i, r in enumerate(Records) if i not in refused]
        answer = (
            self.real.put_record_batch(DeliveryStreamName=DeliveryStreamName, Records=passed)
            if passed
            else {}
        )
        accepted = iter(answer.get("RequestResponses", []))
        responses = [
            {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
            if i in refused
            else next(accepted)
            for i in range(len(Records))
        ]
        return {"FailedPutCount": len(refused), "Encrypted": False, "RequestResponses": responses}


def test_replay_retries_refused_entries_until_they_go_through(lake: Lake) -> None:
    seen: set[bytes] = set()

    def first_time_every_other(_call: int, index: int, data: bytes) -> bool:
        refuse = index % 2 == 0 and data not in seen
        seen.add(data)
        return refuse

    flaky: list[FlakyFirehose] = []

    def clients(service: str, region: str | None) -> Any:
        client = default_aws_client(service, region)
        if service != "firehose":
            return client
        flaky.append(FlakyFirehose(client, first_time_every_other))
        return flaky[-1]

    sleeps: list[float] = []
    code, summary, _ = replay_json(lake, aws_client=clients, sleep=sleeps.append)

    assert code == 1
    assert (summary["resent"], summary["still_failing"], summary["moved"]) == (9, 1, 4)
    assert sorted(lake.delivered()) == sorted(lake.sendable)  # each exactly once
    # per object: the first call, then one retry of the refused entries
    assert flaky[0].calls == [3, 2, 2, 1, 2, 1, 1, 1, 1, 1]
    assert len(sleeps) == 5
    assert all(0 < s <= 8 for s in sleeps)


def test_replay_leaves_an_object_whose_records_keep_failing(lake: Lake) -> None:
    stubborn = record(1)
    flaky: list[FlakyFirehose] = []

    def clients(service: str, region: str | None) -> Any:
        client = default_aws_client(service, region)
        if service != "firehose":
            return client
        flaky.append(FlakyFirehose(client, lambda _call, _i, data: data == stubborn))
        return flaky[-1]

    garbage_key = HOUR9 + "stream-1-2026-11-23-09-20-00-z"
    lake.s3.put_object(Bucket=lake.bucket, Key=garbage_key, Body=b"\x1f\x8bnot really gzip")

    code, summary, result = replay_json(lake, aws_client=clients)

    assert code == 1
    assert (summary["objects"], summary["unreadable"], summary["records"]) == (6, 1, 10)
    assert (summary["resent"], summary["still_failing"], summary["moved"]) == (8, 2, 3)
    first = HOUR9 + "stream-1-2026-11-23-09-00-00-a"
    assert lake.listed("errors/processing-failed/") == {
        first,
        garbage_key,
        HOUR9 + "stream-1-2026-11-23-09-15-00-d",
    }
    assert lake.body(first) == lake.objects[first]
    assert flaky[0].calls[:PUT_ATTEMPTS] == [3, 1, 1, 1]
    assert sorted(lake.delivered()) == sorted(r for r in lake.sendable if r != stubborn)
    assert any(
        line.startswith(f"unreadable, left in place: {garbage_key}: not valid gzip")
        for line in result.err_lines
    )


def test_replay_without_a_bucket_or_stream_is_one_clean_line(lake: Lake) -> None:
    assert_one_error_line(run("replay", "--stream", lake.stream), "no bucket")
    assert_one_error_line(run("replay", "--bucket", lake.bucket), "no delivery stream")
    assert_one_error_line(
        run("replay", "--bucket", "no-such-bucket-here", "--stream", lake.stream),
        "no-such-bucket-here",
    )
    assert_one_error_line(
        run("replay", "--bucket", lake.bucket, "--since", "23/11/2026"), "YYYY-MM-DD"
    )


################################################################################
# Pure parts of replay
################################################################################


def test_error_objects_parse_as_lines_concatenated_gzip_or_plain() -> None:
    entries = [record(1), record(2), b"\x00\xffbinary"]
    for blob in (
        lines_of(entries),
        lines_of(entries, b""),
        gzip.compress(lines_of(entries, b"\r\n")),
    ):
        assert [r.data for r in parse_error_object(blob)] == entries
    assert parse_error_object(b"") == []
    odd = parse_error_object(b'[1]{"rawData": 5}{"rawData": "!!notbase64"}{"errorCode": "X"}')
    assert [(r.data, r.problem) for r in odd] == [
        (None, "not a JSON object"),
        (None, "no rawData"),
        (None, "rawData is not base64"),
        (None, "no rawData"),
    ]
    with pytest.raises(UnreadableObject, match="not JSON"):
        parse_error_object(lines_of(entries) + b"{truncated")
    with pytest.raises(UnreadableObject, match="gzip"):
        parse_error_object(gzip.compress(lines_of(entries))[:-8])


def test_keys_dates_and_destinations() -> None:
    assert key_date(HOUR9 + "x", PREFIX) == date(2026, 11, 23)
    assert key_date("errors/processing-failed/2026/11/23/x", "errors/") == date(2026, 11, 23)
    assert key_date(PREFIX + "loose-object", PREFIX) is None
    assert key_date(PREFIX + "2026/13/45/x", PREFIX) is None
    assert in_window(date(2026, 11, 23), date(2026, 11, 23), date(2026, 11, 23))
    assert not in_window(date(2026, 11, 22), date(2026, 11, 23), None)
    assert not in_window(None, None, date(2026, 11, 23))
    assert in_window(None, None, None)
    assert (
        moved_key(HOUR9 + "x", "errors/replayed/")
        == "errors/replayed/processing-failed/2026/11/23/09/x"
    )
    assert moved_key("other/x", "done") == "done/other/x"


def test_batches_stay_within_firehose_limits() -> None:
    small = plan_batches([10] * 1201)
    assert [len(b) for b in small] == [500, 500, 201]
    assert [i for b in small for i in b] == list(range(1201))
    big = plan_batches([MAX_RECORD_BYTES] * 9)
    assert [len(b) for b in big] == [4, 4, 1]
    assert all(sum(MAX_RECORD_BYTES for _ in b) <= MAX_BYTES_PER_CALL for b in big)
    assert plan_batches([]) == []
    with pytest.raises(ValueError, match="larger"):
        plan_batches([MAX_RECORD_BYTES + 1])
