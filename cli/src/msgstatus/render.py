"""Status documents as text: pure functions from the API's JSON to lines and table rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgstatus.outcome import Outcome, classify

SEARCH_COLUMNS = ("message_id", "channel", "status", "final", "sent_at", "last_event_at")
NONE = "-"


def finality(document: Mapping[str, Any]) -> str:
    return "final" if document.get("is_final") is True else "not final"


def text(value: Any) -> str:
    return NONE if value is None or value == "" else str(value)


def history_line(entry: Mapping[str, Any], width: int) -> str:
    """``time  kind  detail: description  [recipients]``."""
    parts = [text(entry.get("time")), text(entry.get("kind")).ljust(width)]
    detail = ": ".join(str(entry[key]) for key in ("detail", "description") if entry.get(key))
    if detail:
        parts.append(detail)
    recipients = entry.get("recipients")
    if recipients:
        parts.append("[" + ", ".join(str(r) for r in recipients) + "]")
    if entry.get("automated"):
        parts.append("(automated: changes no status)")
    return "  ".join(parts).rstrip()


def timeline_lines(document: Mapping[str, Any]) -> list[str]:
    """A readable timeline: the message, its history oldest first, each recipient's outcome."""
    channel = text(document.get("channel"))
    if document.get("source"):
        channel += f" ({document['source']})"
    lines = [
        f"message  {text(document.get('message_id'))}",
        f"  channel      {channel}",
        f"  status       {text(document.get('status'))} ({finality(document)})",
        f"  sent at      {text(document.get('sent_at'))}",
        f"  last event   {text(document.get('last_event_at'))}",
    ]
    if document.get("correlation_id"):
        lines.append(f"  correlation  {document['correlation_id']}")
    if document.get("tenant"):
        lines.append(f"  tenant       {document['tenant']}")
    origin = origin_text(document)
    if origin:
        lines.append(f"  sent from    {origin}")
    history = [entry for entry in document.get("history") or [] if isinstance(entry, dict)]
    lines.append(f"  history ({len(history)} event{'' if len(history) == 1 else 's'})")
    width = max((len(text(entry.get("kind"))) for entry in history), default=0)
    lines.extend("    " + history_line(entry, width) for entry in history)
    if document.get("history_truncated"):
        counts = document.get("event_counts") or {}
        total = sum(v for v in counts.values() if isinstance(v, int))
        lines.append(f"    ... some events left out ({total} counted; the S3 archive has all)")
    recipients = document.get("recipients") or {}
    if recipients:
        lines.append(f"  recipients ({len(recipients)})")
        width = max(len(str(name)) for name in recipients)
        for name, entry in recipients.items():
            state = entry if isinstance(entry, dict) else {}
            listed = state.get("suppression_list")
            on_list = f", on the {listed} suppression list" if listed else ""
            lines.append(
                f"    {str(name).ljust(width)}  {text(state.get('status'))} "
                f"({finality(state)}{on_list})"
            )
    return lines


def origin_text(document: Mapping[str, Any]) -> str:
    """The account and Region a message was sent from ("111111111111 in eu-west-1")."""
    account, region = document.get("aws_account_id"), document.get("aws_region")
    if account and region:
        return f"{text(account)} in {text(region)}"
    return text(account or region) if account or region else ""


def search_row(document: Mapping[str, Any]) -> tuple[str, ...]:
    return (
        text(document.get("message_id")),
        text(document.get("channel")),
        text(document.get("status")),
        "yes" if document.get("is_final") is True else "no",
        text(document.get("sent_at")),
        text(document.get("last_event_at")),
    )


def change_line(elapsed_s: float, document: Mapping[str, Any] | None) -> str:
    """One line of ``watch`` progress: the status now, or that there are no events yet."""
    stamp = f"[{elapsed_s:6.1f}s]"
    if document is None:
        return f"{stamp} no events recorded yet"
    history = document.get("history") or []
    last = history[-1] if history and isinstance(history[-1], dict) else None
    line = f"{stamp} {text(document.get('status'))} ({finality(document)})"
    if last is not None:
        line += f", last event {text(last.get('kind'))} at {text(last.get('time'))}"
    return line


