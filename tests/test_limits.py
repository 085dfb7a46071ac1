"""Lambda's 6 MB response limit, met by construction and proven at the limit.

* The transform's answer to the largest request Firehose can send, filled with
  the smallest records that parse (whose archive lines are larger than they are).
* A batch lookup of 100 ids whose documents add up to far more than 6 MB.
"""

from __future__ import annotations

import base64
import json

from message_status.answers import MAX_BODY_BYTES
from message_status.store import serialize

from devkit.calls import call_api, check_firehose_contract, stored_item
from devkit.events import http_event, ses
from tests.conftest import TABLE_NAME

LAMBDA_LIMIT = 6 * 1024 * 1024  # bytes, request and response alike
MAX_PROCESSOR_BUFFER = 3 * 1024 * 1024  # variables.tf: processor_buffer_size_mb <= 3
# A Firehose record id as Firehose makes them (56 digits).
RECORD_ID = "49546986683135544286507457936321625675700192471156785{:06d}"


def smallest_records(count: int, messages: int) -> list[bytes]:
    """The smallest SMS v2 events that parse, spread over a few messages."""
    return [
        json.dumps(
            {"eventType": "TEXT_QUEUED", "messageId": f"m{n % messages}", "eventTimestamp": n},
            separators=(",", ":"),
        ).encode()
        for n in range(count)
    ]


def largest_request(payloads_for) -> dict:
    """Records while the request stays within Lambda's 6 MB and Firehose's 3 MiB buffer."""
    event: dict = {
        "invocationId": "00540a87-5050-496a-84e4-e7d92bbaf5e2",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/msgstatus-events",
        "region": "us-east-1",
        "records": [],
    }
    size, data_bytes = len(json.dumps(event)), 0
    for n, payload in enumerate(payloads_for(40_000)):
        record = {
            "recordId": RECORD_ID.format(n),
            "approximateArrivalTimestamp": 1_800_000_000_000,
            "data": base64.b64encode(payload).decode(),
        }
        record_size = len(json.dumps(record)) + 2
        if size + record_size > LAMBDA_LIMIT or data_bytes + len(payload) > MAX_PROCESSOR_BUFFER:
            break
        event["records"].append(record)
        size += record_size
        data_bytes += len(payload)
    return event


def test_the_transform_answers_the_largest_request_of_tiny_records_within_6_mb(
    transform, dynamodb
) -> None:
    event = largest_request(lambda n: smallest_records(n, messages=20))
    assert len(json.dumps(event)) <= LAMBDA_LIMIT
    assert len(event["records"]) > 25_000
    response = transform(event)
    assert len(json.dumps(response)) <= LAMBDA_LIMIT
    check_firehose_contract(event, response)
    counts = {result: 0 for result in ("Ok", "ProcessingFailed")}
    for record in response["records"]:
        counts[record["result"]] += 1
    # Nothing is lost: every record is archived, or back in errors/ with its data for replay.
    assert counts["Ok"] + counts["ProcessingFailed"] == len(event["records"])
    assert counts["Ok"] > 0
    assert stored_item(dynamodb, TABLE_NAME, "m0")["status"] == "PENDING"


def test_realistic_records_all_fit_and_all_archive(transform, dynamodb) -> None:
    """Real events are larger than their archive lines: the guard never bites them."""

    def ses_events(count: int) -> list[bytes]:
        return [
            json.dumps(ses("Delivery", f"m{n}", 1_800_000_000_000)).encode() for n in range(count)
        ]

    event = largest_request(lambda n: ses_events(min(n, 1200)))
    response = transform(event)
    assert len(json.dumps(response)) <= LAMBDA_LIMIT
    assert {record["result"] for record in response["records"]} == {"Ok"}


def large_v010_item(message_id: str, recipients: int) -> dict:
    """An item v0.1.0 could have written: nothing bounded its recipient list."""
    item = {
        "message_id": message_id,
        "channel": "email",
        "source": "ses",
        "status": "DELIVERED",
        "is_final": True,
        "last_event_at": "2026-11-23T00:00:01.000Z",
        "expires_at": 1_800_000_000,
        "history": [{"kind": "delivered", "time": "2026-11-23T00:00:01.000Z"}],
        "status_facts": {"DELIVERED": {"time": "2026-11-23T00:00:01.000Z", "final": True}},
        "delivered": "2026-11-23T00:00:01.000Z",
        "destination": [f"recipient-{n:04d}@{'x' * 300}.example.com" for n in range(recipients)],
        "version": 1,
    }
    return serialize(item)


def test_a_batch_lookup_answers_what_fits_and_lists_the_rest(query, dynamodb) -> None:
    ids = [f"big-{n:03d}" for n in range(100)]
    for message_id in ids:
        dynamodb.put_item(TableName=TABLE_NAME, Item=large_v010_item(message_id, 250))
    response = query(
        http_event("POST", "/messages/batch-get", None, json.dumps({"message_ids": ids}))
    )
    assert len(json.dumps(response)) < LAMBDA_LIMIT
    assert len(json.dumps(response["body"])) <= MAX_BODY_BYTES
    answer = json.loads(response["body"])
    assert response["statusCode"] == 200
    answered = [message["message_id"] for message in answer["messages"]]
    assert answer["unprocessed_ids"], "100 documents of ~80 KB cannot fit in 6 MB"
    assert answered + answer["unprocessed_ids"] == ids
    status, again = call_api(
        query,
        "POST",
        "/messages/batch-get",
        body=json.dumps({"message_ids": answer["unprocessed_ids"]}),
    )
    assert status == 200
    assert again["messages"][0]["message_id"] == answer["unprocessed_ids"][0]
