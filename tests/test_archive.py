"""Reading back the S3 objects Firehose writes (message_status.archive): pure, no AWS.

The objects are built the way Firehose writes them: the sources' own records
concatenated as they arrive (raw/, any old archive), the transform's archive
lines (events/), Firehose's error records (errors/), gzip-compressed or not.
The events are AWS's documentation examples (tests/fixtures/events/).
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from message_status import archive
from message_status.archive import (
    Event,
    Position,
    Skipped,
    Unreadable,
    decompress,
    object_contents,
    read_object,
)
from message_status.events import NormalizedEvent
from message_status.parse import DEFAULT_MAX_EVENT_BYTES, parse_event
from message_status.pipeline import archive_data

from devkit.events import fixture, pinpoint_email
from devkit.firehose import error_lines

DOCUMENTED = (
    "pinpoint_email_send",
    "pinpoint_email_delivered",
    "pinpoint_sms_success",
    "ses_send",
    "ses_delivery",
    "ses_bounce",
    "ses_notification_bounce_two_of_three",
    "eum_text_successful",
)
SECRET = "jane.doe@example.com"  # stands for content that must never reach a reason


def record(name: str) -> bytes:
    """A documented event as one record: compact JSON, as the sources send it."""
    return json.dumps(fixture(name), separators=(",", ":")).encode()


def documented_events(correlation_key: str | None = None) -> list[NormalizedEvent]:
    events = [parse_event(fixture(name), correlation_key) for name in DOCUMENTED]
    assert all(isinstance(event, NormalizedEvent) for event in events)
    return events  # type: ignore[return-value]


def archive_object(events: list[NormalizedEvent]) -> bytes:
    """What Firehose writes under events/: the transform's Ok lines, concatenated."""
    return b"".join(base64.b64decode(archive_data(event)) for event in events)


def error_object(payloads: list[bytes]) -> bytes:
    """What Firehose writes under errors/: one JSON line per failed record."""
    records = [{"data": base64.b64encode(p).decode()} for p in payloads]
    lines = error_lines(records, "arn:aws:lambda:us-east-1:123456789012:function:t", 0)
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def reads(blob: bytes, **options: Any) -> list[archive.Read]:
    return list(read_object(blob, **options))


def summary(found: list[archive.Read]) -> list[str]:
    """Each read as "event <message id>", "skipped <type>" or "unreadable <reason>"."""
    return [
        f"event {r.event.message_id}"
        if isinstance(r, Event)
        else f"skipped {r.event_type}"
        if isinstance(r, Skipped)
        else f"unreadable {r.reason}"
        for r in found
    ]


# --- the three source formats, as Firehose concatenates them -------------------------


@pytest.mark.parametrize("separator", [b"", b"\n", b"\r\n"], ids=["none", "LF", "CRLF"])
@pytest.mark.parametrize("compressed", [True, False], ids=["gzip", "plain"])
def test_documentation_events_read_back_from_a_raw_archive_however_firehose_wrote_them(
    separator: bytes, compressed: bool
) -> None:
    blob = separator.join(record(name) for name in DOCUMENTED) + separator
    if compressed:
        blob = gzip.compress(blob)
    contents = object_contents(blob)
    assert contents.events == documented_events()
    assert (contents.skipped, contents.unreadable) == (0, [])


def test_the_correlation_key_is_read_from_every_source_format() -> None:
    tagged = fixture("ses_send")  # mail.tags holds myCustomTag1
    sms = fixture("eum_text_successful")  # context holds account
    pinpoint = pinpoint_email("_email.send", "pp-1", 1_000, myCustomTag1="ORD-7")
    blob = b"".join(json.dumps(event).encode() for event in (tagged, sms, pinpoint))
    ids = [
        event.correlation_id for event in object_contents(blob, correlation_key="account").events
    ]
    assert ids == [None, "bar", None]
    ids = [
        event.correlation_id
        for event in object_contents(blob, correlation_key="myCustomTag1").events
    ]
    assert ids == ["myCustomTagValue1", None, "ORD-7"]


