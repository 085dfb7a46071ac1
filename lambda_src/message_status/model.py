"""The status model: every mapping table, defined once.

The transform, the query, the README and the OpenAPI document all take their
event kinds, statuses, precedence and finality from here (tests check the docs
against these tables), so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class Source(StrEnum):
    PINPOINT = "pinpoint"
    SES = "ses"
    SMS_V2 = "sms-v2"


class Finality(StrEnum):
    """When an event of a given status means the outcome will not change."""

    ALWAYS = "always"
    NEVER = "never"
    SOURCE_SAYS = "source_says"  # only when the source marks the event final (SMS v2 isFinal)
    UNLESS_PINPOINT = "unless_pinpoint"  # SES publishes a soft bounce only after it stops retrying


class Kind(StrEnum):
    """What an event says happened: the seed's DynamoDB attribute names, plus delivery_delay."""

    SEND = "send"
    DELIVERED = "delivered"
    DELIVERY_DELAY = "delivery_delay"
    SOFTBOUNCE = "softbounce"
    HARDBOUNCE = "hardbounce"
    REJECTED = "rejected"
    RENDERING_FAILURE = "rendering_failure"
    COMPLAINT = "complaint"
    OPEN = "open"
    CLICK = "click"
    UNSUBSCRIBE = "unsubscribe"
    BUFFERED = "buffered"
    SUCCESS = "success"
    FAILURE = "failure"
    OPTOUT = "optout"


class Status(StrEnum):
    """A message's status; each channel ranks its own (PRECEDENCE)."""

    PENDING = "PENDING"
    SENT = "SENT"
    DELAYED = "DELAYED"
    SOFT_BOUNCED = "SOFT_BOUNCED"
    DELIVERED = "DELIVERED"
    OPENED = "OPENED"
    CLICKED = "CLICKED"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    COMPLAINED = "COMPLAINED"
    HARD_BOUNCED = "HARD_BOUNCED"
    REJECTED = "REJECTED"
    RENDERING_FAILED = "RENDERING_FAILED"
    FAILED = "FAILED"
    OPTED_OUT = "OPTED_OUT"


EMAIL_KINDS: Final = (
    Kind.SEND,
    Kind.DELIVERED,
    Kind.DELIVERY_DELAY,
    Kind.SOFTBOUNCE,
    Kind.HARDBOUNCE,
    Kind.REJECTED,
    Kind.RENDERING_FAILURE,
    Kind.COMPLAINT,
    Kind.OPEN,
    Kind.CLICK,
    Kind.UNSUBSCRIBE,
)
SMS_KINDS: Final = (Kind.BUFFERED, Kind.SUCCESS, Kind.FAILURE, Kind.OPTOUT)
ALL_KINDS: Final = EMAIL_KINDS + SMS_KINDS

# Status precedence per channel, lowest first: a later event replaces the
# status only when its status ranks higher.
PRECEDENCE: Final = MappingProxyType(
    {
        Channel.EMAIL: (
            Status.SENT,
            Status.DELAYED,
            Status.SOFT_BOUNCED,
            Status.DELIVERED,
            Status.OPENED,
            Status.CLICKED,
            Status.UNSUBSCRIBED,
            Status.COMPLAINED,
            Status.HARD_BOUNCED,
            Status.REJECTED,
            Status.RENDERING_FAILED,
        ),
        Channel.SMS: (
            Status.PENDING,
            Status.SENT,
            Status.FAILED,
            Status.DELIVERED,
            Status.OPTED_OUT,
        ),
    }
)

# Kind -> status. The one kind whose status depends on the event is the SMS
# `success`: DELIVERED when the carrier confirmed delivery, else SENT.
KIND_STATUS: Final = MappingProxyType(
    {
        Kind.SEND: Status.SENT,
        Kind.DELIVERY_DELAY: Status.DELAYED,
        Kind.SOFTBOUNCE: Status.SOFT_BOUNCED,
        Kind.DELIVERED: Status.DELIVERED,
        Kind.OPEN: Status.OPENED,
        Kind.CLICK: Status.CLICKED,
        Kind.UNSUBSCRIBE: Status.UNSUBSCRIBED,
        Kind.COMPLAINT: Status.COMPLAINED,
        Kind.HARDBOUNCE: Status.HARD_BOUNCED,
        Kind.REJECTED: Status.REJECTED,
        Kind.RENDERING_FAILURE: Status.RENDERING_FAILED,
        Kind.BUFFERED: Status.PENDING,
        Kind.SUCCESS: Status.SENT,
        Kind.FAILURE: Status.FAILED,
        Kind.OPTOUT: Status.OPTED_OUT,
    }
)
# The details (SMS v2 messageStatus, Pinpoint record_status) or event types
# that mean the carrier confirmed delivery.
SMS_DELIVERED_MARKERS: Final = frozenset({"DELIVERED", "TEXT_DELIVERED"})

