"""The transform on moto: the Firehose contract, nothing lost, faults, request coalescing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import EndpointConnectionError
from message_status.parse import parse_event

from devkit.calls import (
    archived_lines,
    results,
    run_firehose,
    run_firehose_event,
    stored_item,
)
from devkit.events import (
    firehose_event,
    firehose_kinesis_event,
    fixture,
    pinpoint_email,
    pinpoint_sms,
    ses,
    sms_v2,
)
from tests.conftest import TABLE_NAME
from tests.support import faults
from tests.support.items import stored_document


@pytest.fixture(autouse=True)
def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep botocore's retry backoff from slowing the tests; the retries still happen."""
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)


def attempts(transform) -> int:
    """Attempts per call the transform's SDK configuration makes (its deadline budget)."""
    return transform.settings().call_budget.config.retries["total_max_attempts"]


def table_size(dynamodb) -> int:
    return dynamodb.scan(TableName=TABLE_NAME, Select="COUNT")["Count"]


def test_documented_examples_become_one_item_per_message(transform, dynamodb) -> None:
    payloads = [
        fixture(name)
        for name in (
            "pinpoint_email_send",
            "pinpoint_email_delivered",
            "pinpoint_sms_success",
            "ses_send",
            "ses_delivery",
            "ses_bounce",
            "eum_text_successful",
        )
    ]
    response = run_firehose(transform, payloads)
    assert results(response) == ["Ok"] * 7
    assert table_size(dynamodb) == 4
    email = stored_document(
        dynamodb, TABLE_NAME, "0200000073rnbmd1-mbvdg3uo-q8ia-m3ku-ibd3-ms77kexample-000000"
    )
    assert (email["status"], email["is_final"], email["channel"], email["source"]) == (
        "DELIVERED",
        True,
        "email",
        "pinpoint",
    )
    assert email["events"]["send"] == email["events"]["delivered"] == "2019-08-01T00:17:01.380Z"
    ses_item = stored_document(
        dynamodb, TABLE_NAME, "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
    )
    assert ses_item["status"] == "HARD_BOUNCED"
    sms = stored_document(dynamodb, TABLE_NAME, "862a8790-60c0-4430-9b2b-658bdexample")
    assert (sms["status"], sms["is_final"], sms["source"]) == ("SENT", True, "sms-v2")


def test_ok_records_are_archived_as_one_normalized_line_each(transform, dynamodb) -> None:
    payloads = [
        fixture("pinpoint_sms_success"),
        fixture("ses_bounce"),
        fixture("eum_text_successful"),
    ]
    lines = archived_lines(run_firehose(transform, payloads))
    assert [line["source"] for line in lines] == ["pinpoint", "ses", "sms-v2"]
    schema = set(parse_event(fixture("ses_bounce")).archive_line())
    for line in lines:
        assert set(line) <= schema, "one schema for all sources (null fields left out)"
        assert None not in line.values()
        assert {"message_id", "channel", "source", "kind", "status", "event_time"} <= set(line)
    assert lines[1]["kind"] == "hardbounce"
    assert lines[1]["detail"] == "Permanent/General"


BAD_RECORDS = {
    "bad base64": "%%% not base64 %%%",
    "not json": base64.b64encode(b"definitely not json").decode(),
    "json array": base64.b64encode(b"[1,2,3]").decode(),
    "no message id": base64.b64encode(
        json.dumps({**fixture("ses_send"), "mail": {"timestamp": "2020-01-01T00:00:00Z"}}).encode()
    ).decode(),
    "id too long": base64.b64encode(
        json.dumps(sms_v2("TEXT_DELIVERED", "x" * 300, 1000)).encode()
    ).decode(),
    "id with control char": base64.b64encode(
        json.dumps(sms_v2("TEXT_DELIVERED", "a\u0007b", 1000)).encode()
    ).decode(),
    "wrong types": base64.b64encode(
        json.dumps({**fixture("pinpoint_sms_success"), "event_timestamp": "soon"}).encode()
    ).decode(),
    "oversized": base64.b64encode(
        json.dumps({**fixture("ses_send"), "pad": "x" * 300_000}).encode()
    ).decode(),
}


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_bad_record_fails_alone_with_its_original_data(transform, dynamodb, case: str) -> None:
    event = firehose_event(
        [ses("Send", "good-1", 1000), {}, sms_v2("TEXT_DELIVERED", "good-2", 2000)]
    )
    event["records"][1]["data"] = BAD_RECORDS[case]
    response = run_firehose_event(transform, event)
    assert results(response) == ["Ok", "ProcessingFailed", "Ok"]
    assert response["records"][1]["data"] == BAD_RECORDS[case]
    assert stored_document(dynamodb, TABLE_NAME, "good-1")["status"] == "SENT"
    assert stored_document(dynamodb, TABLE_NAME, "good-2")["status"] == "DELIVERED"
    assert table_size(dynamodb) == 2


