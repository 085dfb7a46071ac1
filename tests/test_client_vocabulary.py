"""The clients speak the status model's vocabulary: statuses, groups, channels, finality.

Every test walks the model (lambda_src/message_status/model.py), so a status,
group, channel or kind added there is checked here without editing this file:
it fails until the console's filters, `search`, `watch` and the labels know it.
"""

from __future__ import annotations

import pytest
from message_status import model
from message_status.model import Channel, Finality, Group, Kind, Status
from message_status.recipient_page import Outcome as RecipientOutcome
from message_status.suppression import State
from msgstatus import render
from msgstatus.errors import CliError
from msgstatus.main import build_parser
from msgstatus.outcome import EXIT_CODES, Outcome, classify
from msgstatus.ui import app, lookup, views


def statuses_of(channel: Channel) -> list[tuple[Channel, Status]]:
    return [(channel, status) for status in model.PRECEDENCE[channel]]


EVERY_STATUS = [pair for channel in Channel for pair in statuses_of(channel)]


def can_be_final(channel: Channel, status: Status) -> bool:
    return model.FINALITY[channel][status] is not Finality.NEVER


def window_indexed(status: Status) -> bool:
    return any(status in model.WINDOW_STATUSES[channel] for channel in Channel)


@pytest.mark.parametrize("status", list(Status))
def test_the_console_offers_exactly_the_statuses_a_window_search_takes(status: Status) -> None:
    assert (status in lookup.WINDOW_STATUSES) is window_indexed(status)
    if window_indexed(status):
        assert lookup.check_status(status.value) == status
    else:  # on every channel's expected path: the API would refuse it
        with pytest.raises(lookup.InputError, match="unknown status"):
            lookup.check_status(status.value)


def test_the_console_lists_each_window_status_once_failures_first() -> None:
    assert len(set(lookup.WINDOW_STATUSES)) == len(lookup.WINDOW_STATUSES)
    failures = [s in model.FAILURE_STATUSES for s in lookup.WINDOW_STATUSES]
    assert failures == sorted(failures, reverse=True)


@pytest.mark.parametrize("group", list(Group))
def test_the_console_offers_every_group_with_a_label(group: Group) -> None:
    assert group.value in lookup.STATUS_GROUPS
    assert lookup.check_status(group.value) == group
    assert app.STATUS_GROUP_LABELS[group].startswith(group.value)
    assert set(app.STATUS_GROUP_LABELS) == set(Group)
    assert lookup.DEFAULT_STATUS in lookup.STATUS_GROUPS


@pytest.mark.parametrize("channel", list(Channel))
def test_the_console_and_search_offer_every_channel(channel: Channel) -> None:
    assert lookup.check_channel(channel.value) == channel
    assert set(app.CHANNEL_LABELS) == set(app.CHANNEL_NOUNS) == set(Channel)
    search = build_parser().parse_args(["search", "--status", "failed", "--channel", channel.value])
    assert search.channel == channel


def test_search_refuses_a_channel_the_model_does_not_have() -> None:
    with pytest.raises(CliError, match="invalid choice: 'fax'"):
        build_parser().parse_args(["search", "--status", "failed", "--channel", "fax"])


@pytest.mark.parametrize(("channel", "status"), EVERY_STATUS)
def test_watch_follows_the_models_finality_and_delivered_statuses(
    channel: Channel, status: Status
) -> None:
    assert classify({"status": status.value, "is_final": False}) is Outcome.PENDING
    if not can_be_final(channel, status):
        return
    outcome = classify({"status": status.value, "is_final": True})
    expected = Outcome.DELIVERED if status in model.DELIVERED_STATUSES else Outcome.FAILED
    assert outcome is expected
    assert EXIT_CODES[outcome] == (0 if status in model.DELIVERED_STATUSES else 1)
    assert views.badge({"status": status.value, "is_final": True}).tone == (
        "ok" if expected is Outcome.DELIVERED else "bad"
    )


@pytest.mark.parametrize(("channel", "status"), EVERY_STATUS)
def test_every_final_status_is_delivered_or_failed_unless_its_source_decides(
    channel: Channel, status: Status
) -> None:
    """A new final status must be put in DELIVERED_STATUSES or FAILURE_STATUSES (not both):
    only a status the source marks final without saying how it ended (SMS SENT) is neither."""
    assert not model.DELIVERED_STATUSES & model.FAILURE_STATUSES
    if not can_be_final(channel, status):
        return
    decided = status in model.DELIVERED_STATUSES or status in model.FAILURE_STATUSES
    assert decided or model.FINALITY[channel][status] is Finality.SOURCE_SAYS


@pytest.mark.parametrize("kind", list(Kind))
def test_the_console_has_a_label_for_every_event_kind(kind: Kind) -> None:
    assert views.KIND_LABELS[kind]
    assert set(views.KIND_LABELS) == set(Kind)


@pytest.mark.parametrize("state", list(State))
def test_every_suppression_state_has_its_words_in_the_console_and_the_client(state: State) -> None:
    shown = views.SUPPRESSION_BADGES[state]
    assert shown.status == state.value.replace("_", " ").upper()
    assert shown.meaning
    assert shown.tone in {"ok", "bad", "wait", "none"}
    lines = {
        other: render.suppression_lines({"state": other.value, "detail": "d"})[0] for other in State
    }
    assert lines[state].lower().startswith(state.value.replace("_", " "))
    assert len(set(lines.values())) == len(State), "each state reads differently"


@pytest.mark.parametrize("outcome", list(RecipientOutcome))
def test_every_recipient_outcome_is_counted_in_the_console_and_the_client(
    outcome: RecipientOutcome,
) -> None:
    counts = {"messages": 7, "by_outcome": {o.value: 0 for o in RecipientOutcome}}
    counts["by_outcome"][outcome.value] = 7
    words = outcome.value.replace("_", " ")
    assert f"7 {words}" in render.counts_line(counts)
    assert f"7 {words}" in views.counts_sentence(counts)