# Status -> when it is final (per channel, because SENT differs).
FINALITY: Final = MappingProxyType(
    {
        Channel.EMAIL: MappingProxyType(
            {
                Status.SENT: Finality.NEVER,
                Status.DELAYED: Finality.NEVER,
                Status.SOFT_BOUNCED: Finality.UNLESS_PINPOINT,
                Status.DELIVERED: Finality.ALWAYS,
                Status.OPENED: Finality.ALWAYS,
                Status.CLICKED: Finality.ALWAYS,
                Status.UNSUBSCRIBED: Finality.ALWAYS,
                Status.COMPLAINED: Finality.ALWAYS,
                Status.HARD_BOUNCED: Finality.ALWAYS,
                Status.REJECTED: Finality.ALWAYS,
                Status.RENDERING_FAILED: Finality.ALWAYS,
            }
        ),
        Channel.SMS: MappingProxyType(
            {
                Status.PENDING: Finality.NEVER,
                Status.SENT: Finality.SOURCE_SAYS,
                Status.FAILED: Finality.ALWAYS,
                Status.DELIVERED: Finality.ALWAYS,
                Status.OPTED_OUT: Finality.ALWAYS,
            }
        ),
    }
)

# Source event type -> kind. Event types missing here are not message-delivery
# events (sessions, campaigns, custom events, inbound SMS, voice): they are
# recognised and dropped, never failed.
PINPOINT_EVENT_KINDS: Final = MappingProxyType(
    {
        "_email.send": Kind.SEND,
        "_email.delivered": Kind.DELIVERED,
        "_email.delivery_delay": Kind.DELIVERY_DELAY,
        "_email.softbounce": Kind.SOFTBOUNCE,
        "_email.hardbounce": Kind.HARDBOUNCE,
        "_email.rejected": Kind.REJECTED,
        "_email.rendering_failure": Kind.RENDERING_FAILURE,
        "_email.complaint": Kind.COMPLAINT,
        "_email.open": Kind.OPEN,
        "_email.click": Kind.CLICK,
        "_email.unsubscribe": Kind.UNSUBSCRIBE,
        "_SMS.BUFFERED": Kind.BUFFERED,
        "_SMS.SUCCESS": Kind.SUCCESS,
        "_SMS.FAILURE": Kind.FAILURE,
        "_SMS.OPTOUT": Kind.OPTOUT,
    }
)
SES_EVENT_KINDS: Final = MappingProxyType(
    {
        "Send": Kind.SEND,
        "Delivery": Kind.DELIVERED,
        "DeliveryDelay": Kind.DELIVERY_DELAY,
        "Reject": Kind.REJECTED,
        "Rendering Failure": Kind.RENDERING_FAILURE,
        "Complaint": Kind.COMPLAINT,
        "Open": Kind.OPEN,
        "Click": Kind.CLICK,
        # Bounce and Subscription depend on the event body: see SES_BOUNCE_KINDS
        # and parse.ses_subscription_kind.
    }
)
SES_BOUNCE_KINDS: Final = MappingProxyType(
    {"Permanent": Kind.HARDBOUNCE, "Transient": Kind.SOFTBOUNCE, "Undetermined": Kind.SOFTBOUNCE}
)
SMS_V2_EVENT_KINDS: Final = MappingProxyType(
    {
        "TEXT_QUEUED": Kind.BUFFERED,
        "TEXT_PENDING": Kind.BUFFERED,
        "TEXT_SUCCESSFUL": Kind.SUCCESS,
        "TEXT_DELIVERED": Kind.SUCCESS,
    }
)
# Every other TEXT_* event type is a failure, its reason kept as the detail.
SMS_V2_TEXT_PREFIX: Final = "TEXT_"

# The descriptive attributes of the item: the seed's names, in one place.
EMAIL_ATTRIBUTES: Final = ("from_address", "destination")
SMS_ATTRIBUTES: Final = (
    "origination_phone_number",
    "destination_phone_number",
    "record_status",
    "iso_country_code",
    "message_type",
    "price_in_millicents_usd",
)
COMMON_ATTRIBUTES: Final = ("aws_account_id", "client", "campaign_id", "journey_id")
ALL_ATTRIBUTES: Final = COMMON_ATTRIBUTES + EMAIL_ATTRIBUTES + SMS_ATTRIBUTES
# The recipients are kept apart from the other attributes (normalized, with
# per-recipient outcomes), and record_status is derived from the history.
RECIPIENT_ATTRIBUTES: Final = ("destination", "destination_phone_number")
DESCRIPTIVE_ATTRIBUTES: Final = tuple(
    name for name in ALL_ATTRIBUTES if name not in (*RECIPIENT_ATTRIBUTES, "record_status")
)

