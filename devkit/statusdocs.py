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
    Finality.SOURCE_SAYS: "only when the source marks the event final (End User Messaging `isFinal`)",
    Finality.UNLESS_PINPOINT: "yes for SES (it reports a soft bounce after it stops retrying); no for Pinpoint",
}
# Per event type, where the event type, not the status, decides.
TYPE_FINALITY_TEXT = {
    Finality.ALWAYS: "yes",
    Finality.NEVER: "no",
    Finality.SOURCE_SAYS: "when `isFinal`",
}
SES_SPECIAL = {
    "hardbounce": "`Bounce` with `bounceType` Permanent (other than below)",
    "softbounce": "`Bounce` with `bounceType` Transient or Undetermined",
    "complaint": "`Complaint` (other than below)",
    "unsubscribe": "`Subscription` with an OptOut topic preference or unsubscribe-all",
    "suppressed": "`Bounce` with `bounceSubType` "
    + ", ".join(f"`{t}`" for t in model.SES_SUPPRESSION_SUBTYPES)
    + "; `Complaint` with `complaintSubType` "
    + ", ".join(f"`{t}`" for t in model.SES_COMPLAINT_SUPPRESSION_SUBTYPES),
}
LIST_MEANING = {
    model.SuppressionList.ACCOUNT: "the account-level suppression list",
    model.SuppressionList.GLOBAL: "the global suppression list (accounts not using their own)",
    model.SuppressionList.TENANT: "the tenant's own suppression list",
}


def _codes(values: list[str]) -> str:
    return ", ".join(f"`{value}`" for value in values) or "—"


def _end_user_messaging_types(kind: model.Kind) -> str:
    types = [t for t, rule in model.END_USER_MESSAGING_EVENT_TYPES.items() if rule.kind == kind]
    later = [p for p, k in model.END_USER_MESSAGING_PREFIXES.items() if k == kind]
    text = _codes(types)
    if later:
        text += f"; any other `{later[0]}*` type AWS adds"
    return text


def kinds_table() -> list[str]:
    lines = [
        "| kind | channel | status | Pinpoint `event_type` | SES `eventType` "
        "| End User Messaging `eventType` |",
        "|---|---|---|---|---|---|",
    ]
    for kind in model.ALL_KINDS:
        pinpoint = [t for t, k in model.PINPOINT_EVENT_KINDS.items() if k == kind]
        ses = [t for t, k in model.SES_EVENT_KINDS.items() if k == kind]
        ses_text = SES_SPECIAL.get(kind, _codes(ses))
        status: str = model.KIND_STATUS[kind]
        if kind in model.CARRIER_SUCCESS_KINDS:
            status = "DELIVERED when the carrier confirmed delivery (the type or status says DELIVERED), else SENT"
        channel = model.kind_channel(kind).value
        lines.append(
            f"| `{kind}` | {channel} | {status} | {_codes(pinpoint)} | {ses_text} "
            f"| {_end_user_messaging_types(kind)} |"
        )
    return lines


def event_types_table() -> list[str]:
    """Every End User Messaging event type: its status, and whether it is final."""
    lines = [
        "| End User Messaging `eventType` | channel | status | final? | AWS: what happened |",
        "|---|---|---|---|---|",
    ]
    for event_type, rule in model.END_USER_MESSAGING_EVENT_TYPES.items():
        status = model.KIND_STATUS[rule.kind]
        if rule.kind in model.CARRIER_SUCCESS_KINDS and "DELIVERED" in event_type:
            status = model.Status.DELIVERED
        channel = model.kind_channel(rule.kind).value
        final = TYPE_FINALITY_TEXT[rule.finality]
        lines.append(f"| `{event_type}` | {channel} | {status} | {final} | {rule.meaning} |")
    return lines


def suppression_table() -> list[str]:
    lines = [
        "| `suppression_list` | SES subtype | the address is on | in SES's bounce rate, "
        "and in the bounce-rate alarm |",
        "|---|---|---|---|",
    ]
    for listed in model.SuppressionList:
        subtypes = [t for t, v in model.SES_SUPPRESSION_SUBTYPES.items() if v is listed]
        counted = "yes" if model.COUNTS_IN_SES_BOUNCE_RATE[listed] else "no"
        lines.append(f"| `{listed}` | {_codes(subtypes)} | {LIST_MEANING[listed]} | {counted} |")
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
        "**Event kinds.** Each source event maps to one kind; an answer's `events` gives the "
        "earliest time of each kind.",
        "",
        *kinds_table(),
        "",
        "Events of other types (`_session.*`, `_campaign.*`, custom events, inbound SMS, "
        "RCS and registration events of End User Messaging, SES subscription opt-ins) are "
        "valid but say nothing this module tracks: they are dropped and never touch the table.",
        "",
        "**End User Messaging event types.** Each SMS (`TEXT_*`), MMS (`MEDIA_*`) and voice "
        "(`VOICE_*`) event type of AWS's `EventType` enum, with the status it gives and "
        "whether it makes that status final (where the type says so, the event's `isFinal` "
        "decides). A delivery receipt outranks an earlier failure, so a failure AWS retried "
        "and then delivered ends `DELIVERED`. A type AWS adds later is a failure of its "
        "channel, final when `isFinal` says so, its type kept as the detail.",
        "",
        *event_types_table(),
        "",
        "**Suppressed recipients.** SES reports a mail it did not send because the "
        "address is suppressed as a `Send`, then a `Bounce` (or, for the account list, a "
        "`Complaint`) naming the list. Such an event is kind `suppressed`, status "
        "`SUPPRESSED`: final, a failure, and never a hard bounce, since no mail server "
        "refused anything. Each suppressed recipient's entry in `recipients` names the list.",
        "",
        *suppression_table(),
        "",
        "**Automated opens and clicks.** An `Open` or `Click` whose `isBotEvent` is "
        f"`{model.SES_AUTOMATED_VALUE}` (a scanner, prefetcher or privacy proxy, as SES "
        'judges it) stays in `history` with `"automated": true` and is counted apart in '
        "`automated_event_counts`, but never changes a status, its finality or `events`: a "
        "message's answer with automated events is the answer without them. They count in no "
        "metric, alarm or named query rate.",
        "",
        "**Statuses.** The status is the highest-precedence status among all the events seen, "
        "whatever order they arrived in. `is_final` is the finality of that status. A final "
        "status says the message was *delivered* (it reached its recipient, who may have "
        "opened, clicked, unsubscribed or complained since; `msgstatus watch` exits 0) or "
        "*failed* (the `failed` group below; `watch` exits 1), except an SMS or MMS final at "
        "`SENT`, whose carrier sends no delivery receipt (`watch` exits 1: not known to be "
        "delivered). The `final?` column is a status's usual finality; an End User Messaging "
        "event type decides its own (the table above).",
        "",
        *[line for channel in Channel for line in (*status_table(channel), "")],
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
