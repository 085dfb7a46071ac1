"""`make demo`: the whole pipeline on a local AWS emulator, from events to a status answer.

1. starts a moto server on a free loopback port;
2. applies examples/basic to it through devkit.stack (terraform output goes to a
   named log); the emulator has no SES v2 event destinations, so a Pinpoint
   project stands in for the example's SES configuration set (devkit.stack);
3. feeds an out-of-order timeline of the last few minutes, with a duplicate and
   a garbage record, through the transform code the emulator holds, acting as
   Firehose would (base64 batches in; Ok records to the archive prefix,
   failures to the error prefix);
4. publishes the status changes: reads the table's stream and invokes the
   deployed stream function with it as its event-source mapping would (the
   emulator runs no mappings), and prints the "Message Status Changed" events
   that a rule on the bus delivered to an SQS queue;
5. serves the deployed query function on http://127.0.0.1:PORT and asks it about
   each message with a real HTTP client, through the module's routes, then
   finds messages without their id: by recipient, by order id, and every
   failure of the last hour;
6. replays the garbage record from errors/ with ``msgstatus replay`` and shows that
   it fails again, with its original data intact;
7. destroys the stack and stops everything (``--keep`` waits for Ctrl-C first;
   ``--ui`` also serves the ``msgstatus ui`` console on the demo's API until then).

Nothing inside our code is mocked: the emulator stands in for AWS only.

    python -m devkit.demo [--port PORT] [--keep] [--ui]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, redirect_stderr, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from msgstatus.main import main as msgstatus_main

from devkit import ROOT, terraform
from devkit.analyze import DEMO_ARCHIVE
from devkit.calls import results, run_firehose_event
from devkit.console import running_console
from devkit.emulator import REGION, moto_server, patched_environ, port_in_use
from devkit.events import firehose_event, pinpoint_email, pinpoint_sms, ses, sms_v2
from devkit.firehose import Destination, deliver, keys
from devkit.local_api import LocalApi
from devkit.stack import Stack, deployed, emulator_files
from devkit.streams import StreamReader, drain
from devkit.terraform import TerraformFailed
from devkit.tfenv import NoProviderSource, terraform_env

# What the demo's terraform needs: the module's own floor (versions.tf).
MIN_TERRAFORM = (1, 5)
DEFAULT_PORT = 8765
STEPS = 7
# The deployed code's own JSON logs and metrics would drown the demo's lines.
QUIET = {
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
EMULATOR_NOTE = (
    "the emulator has no SES v2 event destinations: a Pinpoint project stands in for "
    "the example's SES configuration set"
)
TEAM = ["ana@example.com", "ben@example.org"]
ORDER_ID = "ORD-1042"


class DemoError(Exception):
    """Something the user must fix; printed as one line, no traceback."""


# --- preflight -------------------------------------------------------------------------


def check_terraform() -> str:
    version = terraform.version()
    if version is None:
        raise DemoError("terraform is not installed: install Terraform >= 1.5 and put it on PATH")
    if not version:
        raise DemoError("could not read `terraform version`: reinstall Terraform >= 1.5")
    text = ".".join(map(str, version))
    if version[:2] < MIN_TERRAFORM:
        raise DemoError(f"terraform {text} is older than 1.5: upgrade Terraform")
    return text


def check_port(port: int) -> None:
    if port_in_use(port):
        raise DemoError(
            f"port {port} is in use: stop what uses it, or run `make demo PORT=<free port>`"
        )


def check_providers(config_dir: Path) -> None:
    try:
        terraform_env(config_dir / "terraformrc")
    except NoProviderSource as err:
        raise DemoError(str(err)) from err


# --- output ----------------------------------------------------------------------------


class Console:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.number = 0

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    @contextmanager
    def step(self, title: str) -> Iterator[Callable[[str], None]]:
        self.number += 1
        self.say(f"\n[{self.number}/{STEPS}] {title}")
        start = time.monotonic()

        def detail(message: str) -> None:
            self.say(f"      {message}")

        yield detail
        self.say(f"      done in {time.monotonic() - start:.1f}s")


# --- the timeline ----------------------------------------------------------------------


def base_ms() -> int:
    """The timeline starts 15 minutes ago (on the minute), so "the last hour" finds it."""
    return (int(time.time()) // 60 - 15) * 60_000


def timeline(start_ms: int) -> list[list[Any]]:
    """Two Firehose batches: out of order, one duplicate, one garbage record."""

    def at(seconds: float) -> int:
        return start_ms + int(seconds * 1000)

    def team(event_type: str, seconds: float, named: list[str] | None = None) -> dict[str, Any]:
        """An SES mail to two people, tagged with an order id."""
        return ses(
            event_type,
            "ses-team-0007",
            at(seconds),
            destination=TEAM,
            named=named,
            sent_ms=at(5),
            tags={"order_id": ORDER_ID},
        )

    click = pinpoint_email(
        "_email.click", "email-clicked-0001", at(360), link="https://example.com/offer"
    )
    first = [
        click,
        pinpoint_sms("_SMS.SUCCESS", "sms-delivered-0003", at(25), "DELIVERED"),
        pinpoint_email("_email.hardbounce", "email-bounced-0002", at(12)),
        b"\x89PNG this is not an event",
        ses("Delivery", "ses-delivered-0005", at(40), destination=TEAM[:1], named=TEAM[:1]),
        team("Bounce", 7, named=TEAM[1:]),
    ]
    second = [
        pinpoint_email("_email.open", "email-clicked-0001", at(300)),
        pinpoint_email("_email.send", "email-clicked-0001", at(0)),
        pinpoint_sms("_SMS.BUFFERED", "sms-delivered-0003", at(20), "PENDING"),
        pinpoint_email("_email.send", "email-bounced-0002", at(10)),
        pinpoint_sms("_SMS.FAILURE", "sms-failed-0004", at(33), "CARRIER_UNREACHABLE"),
        pinpoint_sms("_SMS.BUFFERED", "sms-failed-0004", at(30), "PENDING"),
        pinpoint_email("_email.delivered", "email-clicked-0001", at(2), sent_ms=at(0)),
        click,  # a duplicate delivery of the same event
        sms_v2(
            "TEXT_DELIVERED",
            "eum-delivered-0006",
            at(50),
            description="Message delivered to the handset",
        ),
        team("Delivery", 6, named=TEAM[:1]),
        team("Send", 5),
        # after its delivery: order does not matter
        ses("Send", "ses-delivered-0005", at(38), destination=TEAM[:1]),
    ]
    return [first, second]


MESSAGE_IDS = [
    "email-clicked-0001",
    "email-bounced-0002",
    "sms-delivered-0003",
    "sms-failed-0004",
    "ses-delivered-0005",
    "eum-delivered-0006",
    "ses-team-0007",
]


def destination(stack: Stack) -> Destination:
    description = stack.client("firehose").describe_delivery_stream(
        DeliveryStreamName=stack.outputs["delivery_stream_name"]
    )["DeliveryStreamDescription"]
    return Destination.of(description)


def show_firehose_delivery(
    stack: Stack,
    event: dict[str, Any],
    response: dict[str, Any],
    say: Callable[[str], None],
    archive: Path | None = None,
) -> None:
    """Write each result where Firehose writes it (the emulator's Firehose calls no
    processor, devkit.firehose plays that part): Ok lines to the archive, failures,
    with their original data, under errors/."""
    where = destination(stack)
    written = deliver(stack.client("s3"), where, event, response, mirror=archive)
    lines = [base64.b64decode(r["data"]) for r in response["records"] if r["result"] == "Ok"]
    if lines:
        first = json.loads(lines[0])
        say(f"  Ok -> s3://{where.bucket}/{written['Ok']} ({len(lines)} JSON lines), e.g.")
        say(
            f"       {{message_id: {first['message_id']}, source: {first['source']}, kind: {first['kind']}, status: {first['status']}, event_time: {first['event_time']}}}"
        )
    for record in response["records"]:
        if record["result"] == "ProcessingFailed":
            raw = base64.b64decode(record["data"])[:24]
            say(
                f"  ProcessingFailed {record['recordId']} ({raw!r}...) -> "
                f"s3://{where.bucket}/{written['ProcessingFailed']}, with its original data"
            )


def feed_timeline(
    stack: Stack, say: Callable[[str], None], archive: Path | None = None
) -> dict[str, int]:
    """Run every batch through the deployed transform; return result counts."""
    totals: dict[str, int] = {}
    name = stack.outputs["transform_function_name"]
    with stack.function("transform_function_name", QUIET) as transform:
        say(f"transform code: {name}, downloaded from the emulator (CodeSha256 checked)")
        start = 0
        for number, batch in enumerate(timeline(base_ms()), start=1):
            event = firehose_event(batch, start)
            start += len(batch)
            response = run_firehose_event(transform, event)
            counts = {
                result: results(response).count(result) for result in sorted(set(results(response)))
            }
            say(
                f"batch {number}: {len(batch)} records -> "
                + ", ".join(f"{n} {r}" for r, n in counts.items())
            )
            for result, count in counts.items():
                totals[result] = totals.get(result, 0) + count
            show_firehose_delivery(stack, event, response, say, archive)
    return totals


# --- status-change events ------------------------------------------------------------------

MAPPING_NOTE = (
    "the emulator runs no event-source mappings: the demo reads the table's stream with the "
    "dynamodbstreams API and invokes the deployed stream function as its mapping would"
)


def status_rule(stack: Stack) -> str:
    """A rule on the events' bus that delivers every status change to an SQS queue."""
    sqs, events = stack.client("sqs"), stack.client("events")
    url = sqs.create_queue(QueueName="demo-status-changes")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    bus = stack.outputs["event_bus_name"]
    pattern = {
        "source": [stack.outputs["event_source"]],
        "detail-type": [stack.outputs["event_detail_type"]],
    }
    events.put_rule(Name="demo-status-changes", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule="demo-status-changes",
        EventBusName=bus,
        Targets=[{"Id": "queue", "Arn": arn["QueueArn"]}],
    )
    return str(url)