@pytest.mark.parametrize("event_type", ["_session.start", "_campaign.send", "_custom.checkout"])
def test_non_delivery_events_are_dropped_without_touching_the_table(
    transform, dynamodb, event_type
) -> None:
    event = fixture("pinpoint_email_send")
    event["event_type"] = event_type
    counter = faults.count_requests(transform.message_store().client)
    response = run_firehose(transform, [event])
    assert results(response) == ["Dropped"]
    assert counter.total == 0
    assert table_size(dynamodb) == 0


def test_a_batch_of_only_garbage_never_raises(transform, dynamodb) -> None:
    response = run_firehose(transform, [b"", b"{", b"\x00\x01"])
    assert results(response) == ["ProcessingFailed"] * 3


def test_replayed_batch_changes_nothing_and_writes_nothing(transform, dynamodb) -> None:
    payloads = [
        ses("Send", "m1", 1000),
        ses("Delivery", "m1", 2000),
        sms_v2("TEXT_QUEUED", "s1", 1000),
    ]
    run_firehose(transform, payloads)
    first = {mid: stored_item(dynamodb, TABLE_NAME, mid) for mid in ("m1", "s1")}
    counter = faults.count_requests(transform.message_store().client)
    response = run_firehose(transform, payloads)
    assert results(response) == ["Ok"] * 3
    assert counter.counts["PutItem"] == 0
    assert {mid: stored_item(dynamodb, TABLE_NAME, mid) for mid in ("m1", "s1")} == first


def test_requests_per_message_are_coalesced(transform, dynamodb) -> None:
    """500 messages x 4 events: one BatchGetItem per 100 messages and one PutItem per message."""
    payloads = []
    for n in range(500):
        mid = f"msg-{n:04d}"
        payloads += [
            ses("Send", mid, 1000),
            ses("Delivery", mid, 2000),
            ses("Open", mid, 3000),
            ses("Click", mid, 4000),
        ]
    counter = faults.count_requests(transform.message_store().client)
    response = run_firehose(transform, payloads)
    assert results(response) == ["Ok"] * 2000
    assert counter.counts == {"BatchGetItem": 5, "PutItem": 500}
    assert counter.total / 500 <= 1.5


def test_pointer_items_of_a_whole_batch_share_batch_writes(transform, dynamodb) -> None:
    """100 mails to 3 people: 200 pointer items in 8 BatchWriteItems, written once."""
    payloads = []
    for n in range(100):
        team = [f"{who}{n}@example.com" for who in ("a", "b", "c")]
        payloads += [
            ses("Send", f"team-{n}", 1000, destination=team),
            ses("Delivery", f"team-{n}", 2000, destination=team, named=team, sent_ms=1000),
        ]
    counter = faults.count_requests(transform.message_store().client)
    assert results(run_firehose(transform, payloads)) == ["Ok"] * 200
    assert counter.counts == {"BatchGetItem": 1, "BatchWriteItem": 8, "PutItem": 100}
    assert table_size(dynamodb) == 300
    counter.counts.clear()
    late = [
        ses(
            "Open",
            f"team-{n}",
            3000,
            destination=[f"{w}{n}@example.com" for w in "abc"],
            sent_ms=1000,
        )
        for n in range(100)
    ]
    assert results(run_firehose(transform, late)) == ["Ok"] * 100
    assert "BatchWriteItem" not in counter.counts, "pointers are written once"


@pytest.mark.parametrize(
    "error",
    [faults.THROTTLING, faults.THROUGHPUT, faults.INTERNAL, faults.UNAVAILABLE],
    ids=lambda e: e[1],
)
def test_transient_errors_are_retried_and_the_write_lands(transform, dynamodb, error) -> None:
    client = transform.message_store().client
    retries = attempts(transform) - 1
    injected = faults.inject(client, "PutItem", error, times=retries)
    get_faults = faults.inject(client, "BatchGetItem", error, times=retries)
    response = run_firehose(transform, [ses("Send", "m1", 1000), ses("Delivery", "m1", 2000)])
    assert results(response) == ["Ok", "Ok"]
    assert injected.injected == retries
    assert get_faults.injected == retries
    assert stored_document(dynamodb, TABLE_NAME, "m1")["status"] == "DELIVERED"