def outcome_line(message_id: str, document: Mapping[str, Any]) -> str:
    """The final word of ``watch`` for a message whose status is final."""
    status = text(document.get("status"))
    if classify(dict(document)) is Outcome.DELIVERED:
        return f"{message_id}: {status}, delivered"
    return f"{message_id}: {status}, final and not delivered"


# --- a recipient's page ------------------------------------------------------------------------

LIST_NAMES = {"account": "the account-level suppression list"}


def list_name(suppression: Mapping[str, Any]) -> str:
    if suppression.get("list") == "tenant":
        return f"tenant {text(suppression.get('tenant'))}'s suppression list"
    return LIST_NAMES["account"]


def cause_line(cause: Mapping[str, Any]) -> str:
    """The message SES says put the address on its list, and what we know of it."""
    line = f"message {text(cause.get('message_id'))}"
    message = cause.get("message")
    if cause.get("stored") is True and isinstance(message, Mapping):
        return f"{line}: {text(message.get('status'))} ({finality(message)})"
    if cause.get("stored") is False:
        return f"{line} (not in the status table)"
    return f"{line} (the status table could not be read: {text(cause.get('lookup_error'))})"


def suppression_lines(suppression: Mapping[str, Any]) -> list[str]:
    """The suppression state, first line labelled, the rest indented under it."""
    state = suppression.get("state")
    if state == "suppressed":
        lines = [
            f"SUPPRESSED ({text(suppression.get('reason'))}) since "
            f"{text(suppression.get('since'))}, on {list_name(suppression)}",
            f"listed as {text(suppression.get('listed_as'))}",
        ]
        cause = suppression.get("cause")
        if isinstance(cause, Mapping):
            lines.append("caused by " + cause_line(cause))
        else:
            lines.append("no cause recorded (added by hand or by an import)")
    elif state == "not_suppressed":
        lines = [f"not suppressed: not on {list_name(suppression)}"]
    elif state == "unknown":
        lines = [
            f"UNKNOWN: Amazon SES could not be asked ({text(suppression.get('error_code'))}); "
            "try again in a minute"
        ]
    else:
        return ["not applicable: " + text(suppression.get("detail"))]
    lines.append(f"checked {text(suppression.get('checked_at'))}")
    return lines


def counts_line(counts: Mapping[str, Any]) -> str:
    outcomes = counts.get("by_outcome")
    outcomes = outcomes if isinstance(outcomes, Mapping) else {}
    n = counts.get("messages", 0)
    return (
        f"{outcomes.get('delivered', 0)} delivered, {outcomes.get('not_delivered', 0)} not "
        f"delivered, {outcomes.get('not_final', 0)} not final "
        f"({n} message{'' if n == 1 else 's'} on this page)"
    )


def recipient_lines(page: Mapping[str, Any]) -> list[str]:
    """The head of a recipient's page: the address, its suppression, the page's counts."""
    suppression = page.get("suppression")
    suppression = suppression if isinstance(suppression, Mapping) else {}
    counts = page.get("counts")
    counts = counts if isinstance(counts, Mapping) else {}
    state = suppression_lines(suppression)
    return [
        f"recipient  {text(page.get('address'))} ({text(page.get('channel'))})",
        f"  suppression  {state[0]}",
        *(f"               {line}" for line in state[1:]),
        f"  counts       {counts_line(counts)}",
    ]


def recipient_row(document: Mapping[str, Any], address: str) -> tuple[str, ...]:
    """A search row, with this recipient's own status and finality (the message's when the
    document does not list the recipient)."""
    recipients = document.get("recipients")
    own = recipients.get(address) if isinstance(recipients, Mapping) else None
    if isinstance(own, Mapping):
        document = {**document, "status": own.get("status"), "is_final": own.get("is_final")}
    return search_row(document)