def test_valid_events_that_say_nothing_about_delivery_are_skipped_not_unreadable() -> None:
    session = {**fixture("pinpoint_email_send"), "event_type": "_session.start"}
    blob = record("ses_send") + json.dumps(session).encode() + record("eum_text_successful")
    assert summary(reads(blob)) == [
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        "skipped _session.start",
        "event 862a8790-60c0-4430-9b2b-658bdexample",
    ]


# --- the module's own archive (events/) and error output (errors/) ----------------------


def test_the_modules_archive_lines_read_back_as_the_events_they_were_written_from() -> None:
    events = documented_events(correlation_key="account")
    contents = object_contents(gzip.compress(archive_object(events), mtime=0))
    assert contents.events == events
    assert contents.unreadable == []


def test_firehose_error_records_give_back_the_records_they_hold() -> None:
    blob = gzip.compress(
        error_object(
            [
                record("ses_bounce"),
                b"\x00not json " + SECRET.encode(),
                record("eum_text_successful"),
            ]
        )
    )
    found = reads(blob)
    assert summary(found)[0] == "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
    assert summary(found)[2] == "event 862a8790-60c0-4430-9b2b-658bdexample"
    unreadable = found[1]
    assert isinstance(unreadable, Unreadable)
    assert unreadable.position.record == 2
    assert unreadable.reason.startswith("record is not JSON")
    assert SECRET not in unreadable.reason


def test_an_error_record_without_usable_raw_data_is_unreadable() -> None:
    lines = [
        {"errorCode": "Lambda.ProcessingFailed", "rawData": "!!! not base64"},
        {"errorCode": "Lambda.ProcessingFailed", "rawData": 5},
        {
            "errorCode": "Lambda.ProcessingFailed",
            "rawData": base64.b64encode(record("ses_send")).decode(),
        },
    ]
    blob = "\n".join(json.dumps(line) for line in lines).encode()
    assert summary(reads(blob)) == [
        "unreadable record data is not base64: Only base64 data is allowed",
        "unreadable error record has no rawData string",
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
    ]


# --- damaged objects ----------------------------------------------------------------


def test_empty_objects_hold_nothing_and_nothing_is_wrong_with_them() -> None:
    for blob in (b"", gzip.compress(b""), b"\n\r\n  \n"):
        assert reads(blob) == []


def test_garbage_in_the_middle_of_a_concatenation_is_reported_once_and_stops_nothing() -> None:
    garbage = b"\x00not json, from another producer: " + SECRET.encode()
    blob = record("pinpoint_email_send") + garbage + record("pinpoint_sms_success")
    found = reads(gzip.compress(blob))
    assert summary(found) == [
        "event 0200000073rnbmd1-mbvdg3uo-q8ia-m3ku-ibd3-ms77kexample-000000",
        "unreadable not a JSON object",
        "event 1111-2222-3333",
    ]
    assert found[1].position == Position(record=2, offset=len(record("pinpoint_email_send")))
    assert found[2].position == Position(
        record=3, offset=len(record("pinpoint_email_send") + garbage)
    )


def test_a_record_cut_short_is_one_report_however_many_objects_it_holds() -> None:
    """The pieces of a broken record that parse on their own are not records of their own."""
    cut = record("ses_bounce")[:-1]  # its mail and bounce objects are whole, the record is not
    blob = record("ses_send") + b"\n" + cut + b"\n" + record("ses_delivery") + b"\n"
    assert summary(reads(blob)) == [
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        "unreadable not JSON: Expecting ',' delimiter",
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
    ]


def test_a_broken_record_right_after_garbage_is_reported_on_its_own() -> None:
    blob = b"garbage" + record("ses_send")[:-1] + b"\n" + record("ses_delivery")
    assert summary(reads(blob)) == [
        "unreadable not a JSON object",
        "unreadable not JSON: Expecting ',' delimiter",
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
    ]


