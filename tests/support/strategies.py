"""Hypothesis strategies: realistic event timelines for one message, from every source."""

from __future__ import annotations

from hypothesis import strategies as st

from .events import pinpoint_email, pinpoint_sms, ses, sms_v2

TIMES = st.integers(min_value=1_600_000_000_000, max_value=1_600_000_100_000)

SES_TYPES = [
    "Send",
    "Delivery",
    "DeliveryDelay",
    "Reject",
    "Rendering Failure",
    "Complaint",
    "Open",
    "Click",
    "Subscription",
]
PINPOINT_EMAIL_TYPES = [
    "_email.send",
    "_email.delivered",
    "_email.softbounce",
    "_email.hardbounce",
    "_email.rejected",
    "_email.complaint",
    "_email.open",
    "_email.click",
    "_email.unsubscribe",
    "_email.rendering_failure",
]
PINPOINT_SMS = [
    ("_SMS.BUFFERED", "PENDING"),
    ("_SMS.SUCCESS", "SUCCESSFUL"),
    ("_SMS.SUCCESS", "DELIVERED"),
    ("_SMS.FAILURE", "UNREACHABLE"),
    ("_SMS.OPTOUT", "OPTED_OUT"),
]
SMS_V2_TYPES = [
    "TEXT_QUEUED",
    "TEXT_PENDING",
    "TEXT_SUCCESSFUL",
    "TEXT_DELIVERED",
    "TEXT_CARRIER_UNREACHABLE",
    "TEXT_BLOCKED",
]


@st.composite
def ses_event(draw: st.DrawFn, message_id: str) -> dict:
    event_type = draw(st.sampled_from([*SES_TYPES, "Bounce"]))
    bounce_type = draw(st.sampled_from(["Permanent", "Transient", "Undetermined"]))
    return ses(event_type, message_id, draw(TIMES), bounce_type=bounce_type)


@st.composite
def pinpoint_email_event(draw: st.DrawFn, message_id: str) -> dict:
    event_type = draw(st.sampled_from(PINPOINT_EMAIL_TYPES))
    link = draw(st.sampled_from(["https://example.com/a", "https://example.com/b"]))
    return pinpoint_email(event_type, message_id, draw(TIMES), link=link)


@st.composite
def pinpoint_sms_event(draw: st.DrawFn, message_id: str) -> dict:
    event_type, record_status = draw(st.sampled_from(PINPOINT_SMS))
    return pinpoint_sms(event_type, message_id, draw(TIMES), record_status)


@st.composite
def sms_v2_event(draw: st.DrawFn, message_id: str) -> dict:
    event_type = draw(st.sampled_from(SMS_V2_TYPES))
    return sms_v2(event_type, message_id, draw(TIMES), is_final=draw(st.booleans()))


SOURCES = [ses_event, pinpoint_email_event, pinpoint_sms_event, sms_v2_event]


@st.composite
def timeline(
    draw: st.DrawFn, message_id: str = "msg-1", min_size: int = 1, max_size: int = 8
) -> list[dict]:
    """Events of one message from one source, possibly with exact duplicates."""
    source = draw(st.sampled_from(SOURCES))
    events = draw(st.lists(source(message_id), min_size=min_size, max_size=max_size))
    duplicates = draw(st.lists(st.sampled_from(events), max_size=2)) if events else []
    return events + duplicates