def change_line(detail: dict[str, Any]) -> str:
    previous = detail["previous_status"] or "(new)"
    final = "final" if detail["is_final"] else "not final"
    who = ", ".join(f"{r['recipient']} {r['status']}" for r in detail["recipients"])
    return (
        f"{detail['message_id']:<20} v{detail['version']} {previous:>13} -> "
        f"{detail['status']:<13} {final:<9}  {who}"
    )


def stream_reader(stack: Stack) -> StreamReader:
    """A reader of the table's stream that starts after what is in it now."""
    reader = StreamReader(stack.client("dynamodbstreams"), stack.outputs["table_stream_arn"])
    reader.new_records()
    return reader


def publish_changes(
    stack: Stack, reader: StreamReader, say: Callable[[str], None]
) -> list[dict[str, Any]]:
    """The table's new stream records through the deployed stream function; the events a
    rule received."""
    say(MAPPING_NOTE)
    queue = status_rule(stack)
    records = reader.new_records()
    with stack.function("stream_function_name", QUIET) as stream:
        report = stack.play_stream_mapping(stream.invoke, records)
    events = drain(stack.client("sqs"), queue)
    say(
        f"stream: {report.records_in} records ({report.records_filtered_out} left out by the "
        f"mapping's filter: recipient pointers), {report.invocations} invocation(s), "
        f"{len(report.failed_batches)} batch(es) to the failure queue"
    )
    say(
        f"rule demo-status-changes on the {stack.outputs['event_bus_name']} bus -> SQS: "
        f"{len(events)} Message Status Changed events"
    )
    say("")
    for event in events:
        say(change_line(event["detail"]))
    return events


