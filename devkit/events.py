"""Source events for tests, the benchmark and the demo, built from the AWS documentation examples.

Each factory starts from a documented example in tests/fixtures/events/ and
changes only what differs for the requested event type, id and time. Also
the events Lambda's callers send: Firehose batches and HTTP API requests.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from devkit import FIXTURES

EVENT_FIXTURES = FIXTURES / "events"


@cache
def _fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENT_FIXTURES / f"{name}.json").read_text())
    return document


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of a documented example, e.g. ``fixture("ses_bounce")``."""
    return copy.deepcopy(_fixture(name))


def iso(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def pinpoint_email(
    event_type: str, message_id: str, time_ms: int, sent_ms: int | None = None, **attributes: Any
) -> dict[str, Any]:
    """A Pinpoint ``_email.*`` event (``event_type`` like ``"_email.click"``), of a mail sent
    at ``sent_ms`` (default: the event's time)."""
    event = fixture("pinpoint_email_send")
    event["event_type"] = event_type
    event["event_timestamp"] = time_ms
    event["arrival_timestamp"] = time_ms + 500
    mail = event["facets"]["email_channel"]["mail_event"]["mail"]
    mail["message_id"] = message_id
    mail["message_send_timestamp"] = time_ms if sent_ms is None else sent_ms
    # The documented send/delivered examples carry a feedback attribute; keep that shape.
    feedback = {"_email.send": "received", "_email.delivered": "delivered"}.get(event_type)
    event["attributes"] = {"feedback": attributes.pop("feedback", feedback)}
    if event["attributes"]["feedback"] is None:
        del event["attributes"]["feedback"]
    if "link" in attributes:
        event["facets"]["email_channel"]["mail_event"]["click"] = {"link": attributes.pop("link")}
    event["attributes"].update(attributes)
    return event


def pinpoint_sms(
    event_type: str, message_id: str, time_ms: int, record_status: str, **attributes: Any
) -> dict[str, Any]:
    """A Pinpoint ``_SMS.*`` event."""
    event = fixture("pinpoint_sms_success")
    event["event_type"] = event_type
    event["event_timestamp"] = time_ms
    event["arrival_timestamp"] = time_ms + 500
    event["attributes"].update(message_id=message_id, record_status=record_status, **attributes)
    return event


SES_BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "Send": ("send", {}),
    "Delivery": ("delivery", {"smtpResponse": "250 2.6.0 Message received"}),
    "Open": ("open", {"ipAddress": "192.0.2.1", "userAgent": "Mozilla/5.0"}),
    "Click": ("click", {"ipAddress": "192.0.2.1", "link": "https://example.com/offer"}),
    "Complaint": ("complaint", {"complaintFeedbackType": "abuse"}),
    "Reject": ("reject", {"reason": "Bad content"}),
    "Rendering Failure": ("failure", {"errorMessage": "Attribute 'name' is not present"}),
    "DeliveryDelay": ("deliveryDelay", {"delayType": "MailboxFull"}),
    "Subscription": (
        "subscription",
        {
            "contactList": "news",
            "newTopicPreferences": {
                "unsubscribeAll": False,
                "topicSubscriptionStatus": [
                    {"topicName": "offers", "subscriptionStatus": "OptOut"},
                ],
            },
        },
    ),
}


# Where each SES event type names the recipients it concerns.
SES_NAMED_RECIPIENTS = {
    "Delivery": ("delivery", "recipients", False),
    "Bounce": ("bounce", "bouncedRecipients", True),
    "Complaint": ("complaint", "complainedRecipients", True),
    "DeliveryDelay": ("deliveryDelay", "delayedRecipients", True),
}


