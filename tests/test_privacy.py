"""No recipient address, phone number or sender address leaves the functions through X-Ray
traces or their output (logs, metrics), whatever they are asked.

The shipped zips run as Lambda runs them, with tracing active: the X-Ray SDK
sends its segments over UDP to AWS_XRAY_DAEMON_ADDRESS, here a socket on
loopback that keeps everything it receives.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from pathlib import Path

import pytest

from devkit.calls import call_api, results
from devkit.dynamo import table_definition
from devkit.emulator import Emulator, moto_server
from devkit.events import firehose_event, ses, sms_v2
from devkit.firehose import Destination, deliver
from devkit.healing import HealPath
from devkit.lambdas import built_function
from devkit.queues import MappingReport
from devkit.ses_suppression import suppress, suppression_list_like_ses
from devkit.streams import StreamReader
from tests.conftest import TABLE_NAME

RECIPIENT = "pii.alice.recipient@example.org"
CC = "pii.carol.copy@example.org"  # a second recipient: a pointer item is written for her
SENDER = "pii.bob.sender@example.org"
PHONE = "+15555550123"
ORIGINATOR = "+15555550199"
ORDER = "pii-order-4242"  # a correlation id can be personal too (a ticket, an account)
SECRETS = [
    RECIPIENT,
    CC,
    SENDER,
    PHONE,
    PHONE.lstrip("+"),
    ORIGINATOR.lstrip("+"),
    "pii.alice",
    "pii.carol",
    ORDER,
]
T = 1_800_000_000_000
BUCKET = "pii-archive"


class XRayDaemon:
    """A UDP socket standing in for the X-Ray daemon; keeps every datagram."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.datagrams: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        while self.running:
            try:
                self.datagrams.append(self.sock.recv(65_535))
            except TimeoutError:
                continue

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()

    @property
    def segments(self) -> list[dict]:
        # Each datagram is a JSON header line, then the segment document.
        return [json.loads(d.split(b"\n", 1)[1]) for d in self.datagrams if b"\n" in d]


