"""The stream function in-process on moto: table changes in, Message Status Changed events out.

Stream records are built from the items the transform's code writes (the
emulator's stream API is exercised by the apply tests); EventBridge is moto's,
with a rule that delivers every event to an SQS queue. Failures of PutEvents
are injected per entry, as EventBridge reports them, and the mapping that
retries and gives up is devkit.streams, which follows Lambda's documented rules.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from message_status.changes import QUIET_MARKER
from message_status.item import ItemSettings, pointer_items, to_item
from message_status.parse import parse_event
from message_status.record import fold

from devkit.events import ses, sms_v2
from devkit.streams import MappingSettings, drain, record_of, run_mapping
from tests.support import faults

T = 1_800_000_000_000
BOOKKEEPING = ("version", QUIET_MARKER)


class History:
    """Successive items of messages, as the transform writes them, and their stream records."""

    def __init__(self) -> None:
        self.events: dict[str, list[dict]] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.records: list[dict[str, Any]] = []

    def write(self, message_id: str, *new_events: dict, quiet: bool = False) -> None:
        """One transform write of ``message_id`` (skipped, as the transform skips it, if equal);
        ``quiet``: a backfill's write, as the store makes it (changes.QUIET_MARKER)."""
        events = self.events.setdefault(message_id, []) + list(new_events)
        self.events[message_id] = events
        old = self.items.get(message_id)
        fresh = to_item(fold(parse_event(e) for e in events), ItemSettings())
        if old is not None and {k: v for k, v in old.items() if k not in BOOKKEEPING} == fresh:
            return
        fresh["version"] = (old or {}).get("version", 0) + 1
        if quiet:
            fresh[QUIET_MARKER] = fresh["version"]
        if old is None:
            for pointer in pointer_items(fresh):
                self.records.append(record_of(None, pointer, self._next()))
        self.items[message_id] = fresh
        self.records.append(record_of(old, fresh, self._next()))

    def _next(self) -> int:
        return 1000 + len(self.records)


def three_messages() -> History:
    """A mail sent, delivered (twice: a duplicate) and opened; a delivery that arrives
    before its send; an SMS that fails; a mail to two people, one bounced."""
    team = ["ana@example.com", "ben@example.org"]
    history = History()
    history.write("m1", ses("Send", "m1", T))
    history.write("m2", ses("Delivery", "m2", T + 5))
    history.write("m1", ses("Delivery", "m1", T + 1000))
    history.write("m1", ses("Delivery", "m1", T + 1000))  # duplicate: nothing written
    history.write("m2", ses("Send", "m2", T))  # late: history only
    history.write("s3", sms_v2("TEXT_PENDING", "s3", T, is_final=False))
    history.write("m1", ses("Open", "m1", T + 60_000))
    history.write("s3", sms_v2("TEXT_CARRIER_UNREACHABLE", "s3", T + 2000, "CARRIER_UNREACHABLE"))
    history.write("t4", ses("Send", "t4", T, destination=team))
    history.write("t4", ses("Bounce", "t4", T + 3000, destination=team, named=team[1:], sent_ms=T))
    return history


EXPECTED = [
    ("m1", None, "SENT", 1),
    ("m2", None, "DELIVERED", 1),
    ("m1", "SENT", "DELIVERED", 2),
    ("s3", None, "PENDING", 1),
    ("m1", "DELIVERED", "OPENED", 3),
    ("s3", "PENDING", "FAILED", 2),
    ("t4", None, "SENT", 1),
    ("t4", "SENT", "HARD_BOUNCED", 2),
]


def summary(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            e["detail"]["message_id"],
            e["detail"]["previous_status"],
            e["detail"]["status"],
            e["detail"]["version"],
        )
        for e in events
    ]


def sqs() -> Any:
    return boto3.client("sqs", region_name="us-east-1")


def test_each_real_change_is_one_event_and_nothing_else(stream, status_queue) -> None:
    history = three_messages()
    response = stream({"Records": history.records})
    assert response == {"batchItemFailures": []}
    events = drain(sqs(), status_queue)
    assert summary(events) == EXPECTED
    assert {e["detail-type"] for e in events} == {"Message Status Changed"}
    assert {e["source"] for e in events} == {"message-status"}
    bounce = events[-1]["detail"]
    assert bounce["recipients"] == [
        {
            "recipient": "ben@example.org",
            "status": "HARD_BOUNCED",
            "previous_status": "SENT",
            "is_final": True,
        }
    ]
    assert bounce["recipient_statuses"] == ["HARD_BOUNCED"]


