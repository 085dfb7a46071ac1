"""Status documents as what a page shows, and as CSV. Pure functions, no HTML.

Every value here is plain text taken from the API's documents (which carry
text from the outside world); the templates escape all of it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from message_status.suppression import State

from msgstatus.outcome import Outcome, classify
from msgstatus.render import origin_text

NONE = "—"
MAX_LISTED_RECIPIENTS = 3

KIND_LABELS = {
    "send": "Sent",
    "delivered": "Delivered",
    "delivery_delay": "Delivery delayed",
    "softbounce": "Soft bounce",
    "hardbounce": "Hard bounce",
    "rejected": "Rejected",
    "rendering_failure": "Rendering failure",
    "complaint": "Complaint",
    "open": "Opened",
    "click": "Clicked",
    "unsubscribe": "Unsubscribed",
    "suppressed": "Suppressed (not sent)",
    "buffered": "Buffered",
    "success": "Success",
    "failure": "Failure",
    "optout": "Opted out",
    "mms_buffered": "MMS buffered",
    "mms_success": "MMS success",
    "mms_failure": "MMS failure",
    "voice_initiated": "Call placed",
    "voice_answered": "Call answered",
    "voice_completed": "Call completed",
    "voice_failure": "Call failed",
}
TONES = {Outcome.DELIVERED: "ok", Outcome.FAILED: "bad", Outcome.PENDING: "wait"}
MEANINGS = {
    Outcome.DELIVERED: "final: delivered",
    Outcome.FAILED: "final: not delivered",
    Outcome.PENDING: "not final yet",
}


@dataclass(frozen=True)
class Badge:
    """A status as a label: the status word itself, and a tone (ok, bad, wait) for colour."""

    status: str
    tone: str
    meaning: str


@dataclass(frozen=True)
class RecipientRow:
    address: str
    badge: Badge


@dataclass(frozen=True)
class Row:
    """One message in a list."""

    message_id: str
    href: str
    badge: Badge
    channel: str
    sent_at: str
    last_event_at: str
    recipients: tuple[RecipientRow, ...]
    more_recipients: int


@dataclass(frozen=True)
class Moment:
    """One history entry: when, what, and the source's own words for it."""

    time: str
    offset: str
    kind: str
    label: str
    detail: str
    description: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class MessageView:
    """One message in full."""

    message_id: str
    badge: Badge
    is_final: bool
    facts: tuple[tuple[str, str], ...]
    correlation_id: str | None
    recipients: tuple[RecipientRow, ...]
    timeline: tuple[Moment, ...]
    truncated: str | None
    state: str  # changes whenever what the page shows changes


def text(value: Any) -> str:
    return NONE if value is None or value == "" else str(value)


def badge(document: Mapping[str, Any]) -> Badge:
    outcome = classify(dict(document))
    return Badge(text(document.get("status")), TONES[outcome], MEANINGS[outcome])


def message_href(message_id: str) -> str:
    return "/messages/" + quote(message_id, safe="")


def recipient_rows(document: Mapping[str, Any]) -> tuple[RecipientRow, ...]:
    recipients = document.get("recipients")
    if not isinstance(recipients, Mapping):
        return ()
    return tuple(
        RecipientRow(str(address), badge(state if isinstance(state, Mapping) else {}))
        for address, state in recipients.items()
    )


def row(document: Mapping[str, Any]) -> Row:
    recipients = recipient_rows(document)
    message_id = text(document.get("message_id"))
    return Row(
        message_id=message_id,
        href=message_href(message_id),
        badge=badge(document),
        channel=text(document.get("channel")),
        sent_at=text(document.get("sent_at")),
        last_event_at=text(document.get("last_event_at")),
        recipients=recipients[:MAX_LISTED_RECIPIENTS],
        more_recipients=max(0, len(recipients) - MAX_LISTED_RECIPIENTS),
    )


def rows(documents: Iterable[Mapping[str, Any]]) -> list[Row]:
    return [row(document) for document in documents if isinstance(document, Mapping)]


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def offset(time: Any, start: Any) -> str:
    """``+1.85 s`` after the send (or ``+2 h 5 min``); empty when either time is unknown."""
    moment, origin = parse_time(time), parse_time(start)
    if moment is None or origin is None:
        return ""
    seconds = (moment - origin).total_seconds()
    if seconds == 0:
        return ""
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds:.2f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{sign}{minutes} min {int(seconds % 60)} s"
    hours = minutes // 60
    if hours < 48:
        return f"{sign}{hours} h {minutes % 60} min"
    return f"{sign}{hours // 24} d {hours % 24} h"


