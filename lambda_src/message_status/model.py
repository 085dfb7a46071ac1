"""The status model: every mapping table, defined once.

The transform, the query, the README and the OpenAPI document all take their
event kinds, statuses, precedence and finality from here (tests check the docs
against these tables), so they cannot drift apart.
"""

from __future__ import annotations

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

# Limits that keep every message servable by the API and every item far under
# DynamoDB's 400 KB cap (the history's own bounds are in history.py).
MAX_MESSAGE_ID_LENGTH: Final = 256
MAX_DETAIL_LENGTH: Final = 512
# SES accepts at most 50 recipients per message; a longer list is hostile.
MAX_RECIPIENTS: Final = 50
DEFAULT_RETENTION_DAYS: Final = 90


def kind_channel(kind: Kind) -> Channel:
    """The channel an event kind belongs to."""
    return Channel.EMAIL if kind in EMAIL_KINDS else Channel.SMS


def status_rank(channel: Channel, status: Status) -> int:
    """Position of ``status`` in the channel's precedence (higher wins)."""
    return PRECEDENCE[channel].index(status)
