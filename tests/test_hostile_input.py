"""Hostile, oversized and unlucky input to the transform: whatever a record holds, it fails alone.

Every record comes back exactly once, in order, with no raise; a bad record is
ProcessingFailed with its original data; its good neighbours get exactly the
results they get without it.
"""

from __future__ import annotations

import base64
import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from message_status.pipeline import Disposition, interpret

from devkit.calls import check_firehose_contract, results, run_firehose, stored_item
from devkit.events import b64, firehose_event, fixture, ses, sms_v2
from tests.conftest import TABLE_NAME
from tests.support.items import stored_document
from tests.support.strategies import any_text, paths, replace_at

GOOD = [
    ses("Send", "good-email", 1_800_000_000_000),
    sms_v2("TEXT_DELIVERED", "good-sms", 1_800_000_001_000),
    ses("Delivery", "good-email", 1_800_000_002_000),
]
FIXTURES = ["pinpoint_email_send", "pinpoint_sms_success", "ses_bounce", "eum_text_successful"]
EXTREME_NUMBERS = st.sampled_from(
    [
        10**400,
        -(10**400),
        "__5000_DIGITS__",  # an integer literal longer than Python's int-conversion limit
        1e308,
        -1e308,
        5e-324,
        float("inf"),
        float("-inf"),
        float("nan"),
        2**63,
        -1,
        0,
    ]
)
ODD_STRINGS = st.one_of(
    any_text(40),
    st.text(alphabet=string.whitespace + "\x00\x07\u2028\ufeff", max_size=10),
    st.just("x" * 100_000),
    st.just("\ud800"),  # a lone surrogate
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | EXTREME_NUMBERS | st.integers() | st.floats() | ODD_STRINGS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(any_text(8), children, max_size=3)
    ),
    max_leaves=10,
)


def encode_json(document, ensure_ascii: bool = False) -> str:
    """``document`` as a record's data. With ensure_ascii, a lone surrogate travels as JSON's
    \\ud800 escape (as AWS writes one); without, as the UTF-8 bytes no decoder accepts."""
    text = json.dumps(document, allow_nan=True, ensure_ascii=ensure_ascii)
    text = text.replace('"__5000_DIGITS__"', "1" + "0" * 5000)
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


@st.composite
def hostile_record(draw, record_id: str) -> dict:
    shape = draw(st.sampled_from(["mutated", "bytes", "text", "no data", "odd data"]))
    record: dict = {"recordId": record_id, "approximateArrivalTimestamp": 1_800_000_000_000}
    if shape == "mutated":
        event = fixture(draw(st.sampled_from(FIXTURES)))
        path = draw(st.sampled_from(list(paths(event))))
        mutated = replace_at(event, path, draw(JSON_VALUES))
        record["data"] = encode_json(mutated, ensure_ascii=draw(st.booleans()))
    elif shape == "bytes":
        record["data"] = base64.b64encode(draw(st.binary(max_size=300))).decode()
    elif shape == "text":
        record["data"] = draw(st.text(max_size=50))
    elif shape == "odd data":
        record["data"] = draw(st.one_of(st.none(), st.integers(), st.lists(st.integers())))
    return record


@pytest.fixture
def reference(transform) -> dict[str, dict]:
    """The good records' results when they come alone."""
    response = run_firehose(transform, GOOD)
    return {r["recordId"]: r for r in response["records"]}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_hostile_records_fail_alone_and_never_change_their_neighbours(
    transform, reference, logs, data
) -> None:
    event = firehose_event(GOOD)
    hostile_count = data.draw(st.integers(1, 4))
    for n in range(hostile_count):
        position = data.draw(st.integers(0, len(event["records"])))
        event["records"].insert(position, data.draw(hostile_record(f"hostile-{n}")))
    response = transform(event)  # never raises
    check_firehose_contract(event, response)
    answered = {r["recordId"]: r for r in response["records"]}
    for record_id, expected in reference.items():
        assert answered[record_id] == expected
    for record in event["records"]:
        if record["recordId"].startswith("hostile-"):
            assert answered[record["recordId"]]["result"] in {"ProcessingFailed", "Dropped", "Ok"}
    # What the parser accepts, the table stores: a bad record is invalid, never a failed write.
    assert logs.entries("message write failed") == []


