"""No input, however broken, makes the transform's decoding raise: it is rejected, not crashed on."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from message_status.ids import message_id_problem
from message_status.item import ItemSettings, to_item
from message_status.pipeline import Disposition, interpret
from message_status.record import fold

from devkit.events import fixture
from tests.support.strategies import any_text, paths, replace_at

FIXTURES = [
    "pinpoint_email_send",
    "pinpoint_sms_success",
    "ses_bounce",
    "ses_delivery",
    "eum_text_successful",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text(20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text(10), children, max_size=4)
    ),
    max_leaves=20,
)


def encode(payload: bytes) -> str:
    return base64.b64encode(payload).decode()


def texts(value: Any) -> Iterator[str]:
    """Every string in ``value``, keys included, however deep."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield from texts(key)
            yield from texts(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from texts(inner)


@settings(max_examples=300)
@given(st.sampled_from(FIXTURES), st.data(), JSON_VALUES)
def test_any_field_of_a_real_event_replaced_by_any_json_never_raises(
    name, data, replacement
) -> None:
    event = fixture(name)
    path = data.draw(st.sampled_from(list(paths(event))))
    mutated = replace_at(event, path, replacement)
    result = interpret("r1", encode(json.dumps(mutated).encode()))
    assert result.disposition in set(Disposition)
    if result.disposition is Disposition.INVALID:
        assert result.reason


@given(st.binary(max_size=512))
def test_arbitrary_bytes_never_raise(payload: bytes) -> None:
    assert interpret("r1", encode(payload)).disposition is Disposition.INVALID


@given(st.text(max_size=64))
def test_arbitrary_base64_field_never_raises(data: str) -> None:
    assert interpret("r1", data).disposition in set(Disposition)


def test_deeply_nested_json_is_rejected_not_crashed_on() -> None:
    payload = b"[" * 100_000 + b"]" * 100_000
    result = interpret("r1", encode(payload), max_bytes=1_000_000)
    assert result.disposition is Disposition.INVALID


def text_paths(event: dict) -> list[tuple[str, ...]]:
    """The paths of ``event`` that hold a string."""
    found = []
    for path in paths(event):
        value: Any = event
        for key in path:
            value = value[key]
        if isinstance(value, str):
            found.append(path)
    return found


@settings(max_examples=300)
@given(st.sampled_from(FIXTURES), st.data(), any_text(20) | JSON_VALUES)
def test_whatever_the_parser_accepts_the_table_and_the_archive_can_hold(
    name, data, replacement
) -> None:
    """Every text of an accepted event is valid Unicode, so UTF-8 (the SDK's requests to
    DynamoDB, the archive's lines) can encode it; anything else is an invalid event."""
    event = fixture(name)
    path = data.draw(st.sampled_from(text_paths(event)))
    mutated = replace_at(event, path, replacement)
    # ensure_ascii: a lone surrogate travels as Firehose would carry it, a \ud800 escape.
    result = interpret("r1", encode(json.dumps(mutated).encode()))
    if result.event is None:
        return
    item = to_item(fold([result.event]), ItemSettings())
    for text in [*texts(result.event.archive_line()), *texts(item)]:
        text.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate


@given(any_text(40))
def test_a_message_id_of_any_text_is_an_event_only_when_it_is_servable(message_id: str) -> None:
    event = fixture("eum_text_successful") | {"messageId": message_id}
    result = interpret("r1", encode(json.dumps(event).encode()))
    carried = json.loads(json.dumps(message_id))  # \ud800\udc00 escapes decode as one character
    assert (result.disposition is Disposition.EVENT) == (message_id_problem(carried) is None)
    if result.event is not None:
        result.event.message_id.encode("utf-8")