def test_persistent_errors_fail_only_that_messages_records(transform, dynamodb) -> None:
    throttled = faults.inject(
        transform.message_store().client,
        "PutItem",
        faults.THROTTLING,
        times=1000,
        should_fail=lambda body: body["Item"]["message_id"]["S"] == "m2",
    )
    payloads = [
        ses("Send", "m1", 1000),
        ses("Send", "m2", 1000),
        ses("Delivery", "m2", 2000),
        ses("Delivery", "m1", 2000),
    ]
    response = run_firehose(transform, payloads)
    assert results(response) == ["Ok", "ProcessingFailed", "ProcessingFailed", "Ok"]
    assert throttled.injected == attempts(transform), (
        "every attempt the SDK makes, then it gives up"
    )
    assert stored_item(dynamodb, TABLE_NAME, "m2") is None
    assert stored_document(dynamodb, TABLE_NAME, "m1")["status"] == "DELIVERED"


def test_unreadable_table_fails_the_batch_records_but_not_the_invocation(
    transform, dynamodb
) -> None:
    faults.inject(transform.message_store().client, "BatchGetItem", faults.INTERNAL, times=100)
    response = run_firehose(
        transform,
        [
            ses("Send", "m1", 1000),
            b"junk",
            fixture("pinpoint_email_send") | {"event_type": "_session.stop"},
        ],
    )
    assert results(response) == ["ProcessingFailed", "ProcessingFailed", "Dropped"]


def test_non_retryable_write_error_fails_the_message_without_retry(transform, dynamodb) -> None:
    injected = faults.inject(
        transform.message_store().client, "PutItem", faults.VALIDATION, times=100
    )
    response = run_firehose(transform, [sms_v2("TEXT_DELIVERED", "s1", 1000)])
    assert results(response) == ["ProcessingFailed"]
    assert injected.injected == 1


def test_lost_conditional_check_race_rereads_and_merges(transform, dynamodb) -> None:
    """A ConditionalCheckFailed (another writer won) is settled by re-reading, not by failing."""
    client = transform.message_store().client
    run_firehose(transform, [pinpoint_sms("_SMS.BUFFERED", "s1", 1000, "PENDING")])
    injected = faults.inject(client, "PutItem", faults.CONDITIONAL, times=2)
    counter = faults.count_requests(client)
    response = run_firehose(transform, [pinpoint_sms("_SMS.SUCCESS", "s1", 2000, "DELIVERED")])
    assert results(response) == ["Ok"]
    assert injected.injected == 2
    assert counter.counts["GetItem"] == 2, "one consistent re-read per lost race"
    item = stored_document(dynamodb, TABLE_NAME, "s1")
    assert (item["status"], item["events"]["buffered"], item["events"]["success"]) == (
        "DELIVERED",
        "1970-01-01T00:00:01.000Z",
        "1970-01-01T00:00:02.000Z",
    )


def test_a_race_that_never_settles_fails_the_message(transform, dynamodb) -> None:
    faults.inject(transform.message_store().client, "PutItem", faults.CONDITIONAL, times=1000)
    response = run_firehose(transform, [ses("Send", "m1", 1000)])
    assert results(response) == ["ProcessingFailed"]


