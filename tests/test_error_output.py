"""Reading Firehose's error output as the heal function does: streamed, in bounded memory, each
record's JSON verbatim; and anything Firehose never writes refused as a whole object."""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from message_status.error_output import (
    MAX_RECORD_CHARS,
    ErrorRecordReader,
    GzipLines,
    UnreadableObject,
    decode_utf8,
    inflate,
)

from devkit.events import firehose_event, ses
from devkit.firehose import error_lines, error_object

RECORDS = [
    {"attemptsMade": 1, "errorCode": "Lambda.ProcessingFailed", "rawData": "eyJhIjogMX0="},
    {"attemptsMade": 4, "errorCode": "Lambda.InvokeFailed", "rawData": "eyJ0ZXh0IjogIsOpIn0="},
    {"errorMessage": "no rawData, é and ☃ in it", "lambdaArn": "arn:aws:lambda:x"},
]
TEXTS = [json.dumps(r, ensure_ascii=False) for r in RECORDS]


def corrupted(blob: bytes) -> bytes:
    """A gzip file whose first deflate block header is overwritten."""
    return blob[:10] + b"\xff" * 4 + blob[14:]


def pieces(blob: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(blob), size):
        yield blob[start : start + size]


def read(blob: bytes, chunk: int = 1 << 20, step: int = 1 << 20, **kwargs: int) -> list[str]:
    reader = ErrorRecordReader(decode_utf8(inflate(pieces(blob, chunk), step)), **kwargs)
    return [record.text for record in reader]


@given(chunk=st.integers(1, 64), step=st.integers(1, 64), newline=st.booleans())
def test_records_come_back_verbatim_in_order_however_the_bytes_are_cut(
    chunk: int, step: int, newline: bool
) -> None:
    text = ("\n" if newline else "").join(TEXTS)
    assert read(gzip.compress(text.encode()), chunk, step) == TEXTS


def test_rawdata_is_given_when_it_is_a_string_and_none_otherwise() -> None:
    reader = ErrorRecordReader(decode_utf8(inflate([gzip.compress("\n".join(TEXTS).encode())])))
    assert [(r.ordinal, r.raw_data) for r in reader] == [
        (1, "eyJhIjogMX0="),
        (2, "eyJ0ZXh0IjogIsOpIn0="),
        (3, None),
    ]


def test_concatenated_gzip_members_with_zero_padding_and_plain_text_are_read() -> None:
    members = gzip.compress(TEXTS[0].encode()) + b"\x00\x00" + gzip.compress(TEXTS[1].encode())
    assert read(members, chunk=5) == TEXTS[:2]
    assert read("\n".join(TEXTS).encode(), chunk=3) == TEXTS, "an uncompressed object"
    assert read(b"") == []


def test_the_rest_is_the_text_after_the_last_record_handed_out() -> None:
    text = "\n".join(TEXTS) + "\n"
    reader = ErrorRecordReader(decode_utf8(inflate(pieces(gzip.compress(text.encode()), 7))))
    first = next(reader)
    assert first.text == TEXTS[0]
    assert "".join(reader.rest()) == text[len(TEXTS[0]) :]


@pytest.mark.parametrize(
    ("blob", "problem"),
    [
        (gzip.compress(TEXTS[0].encode())[:-6], "truncated"),
        (corrupted(gzip.compress(TEXTS[0].encode())), "corrupt"),
        (gzip.compress(b"\xff\xfe" + TEXTS[0].encode()), "not UTF-8"),
        (gzip.compress((TEXTS[0] + ' 5 {"a": 1}').encode()), "not a JSON object"),
        (gzip.compress((TEXTS[0] + '\n{"rawData": "x"').encode()), "not JSON"),
        (gzip.compress(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"), "nests too deeply"),
    ],
    ids=["truncated", "corrupt", "not utf-8", "a number", "cut off", "nested"],
)
def test_what_firehose_never_writes_makes_the_whole_object_unreadable(
    blob: bytes, problem: str
) -> None:
    with pytest.raises(UnreadableObject, match=problem):
        read(blob, chunk=11)


def test_a_record_over_the_limit_is_refused_without_being_held_whole() -> None:
    huge = json.dumps({"rawData": "A" * 5000})
    with pytest.raises(UnreadableObject, match="longer than 1000 characters"):
        read(gzip.compress(huge.encode()), chunk=100, step=100, max_record_chars=1000)
    assert len(read(gzip.compress(huge.encode()), chunk=100)) == 1, "under the default limit"
    assert MAX_RECORD_CHARS > 4 * 1_000 * 1024 // 3, "Firehose's largest record, as base64"


def test_a_gzip_bomb_comes_out_a_step_at_a_time() -> None:
    bomb = gzip.compress(b" " * 50_000_000)
    assert max(len(out) for out in inflate([bomb], step=1 << 20)) == 1 << 20


def test_a_large_object_is_read_in_memory_of_a_record_and_a_chunk() -> None:
    """30,000 records (about 40 MB decompressed) read with a few MB at most in memory."""
    records = firehose_event([ses("Send", f"m-{n}", n) for n in range(30_000)])["records"]
    blob = error_object(error_lines(records, "arn:aws:lambda:transform", 0))
    tracemalloc.start()
    try:
        count = sum(1 for _ in ErrorRecordReader(decode_utf8(inflate(pieces(blob, 1 << 20)))))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 30_000
    assert len(gzip.decompress(blob)) > 30_000_000
    assert peak < 12_000_000, f"peak {peak} bytes"


def test_gzip_lines_round_trip_and_are_the_same_bytes_each_time() -> None:
    def written() -> bytes:
        target = io.BytesIO()
        lines = GzipLines(target)
        for text in TEXTS:
            lines.write(text)
        lines.close()
        assert lines.lines == len(TEXTS)
        return target.getvalue()

    first = written()
    assert first == written(), "the same outputs under the same key change nothing"
    assert read(first) == TEXTS
    assert gzip.decompress(first).decode() == "".join(t + "\n" for t in TEXTS)
