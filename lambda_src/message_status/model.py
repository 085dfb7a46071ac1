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
    MMS = "mms"  # End User Messaging MEDIA_* events
    VOICE = "voice"  # End User Messaging VOICE_* events


class Source(StrEnum):
    PINPOINT = "pinpoint"
    SES = "ses"
    SMS_V2 = "sms-v2"


class Finality(StrEnum):
    """When an event of a given status means the outcome will not change."""

    ALWAYS = "always"
    NEVER = "never"
    SOURCE_SAYS = "source_says"  # only when the event says so (End User Messaging isFinal)
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
    SUPPRESSED = "suppressed"  # SES did not attempt delivery: the address is on a suppression list
    BUFFERED = "buffered"
    SUCCESS = "success"
    FAILURE = "failure"
    OPTOUT = "optout"
    # MMS and voice have kinds of their own, so that the kinds in a message's
    # history keep saying which channel it is (the item stores no channel).
    MMS_BUFFERED = "mms_buffered"
    MMS_SUCCESS = "mms_success"
    MMS_FAILURE = "mms_failure"
    VOICE_INITIATED = "voice_initiated"
    VOICE_ANSWERED = "voice_answered"
    VOICE_COMPLETED = "voice_completed"
    VOICE_FAILURE = "voice_failure"


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
    SUPPRESSED = "SUPPRESSED"
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
    Kind.SUPPRESSED,
)
SMS_KINDS: Final = (Kind.BUFFERED, Kind.SUCCESS, Kind.FAILURE, Kind.OPTOUT)
MMS_KINDS: Final = (Kind.MMS_BUFFERED, Kind.MMS_SUCCESS, Kind.MMS_FAILURE)
VOICE_KINDS: Final = (
    Kind.VOICE_INITIATED,
    Kind.VOICE_ANSWERED,
    Kind.VOICE_COMPLETED,
    Kind.VOICE_FAILURE,
)
ALL_KINDS: Final = EMAIL_KINDS + SMS_KINDS + MMS_KINDS + VOICE_KINDS
KIND_CHANNEL: Final = MappingProxyType(
    {
        **{kind: Channel.EMAIL for kind in EMAIL_KINDS},
        **{kind: Channel.SMS for kind in SMS_KINDS},
        **{kind: Channel.MMS for kind in MMS_KINDS},
        **{kind: Channel.VOICE for kind in VOICE_KINDS},
    }
)
# The channels of End User Messaging: one phone number per message, the same
# descriptive attributes, and a carrier or service status behind each status.
PHONE_CHANNELS: Final = frozenset({Channel.SMS, Channel.MMS, Channel.VOICE})

# Status precedence per channel, lowest first: a later event replaces the
# status only when its status ranks higher.
#
# SUPPRESSED ranks above every status that says the mail reached someone and
# below HARD_BOUNCED. Above, because it is a failure: a mail to A and B where
# SES suppressed B is not fully delivered, so it shows SUPPRESSED (as one
# bounce among deliveries shows HARD_BOUNCED). Below HARD_BOUNCED, because a
# bounce is new evidence from a receiving server that costs reputation, while
# a suppression repeats what SES already knew and (account and tenant lists)
# counts in no bounce rate. REJECTED and RENDERING_FAILED stay on top: they
# concern the whole message. For one recipient the order rarely matters: SES
# sends a suppressed address nothing, so only its Send and the suppression
# come (and, from the tenant list, nothing else).
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
            Status.SUPPRESSED,
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
        # MMS and voice follow SMS: a delivery receipt outranks a failure that
        # came before it (a transient one the service then retried).
        Channel.MMS: (Status.PENDING, Status.SENT, Status.FAILED, Status.DELIVERED),
        Channel.VOICE: (Status.PENDING, Status.SENT, Status.FAILED, Status.DELIVERED),
    }
)