def ses(
    event_type: str,
    message_id: str,
    time_ms: int,
    bounce_type: str = "Permanent",
    *,
    destination: list[str] | None = None,
    named: list[str] | None = None,
    sent_ms: int | None = None,
    tags: dict[str, str] | None = None,
    sub_type: str | None = None,
    bot: str | None = None,
) -> dict[str, Any]:
    """An SES event-publishing event; ``bounce_type`` applies to ``"Bounce"``.

    ``destination`` replaces mail.destination, ``named`` the recipients the
    event names (Delivery, Bounce, Complaint, DeliveryDelay), ``sent_ms`` the
    mail's timestamp (default: the event's time), ``tags`` adds message tags
    (``{"ses:tenant-name": "acme"}`` for a tenant's mail), ``sub_type`` sets a
    Bounce's bounceSubType or a Complaint's complaintSubType (e.g.
    ``"OnAccountSuppressionList"``), ``bot`` an Open's or Click's isBotEvent
    (``"Likely"`` or ``"Unlikely"``).
    """
    if event_type == "Bounce":
        event = fixture("ses_bounce")
        event["bounce"]["bounceType"] = bounce_type
        event["bounce"]["timestamp"] = iso(time_ms)
        if sub_type is not None:
            event["bounce"]["bounceSubType"] = sub_type
    else:
        event = fixture("ses_send")
        event.pop("send", None)
        event["eventType"] = event_type
        key, body = SES_BODIES[event_type]
        body = copy.deepcopy(body)
        if key not in {"send", "reject", "failure"}:
            body["timestamp"] = iso(time_ms)
        if event_type == "Complaint" and sub_type is not None:
            body["complaintSubType"] = sub_type
            body.pop("complaintFeedbackType")  # SES sent nothing, so no feedback report came
        if bot is not None and event_type in {"Open", "Click"}:
            body["isBotEvent"] = bot
        event[key] = body
    event["mail"]["messageId"] = message_id
    event["mail"]["timestamp"] = iso(time_ms if sent_ms is None else sent_ms)
    if destination is not None:
        event["mail"]["destination"] = list(destination)
    if named is not None and event_type in SES_NAMED_RECIPIENTS:
        body_key, field, as_objects = SES_NAMED_RECIPIENTS[event_type]
        event[body_key][field] = [
            {"emailAddress": address, "diagnosticCode": f"smtp; 550 5.1.1 <{address}>"}
            if as_objects
            else address
            for address in named
        ]
    for name, value in (tags or {}).items():
        event["mail"].setdefault("tags", {})[name] = [value]
    return event


# Event types whose events are not final by default (the others are).
IN_PROGRESS_EVENT_TYPES = frozenset(
    {"TEXT_QUEUED", "MEDIA_QUEUED", "VOICE_INITIATED", "VOICE_RINGING", "VOICE_ANSWERED"}
)
# The documented example each End User Messaging channel's events start from.
EUM_FIXTURES = {
    "TEXT": "eum_text_successful",
    "MEDIA": "eum_media_delivered",
    "VOICE": "eum_voice_completed",
}


def sms_v2(
    event_type: str,
    message_id: str,
    time_ms: int,
    message_status: str | None = None,
    *,
    is_final: bool | None = None,
    description: str | None = None,
    sent_ms: int | None = None,
) -> dict[str, Any]:
    """An End User Messaging event (``TEXT_*``, ``MEDIA_*`` or ``VOICE_*``), of a message
    requested at ``sent_ms`` (default: the event's time). The three channels share the
    documented event shape (tests/fixtures/README.md)."""
    event = fixture(EUM_FIXTURES.get(event_type.split("_", 1)[0], "eum_text_successful"))
    event["eventType"] = event_type
    event["messageId"] = message_id
    event["eventTimestamp"] = time_ms
    event["messageRequestTimestamp"] = time_ms if sent_ms is None else sent_ms
    event["messageStatus"] = message_status or event_type.split("_", 1)[-1]
    event["isFinal"] = (
        is_final if is_final is not None else event_type not in IN_PROGRESS_EVENT_TYPES
    )
    event["messageStatusDescription"] = description or f"status {event['messageStatus']}"
    return event


# The detail-type EventBridge gives each SES event type (EventBridge events reference,
# "Amazon Simple Email Service events"; SES Developer Guide, "Monitoring SES events
# using Amazon EventBridge"), and End User Messaging's per channel ("Monitoring with
# EventBridge"). The module's rules (senders.tf, modules/sender-account) name the same.
SES_DETAIL_TYPES = {
    "Send": "Email Sent",
    "Delivery": "Email Delivered",
    "Bounce": "Email Bounced",
    "Complaint": "Email Complaint Received",
    "Reject": "Email Rejected",
    "Open": "Email Opened",
    "Click": "Email Clicked",
    "Rendering Failure": "Email Rendering Failed",
    "DeliveryDelay": "Email Delivery Delayed",
    "Subscription": "Email Subscribed",
}
EUM_DETAIL_TYPES = {
    "TEXT": "Text Message Delivery Status Updated",
    "MEDIA": "Media Message Delivery Status Updated",
    "VOICE": "Voice Message Delivery Status Updated",
}