# --- the query API -----------------------------------------------------------------------


def http_get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def summary_line(document: dict[str, Any]) -> str:
    final = "final" if document["is_final"] else "not final"
    events = sorted(document["events"].items(), key=lambda item: item[1])
    times = " · ".join(f"{kind} {time_[11:23]}" for kind, time_ in events)
    return f"{document['message_id']:<20} {document['channel']:<5} {document['status']:<13} {final:<9}  {times}"


def ask_each_message(api_url: str, say: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    answers = {}
    for message_id in MESSAGE_IDS:
        status, document = http_get(f"{api_url}/messages/{message_id}")
        if status != 200:
            raise DemoError(f"GET /messages/{message_id} answered {status}: {document}")
        answers[message_id] = document
        say(summary_line(document))
    return answers


def searches(now_ms: int) -> dict[str, dict[str, str]]:
    """What support and on-call people ask without a message id."""
    hour_ago = datetime.fromtimestamp((now_ms - 3_600_000) / 1000, UTC)
    return {
        "by recipient": {"recipient": TEAM[1].upper()},
        "by order id": {"correlation_id": ORDER_ID},
        "failed in the last hour": {
            "status": "failed",
            "since": hour_ago.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }


def find_without_ids(api_url: str, say: Callable[[str], None]) -> dict[str, list[str]]:
    found = {}
    for title, params in searches(int(time.time() * 1000)).items():
        url = f"{api_url}/messages?{urllib.parse.urlencode(params)}"
        status, page = http_get(url)
        if status != 200:
            raise DemoError(
                f"GET /messages?{urllib.parse.urlencode(params)} answered {status}: {page}"
            )
        found[title] = [document["message_id"] for document in page["messages"]]
        say(
            f"{title + ':':<25} GET /messages?{urllib.parse.unquote(urllib.parse.urlencode(params))}"
        )
        for document in page["messages"]:
            who = ", ".join(f"{r} {o['status']}" for r, o in document.get("recipients", {}).items())
            say(f"{'':<25}   {document['message_id']:<20} {document['status']:<13} {who}")
    return found


def wait_for_ctrl_c(say: Callable[[str], None]) -> None:
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    say("KEEP=1: the API stays up until you press Ctrl-C")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        signal.signal(signal.SIGINT, previous)


# --- replay ------------------------------------------------------------------------------


def run_cli(stack: Stack, argv: list[str]) -> tuple[int, str]:
    """``msgstatus argv`` against the emulator, as an operator would run it; code and output."""
    credentials = {
        "AWS_ACCESS_KEY_ID": stack.credentials["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": stack.credentials["aws_secret_access_key"],
    }
    out, err = io.StringIO(), io.StringIO()
    environment = patched_environ({**stack.emulator.env, **credentials})
    with environment, redirect_stdout(out), redirect_stderr(err):
        code = msgstatus_main(argv)
    return code, out.getvalue() + err.getvalue()


def replay_failures(stack: Stack, say: Callable[[str], None]) -> dict[str, Any]:
    """`msgstatus replay` sends errors/ back to the stream; the garbage record fails again."""
    where = destination(stack)
    s3 = stack.client("s3")
    before = keys(s3, where.bucket)
    argv = ["replay", "--bucket", where.bucket, "--stream", where.stream, "--region", REGION]
    say(f"$ msgstatus replay --bucket {where.bucket} --stream {where.stream}")
    code, output = run_cli(stack, argv)
    for line in output.strip().splitlines():
        say(f"  {line}")
    # The emulator's Firehose writes what it receives straight to the bucket, without its
    # processor: hand that to the deployed transform, as Firehose would, then deliver.
    archive = where.prefix.split("!", 1)[0]  # moto writes under the unexpanded prefix
    redelivered = sorted(k for k in keys(s3, where.bucket, archive) - before)
    resent = [s3.get_object(Bucket=where.bucket, Key=k)["Body"].read() for k in redelivered]
    for key in redelivered:
        s3.delete_object(Bucket=where.bucket, Key=key)
    say(f"the stream received {len(resent)} record(s); the deployed transform processes them:")
    event = firehose_event(resent, 900)
    with stack.function("transform_function_name", QUIET) as transform:
        response = run_firehose_event(transform, event)
    show_firehose_delivery(stack, event, response, say)
    again = [base64.b64decode(r["data"]) for r in response["records"]]
    say(
        f"it fails again, with its original data intact: {again == resent} "
        f"({', '.join(repr(data[:24]) for data in again)})"
    )
    return {"exit_code": code, "resent": resent, "results": results(response), "output": output}


# --- main ----------------------------------------------------------------------------------


def offer_console(api_url: str, say: Callable[[str], None]) -> None:
    with running_console(api_url) as url:
        say("")
        say("the console (msgstatus ui) on this API; open this address in a browser:")
        say(f"  {url}")
        say(
            f"search for {TEAM[0]}: two messages, one delivered to her and one that bounced "
            f"for {TEAM[1]}"
        )
        wait_for_ctrl_c(say)


def serve_and_ask(
    stack: Stack, port: int, keep: bool, say: Callable[[str], None], *, ui: bool = False
) -> dict[str, Any]:
    name = stack.outputs["query_function_name"]
    with (
        stack.function("query_function_name", QUIET) as query,
        LocalApi(query, port) as api,
    ):
        say(f"{name} (from the emulator) serving {api.url}, routes as deployed")
        say("")
        answers = ask_each_message(api.url, say)
        say("")
        found = find_without_ids(api.url, say)
        example = f"{api.url}/messages/ses-team-0007"
        say("")
        say(f"$ curl -s {example}")
        say(json.dumps(http_get(example)[1], indent=2).replace("\n", "\n      "))
        if keep:
            batch = '{"message_ids": ["sms-delivered-0003", "nope"]}'
            say("")
            say(f"try: curl -s {api.url}/messages/sms-failed-0004")
            say(f"     curl -s -X POST {api.url}/messages/batch-get -d '{batch}'")
            say(f"     curl -s '{api.url}/messages?recipient=ana@example.com'")
            say(f"     curl -s '{api.url}/messages?status=HARD_BOUNCED&channel=email'")
            if ui:
                offer_console(api.url, say)
            else:
                wait_for_ctrl_c(say)
    return {"answers": answers, "found": found}


def exercise(
    stack: Stack,
    console: Console,
    port: int,
    keep: bool,
    archive: Path | None = None,
    *,
    ui: bool = False,
) -> dict[str, Any]:
    """Steps 3 to 6 on a deployed stack: events in, answers out (the demo test runs these).
    With ``archive``, what the demo writes to the bucket is also copied there (for
    `make analyze`)."""
    report: dict[str, Any] = {"outputs": stack.outputs}
    reader = stream_reader(stack)  # a shared deployment may hold other writes already
    with console.step("Feed events through the deployed transform, as Firehose would") as feeding:
        report["results"] = feed_timeline(stack, feeding, archive)
    with console.step("Publish status changes from the table's stream to EventBridge") as pub:
        report["status_events"] = publish_changes(stack, reader, pub)
    with console.step("Ask the deployed query API about each message, then search") as asking:
        report.update(serve_and_ask(stack, port, keep, asking, ui=ui))
    with console.step("Replay the failed record from errors/ with msgstatus replay") as replaying:
        report["replay"] = replay_failures(stack, replaying)
    return report


def run_steps(
    console: Console,
    port: int,
    keep: bool,
    scratch: Path,
    version: str,
    *,
    archive: Path,
    ui: bool = False,
) -> dict[str, Any]:
    with ExitStack() as cleanup:
        with console.step("Start a local AWS emulator (moto)") as started:
            emulator = cleanup.enter_context(moto_server())
            started(f"moto server on {emulator.endpoint_url}; terraform {version}")
        with console.step("Apply examples/basic to the emulator") as applying:
            applying(f"terraform output goes to {scratch / 'terraform.log'}")
            applying(EMULATOR_NOTE)
            stack = cleanup.enter_context(
                deployed(
                    "basic", emulator, scratch, files=emulator_files("basic"), on_step=applying
                )
            )
        try:
            return exercise(stack, console, port, keep, archive, ui=ui)
        finally:
            with console.step("Destroy the stack and stop the emulator") as destroying:
                cleanup.close()
                destroying("stack destroyed, moto server stopped")


def run(port: int, keep: bool, out: TextIO, *, ui: bool = False) -> dict[str, Any]:
    """The whole demo; returns what it saw (the test in make test reads it)."""
    console = Console(out)
    version = check_terraform()
    check_port(port)
    scratch = Path(tempfile.mkdtemp(prefix="message-status-demo-"))
    try:
        check_providers(scratch)
        shutil.rmtree(DEMO_ARCHIVE, ignore_errors=True)  # this run's archive only
        report = run_steps(console, port, keep, scratch, version, archive=DEMO_ARCHIVE, ui=ui)
    except (TerraformFailed, DemoError):
        log = scratch / "terraform.log"
        if log.exists():
            kept = Path(tempfile.gettempdir()) / "message-status-demo-terraform.log"
            shutil.copy(log, kept)
            console.say(f"terraform log kept at {kept}")
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    console.say("\nDemo finished: stack destroyed, servers stopped, temporary files removed.")
    console.say(
        f"Its archive is in {DEMO_ARCHIVE.relative_to(ROOT)}/: `make analyze` runs the named "
        "Athena queries on it with DuckDB."
    )
    if not ui:
        console.say(
            "To look around in the web console (msgstatus ui) while the stack is up: `make demo-ui`."
        )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run the message-status pipeline on a local AWS emulator."
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port for the local API")
    parser.add_argument("--keep", action="store_true", help="leave the API up until Ctrl-C")
    parser.add_argument(
        "--ui", action="store_true", help="--keep, and serve the msgstatus ui console on the API"
    )
    args = parser.parse_args(argv)
    try:
        run(args.port, args.keep or args.ui, sys.stdout, ui=args.ui)
    except DemoError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:  # TerraformFailed and friends: one line, log named
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
