"""No input, however broken, makes the transform's decoding raise: it is rejected, not crashed on."""

from __future__ import annotations

import base64
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from message_status.pipeline import Disposition, interpret

from devkit.events import fixture
from tests.support.strategies import paths, replace_at

FIXTURES = [
    "pinpoint_email_send",
    "pinpoint_sms_success",
    "ses_bounce",
    "ses_delivery",
    "eum_text_successful",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def encode(payload: bytes) -> str:
    return base64.b64encode(payload).decode()


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