def eventbridge(detail: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
    """An SES or End User Messaging event (``ses(...)``, ``sms_v2(...)``) as EventBridge
    delivers it from ``account``'s default bus in ``region``: the documented envelope
    (tests/fixtures/events/eventbridge_sms_text_successful.json) around it."""
    envelope = fixture("eventbridge_sms_text_successful")
    event_type = str(detail.get("eventType", ""))
    if "mail" in detail:
        envelope["source"] = "aws.ses"
        envelope["detail-type"] = SES_DETAIL_TYPES[event_type]
    else:
        envelope["detail-type"] = EUM_DETAIL_TYPES[event_type.split("_", 1)[0]]
    envelope["account"] = account
    envelope["region"] = region
    envelope["detail"] = copy.deepcopy(dict(detail))
    mail = envelope["detail"].get("mail")
    if isinstance(mail, dict):  # SES names the sending account and identity in the mail too
        mail["sendingAccountId"] = account
        identity = str(mail.get("sourceArn", "")).split(":", 5)[-1]
        mail["sourceArn"] = f"arn:aws:ses:{region}:{account}:{identity}"
    return envelope


def b64(payload: dict[str, Any] | bytes | str) -> str:
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    if isinstance(payload, str):
        payload = payload.encode()
    return base64.b64encode(payload).decode()


def firehose_event(payloads: list[Any], start: int = 0) -> dict[str, Any]:
    """A Firehose data-transformation event with one record per payload."""
    return {
        "invocationId": "invocation-1",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/test",
        "region": "us-east-1",
        "records": [
            {
                "recordId": f"record-{start + index:05d}",
                "approximateArrivalTimestamp": 1_700_000_000_000,
                "data": b64(payload),
            }
            for index, payload in enumerate(payloads)
        ],
    }


def http_event(
    method: str, path: str, query: dict[str, str] | None = None, body: str | None = None
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event for the query function."""
    raw_query = "&".join(f"{key}={value}" for key, value in (query or {}).items())
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": {
            "content-type": "application/json",
            "host": "example.execute-api.us-east-1.amazonaws.com",
        },
        "queryStringParameters": query or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "example",
            "domainName": "example.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "example",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "pytest",
            },
            "requestId": "request-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "23/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1_795_392_000_000,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def firehose_kinesis_event(
    source_stream_arn: str,
    delivery_stream_arn: str,
    kinesis_records: list[Mapping[str, Any]],
    shard_id: str = "shardId-000000000000",
) -> dict[str, Any]:
    """The event Firehose hands its processor when it reads a Kinesis data stream.

    ``kinesis_records`` are records as Kinesis GetRecords returns them (Data,
    PartitionKey, SequenceNumber, ApproximateArrivalTimestamp). Firehose adds
    ``sourceKinesisStreamArn`` to the event and ``kinesisRecordMetadata`` to
    each record ("Data transformation", Amazon Data Firehose Developer Guide);
    the record id is opaque, so one built from shard and sequence number does.
    """
    records = []
    for record in kinesis_records:
        arrived = record["ApproximateArrivalTimestamp"]
        arrived_ms = (
            int(arrived.timestamp() * 1000) if isinstance(arrived, datetime) else int(arrived)
        )
        records.append(
            {
                "recordId": f"{shard_id}-{record['SequenceNumber']}",
                "approximateArrivalTimestamp": arrived_ms,
                "data": b64(bytes(record["Data"])),
                "kinesisRecordMetadata": {
                    "shardId": shard_id,
                    "partitionKey": record["PartitionKey"],
                    "approximateArrivalTimestamp": arrived_ms,
                    "sequenceNumber": record["SequenceNumber"],
                    "subsequenceNumber": "",
                },
            }
        )
    return {
        "invocationId": "invocation-kinesis-1",
        "sourceKinesisStreamArn": source_stream_arn,
        "deliveryStreamArn": delivery_stream_arn,
        "region": source_stream_arn.split(":")[3],
        "records": records,
    }
