"""Lambda's 6 MB response limit, met by construction and proven at the limit.

* The transform's answer to the largest request Firehose can send, filled with
  the smallest records that parse (whose archive lines are larger than they are).
* A batch lookup of 100 ids whose documents add up to far more than 6 MB.
* A recipient's page of 100 such messages, with its suppression and counts beside them.
"""

from __future__ import annotations

import base64
import json

from message_status.answers import MAX_BODY_BYTES, escaped_size
from message_status.dynamodb_json import deserialize, serialize
from message_status.item import to_document, to_item
from message_status.parse import parse_event
from message_status.record import fold

from devkit.calls import call_api, check_firehose_contract
from devkit.capacity import item_size
from devkit.events import http_event, ses
from tests.conftest import TABLE_NAME
from tests.support.items import stored_document

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
    assert stored_document(dynamodb, TABLE_NAME, "m0")["status"] == "PENDING"


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


def largest_item(message_id: str) -> dict:
    """A large item events can make: 25 recipients (the cap is 50), each with its own
    delivery, delay, complaint and bounce, each with the longest detail and description
    kept (the first event of each class per recipient is kept, however many come)."""
    addresses = [f"recipient-{n:02d}@example.com" for n in range(25)]
    events = []
    for n, address in enumerate(addresses):
        for kind in ("Delivery", "DeliveryDelay", "Complaint", "Bounce"):
            event = ses(
                kind, message_id, 1_800_000_000_000 + n, destination=addresses, named=[address]
            )
            body = event[{"DeliveryDelay": "deliveryDelay"}.get(kind, kind.lower())]
            body[
                {
                    "Delivery": "smtpResponse",
                    "DeliveryDelay": "delayType",
                    "Complaint": "complaintFeedbackType",
                    "Bounce": "bounceSubType",
                }[kind]
            ] = "x" * 600
            for named in body.get("delayedRecipients", []) + body.get("bouncedRecipients", []):
                named["diagnosticCode"] = "y" * 600
            events.append(parse_event(event))
    return serialize({**to_item(fold(events)), "version": 1})


def test_a_batch_lookup_answers_what_fits_and_lists_the_rest(query, dynamodb) -> None:
    ids = [f"big-{n:03d}" for n in range(100)]
    template = largest_item("big-000")
    assert 30_000 < item_size(template) < 400 * 1024 // 4, "far below DynamoDB's 400 KB"
    document_size = escaped_size(to_document(deserialize(template)))
    assert len(ids) * document_size > MAX_BODY_BYTES, "the whole answer must not fit"
    for message_id in ids:
        dynamodb.put_item(TableName=TABLE_NAME, Item={**template, "message_id": {"S": message_id}})
    response = query(
        http_event("POST", "/messages/batch-get", None, json.dumps({"message_ids": ids}))
    )
    assert len(json.dumps(response)) < LAMBDA_LIMIT
    assert len(json.dumps(response["body"])) <= MAX_BODY_BYTES
    answer = json.loads(response["body"])
    assert response["statusCode"] == 200
    answered = [message["message_id"] for message in answer["messages"]]
    assert answer["unprocessed_ids"]
    assert answered + answer["unprocessed_ids"] == ids
    status, again = call_api(
        query,
        "POST",
        "/messages/batch-get",
        body=json.dumps({"message_ids": answer["unprocessed_ids"]}),
    )
    assert status == 200
    assert again["messages"][0]["message_id"] == answer["unprocessed_ids"][0]


def test_a_recipients_page_answers_what_fits_with_its_suppression_and_a_cursor(
    query, dynamodb
) -> None:
    template = largest_item("big-000")
    recipient = template["rcpt"]["S"]
    for n in range(100):
        dynamodb.put_item(
            TableName=TABLE_NAME,
            Item={**template, "message_id": {"S": f"big-{n:03d}"}, "sent": {"N": str(n)}},
        )
    response = query(http_event("GET", f"/recipients/{recipient}", {"limit": "100"}))
    assert response["statusCode"] == 200
    assert len(json.dumps(response)) < LAMBDA_LIMIT
    assert len(json.dumps(response["body"])) <= MAX_BODY_BYTES
    answer = json.loads(response["body"])
    assert answer["suppression"]["state"] == "not_suppressed"
    assert 0 < answer["counts"]["messages"] == len(answer["messages"]) < 100
    assert answer["next_cursor"], "the rest is one cursor away"
