"""The normalized event: one shape for every source, and the archive's line schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import ALL_ATTRIBUTES, Channel, Kind, Source, Status
from .timefmt import to_iso

# The archive line's columns and their Hive/Glue types, in line order: the one
# schema that archive_line writes, the Glue table (analytics.tf, through
# dist/archive_columns.json) declares and the named queries read.
ARCHIVE_LINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("message_id", "string"),
    ("channel", "string"),
    ("source", "string"),
    ("event_type", "string"),
    ("kind", "string"),
    ("status", "string"),
    ("event_is_final", "boolean"),
    ("event_time", "string"),  # ISO-8601, UTC, milliseconds
    ("event_time_ms", "bigint"),
    ("detail", "string"),
    ("description", "string"),
    ("aws_account_id", "string"),
    ("aws_region", "string"),  # the Region the message was sent in
    ("client", "string"),
    ("campaign_id", "string"),
    ("journey_id", "string"),
    ("from_address", "string"),
    ("destination", "array<string>"),
    ("origination_phone_number", "string"),
    ("destination_phone_number", "string"),
    ("record_status", "string"),
    ("iso_country_code", "string"),
    ("message_type", "string"),
    ("price_in_millicents_usd", "double"),
    ("recipients", "array<string>"),
    ("sent_at", "string"),  # ISO-8601, when the message was sent, if the source says
    ("correlation_id", "string"),
    ("automated", "boolean"),  # true for an open or click SES marks isBotEvent Likely
    ("tenant", "string"),  # the SES tenant the message was sent for (ses:tenant-name)
)


@dataclass(frozen=True)
class NormalizedEvent:
    """One delivery event, whatever source it came from."""

    message_id: str
    channel: Channel
    source: Source
    event_type: str  # the source's own name, e.g. "_SMS.SUCCESS", "Bounce", "TEXT_DELIVERED"
    kind: Kind
    status: Status  # the status this event alone implies
    final: bool  # whether this event alone makes that status final
    time_ms: int
    detail: str | None = None  # bounce type, SMS status, clicked link, ...
    description: str | None = None  # free text that explains the detail, when the source has it
    attributes: dict[str, Any] = field(default_factory=dict)
    # The normalized recipients the event names (SES bounces, deliveries, ...);
    # empty when it concerns every recipient of the message.
    recipients: tuple[str, ...] = ()
    # Every recipient of the message the event knows of (SES mail.destination,
    # the SMS destination number), normalized.
    destinations: tuple[str, ...] = ()
    sent_ms: int | None = None  # when the message was sent, if the source says
    correlation_id: str | None = None  # the caller's own id (module input correlation_key)
    # An open or click SES says a machine probably made (model.SES_AUTOMATED_FIELD):
    # kept in the history, never moving the status.
    automated: bool = False
    tenant: str | None = None  # the SES tenant the message was sent for (model.SES_TENANT_TAG)

    def archive_line(self) -> dict[str, Any]:
        """The flat JSON object written to S3: the same keys for every source."""
        line: dict[str, Any] = {
            "message_id": self.message_id,
            "channel": self.channel.value,
            "source": self.source.value,
            "event_type": self.event_type,
            "kind": self.kind,
            "status": self.status,
            "event_is_final": self.final,
            "event_time": to_iso(self.time_ms),
            "event_time_ms": self.time_ms,
            "detail": self.detail,
            "description": self.description,
        }
        for name in ALL_ATTRIBUTES:
            line[name] = self.attributes.get(name)
        line["recipients"] = list(self.recipients) or None
        line["sent_at"] = None if self.sent_ms is None else to_iso(self.sent_ms)
        line["correlation_id"] = self.correlation_id
        line["automated"] = True if self.automated else None
        line["tenant"] = self.tenant
        return line


@dataclass(frozen=True)
class NotADeliveryEvent:
    """A valid event that says nothing about a message's delivery (session, campaign, custom)."""

    event_type: str


class InvalidEvent(ValueError):
    """An event that cannot be processed; the reason goes to the logs."""