def test_a_replayed_batch_publishes_again_with_the_same_versions(stream, status_queue) -> None:
    """At least once: a retried batch repeats its events, and (message_id, version) dedupes."""
    records = three_messages().records
    stream({"Records": records})
    stream({"Records": records})
    events = summary(drain(sqs(), status_queue))
    assert len(events) == 2 * len(EXPECTED)
    assert sorted(set(events), key=events.index) == EXPECTED


def test_backfilled_writes_publish_nothing_and_the_next_live_write_is_published(
    stream, status_queue
) -> None:
    """The function alone (no mapping filter): quiet writes are skipped, not published."""
    history = History()
    history.write("m1", ses("Send", "m1", T), quiet=True)
    history.write("m1", ses("Delivery", "m1", T + 1000), quiet=True)
    history.write("m2", ses("Send", "m2", T), quiet=True)
    history.write("m1", ses("Open", "m1", T + 60_000))  # live traffic after the backfill
    history.write("m2", ses("Send", "m2", T))  # live, but nothing new: no write at all
    assert stream({"Records": history.records}) == {"batchItemFailures": []}
    assert summary(drain(sqs(), status_queue)) == [("m1", "DELIVERED", "OPENED", 3)]


def test_changes_go_out_ten_to_a_put_events_request(stream, status_queue) -> None:
    history = History()
    for n in range(25):
        history.write(f"b{n}", ses("Bounce", f"b{n}", T + n))
    counter = faults.count_requests(stream.events_client(), "eventbridge")
    stream({"Records": history.records})
    assert counter.counts == {"PutEvents": 3}
    assert len(drain(sqs(), status_queue)) == 25


class FlakyEvents:
    """An EventBridge client whose PutEvents fails the entries ``fails`` picks, per entry,
    as EventBridge does (FailedEntryCount, an ErrorCode per entry); the rest really go out."""

    def __init__(
        self,
        real: Any,
        fails: Callable[[dict[str, Any], int], bool],
        code: str = "ThrottlingException",
    ) -> None:
        self.real = real
        self.fails = fails
        self.code = code
        self.calls = 0
        self.failed_entries = 0

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        failing = [self.fails(entry, self.calls) for entry in Entries]
        sent = [entry for entry, fail in zip(Entries, failing, strict=True) if not fail]
        results = iter(self.real.put_events(Entries=sent)["Entries"] if sent else [])
        out = []
        for entry, fail in zip(Entries, failing, strict=True):
            if fail:
                self.failed_entries += 1
                # EventBridge's message may echo the entry: here, its recipients.
                echo = f"injected for {json.loads(entry['Detail']).get('recipients')}"
                out.append({"ErrorCode": self.code, "ErrorMessage": echo})
            else:
                out.append(next(results))
        return {"FailedEntryCount": sum(failing), "Entries": out}


def message_of(entry: dict[str, Any]) -> str:
    return str(json.loads(entry["Detail"])["message_id"])


@pytest.fixture
def no_backoff(stream, monkeypatch) -> None:
    monkeypatch.setattr("message_status.publisher.BACKOFF_BASE_S", 0.0)


def test_entries_that_fail_once_are_retried_and_delivered(
    stream, status_queue, monkeypatch, no_backoff
) -> None:
    flaky = FlakyEvents(boto3.client("events", region_name="us-east-1"), lambda _, call: call == 1)
    monkeypatch.setattr(stream.app, "events_client", lambda: flaky)
    response = stream({"Records": three_messages().records})
    assert response == {"batchItemFailures": []}
    assert flaky.failed_entries == len(EXPECTED)
    assert summary(drain(sqs(), status_queue)) == EXPECTED


def test_entries_that_keep_failing_hand_their_records_back(
    stream, status_queue, monkeypatch, no_backoff
) -> None:
    flaky = FlakyEvents(
        boto3.client("events", region_name="us-east-1"), lambda e, _: message_of(e) == "s3"
    )
    monkeypatch.setattr(stream.app, "events_client", lambda: flaky)
    history = three_messages()
    response = stream({"Records": history.records})
    s3_records = [
        r["dynamodb"]["SequenceNumber"]
        for r in history.records
        if r["dynamodb"]["Keys"]["message_id"]["S"] == "s3"
    ]
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == s3_records
    assert [e for e in summary(drain(sqs(), status_queue)) if e[0] != "s3"] == [
        e for e in EXPECTED if e[0] != "s3"
    ], "the neighbours went out"