def moment(entry: Mapping[str, Any], sent_at: Any) -> Moment:
    kind = text(entry.get("kind"))
    named = entry.get("recipients")
    return Moment(
        time=text(entry.get("time")),
        offset=offset(entry.get("time"), sent_at),
        kind=kind,
        label=KIND_LABELS.get(kind, kind) + (" (automated)" if entry.get("automated") else ""),
        detail=str(entry.get("detail") or ""),
        description=str(entry.get("description") or ""),
        recipients=tuple(str(r) for r in named) if isinstance(named, list) else (),
    )


def truncation_note(document: Mapping[str, Any]) -> str | None:
    if not document.get("history_truncated"):
        return None
    counts = document.get("event_counts")
    total = (
        sum(v for v in counts.values() if isinstance(v, int)) if isinstance(counts, Mapping) else 0
    )
    return (
        f"Some events are left out of this history ({total} counted): "
        "the first of each kind and the latest six are kept; the S3 archive has them all."
    )


def facts(document: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    source = text(document.get("source"))
    pairs = [
        ("Channel", f"{text(document.get('channel'))} ({source})"),
        ("Sent", text(document.get("sent_at"))),
        ("Last event", text(document.get("last_event_at"))),
    ]
    origin = origin_text(document)
    if origin:
        pairs.append(("Sent from", origin))
    optional = [
        ("From", "from_address"),
        ("Origination number", "origination_phone_number"),
        ("Carrier status", "record_status"),
        ("Country", "iso_country_code"),
        ("Message type", "message_type"),
    ]
    pairs.extend((label, str(document[key])) for label, key in optional if document.get(key))
    return tuple(pairs)


def state_key(document: Mapping[str, Any]) -> str:
    """What the live refresh compares: status, finality, last event and history length."""
    history = document.get("history")
    length = len(history) if isinstance(history, list) else 0
    return "|".join(
        (
            text(document.get("status")),
            str(document.get("is_final") is True),
            text(document.get("last_event_at")),
            str(length),
        )
    )


def message_view(document: Mapping[str, Any]) -> MessageView:
    history = document.get("history")
    entries = [e for e in history if isinstance(e, Mapping)] if isinstance(history, list) else []
    correlation = document.get("correlation_id")
    return MessageView(
        message_id=text(document.get("message_id")),
        badge=badge(document),
        is_final=document.get("is_final") is True,
        facts=facts(document),
        correlation_id=str(correlation) if correlation else None,
        recipients=recipient_rows(document),
        timeline=tuple(moment(entry, document.get("sent_at")) for entry in entries),
        truncated=truncation_note(document),
        state=state_key(document),
    )


################################################################################
# A recipient's page
################################################################################

# The suppression state as a badge: its word, a tone (colour is only a second cue) and
# what it means.
SUPPRESSION_BADGES: dict[str, Badge] = {
    State.SUPPRESSED: Badge("SUPPRESSED", "bad", "Amazon SES does not deliver to this address"),
    State.NOT_SUPPRESSED: Badge("NOT SUPPRESSED", "ok", "not on the suppression list read"),
    State.UNKNOWN: Badge("UNKNOWN", "wait", "Amazon SES could not be asked: try again in a minute"),
    State.NOT_APPLICABLE: Badge("NOT APPLICABLE", "none", "a phone number: SES lists hold emails"),
}


@dataclass(frozen=True)
class Cause:
    """The message SES says put the address on its list, and what we know of it."""

    message_id: str
    href: str | None  # the console's page of the message, when the table has it
    badge: Badge | None
    note: str


@dataclass(frozen=True)
class SuppressionView:
    badge: Badge
    facts: tuple[tuple[str, str], ...]
    cause: Cause | None
    detail: str


@dataclass(frozen=True)
class RecipientView:
    address: str
    channel: str
    suppression: SuppressionView
    counts: str
    rows: list[Row]


def list_label(suppression: Mapping[str, Any]) -> str:
    if suppression.get("list") == "tenant":
        return f"tenant {text(suppression.get('tenant'))}"
    return "account-level (this account and Region)"


def cause(suppression: Mapping[str, Any]) -> Cause | None:
    found = suppression.get("cause")
    if not isinstance(found, Mapping):
        return None
    message_id = text(found.get("message_id"))
    message = found.get("message")
    if found.get("stored") is True and isinstance(message, Mapping):
        return Cause(message_id, message_href(message_id), badge(message), "")
    if found.get("stored") is False:
        return Cause(message_id, None, None, "not in the status table (sent before it, or expired)")
    error = text(found.get("lookup_error"))
    return Cause(message_id, None, None, f"the status table could not be read ({error})")


def suppression_view(suppression: Mapping[str, Any]) -> SuppressionView:
    state = str(suppression.get("state"))
    shown = SUPPRESSION_BADGES.get(state, Badge(text(state).upper(), "none", ""))
    facts: list[tuple[str, str]] = []
    if state != State.NOT_APPLICABLE:
        facts.append(("List", list_label(suppression)))
    for label, key in (
        ("Reason", "reason"),
        ("Since", "since"),
        ("Listed as", "listed_as"),
        ("Error code", "error_code"),
        ("Checked", "checked_at"),
    ):
        if suppression.get(key):
            facts.append((label, str(suppression[key])))
    if suppression.get("cause") is None and state == State.SUPPRESSED:
        facts.append(("Caused by", "no message recorded (added by hand or by an import)"))
    return SuppressionView(shown, tuple(facts), cause(suppression), text(suppression.get("detail")))


def own_row(document: Mapping[str, Any], address: str) -> Row:
    """A list row whose badge is this recipient's own status in the message."""
    recipients = document.get("recipients")
    own = recipients.get(address) if isinstance(recipients, Mapping) else None
    listed = row(document)
    if not isinstance(own, Mapping):
        return listed
    return replace(listed, badge=badge(own))


def counts_sentence(counts: Mapping[str, Any]) -> str:
    outcomes = counts.get("by_outcome")
    outcomes = outcomes if isinstance(outcomes, Mapping) else {}
    n = counts.get("messages", 0)
    return (
        f"On this page: {outcomes.get('delivered', 0)} delivered, "
        f"{outcomes.get('not_delivered', 0)} not delivered, {outcomes.get('not_final', 0)} not "
        f"final, of {n} message{'' if n == 1 else 's'}, each by this recipient's own outcome."
    )


def recipient_view(page: Mapping[str, Any]) -> RecipientView:
    address = text(page.get("address"))
    suppression = page.get("suppression")
    counts = page.get("counts")
    messages = page.get("messages")
    documents = (
        [m for m in messages if isinstance(m, Mapping)] if isinstance(messages, list) else []
    )
    return RecipientView(
        address=address,
        channel=text(page.get("channel")),
        suppression=suppression_view(suppression if isinstance(suppression, Mapping) else {}),
        counts=counts_sentence(counts if isinstance(counts, Mapping) else {}),
        rows=[own_row(document, address) for document in documents],
    )


################################################################################
# CSV
################################################################################

CSV_COLUMNS = (
    "message_id",
    "channel",
    "source",
    "status",
    "is_final",
    "sent_at",
    "last_event_at",
    "correlation_id",
    "recipients",
)
# A cell a spreadsheet would read as a formula; a phone number or a plain number is not one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?[0-9 ().-]+$")


def safe_cell(value: str) -> str:
    """The cell, with a leading ``'`` when a spreadsheet would run it as a formula."""
    if value.startswith(FORMULA_START) and not PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def recipients_cell(document: Mapping[str, Any]) -> str:
    return "; ".join(f"{r.address} {r.badge.status}" for r in recipient_rows(document))


def csv_row(document: Mapping[str, Any]) -> list[str]:
    def cell(name: str) -> str:
        value = document.get(name)
        return "" if value is None else str(value)

    cells = [
        cell("message_id"),
        cell("channel"),
        cell("source"),
        cell("status"),
        "true" if document.get("is_final") is True else "false",
        cell("sent_at"),
        cell("last_event_at"),
        cell("correlation_id"),
        recipients_cell(document),
    ]
    return [safe_cell(value) for value in cells]


def csv_text(documents: Sequence[Mapping[str, Any]]) -> str:
    """A header line, then one line per message (RFC 4180: CRLF, quoted when needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(document) for document in documents)
    return buffer.getvalue()


def in_order(documents: Iterable[Mapping[str, Any]], ids: Sequence[str]) -> list[Mapping[str, Any]]:
    """The documents in the order of ``ids`` (a batch-get answers in its own order)."""
    by_id = {str(d.get("message_id")): d for d in documents}
    return [by_id[i] for i in ids if i in by_id]
