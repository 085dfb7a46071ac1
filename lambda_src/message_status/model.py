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


# Event kinds: the seed's DynamoDB attribute names, plus delivery_delay.
EMAIL_KINDS: Final = (
    "send",
    "delivered",
    "delivery_delay",
    "softbounce",
    "hardbounce",
    "rejected",
    "rendering_failure",
    "complaint",
    "open",
    "click",
    "unsubscribe",
)
SMS_KINDS: Final = ("buffered", "success", "failure", "optout")
ALL_KINDS: Final = EMAIL_KINDS + SMS_KINDS

# Status precedence per channel, lowest first: a later event replaces the
# status only when its status ranks higher.
PRECEDENCE: Final = MappingProxyType(
    {
        Channel.EMAIL: (
            "SENT",
            "DELAYED",
            "SOFT_BOUNCED",
            "DELIVERED",
            "OPENED",
            "CLICKED",
            "UNSUBSCRIBED",
            "COMPLAINED",
            "HARD_BOUNCED",
            "REJECTED",
            "RENDERING_FAILED",
        ),
        Channel.SMS: ("PENDING", "SENT", "FAILED", "DELIVERED", "OPTED_OUT"),
    }
)

# Kind -> status. The one kind whose status depends on the event is the SMS
# `success`: DELIVERED when the carrier confirmed delivery, else SENT.
KIND_STATUS: Final = MappingProxyType(
    {
        "send": "SENT",
        "delivery_delay": "DELAYED",
        "softbounce": "SOFT_BOUNCED",
        "delivered": "DELIVERED",
        "open": "OPENED",
        "click": "CLICKED",
        "unsubscribe": "UNSUBSCRIBED",
        "complaint": "COMPLAINED",
        "hardbounce": "HARD_BOUNCED",
        "rejected": "REJECTED",
        "rendering_failure": "RENDERING_FAILED",
        "buffered": "PENDING",
        "success": "SENT",
        "failure": "FAILED",
        "optout": "OPTED_OUT",
    }
)
SMS_DELIVERED_MARKERS: Final = frozenset({"DELIVERED", "TEXT_DELIVERED"})

# Status -> when it is final (per channel, because SENT differs).
FINALITY: Final = MappingProxyType(
    {
        Channel.EMAIL: MappingProxyType(
            {
                "SENT": Finality.NEVER,
                "DELAYED": Finality.NEVER,
                "SOFT_BOUNCED": Finality.UNLESS_PINPOINT,
                "DELIVERED": Finality.ALWAYS,
                "OPENED": Finality.ALWAYS,
                "CLICKED": Finality.ALWAYS,
                "UNSUBSCRIBED": Finality.ALWAYS,
                "COMPLAINED": Finality.ALWAYS,
                "HARD_BOUNCED": Finality.ALWAYS,
                "REJECTED": Finality.ALWAYS,
                "RENDERING_FAILED": Finality.ALWAYS,
            }
        ),
        Channel.SMS: MappingProxyType(
            {
                "PENDING": Finality.NEVER,
                "SENT": Finality.SOURCE_SAYS,
                "FAILED": Finality.ALWAYS,
                "DELIVERED": Finality.ALWAYS,
                "OPTED_OUT": Finality.ALWAYS,
            }
        ),
    }
)

# Source event type -> kind. Event types missing here are not message-delivery
# events (sessions, campaigns, custom events, inbound SMS, voice): they are
# recognised and dropped, never failed.
PINPOINT_EVENT_KINDS: Final = MappingProxyType(
    {
        "_email.send": "send",
        "_email.delivered": "delivered",
        "_email.delivery_delay": "delivery_delay",
        "_email.softbounce": "softbounce",
        "_email.hardbounce": "hardbounce",
        "_email.rejected": "rejected",
        "_email.rendering_failure": "rendering_failure",
        "_email.complaint": "complaint",
        "_email.open": "open",
        "_email.click": "click",
        "_email.unsubscribe": "unsubscribe",
        "_SMS.BUFFERED": "buffered",
        "_SMS.SUCCESS": "success",
        "_SMS.FAILURE": "failure",
        "_SMS.OPTOUT": "optout",
    }
)
SES_EVENT_KINDS: Final = MappingProxyType(
    {
        "Send": "send",
        "Delivery": "delivered",
        "DeliveryDelay": "delivery_delay",
        "Reject": "rejected",
        "Rendering Failure": "rendering_failure",
        "Complaint": "complaint",
        "Open": "open",
        "Click": "click",
        # Bounce and Subscription depend on the event body: see SES_BOUNCE_KINDS
        # and parse.ses_subscription_kind.
    }
)
SES_BOUNCE_KINDS: Final = MappingProxyType(
    {"Permanent": "hardbounce", "Transient": "softbounce", "Undetermined": "softbounce"}
)
SMS_V2_EVENT_KINDS: Final = MappingProxyType(
    {
        "TEXT_QUEUED": "buffered",
        "TEXT_PENDING": "buffered",
        "TEXT_SUCCESSFUL": "success",
        "TEXT_DELIVERED": "success",
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

# Limits that keep every message servable by the API and every item under
# DynamoDB's 400 KB cap.
MAX_MESSAGE_ID_LENGTH: Final = 256
MAX_DETAIL_LENGTH: Final = 512
MAX_HISTORY_ENTRIES: Final = 200
DEFAULT_RETENTION_DAYS: Final = 90


def kind_channel(kind: str) -> Channel:
    """The channel an event kind belongs to."""
    return Channel.EMAIL if kind in EMAIL_KINDS else Channel.SMS


def status_rank(channel: Channel, status: str) -> int:
    """Position of ``status`` in the channel's precedence (higher wins)."""
    return PRECEDENCE[channel].index(status)