def test_a_truncated_gzip_gives_what_it_holds_and_says_where_it_stops() -> None:
    whole = b"\n".join(record(name) for name in DOCUMENTED) + b"\n"
    compressed = gzip.compress(whole, mtime=0)
    found = reads(compressed[: len(compressed) * 2 // 3])
    events = [r.event for r in found if isinstance(r, Event)]
    assert events
    assert events == documented_events()[: len(events)]
    *records, stop = found
    assert isinstance(stop, Unreadable)
    assert stop.position.record is None
    assert stop.reason == "gzip data ends early (truncated): the rest is unread"
    content, _ = decompress(compressed[: len(compressed) * 2 // 3])
    assert stop.position.offset == len(content)
    assert whole.startswith(content)
    # The record the cut went through is reported, unless the cut fell between records.
    assert len(records) - len(events) <= 1


def test_corrupt_gzip_gives_what_came_before_the_damage() -> None:
    whole = b"\n".join(record(name) for name in DOCUMENTED * 40)
    compressed = bytearray(gzip.compress(whole, mtime=0))
    middle = len(compressed) // 2
    compressed[middle : middle + 64] = bytes(64)  # zeroes where deflate data was
    content, problem = decompress(bytes(compressed))
    assert problem is not None
    assert problem.endswith("the rest is unread")
    assert whole.startswith(content)


def test_concatenated_gzip_members_and_zero_padding_are_one_object() -> None:
    blob = gzip.compress(record("ses_send")) + gzip.compress(record("ses_delivery")) + bytes(8)
    assert object_contents(blob).events == [
        parse_event(fixture("ses_send")),
        parse_event(fixture("ses_delivery")),
    ]
    assert object_contents(blob).unreadable == []


def test_trailing_bytes_that_are_not_gzip_are_reported_after_the_records() -> None:
    found = reads(gzip.compress(record("ses_send")) + b"not gzip")
    assert summary(found) == [
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        "unreadable gzip data is corrupt: the rest is unread",
    ]


def test_a_gzip_bomb_stops_at_the_cap_and_says_so() -> None:
    bomb = gzip.compress(record("ses_send") + b" " * 50_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    content, problem = decompress(bomb, max_bytes=1_000_000)
    assert len(content) == 1_000_000
    assert problem == "decompresses to more than 1000000 bytes: the rest is unread"
    found = reads(bomb, max_object_bytes=1_000_000)
    assert summary(found) == [
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        "unreadable decompresses to more than 1000000 bytes: the rest is unread",
    ]


def test_an_uncompressed_object_over_the_cap_is_read_up_to_it() -> None:
    blob = record("ses_send") + b"\n" + record("ses_delivery")
    found = reads(blob, max_object_bytes=len(record("ses_send")) + 1)
    assert summary(found) == [
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        f"unreadable object passes {len(record('ses_send')) + 1} bytes: the rest is unread",
    ]


def test_a_record_at_the_size_limit_is_read_and_one_byte_more_is_refused() -> None:
    def padded(size: int) -> bytes:
        event = fixture("ses_send")
        event["padding"] = ""
        event["padding"] = "x" * (size - len(json.dumps(event, separators=(",", ":"))))
        data = json.dumps(event, separators=(",", ":")).encode()
        assert len(data) == size
        return data

    limit = DEFAULT_MAX_EVENT_BYTES
    blob = padded(limit) + padded(limit + 1) + record("eum_text_successful")
    assert summary(reads(blob)) == [
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        f"unreadable record is {limit + 1} bytes, over the {limit}-byte limit",
        "event 862a8790-60c0-4430-9b2b-658bdexample",
    ]


def test_a_record_over_the_limit_is_refused_from_a_copy_no_longer_than_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Records are decoded from copies that grow as needed (here from 16 characters), up to
    the limit and no further: a larger record is refused without being decoded whole."""
    monkeypatch.setattr(archive, "MIN_PROBE_CHARS", 16)
    limit = 2_000
    given: list[int] = []
    decoder_raw_decode = json.JSONDecoder.raw_decode

    def measured(self: json.JSONDecoder, text: str, index: int = 0) -> tuple[Any, int]:
        given.append(len(text))
        return decoder_raw_decode(self, text, index)

    monkeypatch.setattr(json.JSONDecoder, "raw_decode", measured)
    huge = b'{"eventType":"Send","mail":{"x":"' + b"y" * 10_000 + b'"}}'
    blob = record("ses_send") + huge + record("eum_text_successful")
    assert summary(reads(blob, max_record_bytes=limit)) == [
        f"unreadable record is {len(record('ses_send'))} bytes, over the {limit}-byte limit"
        if len(record("ses_send")) > limit
        else "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        f"unreadable not JSON within {limit} characters: a record over the size limit",
        "event 862a8790-60c0-4430-9b2b-658bdexample",
    ]
    assert max(given) == limit + 1
    assert min(given) == 16


def test_json_nested_too_deeply_is_unreadable_and_stops_nothing() -> None:
    blob = record("ses_send") + b'{"a":' * 100_000 + b"\n" + record("ses_delivery")
    assert summary(reads(blob)) == [
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        "unreadable JSON nested too deeply to be an event",
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
    ]


def test_bytes_that_are_not_utf8_spoil_only_their_own_record() -> None:
    spoiled = record("pinpoint_email_delivered").replace(b"recipient@", b"recipient\xff@")
    blob = record("ses_send") + spoiled + record("ses_delivery")
    assert summary(reads(blob)) == [
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        "unreadable record is not UTF-8",
        "event EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
    ]


def test_offsets_count_bytes_of_the_decompressed_object() -> None:
    accented = fixture("ses_send")
    accented["mail"]["commonHeaders"]["subject"] = "Résumé ✓"  # multi-byte characters
    first = json.dumps(accented, ensure_ascii=False).encode()
    blob = first + b"\n[]\n" + record("ses_delivery")
    found = reads(gzip.compress(blob))
    assert [r.position for r in found] == [
        Position(1, 0),
        Position(2, len(first) + 1),
        Position(3, len(first) + 4),
    ]


def test_no_reason_ever_carries_a_records_content() -> None:
    secret = SECRET.encode()
    blob = b"".join(
        [
            secret,
            b'{"' + secret + b'": ',
            b'{"eventType": "TEXT_DELIVERED", "messageId": 1, "destinationPhoneNumber": "'
            + secret
            + b'"}',
            b'{"mail": {"messageId": "' + secret + b'"}, "eventType": "Bounce", "bounce": {}}',
            json.dumps({"errorCode": "X", "rawData": base64.b64encode(secret).decode()}).encode(),
            json.dumps({"message_id": SECRET, "kind": SECRET, "event_time_ms": 1}).encode(),
        ]
    )
    found = reads(blob)
    assert found
    assert all(isinstance(r, Unreadable) for r in found)
    assert not any(SECRET in r.reason for r in found if isinstance(r, Unreadable))


# --- any object, as a property -----------------------------------------------------

# Each way a documented event can be stored, with the event it must read back as.
STORED: list[tuple[bytes, NormalizedEvent]] = [
    (stored, event)
    for name, event in zip(DOCUMENTED, documented_events(), strict=True)
    for stored in (record(name), archive_object([event]), error_object([record(name)]))
]
# Garbage that is no record: it never starts or holds a "{".
GARBAGE = [b"\x00not json", b"garbage", b"[1, 2]", b'"a string', b"123", b"\xff\xfe", b"}"]


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("stored"), st.sampled_from(range(len(STORED)))),
            st.tuples(st.just("garbage"), st.sampled_from(range(len(GARBAGE)))),
        ),
        max_size=12,
    ),
    st.sampled_from([b"", b"\n", b"\r\n", b" \t\n"]),
    st.booleans(),
    st.sampled_from([16, 4096]),
)
def test_any_object_reads_back_its_events_in_order_and_each_garbage_run_once(
    items: list[tuple[str, int]], separator: bytes, compressed: bool, probe: int
) -> None:
    blob = separator.join(STORED[i][0] if kind == "stored" else GARBAGE[i] for kind, i in items)
    expected: list[str] = []
    for position, (kind, i) in enumerate(items):
        if kind == "stored":
            expected.append(f"event {STORED[i][1].message_id}")
        elif position == 0 or items[position - 1][0] != "garbage":
            expected.append("unreadable not a JSON object")
    saved = archive.MIN_PROBE_CHARS
    archive.MIN_PROBE_CHARS = probe  # records decoded from copies that grow, or at once
    try:
        found = reads(gzip.compress(blob) if compressed else blob)
    finally:
        archive.MIN_PROBE_CHARS = saved
    assert summary(found) == expected
    assert [r.event for r in found if isinstance(r, Event)] == [
        STORED[i][1] for kind, i in items if kind == "stored"
    ]
    assert [r.position.record for r in found] == list(range(1, len(found) + 1))