def test_an_unreadable_image_fails_alone(stream, status_queue) -> None:
    history = three_messages()
    poison = record_of(None, {"message_id": "bad", "h": [["x"]], "src": "ses", "sent": 1}, 1)
    records = [*history.records[:2], poison, *history.records[2:]]
    response = stream({"Records": records})
    assert response == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert summary(drain(sqs(), status_queue)) == EXPECTED


@pytest.mark.parametrize("seed", range(5))
def test_injected_failures_end_in_a_retry_or_the_failure_queue_never_lost(
    stream, status_queue, monkeypatch, no_backoff, seed: int
) -> None:
    """Through the mapping's retries: every change is delivered, or its record lies in a
    batch the on-failure queue describes. The test counts both."""
    rng = random.Random(seed)
    flaky = FlakyEvents(
        boto3.client("events", region_name="us-east-1"), lambda *_: rng.random() < 0.6
    )
    monkeypatch.setattr(stream.app, "events_client", lambda: flaky)
    history = History()
    for n in range(40):
        history.write(f"x{n}", ses("Send", f"x{n}", T + n))
        history.write(f"x{n}", ses("Bounce", f"x{n}", T + 1000 + n, sent_ms=T + n))
    failures = sqs().create_queue(QueueName="stream-failures")["QueueUrl"]
    settings = MappingSettings(batch_size=10, maximum_retry_attempts=2)
    report = run_mapping(
        stream,
        history.records,
        settings,
        lambda message: sqs().send_message(QueueUrl=failures, MessageBody=json.dumps(message)),
    )
    delivered = {
        (e["detail"]["message_id"], e["detail"]["version"]) for e in drain(sqs(), status_queue)
    }
    described = drain(sqs(), failures)
    in_failed_batches = {
        (r["dynamodb"]["Keys"]["message_id"]["S"], int(r["dynamodb"]["NewImage"]["version"]["N"]))
        for r in history.records
        for batch in described
        if int(batch["DDBStreamBatchInfo"]["startSequenceNumber"])
        <= int(r["dynamodb"]["SequenceNumber"])
        <= int(batch["DDBStreamBatchInfo"]["endSequenceNumber"])
    }
    every_change = {(f"x{n}", version) for n in range(40) for version in (1, 2)}
    assert every_change <= delivered | in_failed_batches, "an event was lost"
    assert flaky.failed_entries > 0, "the test injected failures"
    assert len(described) == len(report.failed_batches)
    assert delivered, "some events went through the retries"


def test_entries_that_keep_failing_log_their_error_codes_and_no_recipient(
    stream, status_queue, monkeypatch, no_backoff, logs
) -> None:
    """AccessDenied reads differently from throttling; EventBridge's messages are not logged."""
    flaky = FlakyEvents(
        boto3.client("events", region_name="us-east-1"),
        lambda e, _: message_of(e) == "t4",
        code="AccessDeniedException",
    )
    monkeypatch.setattr(stream.app, "events_client", lambda: flaky)
    response = stream({"Records": three_messages().records})
    assert len(response["batchItemFailures"]) == 2, "t4's two changes were not put"
    [entry] = logs.entries("events not put")
    assert entry["error_codes"] == {"AccessDeniedException": 2}
    assert entry["records"] == 2
    assert "injected" not in logs.text
    assert "ben@example.org" not in logs.text


def test_a_put_events_call_that_fails_whole_logs_the_botocore_error_class(
    stream, status_queue, monkeypatch, no_backoff, logs
) -> None:
    client = boto3.client("events", region_name="us-east-1")

    def unreachable(**_: object) -> None:
        raise EndpointConnectionError(endpoint_url="https://events.us-east-1.amazonaws.com")

    client.meta.events.register_first("before-send.events.PutEvents", unreachable)
    monkeypatch.setattr(stream.app, "events_client", lambda: client)
    response = stream({"Records": three_messages().records})
    assert len(response["batchItemFailures"]) == len(EXPECTED)
    [entry] = logs.entries("events not put")
    assert entry["error_codes"] == {"EndpointConnectionError": len(EXPECTED)}