def trace_header() -> str:
    root = f"1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}"
    return f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=1"


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The four functions, traced, after a realistic workload; what the daemon and stdout got."""
    daemon = XRayDaemon()
    output = tmp_path_factory.mktemp("privacy") / "functions.log"
    with moto_server() as emulator, suppression_list_like_ses():
        suppress(CC, message_id="pii-email-1", feedback_id="pii-feedback")
        dynamodb = emulator.client("dynamodb")
        dynamodb.create_table(
            **table_definition(TABLE_NAME),
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        env = {
            **emulator.env,
            "TABLE_NAME": TABLE_NAME,
            "AWS_XRAY_DAEMON_ADDRESS": daemon.address,
            "POWERTOOLS_LOG_LEVEL": "DEBUG",  # the most the functions ever print
            "CORRELATION_KEY": "order_id",
        }
        seen = exercise(emulator, env, output)
    daemon.close()
    return {"daemon": daemon, "output": output, **seen}


def personal_events() -> list[dict]:
    team = [RECIPIENT, CC]
    email = ses("Send", "pii-email-1", T, destination=team, tags={"order_id": ORDER})
    email["mail"]["source"] = SENDER
    delivery = ses("Delivery", "pii-email-1", T + 1000, destination=team, named=team, sent_ms=T)
    delivery["mail"]["source"] = SENDER
    bad = ses("Bounce", "pii-email-2", T)
    bad["bounce"]["bounceType"] = RECIPIENT  # an invalid record full of personal data
    bad["mail"]["destination"] = [RECIPIENT]
    text = sms_v2("TEXT_DELIVERED", "pii-sms-1", T)
    text["destinationPhoneNumber"] = PHONE
    text["originationPhoneNumber"] = ORIGINATOR
    return [email, delivery, bad, text]


def exercise(emulator: Emulator, env: dict, output: Path) -> dict:
    with built_function("transform", env, output=output) as transform:
        transform_response = transform.invoke(
            firehose_event(personal_events()), trace_header=trace_header()
        )
    stream_arn = emulator.client("dynamodb").describe_table(TableName=TABLE_NAME)["Table"][
        "LatestStreamArn"
    ]
    records = StreamReader(emulator.client("dynamodbstreams"), stream_arn).new_records()
    with built_function("stream", env, output=output) as stream:
        stream_response = stream.invoke(
            {"Records": [{k: v for k, v in r.items() if k != "_shard"} for r in records]},
            trace_header=trace_header(),
        )
    with built_function("query", env, output=output) as query:
        answers = [
            call_api(lambda e: query.invoke(e, trace_header=trace_header()), method, path, q, b)
            for method, path, q, b in [
                ("GET", "/messages/pii-email-1", None, None),
                ("GET", "/messages", {"message_id": "pii-sms-1"}, None),
                (
                    "POST",
                    "/messages/batch-get",
                    None,
                    json.dumps({"message_ids": ["pii-email-1", "pii-sms-1"]}),
                ),
                ("GET", f"/messages/{RECIPIENT}", None, None),
                ("GET", "/messages", {"recipient": CC}, None),
                ("GET", "/messages", {"recipient": PHONE}, None),
                ("GET", "/messages", {"correlation_id": ORDER}, None),
                ("GET", "/messages", {"recipient": RECIPIENT + "@"}, None),
                (
                    "POST",
                    "/messages/batch-get",
                    None,
                    json.dumps({"message_ids": [RECIPIENT + "\u0001"]}),
                ),
                # Recipients' pages: SES is asked (and answers NotFoundException, whose
                # message names the address), a suppressed one, a phone, a bad address.
                ("GET", f"/recipients/{RECIPIENT.upper()}", None, None),
                ("GET", f"/recipients/{CC}", None, None),
                ("GET", f"/recipients/{PHONE}", None, None),
                ("GET", f"/recipients/{RECIPIENT}@", None, None),
            ]
        ]
    return {
        "transform_response": transform_response,
        "answers": answers,
        "stream_records": records,
        "stream_response": stream_response,
        "heal_report": heal_everything(emulator, env, output),
    }


def heal_everything(emulator: Emulator, env: dict, output: Path) -> MappingReport:
    """The same records, as if the table had refused them all: the heal function reads them
    from the error output, stores three and parks the invalid one."""
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    with built_function("heal", {**env, "ARCHIVE_BUCKET": BUCKET}, output=output) as heal:
        path = HealPath(
            s3,
            emulator.client("sqs"),
            BUCKET,
            lambda event: heal.invoke(event, trace_header=trace_header()),
        )
        event = firehose_event(personal_events())
        failed = {
            "records": [
                {"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]}
                for r in event["records"]
            ]
        }
        deliver(s3, Destination.module(BUCKET, "pii-events"), event, failed)
        path.run_until_empty()
    return path.report


def test_the_workload_really_ran_traced(traced: dict) -> None:
    """Guard: the assertions below are about real traces of real answers."""
    assert results(traced["transform_response"]) == ["Ok", "Ok", "ProcessingFailed", "Ok"]
    statuses = [status for status, _ in traced["answers"]]
    assert statuses == [200, 200, 200, 404, 200, 200, 200, 400, 400, 200, 200, 200, 400]
    pages = [body for _, body in traced["answers"][9:12]]
    assert [page["suppression"]["state"] for page in pages] == [
        "not_suppressed",
        "suppressed",
        "not_applicable",
    ]
    assert pages[1]["suppression"]["cause"]["message"]["message_id"] == "pii-email-1"
    assert [len(page["messages"]) for page in pages] == [1, 1, 1]
    found = [[m["message_id"] for m in body["messages"]] for _, body in traced["answers"][4:7]]
    assert found == [["pii-email-1"], ["pii-sms-1"], ["pii-email-1"]], "the searches found them"
    assert RECIPIENT in json.dumps(traced["answers"][0][1]), "the API does answer with it"
    assert len(traced["stream_records"]) >= 3, "the stream function saw the writes"
    assert traced["stream_response"] == {"batchItemFailures": []}
    heal = traced["heal_report"]
    assert (heal.invocations, heal.deleted, heal.returned) == (1, 1, 0), "the object was healed"
    names = {segment.get("name") for segment in traced["daemon"].segments}
    assert "## lambda_handler" in names
    assert any(segment.get("namespace") == "aws" for segment in traced["daemon"].segments)


def test_traces_hold_counts_not_personal_data(traced: dict) -> None:
    raw = b"".join(traced["daemon"].datagrams).decode()
    for secret in SECRETS:
        assert secret not in raw, f"{secret} reached X-Ray"
    annotations = {
        key for segment in traced["daemon"].segments for key in segment.get("annotations", {})
    }
    assert {"records", "messages", "records_invalid", "status_code"} <= annotations


def test_nothing_the_functions_print_holds_personal_data(traced: dict) -> None:
    printed = traced["output"].read_text()
    assert "record failed to parse" in printed, "the invalid record was logged"
    assert "record can never be stored" in printed, "and the heal function logged it too"
    for secret in SECRETS:
        assert secret not in printed, f"{secret} reached the logs"
