"""An archive line read back (message_status.archive_line): the exact inverse of archive_line.

The property: for every event the parsers produce, reading back the line the
transform archived for it gives the same event, every field included (the
ones that reach the table and the rest). Events come from AWS's documentation
examples with any of their fields changed to arbitrary values the parsers
still accept.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from message_status.archive_line import from_archive_line, is_archive_line
from message_status.events import InvalidEvent, NormalizedEvent
from message_status.parse import parse_event
from message_status.pipeline import archive_data
from message_status.timefmt import MAX_EPOCH_MS

from devkit.events import fixture
from tests.support.strategies import every_generated_event, paths, replace_at

TEMPLATES = every_generated_event("msg-1") + [
    fixture(name)
    for name in (
        "pinpoint_email_send",
        "pinpoint_sms_success",
        "ses_bounce",
        "ses_notification_bounce_two_of_three",
        "ses_notification_complaint_one_of_three",
        "eum_text_successful",
        "eum_media_delivered",
        "eum_voice_completed",
        "ses_open_automated",
        "ses_click_automated",
        "ses_bounce_on_account_suppression_list",
        "ses_bounce_suppressed_global",
        "ses_bounce_on_tenant_suppression_list",
        "ses_complaint_on_account_suppression_list",
        "eventbridge_ses_delivery",  # forwarded by a sender account: its account and Region
        "eventbridge_sms_text_successful",
    )
]
# The Region the transform records on an event that names none (its own), or none.
REGIONS = [None, "us-east-1", "eu-west-1"]
# Keys that hold each source's correlation id in the templates (SES tag, SMS v2
# context, Pinpoint attribute), and one no event holds.
CORRELATION_KEYS = [None, "myCustomTag1", "account", "campaign_id", "feedback", "absent"]
# A phone number is kept on the line cut at 256 bytes; no source sends one that
# long, and the destination derived from it could then differ (see the module).
PHONE_FIELDS = ("destinationPhoneNumber", "destination_phone_number")
ADDRESSES = st.builds(
    "{}@{}.example".format,
    st.text(alphabet="abcXYZ09._", min_size=1, max_size=6),
    st.sampled_from(["mail", "Mail", "post"]),
)
LEAF_VALUES = st.one_of(
    st.text(max_size=40),
    st.text(min_size=250, max_size=400),  # past the 256 bytes a text keeps
    st.sampled_from(["Jane.Doe@Example.com", " +1 (425) 555-0100 ", "", "TEXT_DELIVERED"]),
    st.integers(min_value=0, max_value=MAX_EPOCH_MS),
    st.floats(min_value=0, max_value=1e6, allow_nan=False),
    st.lists(st.text(max_size=30), max_size=3),
    st.lists(ADDRESSES, min_size=45, max_size=60),  # past the 50 recipients a message keeps
    st.booleans(),
    st.none(),
)


def line_of(event: NormalizedEvent) -> dict[str, Any]:
    """The archive line exactly as the transform writes it (null fields left out)."""
    document: dict[str, Any] = json.loads(base64.b64decode(archive_data(event)))
    return document


@st.composite
def parsed_events(draw: st.DrawFn) -> NormalizedEvent:
    """An event the parsers produce from a documented example with some fields changed."""
    document = copy.deepcopy(draw(st.sampled_from(TEMPLATES)))
    leaves = [
        path for path in paths(document) if path and not isinstance(_at(document, path), dict)
    ]
    for path in draw(st.lists(st.sampled_from(leaves), max_size=4, unique=True)):
        value = draw(LEAF_VALUES)
        if path[-1] in PHONE_FIELDS and isinstance(value, str):
            value = value[:60]
        replace_at(document, path, value)
    try:
        parsed = parse_event(
            document, draw(st.sampled_from(CORRELATION_KEYS)), draw(st.sampled_from(REGIONS))
        )
    except InvalidEvent:
        parsed = None
    assume(isinstance(parsed, NormalizedEvent))
    assert isinstance(parsed, NormalizedEvent)
    return parsed


def _at(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


@given(parsed_events())
def test_an_archive_line_reads_back_as_the_event_it_was_written_from(
    event: NormalizedEvent,
) -> None:
    line = line_of(event)
    assert is_archive_line(line)
    assert from_archive_line(line) == event


def test_every_documented_and_generated_event_reads_back_exactly() -> None:
    for template in TEMPLATES:
        for key in CORRELATION_KEYS:
            event = parse_event(template, key)
            if isinstance(event, NormalizedEvent):
                assert from_archive_line(line_of(event)) == event


def test_a_line_of_v010_without_the_later_fields_reads_with_them_empty() -> None:
    event = parse_event(fixture("ses_bounce"))
    assert isinstance(event, NormalizedEvent)
    old = {
        k: v
        for k, v in line_of(event).items()
        if k not in ("recipients", "sent_at", "correlation_id")
    }
    read = from_archive_line(old)
    assert (read.recipients, read.sent_ms, read.correlation_id) == ((), None, None)
    assert read.status == event.status
    assert read.destinations == ("recipient@example.com",)


def test_the_new_fields_read_back_and_old_lines_without_them_read_as_before() -> None:
    """automated and tenant: on the line when set, absent before they existed."""
    for name, field, value in (
        ("ses_open_automated", "automated", True),
        ("ses_bounce_on_tenant_suppression_list", "tenant", "acme-mail"),
    ):
        event = parse_event(fixture(name))
        assert isinstance(event, NormalizedEvent)
        line = line_of(event)
        assert line[field] == value
        assert from_archive_line(line) == event
        old = {k: v for k, v in line.items() if k not in ("automated", "tenant")}
        read = from_archive_line(old)
        assert (read.automated, read.tenant) == (False, None)
        assert read.status == event.status


def test_source_events_are_not_archive_lines() -> None:
    for template in TEMPLATES:
        assert not is_archive_line(template)


def bounce_line() -> dict[str, Any]:
    event = parse_event(fixture("ses_bounce"))
    assert isinstance(event, NormalizedEvent)
    return line_of(event)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "DELIVERED"}, "status: does not follow from the kind and the detail"),
        ({"channel": "sms"}, "channel: does not match the kind"),
        (
            {"event_is_final": False},
            "event_is_final: does not follow from the status and the source",
        ),
        ({"kind": "teleported"}, "kind: unknown value"),
        ({"source": "carrier-pigeon"}, "source: unknown value"),
        ({"message_id": " padded "}, "message_id: message id has leading or trailing white space"),
        ({"event_time_ms": -1}, "event_time_ms: timestamp out of range"),
        ({"price_in_millicents_usd": "free"}, "price_in_millicents_usd: expected a number"),
        ({"destination": "not a list"}, "destination: expected a list of strings"),
        ({"detail": 5}, "detail: expected a string"),
        ({"automated": True}, "automated: only an open or a click can be automated"),
        ({"automated": "yes"}, "automated: expected true or false"),
        ({"tenant": "acme#2"}, "tenant: not an SES tenant name"),
    ],
)
def test_a_line_that_contradicts_itself_or_the_model_is_invalid(
    change: dict[str, Any], reason: str
) -> None:
    with pytest.raises(InvalidEvent) as refused:
        from_archive_line({**bounce_line(), **change})
    assert str(refused.value) == reason


def test_a_line_that_is_not_an_object_is_invalid() -> None:
    with pytest.raises(InvalidEvent, match="archive line is not a JSON object"):
        from_archive_line(["message_id"])
