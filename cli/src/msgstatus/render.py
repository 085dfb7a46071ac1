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