# --- recipients -----------------------------------------------------------------------
# A message's status is the highest-precedence status among all its events,
# whichever recipient they concern: a message to A and B where B bounced is
# HARD_BOUNCED, as it always was. Each recipient's own status is the same rule
# applied to the events that concern it: events that name recipients (SES
# Delivery, Bounce, Complaint, DeliveryDelay) concern only those; the others
# (send, reject, rendering failure, open, click, unsubscribe, every Pinpoint
# email event) concern every recipient. An SMS has exactly one recipient.
RECIPIENT_EXPLANATION: Final = (
    "A message's `status` is the highest-precedence status among all its events, whichever "
    "recipient they concern, as it always was: an email to A and B where B bounced is "
    "`HARD_BOUNCED`. Each entry of `recipients` applies the same rule to the events that "
    "concern that recipient: SES Delivery, Bounce, Complaint and DeliveryDelay events name "
    "their recipients and concern only them; every other event (send, reject, rendering "
    "failure, open, click, unsubscribe, and every Pinpoint email event) concerns every "
    "recipient. A recipient no event concerns yet is `SENT` (email) or `PENDING` (SMS), not "
    "final. An SMS has exactly one recipient."
)

# --- search ---------------------------------------------------------------------------
# Statuses on a message's expected path are not indexed for window searches:
# nearly every message passes through them, so indexing them would cost an
# index write (and a delete) for nearly every message. The others are what
# an on-call engineer looks for, and only some messages reach them.
EXPECTED_PATH: Final = MappingProxyType(
    {
        Channel.EMAIL: (Status.SENT, Status.DELIVERED, Status.OPENED, Status.CLICKED),
        Channel.SMS: (Status.PENDING, Status.SENT, Status.DELIVERED),
    }
)
WINDOW_STATUSES: Final = MappingProxyType(
    {
        channel: tuple(s for s in PRECEDENCE[channel] if s not in EXPECTED_PATH[channel])
        for channel in Channel
    }
)
FAILURE_STATUSES: Final = frozenset(
    {
        Status.SOFT_BOUNCED,
        Status.HARD_BOUNCED,
        Status.REJECTED,
        Status.RENDERING_FAILED,
        Status.FAILED,
        Status.OPTED_OUT,
    }
)
# Final statuses that mean the message reached its recipient: a delivery, and
# what only a recipient holding the message can do (open, click, unsubscribe,
# complain). Every other final status is a failure (FAILURE_STATUSES) or an SMS
# final at SENT, whose carrier sends no delivery receipt.
DELIVERED_STATUSES: Final = frozenset(
    {Status.DELIVERED, Status.OPENED, Status.CLICKED, Status.UNSUBSCRIBED, Status.COMPLAINED}
)


class Group(StrEnum):
    """Named sets of outcomes a window search can ask for instead of one status."""

    FAILED = "failed"  # delivery failed for good: a final failure status
    PENDING = "pending"  # held up and not final: delayed, or soft-bounced and retrying


def in_group(group: Group, status: Status, final: bool) -> bool:
    if group is Group.FAILED:
        return final and status in FAILURE_STATUSES
    return not final


GROUP_DESCRIPTIONS: Final = MappingProxyType(
    {
        Group.FAILED: "final failures: " + ", ".join(sorted(FAILURE_STATUSES)),
        Group.PENDING: "not final yet, among the window-indexed statuses: held up "
        "(DELAYED), or soft-bounced and still retrying (Pinpoint SOFT_BOUNCED)",
    }
)
MAX_SEARCH_WINDOW_DAYS: Final = 7
MAX_SEARCH_LIMIT: Final = 100
DEFAULT_SEARCH_LIMIT: Final = 25
DEFAULT_SEARCH_SHARDS: Final = 4


@dataclass(frozen=True)
class Index:
    """A global secondary index of the table: KEYS_ONLY, written only when its keys change."""

    name: str
    partition_key: str
    sort_key: str


RECIPIENT_INDEX: Final = Index("by_recipient", "rcpt", "sent")
CORRELATION_INDEX: Final = Index("by_correlation", "cid", "sent")
OUTCOME_INDEX: Final = Index("by_outcome", "ost", "oat")
INDEXES: Final = (RECIPIENT_INDEX, CORRELATION_INDEX, OUTCOME_INDEX)

# Limits that keep every message servable by the API and every item far under
# DynamoDB's 400 KB cap (the history's own bounds are in history.py).
MAX_MESSAGE_ID_LENGTH: Final = 256
# A detail (bounce type, SMS status, link, ...) and a description (a diagnostic
# code, ...) are cut at this many UTF-8 bytes: with at most 50 recipients and
# five classes of event each that name them, a history stays under ~140 KB.
MAX_DETAIL_BYTES: Final = 256
# SES accepts at most 50 recipients per message; a longer list is hostile.
MAX_RECIPIENTS: Final = 50
DEFAULT_RETENTION_DAYS: Final = 90


def kind_channel(kind: Kind) -> Channel:
    """The channel an event kind belongs to."""
    return Channel.EMAIL if kind in EMAIL_KINDS else Channel.SMS
