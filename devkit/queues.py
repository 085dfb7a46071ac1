"""Amazon SQS and Lambda's SQS event-source mapping, played on a clock the caller moves.

The heal queue holds a notification back a minute, and retries come minutes
apart: the emulator's queues keep that time by the wall clock, and nothing
runs its mappings (no Docker). So the tests, the benchmark and the demo let
the emulator's S3 send its notifications to a plain queue of theirs (what
S3 sends, as moto's S3 builds it: ``pump``), and play the heal queue itself
here, as AWS documents it:

* ``DelaySeconds``: a message sent is invisible for the queue's delay
  ("Amazon SQS delay queues");
* ``VisibilityTimeout``: a received message is invisible until the timeout
  has passed since its receive, unless it is deleted;
* the redrive policy's ``maxReceiveCount``: "If the ReceiveCount for a message
  exceeds the maxReceiveCount for a queue, Amazon SQS moves the message to a
  dead-letter queue": a message received that many times goes there instead
  of being received again;
* ``ApproximateReceiveCount`` in the message's attributes counts this receive;
* the mapping, with ``ReportBatchItemFailures``: batches of up to its batch
  size of visible messages; the messages the function names in
  ``batchItemFailures`` stay (and come back after the visibility timeout), the
  others are deleted; a function error or timeout leaves the whole batch.

Records and events have the shapes Lambda's SQS events document.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from devkit.streams import taken_bodies

Invoke = Callable[[dict[str, Any]], dict[str, Any]]
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:heal"


@dataclass
class Clock:
    """Seconds since the start of a run, moved by the caller only."""

    now: float = 0.0

    def advance_to(self, moment: float) -> None:
        self.now = max(self.now, moment)


@dataclass(frozen=True)
class QueueSettings:
    delay_s: float
    visibility_s: float
    max_receives: int

    @classmethod
    def of(cls, attributes: Mapping[str, str]) -> QueueSettings:
        """From GetQueueAttributes (DelaySeconds, VisibilityTimeout, RedrivePolicy)."""
        redrive = json.loads(attributes.get("RedrivePolicy") or "{}")
        return cls(
            delay_s=float(attributes.get("DelaySeconds", 0)),
            visibility_s=float(attributes.get("VisibilityTimeout", 30)),
            max_receives=int(redrive.get("maxReceiveCount", 0)) or 1_000_000,
        )


@dataclass
class PlayedMessage:
    body: str
    sent_at: float
    visible_at: float
    message_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    receives: int = 0
    receipt_handle: str = ""
    first_received_at: float | None = None


@dataclass
class PlayedQueue:
    """A standard queue with a dead-letter queue, on ``clock``."""

    settings: QueueSettings
    clock: Clock
    arn: str = QUEUE_ARN
    messages: list[PlayedMessage] = field(default_factory=list)
    dead_letters: list[PlayedMessage] = field(default_factory=list)
    sent: int = 0

    def send(self, body: str) -> None:
        now = self.clock.now
        self.messages.append(PlayedMessage(body, now, now + self.settings.delay_s))
        self.sent += 1

    def receive(self, max_messages: int) -> list[PlayedMessage]:
        """Up to ``max_messages`` visible messages, each now invisible for the timeout; those
        already received ``maxReceiveCount`` times go to the dead-letter queue instead."""
        now = self.clock.now
        received: list[PlayedMessage] = []
        for message in [m for m in self.messages if m.visible_at <= now]:
            if len(received) == max_messages:
                break
            if message.receives >= self.settings.max_receives:
                self.messages.remove(message)
                self.dead_letters.append(message)
                continue
            message.receives += 1
            message.receipt_handle = uuid.uuid4().hex
            message.visible_at = now + self.settings.visibility_s
            if message.first_received_at is None:
                message.first_received_at = now
            received.append(message)
        return received

    def delete(self, message: PlayedMessage) -> None:
        self.messages.remove(message)

    def next_due(self) -> float | None:
        """When the next message becomes visible (now, if one is), or None when empty."""
        return min((m.visible_at for m in self.messages), default=None)

    def record(self, message: PlayedMessage) -> dict[str, Any]:
        """The message as an SQS event record (Lambda's "Using Lambda with Amazon SQS")."""
        return {
            "messageId": message.message_id,
            "receiptHandle": message.receipt_handle,
            "body": message.body,
            "attributes": {
                "ApproximateReceiveCount": str(message.receives),
                "SentTimestamp": str(int(message.sent_at * 1000)),
                "SenderId": "AROAS3NOTIFICATIONS",
                "ApproximateFirstReceiveTimestamp": str(
                    int((message.first_received_at or 0) * 1000)
                ),
            },
            "messageAttributes": {},
            "md5OfBody": hashlib.md5(message.body.encode()).hexdigest(),  # noqa: S324 - SQS's
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": self.arn.split(":")[3],
        }


@dataclass
class MappingReport:
    invocations: int = 0
    deleted: int = 0
    returned: int = 0  # named in batchItemFailures, or in a batch whose invocation failed
    function_errors: int = 0


def deliver_due(
    queue: PlayedQueue, invoke: Invoke, batch_size: int = 1, report: MappingReport | None = None
) -> MappingReport:
    """Hand every message visible now to ``invoke``, in batches, as Lambda's poller does."""
    report = report or MappingReport()
    while batch := queue.receive(batch_size):
        report.invocations += 1
        try:
            response = invoke({"Records": [queue.record(m) for m in batch]})
            failed = {str(f.get("itemIdentifier")) for f in response["batchItemFailures"]}
        except Exception:  # noqa: BLE001 - any function error (or timeout) returns the batch
            report.function_errors += 1
            failed = {m.message_id for m in batch}
        for message in batch:
            if message.message_id in failed:
                report.returned += 1
            else:
                queue.delete(message)
                report.deleted += 1
    return report


def pump(sqs: Any, mailbox_url: str, queue: PlayedQueue) -> int:
    """Move what S3 sent to ``mailbox_url`` (a plain queue of the emulator's) into ``queue``,
    as sent now; how many."""
    moved = 0
    for body in taken_bodies(sqs, mailbox_url):
        queue.send(body)
        moved += 1
    return moved


def notify_into(s3: Any, sqs: Any, bucket: str, prefix: str, name: str = "heal-mailbox") -> str:
    """A plain queue that the bucket notifies of every object created under ``prefix`` (as the
    module configures its bucket for the heal queue); its URL. S3's test message is drained."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "heal",
                    "QueueArn": arn["QueueArn"],
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
                }
            ]
        },
    )
    for _ in taken_bodies(sqs, url):  # S3's test message, and what an earlier configuration left
        pass
    return str(url)
