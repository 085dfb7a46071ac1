"""Hypothesis strategies: realistic event timelines for one message, from every source.

The event types come from the model's own tables (message_status.model), so
a kind or source event type added there is generated here without a second
list to keep in step; tests/test_properties_core.py checks that every kind is
reachable.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from message_status import model
from message_status.parse import SES_EVENT_TYPES

from devkit.events import pinpoint_email, pinpoint_sms, ses, sms_v2

TIMES = st.integers(min_value=1_600_000_000_000, max_value=1_600_000_100_000)

PINPOINT_EMAIL_TYPES = sorted(
    event_type
    for event_type, kind in model.PINPOINT_EVENT_KINDS.items()
    if model.kind_channel(kind) is model.Channel.EMAIL
)
PINPOINT_SMS_TYPES = sorted(
    event_type
    for event_type, kind in model.PINPOINT_EVENT_KINDS.items()
    if model.kind_channel(kind) is model.Channel.SMS
)
# Carrier or service statuses: the delivered markers, and others that are not.
RECORD_STATUSES = sorted({*model.SMS_DELIVERED_MARKERS, "SUCCESSFUL", "PENDING", "UNREACHABLE"})


# End User Messaging: every type of the model's table, per channel, and one AWS may add.
def _eum_types(prefix: str) -> list[str]:
    known = [t for t in model.END_USER_MESSAGING_EVENT_TYPES if t.startswith(prefix)]
    return sorted({*known, f"{prefix}ADDED_LATER"})


SMS_V2_TYPES = _eum_types("TEXT_")
MMS_TYPES = _eum_types("MEDIA_")
VOICE_TYPES = _eum_types("VOICE_")
BOUNCE_TYPES = sorted(model.SES_BOUNCE_KINDS)
# Bounce subtypes: an ordinary one, and every suppression list's.
BOUNCE_SUBTYPES = sorted({"General", *model.SES_SUPPRESSION_SUBTYPES})
# Complaint subtypes: none (a recipient's complaint), and the suppression ones.
COMPLAINT_SUBTYPES = [None, *sorted(model.SES_COMPLAINT_SUPPRESSION_SUBTYPES)]
# isBotEvent: absent, SES's two values, and one it might add.
BOT_VALUES = [None, model.SES_AUTOMATED_VALUE, "Unlikely", "Unknown"]
TENANTS = [None, "acme", "globex"]
# Up to three recipients, one written with capitals: they must merge as one.
ADDRESSES = ["alice@example.com", "Bob@Example.com", "carol@example.org"]
DESTINATIONS = st.lists(st.sampled_from(ADDRESSES), min_size=1, max_size=3, unique=True)
SENT = 1_600_000_000_000


@st.composite
def ses_event(draw: st.DrawFn, message_id: str) -> dict[str, Any]:
    """An SES event; events that name recipients name some of the message's three."""
    event_type = draw(st.sampled_from(sorted(SES_EVENT_TYPES)))
    bounce_type = draw(st.sampled_from(BOUNCE_TYPES))
    named = draw(st.lists(st.sampled_from(ADDRESSES), min_size=1, max_size=3, unique=True))
    if event_type == "Bounce":
        sub_type = draw(st.sampled_from(BOUNCE_SUBTYPES))
    elif event_type == "Complaint":
        sub_type = draw(st.sampled_from(COMPLAINT_SUBTYPES))
    else:
        sub_type = None
    tenant = draw(st.sampled_from(TENANTS))
    return ses(
        event_type,
        message_id,
        draw(TIMES),
        bounce_type=bounce_type,
        destination=ADDRESSES,
        named=named,
        sent_ms=SENT,
        sub_type=sub_type,
        bot=draw(st.sampled_from(BOT_VALUES)),
        tags={model.SES_TENANT_TAG: tenant} if tenant else None,
    )


@st.composite
def pinpoint_email_event(draw: st.DrawFn, message_id: str) -> dict[str, Any]:
    event_type = draw(st.sampled_from(PINPOINT_EMAIL_TYPES))
    link = draw(st.sampled_from(["https://example.com/a", "https://example.com/b"]))
    return pinpoint_email(event_type, message_id, draw(TIMES), link=link)