# Kind -> status. The kinds whose status depends on the event are the SMS and
# MMS successes: DELIVERED when the carrier confirmed delivery, else SENT.
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
        Kind.SUPPRESSED: Status.SUPPRESSED,
        Kind.HARDBOUNCE: Status.HARD_BOUNCED,
        Kind.REJECTED: Status.REJECTED,
        Kind.RENDERING_FAILURE: Status.RENDERING_FAILED,
        Kind.BUFFERED: Status.PENDING,
        Kind.SUCCESS: Status.SENT,
        Kind.FAILURE: Status.FAILED,
        Kind.OPTOUT: Status.OPTED_OUT,
        Kind.MMS_BUFFERED: Status.PENDING,
        Kind.MMS_SUCCESS: Status.SENT,
        Kind.MMS_FAILURE: Status.FAILED,
        Kind.VOICE_INITIATED: Status.PENDING,
        Kind.VOICE_ANSWERED: Status.SENT,
        Kind.VOICE_COMPLETED: Status.DELIVERED,
        Kind.VOICE_FAILURE: Status.FAILED,
    }
)
# The kinds that are DELIVERED when the carrier confirmed delivery, and the
# details (End User Messaging messageStatus, Pinpoint record_status) or event
# types that say it did.
CARRIER_SUCCESS_KINDS: Final = frozenset({Kind.SUCCESS, Kind.MMS_SUCCESS})
SMS_DELIVERED_MARKERS: Final = frozenset({"DELIVERED", "TEXT_DELIVERED", "MEDIA_DELIVERED"})

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
                Status.SUPPRESSED: Finality.ALWAYS,
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
        # The usual finality of MMS and voice statuses; each End User Messaging
        # event type may say otherwise (END_USER_MESSAGING_EVENT_TYPES).
        Channel.MMS: MappingProxyType(
            {
                Status.PENDING: Finality.NEVER,
                Status.SENT: Finality.SOURCE_SAYS,
                Status.FAILED: Finality.ALWAYS,
                Status.DELIVERED: Finality.ALWAYS,
            }
        ),
        Channel.VOICE: MappingProxyType(
            {
                Status.PENDING: Finality.NEVER,
                Status.SENT: Finality.NEVER,
                Status.FAILED: Finality.ALWAYS,
                Status.DELIVERED: Finality.ALWAYS,
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


class SuppressionList(StrEnum):
    """The SES suppression list an address was on when SES declined to send to it."""

    ACCOUNT = "account"
    GLOBAL = "global"
    TENANT = "tenant"


# SES reports a send it declined because the address is suppressed as a Send,
# then a Bounce of type Permanent with one of these subtypes (SES Developer
# Guide, "Contents of event data that Amazon SES publishes to Firehose", Bounce
# types; tenant lists: "Using tenant-level suppression lists in Amazon SES",
# Identifying tenant suppression bounces). Such a bounce is kind `suppressed`,
# not `hardbounce`: no receiving server refused the mail, SES never sent it.
SES_SUPPRESSION_SUBTYPES: Final = MappingProxyType(
    {
        "OnAccountSuppressionList": SuppressionList.ACCOUNT,
        "Suppressed": SuppressionList.GLOBAL,
        "OnTenantSuppressionList": SuppressionList.TENANT,
    }
)
# A Complaint whose complaintSubType is OnAccountSuppressionList means "SES
# accepted the message, but didn't attempt to send it because it was on the
# account-level suppression list" (SES Developer Guide, "Amazon SNS
# notification contents", Complaint object; event publishing carries the same
# complaintSubType field). It is a suppression, not a complaint: nobody
# received the mail, so nobody complained, and SES leaves it out of its own
# complaint counts ("those originating from your account-level suppression
# list", SES API v2 reference, InsightsEvent). The tenant list's subtype is
# taken the same way should SES send it.
SES_COMPLAINT_SUPPRESSION_SUBTYPES: Final = MappingProxyType(
    {
        "OnAccountSuppressionList": SuppressionList.ACCOUNT,
        "OnTenantSuppressionList": SuppressionList.TENANT,
    }
)
# Whether SES counts a send to an address on the list in its own bounce rate.
# Account list: "This does not count toward your bounce rate metric" (SES
# Developer Guide, Bounce types). Global list: counted ("Amazon SES counts
# bounces from email addresses on the global suppression list toward your
# account's bounce rate", AWS Knowledge Center, "Do bounces from the Amazon SES
# suppression list affect my daily sending quota?"). Tenant list: SES says
# nothing; it is the tenant's own account-level list, taken as such. The
# bounce-rate alarm (alarms.tf) follows this table.
COUNTS_IN_SES_BOUNCE_RATE: Final = MappingProxyType(
    {
        SuppressionList.ACCOUNT: False,
        SuppressionList.GLOBAL: True,
        SuppressionList.TENANT: False,
    }
)


def suppression_list(detail: str | None) -> SuppressionList | None:
    """The list a `suppressed` event's detail names (``Permanent/OnAccountSuppressionList``,
    ``OnAccountSuppressionList``, ...), if any."""
    subtype = (detail or "").rsplit("/", 1)[-1]
    return SES_SUPPRESSION_SUBTYPES.get(subtype)


# Since August 2026 SES marks Open and Click events a machine probably made
# (security scanners, link prefetchers, privacy proxies) in this field of the
# open or click object, "Likely" or "Unlikely" (AWS What's New, 2026-08-07,
# "Amazon SES now helps identify automated open and click events in event
# notifications": "Open and Click event notifications now include an
# isBotEvent field ... with a value of Likely or Unlikely"). An event whose
# field is "Likely" is automated: kept in the history, marked, and never
# allowed to move a status. Any other value, or none, is a human's as before.
SES_AUTOMATED_FIELD: Final = "isBotEvent"
SES_AUTOMATED_VALUE: Final = "Likely"
AUTOMATABLE_KINDS: Final = frozenset({Kind.OPEN, Kind.CLICK})

# SES tags each event of a tenant's mail with the tenant's name: the message
# tag ses:tenant-name in mail.tags ("SES adds a ses:tenant-name tag to bounce
# and complaint notifications so that you can identify which tenant the event
# belongs to", SES Developer Guide, "Using tenant-level suppression lists in
# Amazon SES"). A tenant name is 1 to 64 letters, digits, hyphens and
# underscores (SES API v2 reference, CreateTenant).
SES_TENANT_TAG: Final = "ses:tenant-name"
TENANT_NAME_PATTERN: Final = r"[A-Za-z0-9_-]{1,64}"


@dataclass(frozen=True)
class EventTypeRule:
    """What one End User Messaging event type means: its kind, and when it is final."""

    kind: Kind
    finality: Finality
    meaning: str  # AWS's description, shortened (the README's table)


def _rule(kind: Kind, finality: Finality, meaning: str) -> EventTypeRule:
    return EventTypeRule(kind, finality, meaning)


_ALWAYS, _NEVER, _SAYS = Finality.ALWAYS, Finality.NEVER, Finality.SOURCE_SAYS

# Every SMS, MMS and voice event type of the End User Messaging SMS and Voice v2
# API's EventType enum (pinpoint-sms-voice-v2, 2022-03-31; a test walks
# botocore's copy of the enum), with the meaning AWS gives it in the End User
# Messaging SMS User Guide, "Event types for SMS, MMS, and voice". Finality is
# the event type's: ALWAYS where the type itself ends delivery (an invalid
# number, a block, an expired TTL, a completed call); SOURCE_SAYS where AWS
# calls the failure transient or possibly so, or the success may still be
# followed by a delivery receipt (the event's isFinal decides); NEVER for
# progress. A delivery receipt (TEXT_DELIVERED, MEDIA_DELIVERED,
# VOICE_COMPLETED) outranks an earlier failure (PRECEDENCE).
END_USER_MESSAGING_EVENT_TYPES: Final = MappingProxyType(
    {
        # SMS
        "TEXT_QUEUED": _rule(Kind.BUFFERED, _NEVER, "queued for delivery"),
        "TEXT_PENDING": _rule(Kind.BUFFERED, _NEVER, "being delivered, not delivered yet"),
        "TEXT_SENT": _rule(
            Kind.BUFFERED, _NEVER, "in the API's EventType enum, not described: taken as progress"
        ),
        "TEXT_SUCCESSFUL": _rule(Kind.SUCCESS, _SAYS, "accepted by the recipient's carrier"),
        "TEXT_DELIVERED": _rule(Kind.SUCCESS, _ALWAYS, "delivered"),
        "TEXT_INVALID": _rule(Kind.FAILURE, _ALWAYS, "the destination number is not valid"),
        "TEXT_INVALID_MESSAGE": _rule(Kind.FAILURE, _ALWAYS, "the message body is not valid"),
        "TEXT_UNREACHABLE": _rule(
            Kind.FAILURE, _SAYS, "the device is unavailable (off, or off the network)"
        ),
        "TEXT_CARRIER_UNREACHABLE": _rule(
            Kind.FAILURE, _SAYS, "a transient error on the recipient's carrier network"
        ),
        "TEXT_BLOCKED": _rule(
            Kind.FAILURE, _ALWAYS, "the recipient's device or carrier blocks messages to it"
        ),
        "TEXT_CARRIER_BLOCKED": _rule(
            Kind.FAILURE, _ALWAYS, "the carrier blocked it as malicious or abusive"
        ),
        "TEXT_SPAM": _rule(
            Kind.FAILURE, _ALWAYS, "the carrier blocked it as unsolicited commercial content"
        ),
        "TEXT_UNKNOWN": _rule(
            Kind.FAILURE, _SAYS, "failed for another reason, transient or permanent"
        ),
        "TEXT_TTL_EXPIRED": _rule(Kind.FAILURE, _ALWAYS, "not delivered within its TTL"),
        "TEXT_PROTECT_BLOCKED": _rule(Kind.FAILURE, _ALWAYS, "blocked by a protect configuration"),
        # MMS
        "MEDIA_QUEUED": _rule(Kind.MMS_BUFFERED, _NEVER, "queued for delivery"),
        "MEDIA_PENDING": _rule(Kind.MMS_BUFFERED, _NEVER, "being delivered, not delivered yet"),
        "MEDIA_SUCCESSFUL": _rule(Kind.MMS_SUCCESS, _SAYS, "accepted by the recipient's carrier"),
        "MEDIA_DELIVERED": _rule(Kind.MMS_SUCCESS, _ALWAYS, "delivered"),
        "MEDIA_INVALID": _rule(Kind.MMS_FAILURE, _ALWAYS, "the destination number is not valid"),
        "MEDIA_INVALID_MESSAGE": _rule(Kind.MMS_FAILURE, _ALWAYS, "the message body is not valid"),
        "MEDIA_UNREACHABLE": _rule(
            Kind.MMS_FAILURE, _SAYS, "the device is unavailable (off, or off the network)"
        ),
        "MEDIA_CARRIER_UNREACHABLE": _rule(
            Kind.MMS_FAILURE, _SAYS, "a transient error on the recipient's carrier network"
        ),
        "MEDIA_BLOCKED": _rule(
            Kind.MMS_FAILURE, _ALWAYS, "the recipient's device or carrier blocks messages to it"
        ),
        "MEDIA_CARRIER_BLOCKED": _rule(
            Kind.MMS_FAILURE, _ALWAYS, "the carrier blocked it as malicious or abusive"
        ),
        "MEDIA_SPAM": _rule(
            Kind.MMS_FAILURE, _ALWAYS, "the carrier blocked it as unsolicited commercial content"
        ),
        "MEDIA_UNKNOWN": _rule(
            Kind.MMS_FAILURE, _SAYS, "failed for another reason, transient or permanent"
        ),
        "MEDIA_TTL_EXPIRED": _rule(Kind.MMS_FAILURE, _ALWAYS, "not delivered within its TTL"),
        "MEDIA_FILE_INACCESSIBLE": _rule(
            Kind.MMS_FAILURE, _ALWAYS, "the service may not read the media file"
        ),
        "MEDIA_FILE_TYPE_UNSUPPORTED": _rule(
            Kind.MMS_FAILURE, _ALWAYS, "the media file's format is not supported"
        ),
        "MEDIA_FILE_SIZE_EXCEEDED": _rule(
            Kind.MMS_FAILURE, _ALWAYS, "the media file is larger than allowed (600 KB)"
        ),
        # voice
        "VOICE_INITIATED": _rule(Kind.VOICE_INITIATED, _NEVER, "the call was initiated"),
        "VOICE_RINGING": _rule(Kind.VOICE_INITIATED, _NEVER, "placed, not answered yet"),
        "VOICE_ANSWERED": _rule(Kind.VOICE_ANSWERED, _NEVER, "the recipient answered"),
        "VOICE_COMPLETED": _rule(
            Kind.VOICE_COMPLETED,
            _ALWAYS,
            "the audio message was played (to a person or a voicemail system)",
        ),
        "VOICE_BUSY": _rule(Kind.VOICE_FAILURE, _ALWAYS, "the line was busy"),
        "VOICE_NO_ANSWER": _rule(
            Kind.VOICE_FAILURE, _ALWAYS, "placed, but nobody (not even voicemail) answered"
        ),
        "VOICE_FAILED": _rule(Kind.VOICE_FAILURE, _ALWAYS, "failed to be delivered"),
        "VOICE_TTL_EXPIRED": _rule(Kind.VOICE_FAILURE, _ALWAYS, "not delivered within its TTL"),
    }
)
# An event type of a known channel that is not in the table (one AWS adds
# later) is a failure of that channel, final only when the event says so: it
# is kept, with its type as the detail, rather than dropped unseen, and a
# later delivery receipt still outranks it. Other End User Messaging events
# (RCS_*, registration status changes) are not tracked: dropped as not
# delivery events.
END_USER_MESSAGING_PREFIXES: Final = MappingProxyType(
    {"TEXT_": Kind.FAILURE, "MEDIA_": Kind.MMS_FAILURE, "VOICE_": Kind.VOICE_FAILURE}
)
UNKNOWN_EVENT_TYPE_FINALITY: Final = Finality.SOURCE_SAYS


def end_user_messaging_rule(event_type: str) -> EventTypeRule | None:
    """The rule of an End User Messaging event type; None when it is not tracked."""
    rule = END_USER_MESSAGING_EVENT_TYPES.get(event_type)
    if rule is not None:
        return rule
    for prefix, kind in END_USER_MESSAGING_PREFIXES.items():
        if event_type.startswith(prefix):
            return EventTypeRule(kind, UNKNOWN_EVENT_TYPE_FINALITY, "an event type AWS added later")
    return None


def end_user_messaging_prefix(event_type: str) -> str:
    """The channel prefix of an End User Messaging event type (``TEXT_``, ...), or ""."""
    return next((p for p in END_USER_MESSAGING_PREFIXES if event_type.startswith(p)), "")


# Event types to subscribe an End User Messaging configuration set's event
# destination to, per channel (the README's recommendation; ALL would also
# send RCS events, which are not tracked).
RECOMMENDED_EVENT_TYPES: Final = MappingProxyType(
    {Channel.SMS: "TEXT_ALL", Channel.MMS: "MEDIA_ALL", Channel.VOICE: "VOICE_ALL"}
)

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
# aws_account_id and aws_region: the account and Region that sent the message (a hub
# instance serves many: the envelope of an event forwarded through EventBridge names
# them; an event that arrives directly was sent in the hub's own Region).
COMMON_ATTRIBUTES: Final = ("aws_account_id", "aws_region", "client", "campaign_id", "journey_id")
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
    "recipient. A recipient no event concerns yet is `SENT` (email) or `PENDING` (SMS, MMS, "
    "voice), not final. An SMS, MMS or voice message has exactly one recipient. A recipient "
    "SES did not send to because it is suppressed is `SUPPRESSED`, and its entry names the "
    "list (`suppression_list`: account, global or tenant)."
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
        Channel.MMS: (Status.PENDING, Status.SENT, Status.DELIVERED),
        Channel.VOICE: (Status.PENDING, Status.SENT, Status.DELIVERED),
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
        Status.SUPPRESSED,
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
    PENDING = "pending"  # held up and not final: delayed, retrying, a transient failure


def in_group(group: Group, status: Status, final: bool) -> bool:
    if group is Group.FAILED:
        return final and status in FAILURE_STATUSES
    return not final


GROUP_DESCRIPTIONS: Final = MappingProxyType(
    {
        Group.FAILED: "final failures: " + ", ".join(sorted(FAILURE_STATUSES)),
        Group.PENDING: "not final yet, among the window-indexed statuses: held up "
        "(DELAYED), soft-bounced and still retrying (Pinpoint SOFT_BOUNCED), or an SMS or "
        "MMS failure the event calls transient (FAILED, `isFinal` false)",
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
# "tenant#shard", written once per message that names an SES tenant. Sharded
# like the outcome index (search_shards), so that one busy tenant's mail
# spreads over several index partitions instead of throttling one.
TENANT_INDEX: Final = Index("by_tenant", "tnt", "sent")
INDEXES: Final = (RECIPIENT_INDEX, CORRELATION_INDEX, OUTCOME_INDEX, TENANT_INDEX)

# Limits that keep every message servable by the API and every item far under
# DynamoDB's 400 KB cap (the history's own bounds are in history.py).
MAX_MESSAGE_ID_LENGTH: Final = 256
# A detail (bounce type, SMS status, link, ...) and a description (a diagnostic
# code, ...) are cut at this many UTF-8 bytes: with at most 50 recipients and
# six classes of event each that name them, a history stays under ~170 KB.
MAX_DETAIL_BYTES: Final = 256
# SES accepts at most 50 recipients per message; a longer list is hostile.
MAX_RECIPIENTS: Final = 50
DEFAULT_RETENTION_DAYS: Final = 90


def kind_channel(kind: Kind) -> Channel:
    """The channel an event kind belongs to."""
    return KIND_CHANNEL[kind]
