"""Render the status model (lambda_src/message_status/model.py) into README.md.

The tables between ``<!-- BEGIN_STATUS_MODEL -->`` and ``<!-- END_STATUS_MODEL -->``
are generated; tests/test_docs.py fails when they drift from the model.

    python -m devkit.statusdocs          # rewrite README.md
    python -m devkit.statusdocs --check  # exit 1 if README.md is stale
"""

from __future__ import annotations

import sys

from message_status import model
from message_status.model import Channel, Finality

from devkit import ROOT

README = ROOT / "README.md"
BEGIN, END = "<!-- BEGIN_STATUS_MODEL -->", "<!-- END_STATUS_MODEL -->"

FINALITY_TEXT = {
    Finality.ALWAYS: "yes",
    Finality.NEVER: "no",
    Finality.SOURCE_SAYS: "only when the source marks the event final (SMS v2 `isFinal`)",
    Finality.UNLESS_PINPOINT: "yes for SES (it reports a soft bounce after it stops retrying); no for Pinpoint",
}
SES_SPECIAL = {
    "hardbounce": "`Bounce` with `bounceType` Permanent",
    "softbounce": "`Bounce` with `bounceType` Transient or Undetermined",
    "unsubscribe": "`Subscription` with an OptOut topic preference or unsubscribe-all",
}


def _codes(values: list[str]) -> str:
    return ", ".join(f"`{value}`" for value in values) or "—"


def kinds_table() -> list[str]:
    lines = [
        "| kind | channel | status | Pinpoint `event_type` | SES `eventType` | SMS v2 `eventType` |",
        "|---|---|---|---|---|---|",
    ]
    for kind in model.ALL_KINDS:
        pinpoint = [t for t, k in model.PINPOINT_EVENT_KINDS.items() if k == kind]
        ses = [t for t, k in model.SES_EVENT_KINDS.items() if k == kind]
        ses_text = SES_SPECIAL.get(kind, _codes(ses))
        v2 = [t for t, k in model.SMS_V2_EVENT_KINDS.items() if k == kind]
        v2_text = (
            "every other `TEXT_*` type (the reason is kept)" if kind == "failure" else _codes(v2)
        )
        status: str = model.KIND_STATUS[kind]
        if kind is model.Kind.SUCCESS:
            status = (
                "DELIVERED when the status is DELIVERED or the type is TEXT_DELIVERED, else SENT"
            )
        channel = model.kind_channel(kind).value
        lines.append(
            f"| `{kind}` | {channel} | {status} | {_codes(pinpoint)} | {ses_text} | {v2_text} |"
        )
    return lines


def final_meaning(channel: Channel, status: model.Status) -> str:
    """What the status means once it is final: delivered, failed, or neither."""
    if model.FINALITY[channel][status] is Finality.NEVER:
        return "—"
    if status in model.DELIVERED_STATUSES:
        return "delivered"
    if status in model.FAILURE_STATUSES:
        return "failed"
    return "neither: no delivery receipt will come"


def status_table(channel: Channel) -> list[str]:
    lines = [
        f"| {channel.value} status (lowest first) | precedence | final? | when final "
        "| `status=` window search? |",
        "|---|---:|---|---|---|",
    ]
    for rank, status in enumerate(model.PRECEDENCE[channel], start=1):
        finality = FINALITY_TEXT[model.FINALITY[channel][status]]
        meaning = final_meaning(channel, status)
        searchable = "yes" if status in model.WINDOW_STATUSES[channel] else "no: the expected path"
        lines.append(f"| `{status}` | {rank} | {finality} | {meaning} | {searchable} |")
    return lines


def groups_table() -> list[str]:
    lines = ["| `status=` group | matches |", "|---|---|"]
    for group in model.Group:
        lines.append(f"| `{group}` | {model.GROUP_DESCRIPTIONS[group]} |")
    return lines


def render() -> str:
    parts = [
        BEGIN,
        "<!-- Generated from lambda_src/message_status/model.py by "
        "`make docs`; do not edit by hand. -->",
        "",
        "**Event kinds.** Each source event maps to one kind; the item keeps the earliest "
        "time of each kind as an attribute of that name.",
        "",
        *kinds_table(),
        "",
        "Events of other types (`_session.*`, `_campaign.*`, custom events, inbound SMS, "
        "`VOICE_*`, `MEDIA_*`, SES subscription opt-ins) are valid but say nothing about "
        "delivery: they are dropped and never touch the table.",
        "",
        "**Statuses.** The status is the highest-precedence status among all the events seen, "
        "whatever order they arrived in. `is_final` is the finality of that status. A final "
        "status says the message was *delivered* (it reached its recipient, who may have "
        "opened, clicked, unsubscribed or complained since; `msgstatus watch` exits 0) or "
        "*failed* (the `failed` group below; `watch` exits 1), except an SMS final at `SENT`, "
        "whose carrier sends no delivery receipt (`watch` exits 1: not known to be delivered).",
        "",
        *status_table(Channel.EMAIL),
        "",
        *status_table(Channel.SMS),
        "",
        "**Recipients.** " + model.RECIPIENT_EXPLANATION,
        "",
        "**Searching by outcome.** `GET /messages?status=` takes a status that is off the "
        "expected path (the last column above) or a group, over a window of at most "
        f"{model.MAX_SEARCH_WINDOW_DAYS} days. A message is found under the status it has "
        "now, at the time it reached it; statuses on the expected path are not indexed, so "
        "that a typical message writes no outcome index entry at all.",
        "",
        *groups_table(),
        "",
        END,
    ]
    return "\n".join(parts)


def updated(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + render() + text[end:]


def main(argv: list[str]) -> int:
    current = README.read_text()
    fresh = updated(current)
    if "--check" in argv:
        if fresh != current:
            print("README.md status model is stale: run `make docs`")
            return 1
        return 0
    README.write_text(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
