"""The `msgstatus ui` console: a real browser against the real handlers.

Events go through the project's real transform into a DynamoDB table on moto
(in-process); the real query function is served over HTTP on loopback by
devkit.local_api; the console is started through `msgstatus ui --no-sign` and
talks to that API. The browser is Debian's Chromium (/usr/bin/chromium),
driven by Playwright; without it the browser tests fail (CI installs it).
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from botocore.credentials import ReadOnlyCredentials
from message_status import model
from msgstatus.api import NoCredentials
from msgstatus.main import Runtime, main
from msgstatus.ui import lookup, views
from msgstatus.ui.guard import CONTENT_SECURITY_POLICY
from msgstatus.ui.server import RunningConsole, bind_host
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from devkit.calls import run_firehose
from devkit.events import eventbridge, ses, sms_v2
from devkit.local_api import LocalApi
from devkit.ses_suppression import suppress

CHROMIUM = os.environ.get("MSGSTATUS_TEST_CHROMIUM", "/usr/bin/chromium")
NOW = (int(time.time()) - 3600) * 1000  # an hour ago: inside every default window
ANA = "ana@example.com"
BEN = "ben@example.org"
ORDER = "ORD-1042"
SHOP = "111111111111"  # a sender account that forwards its events to this instance
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
HOSTILE_RECIPIENT = "<svg/onload=window.__pwned=3>@evil.example"
EXPECT_TIMEOUT_MS = 10_000


def feed(transform: Any, *events: dict[str, Any]) -> None:
    response = run_firehose(transform, list(events))
    assert {r["result"] for r in response["records"]} == {"Ok"}, response


def hostile(event: dict[str, Any], body: str, field: str) -> dict[str, Any]:
    """The event with HOSTILE as the diagnostic code of each recipient it names."""
    for entry in event[body][field]:
        entry["diagnosticCode"] = HOSTILE
    return event


@dataclass
class Result:
    code: int
    out: str
    err: str


@contextmanager
def started(*argv: str, **runtime: Any) -> Iterator[tuple[RunningConsole, Result]]:
    """`msgstatus ui ARGV` as the command builds it, served in the background."""
    consoles: list[RunningConsole] = []
    stdout, stderr = io.StringIO(), io.StringIO()
    runtime.setdefault("serve_console", consoles.append)
    code = main(["ui", *argv], Runtime(stdout=stdout, stderr=stderr, **runtime))
    result = Result(code, stdout.getvalue(), stderr.getvalue())
    assert code == 0, result
    with consoles[0].in_background() as console:
        yield console, result


@contextmanager
def stub_api(status: int, document: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An API that answers every request with ``status`` and ``document``; the events it got."""
    received: list[dict[str, Any]] = []

    def answer(event: dict[str, Any]) -> dict[str, Any]:
        received.append(event)
        headers = {"Content-Type": "application/json"}
        return {"statusCode": status, "headers": headers, "body": json.dumps(document)}

    with LocalApi(answer) as api:
        yield api.url, received


################################################################################
# HTTP without a browser
################################################################################


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str


class Client:
    """Plain HTTP to the console, with full control of the Host header and the cookie."""

    def __init__(self, console: RunningConsole) -> None:
        self.console = console
        self.cookie = ""

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: str | None = None,
    ) -> Answer:
        address = self.console.address
        connection = http.client.HTTPConnection(address.host, address.port, timeout=30)
        sent = {"Host": address.netloc, **({"Cookie": self.cookie} if self.cookie else {})}
        try:
            connection.request(method, path, body=body, headers={**sent, **(headers or {})})
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read().decode())
        finally:
            connection.close()

    def sign_in(self) -> Answer:
        answer = self.request("GET", f"/?token={self.console.keys.token}")
        cookie = SimpleCookie(answer.headers["Set-Cookie"])
        self.cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookie.items())
        return answer

    def csrf(self, path: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.request("GET", path).body)
        assert match, "the page has no CSRF field"
        return match.group(1)


################################################################################
# Fixtures
################################################################################


