"""`python -m devkit.screenshot`: docs/console.png, the `msgstatus ui` console on a small data set.

1. feeds a delivered and a bounced message to the same recipient through the
   real transform, on a DynamoDB table that moto holds in this process;
2. serves the real query function on loopback (devkit.local_api);
3. starts the console with ``msgstatus ui --no-sign`` against it;
4. has headless Chromium (Debian's, not a downloaded one) search by recipient,
   open the bounced message and save a screenshot of that page.

    python -m devkit.screenshot [--out docs/console.png] [--width 1280] [--chromium PATH]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from devkit import LAMBDA_SRC, ROOT
from devkit.calls import in_process, run_firehose
from devkit.console import running_console
from devkit.emulator import FAKE_CREDENTIALS, patched_environ
from devkit.events import ses
from devkit.local_api import LocalApi
from devkit.ses_suppression import suppression_list_like_ses

CHROMIUM = "/usr/bin/chromium"
RECIPIENT = "jane.doe@example.com"
TABLE = "message-status-screenshot"
QUIET = {
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "MessageStatusScreenshot",
}


def handlers() -> tuple[Any, Any, Any]:
    """The table definition and the transform and query modules (lambda_src on the path)."""
    if str(LAMBDA_SRC) not in sys.path:
        sys.path.insert(0, str(LAMBDA_SRC))
    dynamo = importlib.import_module("devkit.dynamo")
    transform = importlib.import_module("transform.app")
    query = importlib.import_module("query.app")
    return dynamo.table_definition, transform, query


def diagnosed(event: dict[str, Any], body: str, field: str, code: str) -> dict[str, Any]:
    """The event with ``code`` as the SMTP diagnostic of each recipient it names."""
    for entry in event[body][field]:
        entry["diagnosticCode"] = code
    return event


def feed(transform: Any) -> None:
    """A delivered and a bounced message to RECIPIENT, an hour ago; the bounce tagged."""
    start = (int(time.time()) - 3600) * 1000
    ids = ("0100019a7c3e5f21-delivered-000000", "0100019a7c41b7d4-bounced-000000")
    tags = {"order_id": "ORD-1042"}
    common: dict[str, Any] = {
        "destination": [RECIPIENT],
        "named": [RECIPIENT],
        "sent_ms": start + 60_000,
    }
    events = [
        ses("Send", ids[0], start, destination=[RECIPIENT]),
        ses("Delivery", ids[0], start + 1850, destination=[RECIPIENT], named=[RECIPIENT]),
        ses("Send", ids[1], start + 60_000, destination=[RECIPIENT], tags=tags),
        diagnosed(
            ses("DeliveryDelay", ids[1], start + 62_400, **common),
            "deliveryDelay",
            "delayedRecipients",
            "smtp; 452 4.2.2 The recipient's mailbox is full, try again later",
        ),
        diagnosed(
            ses("Bounce", ids[1], start + 95_000, **common),
            "bounce",
            "bouncedRecipients",
            "smtp; 550 5.1.1 The email account that you tried to reach does not exist",
        ),
    ]
    response = run_firehose(in_process(transform.lambda_handler), events)
    if {record["result"] for record in response["records"]} != {"Ok"}:
        raise SystemExit(f"error: the transform did not take every event: {response}")


@contextmanager
def local_api() -> Iterator[str]:
    """The query function on http://127.0.0.1:PORT, over a moto table holding the data set."""
    environment = {**FAKE_CREDENTIALS, **QUIET, "TABLE_NAME": TABLE, "CORRELATION_KEY": "order_id"}
    with patched_environ(environment), mock_aws(), suppression_list_like_ses():
        table_definition, transform, query = handlers()
        boto3.client("dynamodb", region_name="us-east-1").create_table(**table_definition(TABLE))
        feed(transform)
        with LocalApi(in_process(query.lambda_handler)) as api:
            yield api.url


def capture(browser: Any, out: Path, url: str, width: int) -> None:
    """With ``browser`` (a Playwright Browser): the console on ``url``, searched and shot."""
    with running_console(url) as sign_in_url:
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(sign_in_url)
        page.get_by_label("Message id, recipient or correlation id").fill(RECIPIENT)
        page.get_by_role("button", name="Find").click()
        page.get_by_role("link", name="0100019a7c41b7d4-bounced-000000").click()
        page.get_by_role("heading", name="Timeline").wait_for()
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
        page.close()


def take(browser: Any, out: Path, width: int = 1280) -> None:
    """The whole picture: the data set, the local API and the console, shot with ``browser``."""
    os.environ.pop("AWS_ENDPOINT_URL", None)  # moto answers in this process
    with local_api() as url:
        capture(browser, out, url, width)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Take docs/console.png of the msgstatus console.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "console.png")
    parser.add_argument("--width", type=int, default=1280, help="viewport width (CSS pixels)")
    parser.add_argument("--chromium", default=CHROMIUM, help="the Chromium to drive")
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        print(
            f"error: no Chromium at {args.chromium}: apt-get install -y chromium", file=sys.stderr
        )
        return 2
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium)
        try:
            take(browser, args.out, args.width)
        finally:
            browser.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