def test_an_empty_batch_is_answered_with_no_records(transform) -> None:
    assert transform({"invocationId": "i", "records": []}) == {"records": []}


@pytest.mark.parametrize(
    ("field", "value"),
    [("messageId", "hostile-\ud800"), ("messageStatusDescription", "carrier said \udfff")],
    ids=["message id", "description"],
)
def test_text_that_is_not_valid_unicode_fails_its_record_alone_as_invalid(
    transform, dynamodb, logs, field, value
) -> None:
    """Refused by the parser (errors/, original data), not by the table's SDK call."""
    hostile = sms_v2("TEXT_DELIVERED", "hostile-sms", 1_800_000_000_000)
    hostile[field] = value
    event = firehose_event(GOOD)
    data = encode_json(hostile, ensure_ascii=True)
    assert value.encode("ascii", "backslashreplace").decode() in base64.b64decode(data).decode()
    event["records"].insert(1, {"recordId": "hostile", "data": data})
    response = transform(event)
    assert results(response) == ["Ok", "ProcessingFailed", "Ok", "Ok"]
    assert response["records"][1]["data"] == data
    [entry] = logs.entries("record failed to parse")
    assert entry["record_id"] == "hostile"
    assert "not valid Unicode" in entry["reason"]
    assert logs.entries("message write failed") == []
    assert stored_item(dynamodb, TABLE_NAME, "hostile-sms") is None


def test_a_record_without_data_fails_alone(transform, dynamodb) -> None:
    event = firehose_event(GOOD)
    del event["records"][1]["data"]
    response = transform(event)
    assert results(response) == ["Ok", "ProcessingFailed", "Ok"]
    assert stored_document(dynamodb, TABLE_NAME, "good-email")["status"] == "DELIVERED"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("totalMessagePrice", 10**400),
        ("totalMessagePrice", 1e308),
        ("totalMessagePrice", -0.5),
        ("totalMessagePrice", float("inf")),
        ("eventTimestamp", 10**400),
        ("eventTimestamp", 1e300),
    ],
    ids=[
        "price 400 digits",
        "price overflows",
        "negative price",
        "price inf",
        "time 400 digits",
        "time 1e300",
    ],
)
def test_an_out_of_range_number_rejects_its_record_only(transform, dynamodb, field, value) -> None:
    hostile = sms_v2("TEXT_DELIVERED", "hostile-sms", 1_800_000_000_000)
    hostile[field] = value
    event = firehose_event(GOOD)
    event["records"].insert(1, {"recordId": "hostile", "data": encode_json(hostile)})
    response = transform(event)
    assert results(response) == ["Ok", "ProcessingFailed", "Ok", "Ok"]
    assert stored_item(dynamodb, TABLE_NAME, "hostile-sms") is None


def test_a_tiny_price_is_stored_rounded_to_a_thousandth_of_a_millicent(transform, dynamodb) -> None:
    event = sms_v2("TEXT_DELIVERED", "cheap-sms", 1_800_000_000_000)
    event["totalMessagePrice"] = 5e-324
    assert results(run_firehose(transform, [event])) == ["Ok"]
    assert stored_document(dynamodb, TABLE_NAME, "cheap-sms")["price_in_millicents_usd"] == 0


def test_reasons_never_echo_event_content() -> None:
    event = ses("Bounce", "m", 1_800_000_000_000)
    event["bounce"]["bounceType"] = "secret@example.org"
    reason = interpret("r", b64(event)).reason
    assert reason
    assert "secret@example.org" not in reason
    event = ses("Send", "m", 1_800_000_000_000)
    event["mail"]["timestamp"] = "secret@example.org"
    result = interpret("r", b64(event))
    assert result.disposition is Disposition.INVALID
    assert "secret@example.org" not in (result.reason or "")