@pytest.fixture
def messages(transform: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Ana's delivered and bounced messages, one to ana and ben tagged ORD-1042, two SMS."""
    monkeypatch.setenv("CORRELATION_KEY", "order_id")
    feed(
        transform,
        ses("Send", "m-delivered", NOW, destination=[ANA]),
        ses("Delivery", "m-delivered", NOW + 1000, destination=[ANA], named=[ANA]),
        ses("Send", "m-bounced", NOW + 2000, destination=[ANA]),
        ses("Bounce", "m-bounced", NOW + 3000, destination=[ANA], named=[ANA]),
        ses("Send", "m-two", NOW + 4000, destination=[ANA, BEN], tags={"order_id": ORDER}),
        ses(
            "Delivery", "m-two", NOW + 5000, destination=[ANA, BEN], named=[ANA], sent_ms=NOW + 4000
        ),
        ses("Bounce", "m-two", NOW + 6000, destination=[ANA, BEN], named=[BEN], sent_ms=NOW + 4000),
        sms_v2("TEXT_DELIVERED", "sms-1", NOW + 8000),
        sms_v2("TEXT_CARRIER_UNREACHABLE", "sms-failed", NOW + 8500),
    )
    return transform


@pytest.fixture
def api(messages: Any, query: Any) -> Iterator[str]:
    with LocalApi(query) as server:
        yield server.url


@pytest.fixture
def console(api: str) -> Iterator[RunningConsole]:
    with started("--api-url", api, "--no-sign", "--interval", "0.2") as (running, _):
        yield running


@pytest.fixture
def client(console: RunningConsole) -> Client:
    signed_in = Client(console)
    assert signed_in.sign_in().status == 303
    return signed_in


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: the console's browser tests need Debian's chromium "
            "(apt-get install -y chromium; .ci/run installs it)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, console: RunningConsole) -> Iterator[Page]:
    """A signed-in page; any script error on it fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda message: errors.extend(script_errors(message)))
    opened.goto(console.sign_in_url)
    yield opened
    context.close()
    assert errors == []


def script_errors(message: ConsoleMessage) -> list[str]:
    """A console error (a CSP violation, a failing script), but not an HTTP error status."""
    if message.type != "error" or message.text.startswith("Failed to load resource"):
        return []
    return [message.text]


def table_rows(page: Page) -> dict[str, str]:
    """Message id -> status badge, from the list on the page."""
    rows = page.locator("table.messages tbody tr")
    return {
        rows.nth(i).locator("th a").inner_text(): rows.nth(i)
        .locator("td[data-label=Status] .badge")
        .inner_text()
        for i in range(rows.count())
    }


def search(page: Page, text: str) -> None:
    """Type into the search box and press Enter, as a keyboard user would.

    Returns once the answer has loaded: reading the page before that would read the page
    the search was typed into (a race a loaded machine loses).
    """
    box = page.get_by_label("Message id, recipient or correlation id")
    box.fill(text)
    box.press("Enter")
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == [text])


def follow(page: Page, link: str) -> None:
    """Click the link named ``link`` and return once the page it leads to has loaded."""
    before = page.url
    page.get_by_role("link", name=link).click()
    page.wait_for_url(lambda url: url != before)


################################################################################
# In the browser
################################################################################


def test_search_by_recipient_then_a_message_in_full(page: Page) -> None:
    search(page, "  Ana@Example.com ")

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Recipient ana@example.com")
    expect(heading).to_be_focused()  # a screen reader starts with what was found
    expect(page.locator(".searched")).to_contain_text("Searched by recipient")
    expect(page.locator(".suppression .badge")).to_have_text("NOT SUPPRESSED")
    # Each row by ana's own outcome: m-two bounced for ben, but reached ana.
    assert table_rows(page) == {
        "m-two": "DELIVERED",
        "m-bounced": "HARD_BOUNCED",
        "m-delivered": "DELIVERED",
    }

    page.get_by_role("link", name="m-two").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Message m-two")
    expect(page.locator("#message-live .status-line")).to_have_text(
        "HARD_BOUNCED final: not delivered"
    )
    expect(page.get_by_role("status")).to_have_text("Final: this status will not change.")
    recipients = page.locator(".recipients tbody tr")
    expect(recipients).to_have_count(2)
    expect(recipients.nth(0)).to_contain_text(ANA)
    expect(recipients.nth(0).locator(".badge")).to_have_text("DELIVERED")
    expect(recipients.nth(1)).to_contain_text(BEN)
    expect(recipients.nth(1).locator(".badge")).to_have_text("HARD_BOUNCED")
    events = page.locator("ol.events > li")
    expect(events.locator(".what strong")).to_have_text(["Sent", "Delivered", "Hard bounce"])
    expect(events.nth(1)).to_contain_text("250 2.6.0 Message received")
    expect(events.nth(2)).to_contain_text("Permanent/General")
    expect(events.nth(2).locator(".description")).to_have_text(f"smtp; 550 5.1.1 <{BEN}>")
    expect(events.nth(2).locator(".named")).to_have_text(f"For: {BEN}")
    expect(events.nth(2).locator("time")).to_have_attribute("datetime", re.compile(r"^20\d\d-"))
    expect(page.locator(".facts")).to_contain_text("email (ses)")
    expect(page.get_by_role("link", name=ORDER)).to_be_visible()

    page.get_by_role("link", name="Back to the list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recipient ana@example.com")


def test_a_suppressed_recipient_shows_since_when_why_and_the_message_that_caused_it(
    page: Page,
) -> None:
    suppress(BEN, message_id="m-two", feedback_id="fb-1", at=1_796_000_000)
    search(page, "Ben@Example.org")

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Recipient {BEN}")
    panel = page.get_by_role("region", name="Amazon SES suppression list")
    expect(panel.locator(".status-line")).to_have_text(
        "SUPPRESSED Amazon SES does not deliver to this address"
    )
    terms, values = panel.locator("dt").all_inner_texts(), panel.locator("dd").all_inner_texts()
    facts = dict(zip(terms, values, strict=True))
    assert facts["List"] == "account-level (this account and Region)"
    assert (facts["Reason"], facts["Since"], facts["Listed as"]) == (
        "BOUNCE",
        "2026-11-30T00:53:20.000Z",
        BEN,
    )
    assert facts["Caused by"] == "m-two HARD_BOUNCED"
    expect(page.get_by_role("status")).to_have_text(
        "On this page: 0 delivered, 1 not delivered, 0 not final, of 1 message, each by this "
        "recipient's own outcome."
    )
    assert table_rows(page) == {"m-two": "HARD_BOUNCED"}
    expect(page.get_by_role("columnheader", name="Status for this recipient")).to_be_visible()

    panel.get_by_role("link", name="m-two").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Message m-two")
    page.get_by_role("link", name="Back to the list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Recipient {BEN}")


def test_a_cause_we_never_stored_and_an_unreachable_ses_are_said_plainly(
    page: Page,
    console: RunningConsole,
    query: Any,
    monkeypatch: pytest.MonkeyPatch,
    refused_url: str,
) -> None:
    suppress(ANA, "COMPLAINT", message_id="sent-before-the-module")
    page.goto(f"{console.url}find?q={ANA}")
    panel = page.get_by_role("region", name="Amazon SES suppression list")
    expect(panel.locator(".cause dd")).to_have_text(
        "sent-before-the-module not in the status table (sent before it, or expired)"
    )

    monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", refused_url)
    query.restart()  # a cold start: its SES client goes nowhere
    page.goto(f"{console.url}find?q={ANA}")
    expect(panel.locator(".status-line")).to_have_text(
        "UNKNOWN Amazon SES could not be asked: try again in a minute"
    )
    expect(panel).to_contain_text("EndpointConnectionError")
    assert len(table_rows(page)) == 3, "the messages are listed all the same"

    page.goto(f"{console.url}find?q=%2B1%20(425)%20555-0100")
    expect(panel.locator(".status-line")).to_have_text(
        "NOT APPLICABLE a phone number: SES lists hold emails"
    )


def test_the_recipient_page_reads_well_in_every_state(
    page: Page,
    console: RunningConsole,
    query: Any,
    monkeypatch: pytest.MonkeyPatch,
    refused_url: str,
) -> None:
    """Contrast (4.5:1) and keyboard on the new panel: suppressed, then unknown."""
    suppress(BEN, message_id="m-two")
    page.goto(f"{console.url}find?q={BEN}")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="m-two").first).to_be_focused()  # the cause first
    low = [(what, round(ratio, 2)) for what, ratio in page.evaluate(CONTRAST) if ratio < 4.5]
    assert low == []

    monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", refused_url)
    query.restart()
    for address in (ANA, "+14255550100"):
        page.goto(f"{console.url}find?" + urlencode({"q": address}))
        low = [(what, round(ratio, 2)) for what, ratio in page.evaluate(CONTRAST) if ratio < 4.5]
        assert low == [], address


def test_a_suppression_entry_holding_markup_is_shown_as_text(
    page: Page, console: RunningConsole
) -> None:
    suppress(HOSTILE_RECIPIENT, message_id=HOSTILE, feedback_id=HOSTILE)
    page.goto(f"{console.url}find?" + urlencode({"q": HOSTILE_RECIPIENT, "by": "recipient"}))
    panel = page.get_by_role("region", name="Amazon SES suppression list")
    expect(panel.locator(".status-line .badge")).to_have_text("SUPPRESSED")
    expect(panel).to_contain_text(HOSTILE_RECIPIENT.lower())
    expect(panel.locator(".cause dd")).to_contain_text(HOSTILE)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#main script, #main img, #main svg").count() == 0


def test_a_message_that_becomes_final_is_shown_without_a_reload(
    page: Page, console: RunningConsole, messages: Any
) -> None:
    feed(messages, ses("Send", "m-late", NOW + 9000, destination=[BEN]))
    page.goto(f"{console.url}messages/m-late")
    expect(page.locator("#message-live .badge").first).to_have_text("SENT")
    live = page.get_by_role("status")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_contain_text("Not final yet")
    expect(page.locator("#refresh-detail")).to_contain_text("Next check in")
    page.evaluate("window.__same_page = true")

    feed(messages, ses("Delivery", "m-late", NOW + 9500, destination=[BEN], named=[BEN]))

    expect(page.locator("#message-live .status-line .badge")).to_have_text("DELIVERED")
    expect(live).to_have_text(
        "Status now DELIVERED (final: delivered). Checks stopped: this status will not change."
    )
    expect(page.locator("ol.events .what strong")).to_have_text(["Sent", "Delivered"])
    expect(page.get_by_role("button", name="Check now")).to_be_hidden()
    assert page.evaluate("window.__same_page") is True  # the page was not reloaded


def test_a_message_not_recorded_yet_appears_when_its_first_event_does(
    page: Page, console: RunningConsole, messages: Any
) -> None:
    response = page.goto(f"{console.url}messages/m-soon")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("status")).to_contain_text("No events are recorded for this id yet")

    feed(messages, ses("Send", "m-soon", NOW + 9000, destination=[ANA]))

    expect(page.locator("#message-live .status-line .badge")).to_have_text("SENT")
    expect(page.get_by_role("status")).to_contain_text("Status now SENT, not final yet")


def test_export_of_the_listed_messages_as_csv(page: Page, tmp_path: Path) -> None:
    search(page, ANA)
    listed = table_rows(page)

    with page.expect_download() as download:
        page.get_by_role("button", name="Export this list as CSV").click()
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)

    assert re.fullmatch(r"messages-\d{8}T\d{6}Z\.csv", download.value.suggested_filename)
    rows = list(csv.DictReader(saved.read_text(encoding="utf-8").splitlines()))
    assert [row["message_id"] for row in rows] == list(listed)  # in the listed order
    # The file holds each message's own status (the page shows ana's), and each recipient's.
    assert {row["message_id"]: row["status"] for row in rows} == {
        **listed,
        "m-two": "HARD_BOUNCED",
    }
    two = next(row for row in rows if row["message_id"] == "m-two")
    assert two["is_final"] == "true"
    assert two["correlation_id"] == ORDER
    assert two["recipients"] == f"{ANA} DELIVERED; {BEN} HARD_BOUNCED"
    assert two["sent_at"].startswith(datetime.fromtimestamp(NOW / 1000, UTC).strftime("%Y-%m-%d"))


def test_window_lists_failed_messages(page: Page) -> None:
    page.get_by_label("Status").select_option("failed")
    page.get_by_label("Reached in").select_option("24h")
    expect(page.get_by_label("Since (UTC, custom range)")).to_be_hidden()
    page.get_by_role("button", name="List messages").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Failed messages")
    expect(page.get_by_text("Status reached between")).to_be_visible()
    assert table_rows(page) == {
        "sms-failed": "FAILED",
        "m-two": "HARD_BOUNCED",
        "m-bounced": "HARD_BOUNCED",
    }

    page.get_by_label("Channel").select_option("email")
    page.get_by_role("button", name="List messages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Failed emails")
    assert table_rows(page) == {"m-two": "HARD_BOUNCED", "m-bounced": "HARD_BOUNCED"}

    page.get_by_label("Reached in").select_option("custom")
    expect(page.get_by_label("Since (UTC, custom range)")).to_be_visible()


def test_stored_markup_is_shown_as_text_and_never_runs(
    page: Page, console: RunningConsole, messages: Any
) -> None:
    to = [ANA, HOSTILE_RECIPIENT]
    delay = ses("DeliveryDelay", "m-evil", NOW + 9500, destination=to, named=to, sent_ms=NOW + 9000)
    feed(
        messages,
        ses("Send", "m-evil", NOW + 9000, destination=to),
        hostile(delay, "deliveryDelay", "delayedRecipients"),
    )
    search(page, ANA)
    expect(page.locator("table.messages")).to_contain_text(HOSTILE_RECIPIENT)
    page.get_by_role("link", name="m-evil").click()
    expect(page.locator("ol.events .description")).to_have_text([HOSTILE])

    # The page refreshes itself (the delay is not final): the new part comes from the server too.
    bounce = ses("Bounce", "m-evil", NOW + 9900, destination=to, named=[ANA], sent_ms=NOW + 9000)
    feed(messages, hostile(bounce, "bounce", "bouncedRecipients"))
    expect(page.locator("#message-live .status-line .badge")).to_have_text("HARD_BOUNCED")

    expect(page.locator("ol.events .description")).to_have_text([HOSTILE, HOSTILE])
    expect(page.get_by_text(HOSTILE).first).to_be_visible()
    expect(page.locator(".recipients")).to_contain_text(HOSTILE_RECIPIENT)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#main script, #main img, #main svg").count() == 0


def test_keyboard_screen_reader_and_narrow_window(page: Page, console: RunningConsole) -> None:
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(
        page.get_by_role("searchbox", name="Message id, recipient or correlation id")
    ).to_be_focused()
    page.keyboard.type(ANA)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Recipient {ANA}")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="m-two")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Message m-two")).to_be_focused()

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{console.url}find?q={ANA}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    row = page.locator("table.messages tbody tr").first
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"  # a card per message
    label = "td => getComputedStyle(td, '::before').content"
    assert row.locator("td[data-label=Status]").evaluate(label) == '"Status"'
    page.goto(f"{console.url}messages/m-two")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


CONTRAST = """() => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const selector = ".badge, .hint, .meaning, .api, button, a, th, td, dt, .offset, .problem h2";
  return [...document.querySelectorAll(selector)].map((el) => {
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    return [el.tagName + "." + el.className, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
}"""


def test_text_contrast_is_at_least_4_5_to_1(page: Page, console: RunningConsole) -> None:
    for path in (f"find?q={ANA}", "messages/m-two", "window?status=failed&cursor=x"):
        page.goto(console.url + path)
        low = [(what, round(ratio, 2)) for what, ratio in page.evaluate(CONTRAST) if ratio < 4.5]
        assert low == [], path


################################################################################
# Searching, and the states that are not results
################################################################################


def test_pages_follow_the_apis_cursor(api: str, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    with started("--api-url", api, "--no-sign", "--page-size", "2") as (console, _):
        page.goto(console.sign_in_url)
        search(page, ANA)
        expect(page.get_by_role("status")).to_have_text(
            "On this page: 1 delivered, 1 not delivered, 0 not final, of 2 messages, each by "
            "this recipient's own outcome. There are more on the next page."
        )
        first = table_rows(page)
        follow(page, "Next page")
        expect(page.get_by_role("link", name="First page")).to_be_visible()
        rest = table_rows(page)
        assert list(first) + list(rest) == ["m-two", "m-bounced", "m-delivered"]

        page.goto(f"{console.url}window?status=failed&range=24h")
        first = table_rows(page)
        follow(page, "Next page")
        expect(page.get_by_role("heading", level=1)).to_have_text("Failed messages")
        assert len(first) == 2
        assert set(first) | set(table_rows(page)) == {"sms-failed", "m-two", "m-bounced"}
    context.close()


def test_an_id_is_looked_up_then_a_correlation_id(client: Client) -> None:
    by_id = client.request("GET", "/find?q=m-bounced")
    assert by_id.status == 200
    assert 'Searched by message id <q class="mono">m-bounced</q>: found' in by_id.body
    assert 'id="message-live"' in by_id.body

    by_correlation = client.request("GET", f"/find?q={ORDER}")
    assert by_correlation.status == 200
    assert f'Searched by message id <q class="mono">{ORDER}</q>: no message has this id' in (
        by_correlation.body
    )
    assert f'Searched by correlation id <q class="mono">{ORDER}</q>: 1 message' in (
        by_correlation.body
    )
    assert ">m-two</a>" in by_correlation.body

    phone = client.request("GET", "/find?" + urlencode({"q": "+1 (425) 555-0100"}))
    assert "Searched by recipient" in phone.body


def test_empty_results_say_so(client: Client) -> None:
    for path in ("/find?q=nobody%40example.com", "/find?q=no-such-id"):
        answer = client.request("GET", path)
        assert answer.status == 200
        assert 'class="empty" role="status">No messages found.' in answer.body


def select_values(html: str, select_id: str) -> list[str]:
    block = html.split(f'<select id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"', block)


def test_the_window_form_offers_what_the_api_searches_by(client: Client) -> None:
    """The form offers the model's groups and window statuses, each of which the API's search
    takes, on either channel when it is one of that channel's (else the page says why)."""
    home = client.request("GET", "/").body
    offered = select_values(home, "status")
    assert offered == [*lookup.STATUS_GROUPS, *lookup.WINDOW_STATUSES]
    assert select_values(home, "channel") == ["", *lookup.CHANNELS]
    for status in offered:
        for channel in ("", *lookup.CHANNELS):
            query = urlencode({"status": status, "channel": channel})
            answer = client.request("GET", f"/window?{query}")
            takes = not channel or status in (*model.Group, *model.WINDOW_STATUSES[channel])
            assert answer.status == (200 if takes else 400), (status, channel)


def test_the_window_narrows_to_a_sender_account_and_region(client: Client, messages: Any) -> None:
    feed(
        messages,
        eventbridge(ses("Send", "m-shop", NOW + 9000, destination=[ANA]), SHOP, "eu-west-1"),
        eventbridge(ses("Bounce", "m-shop", NOW + 9500, destination=[ANA]), SHOP, "eu-west-1"),
    )
    failed = client.request("GET", "/window?status=failed").body
    assert "m-shop" in failed
    assert "m-bounced" in failed
    narrowed = client.request("GET", f"/window?status=failed&account={SHOP}&region=eu-west-1")
    assert narrowed.status == 200
    assert "m-shop" in narrowed.body
    assert "m-bounced" not in narrowed.body
    assert f'name="account" value="{SHOP}"' in narrowed.body  # the form keeps the filter
    shown = client.request("GET", "/messages/m-shop").body
    assert f"{SHOP} in eu-west-1" in shown
    bad = client.request("GET", "/window?status=failed&account=shop")
    assert bad.status == 400
    assert "not an AWS account id" in bad.body


def test_an_api_error_shows_the_apis_own_message(client: Client) -> None:
    answer = client.request("GET", "/window?status=failed&cursor=not-a-cursor")
    assert answer.status == 400
    assert 'role="alert"' in answer.body
    assert "The API answered 400" in answer.body
    assert "cursor is not one this search made: start again without it" in answer.body

    bad = client.request("GET", "/window?status=failed&range=custom&since=yesterday")
    assert bad.status == 400
    assert "since is not a date and time" in bad.body


def test_an_unreachable_api_is_explained(query: Any, refused_url: str) -> None:
    closed = refused_url
    with started("--api-url", closed, "--no-sign") as (console, _):
        client = Client(console)
        client.sign_in()
        answer = client.request("GET", "/find?q=m-1")
    assert answer.status == 502
    assert "The API cannot be reached" in answer.body
    assert f"cannot reach {closed}/messages/m-1" in answer.body


def test_missing_and_refused_credentials_are_explained(query: Any) -> None:
    def no_credentials() -> Any:
        raise NoCredentials("no AWS credentials found to sign the request (SigV4)")

    refused = {"message": "The security token included in the request is expired"}
    with (
        stub_api(403, refused) as (url, _),
        started("--api-url", url, "--region", "us-east-1", credentials=no_credentials) as (
            console,
            result,
        ),
    ):
        client = Client(console)
        client.sign_in()
        missing = client.request("GET", "/find?q=m-1")
    assert "msgstatus: warning: no AWS credentials found" in result.err
    assert missing.status == 503
    assert "No AWS credentials" in missing.body

    with stub_api(403, refused) as (url, _), started("--api-url", url, "--token", "t") as (c, _):
        client = Client(c)
        client.sign_in()
        expired = client.request("GET", "/find?q=m-1")
    assert "The API refused the credentials (403)" in expired.body
    assert "The security token included in the request is expired" in expired.body


def test_requests_are_signed_by_the_server_and_credentials_stay_there(query: Any) -> None:
    key = ReadOnlyCredentials("AKIDCONSOLETEST", "console-secret-key", "console-session-token")
    with (
        stub_api(200, {"messages": [], "next_cursor": None}) as (url, received),
        started("--api-url", url, "--region", "eu-west-1", credentials=lambda: key) as (c, out),
    ):
        client = Client(c)
        client.sign_in()
        answer = client.request("GET", "/find?q=ana%40example.com")
    authorization = received[-1]["headers"]["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDCONSOLETEST/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization
    assert received[-1]["headers"]["x-amz-security-token"] == "console-session-token"
    for secret in ("AKIDCONSOLETEST", "console-secret-key", "console-session-token"):
        assert secret not in answer.body
    assert "signed with your AWS credentials (SigV4, eu-west-1)" in answer.body
    assert "SigV4, eu-west-1" in out.err


def test_credentials_are_read_again_after_the_api_refused_them(query: Any) -> None:
    loads: list[int] = []

    def credentials() -> Any:
        loads.append(1)
        return ReadOnlyCredentials(f"AKID{len(loads)}", "secret", None)

    refused = {"message": "The security token included in the request is expired"}
    with (
        stub_api(403, refused) as (url, received),
        started("--api-url", url, "--region", "us-east-1", credentials=credentials) as (c, _),
    ):
        client = Client(c)
        client.sign_in()
        assert len(loads) == 1  # checked once at start, then kept
        client.request("GET", "/messages/m-1")
        client.request("GET", "/messages/m-1")
    assert len(loads) == 2  # the first 403 made the console read them again for the second
    assert [e["headers"]["authorization"].split("/")[0] for e in received] == [
        "AWS4-HMAC-SHA256 Credential=AKID1",
        "AWS4-HMAC-SHA256 Credential=AKID2",
    ]


################################################################################
# Security
################################################################################


def test_every_request_needs_the_token_then_the_cookie(console: RunningConsole) -> None:
    client = Client(console)
    for path in ("/", "/find?q=m-two", "/messages/m-two", "/live/m-two", "/static/console.js"):
        assert client.request("GET", path).status == 401, path
    assert client.request("GET", "/?token=" + "x" * 43).status == 401

    signed_in = client.request("GET", f"/find?q=m-two&token={console.keys.token}")
    assert signed_in.status == 303
    assert signed_in.headers["Location"] == "/find?q=m-two"  # the token leaves the URL
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    client.sign_in()
    assert client.request("GET", "/find?q=m-two").status == 200
    assert client.request("GET", "/static/console.js").status == 200

    client.cookie = client.cookie.rsplit(".", 1)[0] + ".forged"
    assert client.request("GET", "/").status == 401


def test_a_foreign_host_header_is_refused(client: Client, console: RunningConsole) -> None:
    port = console.address.port
    for host in (f"evil.example:{port}", f"localhost:{port}", "127.0.0.1", f"127.0.0.1:{port}0"):
        answer = client.request("GET", "/", headers={"Host": host})
        assert answer.status == 400, host
        assert "answers only at" in answer.body
    token = client.request("GET", f"/?token={console.keys.token}", headers={"Host": "evil.example"})
    assert token.status == 400
    assert "Set-Cookie" not in token.headers


def test_a_post_without_the_csrf_token_is_refused(client: Client) -> None:
    token = client.csrf(f"/find?q={ANA}")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    ids = urlencode([("id", "m-two"), ("id", "m-delivered")])

    assert client.request("POST", "/export", form, ids).status == 403
    wrong = urlencode({"csrf_token": "x" * len(token)}) + "&" + ids
    assert client.request("POST", "/export", form, wrong).status == 403
    right = urlencode({"csrf_token": token}) + "&" + ids
    foreign = {**form, "Origin": "http://evil.example"}
    assert client.request("POST", "/export", foreign, right).status == 403
    cross_site = {**form, "Origin": "null", "Sec-Fetch-Site": "cross-site"}
    assert client.request("POST", "/export", cross_site, right).status == 403

    same_origin = {**form, "Origin": client.console.address.origin}
    answer = client.request("POST", "/export", same_origin, right)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert [line.split(",")[0] for line in answer.body.splitlines()] == [
        "message_id",
        "m-two",
        "m-delivered",
    ]


def test_security_headers_on_every_answer(client: Client) -> None:
    anonymous = Client(client.console)
    for answer in (
        client.request("GET", "/"),
        client.request("GET", "/static/console.js"),
        client.request("GET", "/live/m-two"),
        anonymous.request("GET", "/"),
        client.request("GET", "/", headers={"Host": "evil.example"}),
    ):
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'none'")
    page = client.request("GET", "/").body
    assert "<script>" not in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/console.js" defer>']


def test_the_command_prints_the_url_and_opens_a_browser(api: str) -> None:
    opened: list[str] = []
    with started("--api-url", api, "--no-sign", "--open", open_browser=opened.append) as (c, out):
        url = out.out.strip()
    assert re.fullmatch(rf"http://127\.0\.0\.1:{c.address.port}/\?token=[\w-]{{40,}}", url)
    assert opened == [url]
    assert f"console for {api} (unsigned requests)" in out.err


def test_listening_beyond_loopback_needs_allow_remote(api: str) -> None:
    def run(*argv: str) -> Result:
        stdout, stderr = io.StringIO(), io.StringIO()
        runtime = Runtime(stdout=stdout, stderr=stderr, serve_console=lambda _: None)
        code = main(["ui", "--api-url", api, "--no-sign", *argv], runtime)
        return Result(code, stdout.getvalue(), stderr.getvalue())

    refused = run("--host", "192.0.2.10")
    assert refused.code == 2
    assert refused.out == ""
    assert "is not a loopback address" in refused.err
    assert "--allow-remote" in refused.err

    allowed = run("--host", "192.0.2.10", "--allow-remote")  # TEST-NET: not this machine's
    assert "WARNING: the console listens on 192.0.2.10, which other machines can reach" in (
        allowed.err
    )
    assert "cannot listen on 192.0.2.10" in allowed.err  # it did try
    assert allowed.code == 2

    every = run("--host", "0.0.0.0", "--allow-remote")  # noqa: S104 - refused, as tested
    assert every.code == 2
    assert "listens on every interface" in every.err
    assert bind_host("localhost", allow_remote=False) == ("127.0.0.1", None)
    assert bind_host("::1", allow_remote=False) == ("::1", None)


################################################################################
# Pure parts
################################################################################


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ana@example.com", (lookup.By.RECIPIENT,)),
        ("+1 (425) 555-0156", (lookup.By.RECIPIENT,)),
        ("+44.20.7946.0958", (lookup.By.RECIPIENT,)),
        ("010001907d8e1c2b-5d0f7a12-000000", (lookup.By.MESSAGE_ID, lookup.By.CORRELATION_ID)),
        ("ORD-1042", (lookup.By.MESSAGE_ID, lookup.By.CORRELATION_ID)),
        ("+", (lookup.By.MESSAGE_ID, lookup.By.CORRELATION_ID)),
        ("+abc", (lookup.By.MESSAGE_ID, lookup.By.CORRELATION_ID)),
        ("4255550156", (lookup.By.MESSAGE_ID, lookup.By.CORRELATION_ID)),
    ],
)
def test_the_search_box_decides_by_shape(text: str, expected: tuple[lookup.By, ...]) -> None:
    assert lookup.plan(lookup.find_request(text)) == expected


def test_the_search_box_refuses_what_no_search_takes() -> None:
    for text in ("", "   ", "a\x00b", "x" * 321):
        with pytest.raises(lookup.InputError):
            lookup.find_request(text)
    assert lookup.plan(lookup.find_request("ORD-1", cursor="c")) == (lookup.By.CORRELATION_ID,)
    assert lookup.plan(lookup.find_request("a@b.c", "message_id")) == (lookup.By.MESSAGE_ID,)


def test_a_named_range_becomes_an_absolute_window() -> None:
    now = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)
    window = lookup.window_request({"status": "HARD_BOUNCED", "range": "1h"}, now)
    assert window.api_params(50) == {
        "status": "HARD_BOUNCED",
        "since": "2026-11-23T08:30:15Z",
        "until": "2026-11-23T09:30:15Z",
        "limit": "50",
    }
    assert window.page_params("C")["range"] == "custom"
    custom = lookup.window_request(
        {"range": "custom", "since": "2026-11-23T08:00", "until": "2026-11-23T10:00+01:00"}, now
    )
    assert (lookup.api_time(custom.since), lookup.api_time(custom.until)) == (
        "2026-11-23T08:00:00Z",
        "2026-11-23T09:00:00Z",
    )
    for fields in (
        {"status": "DELIVERED"},
        {"range": "2h"},
        {"channel": "fax"},
        {"range": "custom", "since": "2026-11-23T10:00", "until": "2026-11-23T09:00"},
        {"range": "custom", "since": "2026-11-23"},
    ):
        with pytest.raises(lookup.InputError):
            lookup.window_request(fields, now)


def test_csv_cells_never_become_formulas() -> None:
    document = {
        "message_id": '=HYPERLINK("http://evil.example")',
        "status": "SENT",
        "correlation_id": "@SUM(A1)",
        "recipients": {"+14255550156": {"status": "DELIVERED", "is_final": True}},
    }
    row = next(csv.reader(views.csv_text([document]).splitlines()[1:]))
    assert row[0] == '\'=HYPERLINK("http://evil.example")'
    assert row[7] == "'@SUM(A1)"
    assert row[8] == "'+14255550156 DELIVERED"  # a spreadsheet would read "+1425..." as a formula
    assert views.safe_cell("+14255550156") == "+14255550156"
    assert views.safe_cell("-1") == "-1"
    assert views.safe_cell("-1+cmd|' /C calc'!A0") == "'-1+cmd|' /C calc'!A0"


def test_badges_say_what_a_status_means() -> None:
    assert views.badge({"status": "DELIVERED", "is_final": True}).tone == "ok"
    assert views.badge({"status": "SENT", "is_final": True}).meaning == "final: not delivered"
    assert views.badge({"status": "DELAYED", "is_final": False}).tone == "wait"
    assert views.offset("2026-11-23T00:00:01.850Z", "2026-11-23T00:00:00.000Z") == "+1.85 s"
    assert views.offset("2026-11-23T02:05:00.000Z", "2026-11-23T00:00:00.000Z") == "+2 h 5 min"


def test_links_to_a_message_escape_its_id() -> None:
    assert views.message_href("a/b?c#d") == "/messages/a%2Fb%3Fc%23d"


def test_the_readme_screenshot_is_taken_by_its_script(browser: Browser, tmp_path: Path) -> None:
    """docs/console.png comes from devkit.screenshot (`make screenshot`), not from a hand."""
    from devkit import screenshot  # noqa: PLC0415 - imports moto and the handlers

    out = tmp_path / "console.png"
    screenshot.take(browser, out)
    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width == 1280
    assert height > 800  # full page: the timeline of the bounced message is below the fold