@st.composite
def pinpoint_sms_event(draw: st.DrawFn, message_id: str) -> dict[str, Any]:
    event_type = draw(st.sampled_from(PINPOINT_SMS_TYPES))
    record_status = draw(st.sampled_from(RECORD_STATUSES))
    return pinpoint_sms(event_type, message_id, draw(TIMES), record_status)


def _end_user_messaging_event(types: list[str]) -> Any:
    @st.composite
    def event(draw: st.DrawFn, message_id: str) -> dict[str, Any]:
        event_type = draw(st.sampled_from(types))
        return sms_v2(event_type, message_id, draw(TIMES), is_final=draw(st.booleans()))

    return event


sms_v2_event = _end_user_messaging_event(SMS_V2_TYPES)
mms_event = _end_user_messaging_event(MMS_TYPES)
voice_event = _end_user_messaging_event(VOICE_TYPES)

SOURCES = [
    ses_event,
    pinpoint_email_event,
    pinpoint_sms_event,
    sms_v2_event,
    mms_event,
    voice_event,
]


@st.composite
def timeline(
    draw: st.DrawFn, message_id: str = "msg-1", min_size: int = 1, max_size: int = 8
) -> list[dict[str, Any]]:
    """Events of one message from one source, possibly with exact duplicates."""
    source = draw(st.sampled_from(SOURCES))
    events = draw(st.lists(source(message_id), min_size=min_size, max_size=max_size))
    duplicates = draw(st.lists(st.sampled_from(events), max_size=2)) if events else []
    return events + duplicates


def every_generated_event(message_id: str = "msg-1") -> list[dict[str, Any]]:
    """One event of each type (and variant) the strategies above can draw."""
    events = [ses(t, message_id, 1_600_000_000_000) for t in sorted(SES_EVENT_TYPES)]
    events += [ses("Bounce", message_id, 1_600_000_000_000, bounce_type=b) for b in BOUNCE_TYPES]
    events += [ses("Bounce", message_id, 1_600_000_000_000, sub_type=s) for s in BOUNCE_SUBTYPES]
    events += [
        ses("Complaint", message_id, 1_600_000_000_000, sub_type=s) for s in COMPLAINT_SUBTYPES
    ]
    events += [
        ses(t, message_id, 1_600_000_000_000, bot=model.SES_AUTOMATED_VALUE)
        for t in ("Open", "Click")
    ]
    events += [ses("Send", message_id, 1_600_000_000_000, tags={model.SES_TENANT_TAG: "acme"})]
    events += [pinpoint_email(t, message_id, 1_600_000_000_000) for t in PINPOINT_EMAIL_TYPES]
    events += [
        pinpoint_sms(t, message_id, 1_600_000_000_000, status)
        for t in PINPOINT_SMS_TYPES
        for status in RECORD_STATUSES
    ]
    events += [
        sms_v2(t, message_id, 1_600_000_000_000) for t in SMS_V2_TYPES + MMS_TYPES + VOICE_TYPES
    ]
    return events


# Any text, lone UTF-16 surrogates included (test_fuzz, test_hostile_input, the query's
# hostile requests). JSON's \ud800 escapes carry them into a str, UTF-8 cannot encode them,
# and st.text() leaves them out by default: here about half the strings hold one.
LONE_SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)


def any_text(max_size: int = 20) -> st.SearchStrategy[str]:
    characters = st.characters(exclude_categories=())
    with_surrogates = st.lists(characters | LONE_SURROGATES, min_size=1, max_size=max_size)
    return st.text(characters, max_size=max_size) | with_surrogates.map("".join)


# Mutating a JSON document at one place (test_fuzz, test_hostile_input).


def paths(value: Any, prefix: tuple[str, ...] = ()) -> Any:
    """Every path to a value in ``value``: the empty one, then each key of each mapping, deep."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from paths(inner, (*prefix, key))


def replace_at(document: Any, path: tuple[str, ...], new: Any) -> Any:
    """``document`` with the value at ``path`` replaced by ``new`` (in place; the root returns ``new``)."""
    if not path:
        return new
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return document