def test_handler_runs_with_table_name_alone(transform, dynamodb, monkeypatch) -> None:
    for name in (
        "RETENTION_DAYS",
        "SEARCH_SHARDS",
        "CORRELATION_KEY",
        "FUNCTION_TIMEOUT_SECONDS",
        "POWERTOOLS_SERVICE_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
    transform.restart()
    run_firehose(transform, [ses("Send", "m1", 86_400_000)])
    assert stored_document(dynamodb, TABLE_NAME, "m1")["expires_at"] == 86_400 + 90 * 86_400


def test_retention_days_setting_moves_the_ttl(transform, dynamodb, monkeypatch) -> None:
    monkeypatch.setenv("RETENTION_DAYS", "7")
    transform.restart()
    run_firehose(transform, [ses("Send", "m1", 0)])
    assert stored_document(dynamodb, TABLE_NAME, "m1")["expires_at"] == 7 * 86_400


def test_mixed_batch_of_all_sources_and_kinds(transform, dynamodb) -> None:
    payloads = [
        pinpoint_email("_email.click", "e1", 4000, link="https://example.com/x"),
        pinpoint_email("_email.send", "e1", 1000),
        pinpoint_email("_email.open", "e1", 3000),
        pinpoint_email("_email.delivered", "e1", 2000),
        ses("Bounce", "e2", 2000),
        ses("Send", "e2", 1000),
        pinpoint_sms("_SMS.FAILURE", "s1", 2000, "CARRIER_UNREACHABLE"),
        sms_v2("TEXT_PENDING", "s2", 1000),
    ]
    assert results(run_firehose(transform, payloads)) == ["Ok"] * 8
    statuses = {
        mid: stored_document(dynamodb, TABLE_NAME, mid)["status"]
        for mid in ("e1", "e2", "s1", "s2")
    }
    assert statuses == {"e1": "CLICKED", "e2": "HARD_BOUNCED", "s1": "FAILED", "s2": "PENDING"}
    e1 = stored_document(dynamodb, TABLE_NAME, "e1")
    assert any(entry.get("detail") == "https://example.com/x" for entry in e1["history"])


def test_an_unreadable_stored_item_fails_its_records_and_is_left_alone(transform, dynamodb) -> None:
    dynamodb.put_item(
        TableName=TABLE_NAME, Item={"message_id": {"S": "m1"}, "channel": {"S": "fax"}}
    )
    response = run_firehose(transform, [ses("Send", "m1", 1000), ses("Send", "m2", 1000)])
    assert results(response) == ["ProcessingFailed", "Ok"]
    assert stored_item(dynamodb, TABLE_NAME, "m1") == {"message_id": "m1", "channel": "fax"}


def test_records_firehose_reads_from_a_kinesis_stream_take_the_same_path(
    transform, dynamodb
) -> None:
    """A delivery stream with a Kinesis source hands the same contract, plus Kinesis metadata."""
    kinesis_records = [
        {
            "Data": json.dumps(payload).encode() if isinstance(payload, dict) else payload,
            "PartitionKey": f"partition-{index}",
            "SequenceNumber": f"4954698668313554428650745793632167567570019247115678515{index}",
            "ApproximateArrivalTimestamp": datetime(2026, 12, 1, 12, 0, index, tzinfo=UTC),
        }
        for index, payload in enumerate(
            [
                pinpoint_email("_email.send", "k1", 1000),
                b"\x00not json from another producer on the stream",
                pinpoint_email("_email.delivered", "k1", 2000),
                pinpoint_sms("_SMS.SUCCESS", "k2", 1000, "DELIVERED"),
            ]
        )
    ]
    event = firehose_kinesis_event(
        "arn:aws:kinesis:us-east-1:123456789012:stream/pinpoint-events",
        "arn:aws:firehose:us-east-1:123456789012:deliverystream/status-kinesis-pinpoint",
        kinesis_records,
    )
    response = run_firehose_event(transform, event)  # checks every recordId once, in order

    assert results(response) == ["Ok", "ProcessingFailed", "Ok", "Ok"]
    assert response["records"][1]["data"] == event["records"][1]["data"]  # to errors/, intact
    assert stored_document(dynamodb, TABLE_NAME, "k1")["status"] == "DELIVERED"
    assert stored_document(dynamodb, TABLE_NAME, "k2")["status"] == "DELIVERED"
    assert [line["message_id"] for line in archived_lines(response)] == ["k1", "k1", "k2"]


ADDRESS = "pii.dana@example.org"


@pytest.mark.parametrize(
    ("operation", "code", "reason"),
    [
        ("BatchGetItem", "AccessDeniedException", "BatchGetItem failed"),
        ("BatchWriteItem", "AccessDeniedException", "pointer items not written"),
        ("PutItem", "ValidationException", "PutItem failed"),
    ],
)
def test_a_failed_write_logs_the_aws_error_code_and_no_request_value(
    transform, dynamodb, logs, *, operation: str, code: str, reason: str
) -> None:
    """AccessDenied must not read like throttling; AWS's message, which may echo the
    request (here an address), is never logged."""
    echo = f"User is not authorized to write an item holding {ADDRESS}"
    faults.inject(transform.message_store().client, operation, (400, code, echo), times=100)
    team = [ADDRESS, "pii.erin@example.org"]  # a second recipient: pointer items are written
    response = run_firehose(transform, [ses("Send", "m1", 1000, destination=team)])
    assert results(response) == ["ProcessingFailed"]
    [entry] = logs.entries("message write failed")
    assert (entry["message_id"], entry["error_code"], entry["reason"]) == ("m1", code, reason)
    assert ADDRESS not in logs.text
    assert "not authorized" not in logs.text


def test_a_transport_error_is_logged_by_its_botocore_class(transform, dynamodb, logs) -> None:
    def unreachable(**_: object) -> None:
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    transform.message_store().client.meta.events.register_first(
        "before-send.dynamodb.PutItem", unreachable
    )
    response = run_firehose(transform, [ses("Send", "m1", 1000)])
    assert results(response) == ["ProcessingFailed"]
    [entry] = logs.entries("message write failed")
    assert entry["error_code"] == "EndpointConnectionError"


def test_an_unreadable_stored_item_is_logged_with_no_error_code(transform, dynamodb, logs) -> None:
    """No AWS call failed: the reason says what did, and no code pretends otherwise."""
    dynamodb.put_item(
        TableName=TABLE_NAME, Item={"message_id": {"S": "m1"}, "channel": {"S": "fax"}}
    )
    run_firehose(transform, [ses("Send", "m1", 1000)])
    [entry] = logs.entries("message write failed")
    assert entry["reason"].startswith("stored item unreadable")
    assert entry.get("error_code") is None
