"""Firehose's error output, read and written in bounded memory: bytes in, records out, pure.

Firehose writes every record its processor failed to the error output prefix
as one JSON object in its documented format ("Handle failure in data
transformation", Amazon Data Firehose Developer Guide): ``attemptsMade``,
``arrivalTimestamp``, ``errorCode``, ``errorMessage``,
``attemptEndingTimestamp``, ``rawData`` (the original record, base64) and
``lambdaArn``, compressed as the destination says (GZIP for this module).
Records follow one another, one per line, or with nothing between them.

An object may be as large as the archive's buffer (up to 128 MiB), so it is
read as a stream: ``inflate`` gunzips chunk by chunk, ``decode_utf8`` decodes
chunk by chunk, and ``ErrorRecordReader`` cuts the text into records, holding
at most one record (``MAX_RECORD_CHARS``) and one chunk at a time. Each
record keeps its JSON text exactly as Firehose wrote it, so that whatever
cannot be healed is written back byte for byte, attempts and error codes
included. ``GzipLines`` writes such records (or archive lines) compressed as
they come, into any binary file (a spooled temporary file in the heal
function), so nothing has to be held whole either way.

What Firehose never writes (gzip that breaks off, text that is not UTF-8, a
JSON value that is not an object, a record past the limit) makes the whole
object ``UnreadableObject``: with no way to tell where its records start and
end, none of it is touched.

``archive`` reads every kind of object Firehose writes back into events, a
whole object at a time (up to 256 MiB in memory) and without the records'
text; the heal function needs an object of any size in bounded memory, and
each record's text as Firehose wrote it, to park it unchanged: hence this
reader, which ``archive`` could stream through in turn.
"""

from __future__ import annotations

import codecs
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Final

GZIP_MAGIC: Final = b"\x1f\x8b"
GZIP_WBITS: Final = 16 + zlib.MAX_WBITS  # a gzip header and trailer around deflate data
# Output of one inflate step: what the decompressed object is read in.
INFLATE_STEP_BYTES: Final = 1024 * 1024
# Firehose's largest record is 1,000 KiB; as base64 in an error record, with the
# record's other fields, it stays under this.
MAX_RECORD_CHARS: Final = 2 * 1024 * 1024
JSON_WHITESPACE: Final = " \t\r\n"


class UnreadableObject(Exception):
    """The object is not what Firehose writes: where its records start cannot be known."""


@dataclass(frozen=True)
class ErrorRecord:
    """One record of the error output: its JSON text verbatim, and its ``rawData``.

    ``ordinal`` counts from 1 in the object. ``raw_data`` is None when the
    record has no string ``rawData``: such a record can never be healed.
    """

    ordinal: int
    text: str
    raw_data: str | None


# --- bytes -> text ---------------------------------------------------------------------


def inflate(chunks: Iterable[bytes], step: int = INFLATE_STEP_BYTES) -> Iterator[bytes]:
    """The object's content: gunzipped when it starts with gzip's magic bytes, else as it is.

    At most ``step`` bytes come out at a time, however much a chunk inflates
    to (a gzip bomb costs time, never memory). Concatenated gzip members are
    one gzip file, as gzip(1) reads them.
    """
    stream = iter(chunks)
    first = b""
    for chunk in stream:  # enough bytes to tell gzip's magic
        first += chunk
        if len(first) >= len(GZIP_MAGIC):
            break
    if first.startswith(GZIP_MAGIC):
        yield from _gunzip(_chain(first, stream), step)
        return
    if first:
        yield first
    yield from stream


def _gunzip(chunks: Iterator[bytes], step: int) -> Iterator[bytes]:
    inflater: zlib._Decompress | None = None
    for chunk in chunks:
        data = chunk
        while True:
            if inflater is None:
                data = data.lstrip(b"\x00")  # zero padding between members
                if not data:
                    break
                inflater = zlib.decompressobj(wbits=GZIP_WBITS)
            out = _inflate_step(inflater, data, step)
            if out:
                yield out
            if inflater.eof:
                data, inflater = inflater.unused_data, None
            elif inflater.unconsumed_tail or len(out) == step:
                data = inflater.unconsumed_tail  # more is waiting, in or out
            else:
                break  # this chunk is used up: the member goes on in the next
    if inflater is not None:
        raise UnreadableObject("gzip data ends early (truncated)")


def _inflate_step(inflater: zlib._Decompress, data: bytes, step: int) -> bytes:
    try:
        return inflater.decompress(data, step)
    except zlib.error as err:
        raise UnreadableObject(f"gzip data is corrupt: {err}") from err


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def decode_utf8(chunks: Iterable[bytes]) -> Iterator[str]:
    """Text, chunk by chunk; a character split between chunks is joined."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        for chunk in chunks:
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError as err:
        raise UnreadableObject(f"not UTF-8 at byte {err.start} of a chunk") from err
    if tail:
        yield tail


# --- text -> records -------------------------------------------------------------------


class ErrorRecordReader:
    """The records of an error object's text, in order, each with its verbatim JSON.

    Iterate it for the records; ``rest()`` then gives the text not yet read
    (everything after the last record handed out), to carry over unread.
    """

    def __init__(self, texts: Iterable[str], max_record_chars: int = MAX_RECORD_CHARS) -> None:
        self._texts = iter(texts)
        self._buffer = ""
        self._position = 0
        self._ended = False
        self._count = 0
        self._max = max_record_chars
        self._decoder = json.JSONDecoder()

    def __iter__(self) -> Iterator[ErrorRecord]:
        return self

    def __next__(self) -> ErrorRecord:
        start = self._start_of_next()
        if start is None:
            raise StopIteration
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, start)
            except RecursionError:
                raise UnreadableObject(f"record {self._count + 1} nests too deeply") from None
            except json.JSONDecodeError as err:
                if self._ended:
                    raise UnreadableObject(
                        f"record {self._count + 1} is not JSON: {err.msg}"
                    ) from None
                self._read_more(start)
                start = self._position
                continue
            if not isinstance(value, dict):
                raise UnreadableObject(f"record {self._count + 1} is not a JSON object")
            self._count += 1
            self._position = end
            raw = value.get("rawData")
            return ErrorRecord(
                self._count, self._buffer[start:end], raw if isinstance(raw, str) else None
            )

    def rest(self) -> Iterator[str]:
        """The text after the last record handed out, then every chunk not yet read."""
        if self._position < len(self._buffer):
            yield self._buffer[self._position :]
        self._buffer, self._position = "", 0
        yield from self._texts

    def _start_of_next(self) -> int | None:
        """Where the next record starts, reading on past whitespace; None at the end."""
        while True:
            position = self._position
            while position < len(self._buffer) and self._buffer[position] in JSON_WHITESPACE:
                position += 1
            self._position = position
            if position < len(self._buffer):
                if self._buffer[position] != "{":
                    raise UnreadableObject(f"record {self._count + 1} is not a JSON object")
                return position
            if self._ended:
                return None
            self._read_more(position)

    def _read_more(self, start: int) -> None:
        """Keep the text from ``start`` on and add the next chunk (the record grows)."""
        self._buffer, self._position = self._buffer[start:], 0
        if len(self._buffer) > self._max:
            raise UnreadableObject(
                f"record {self._count + 1} is longer than {self._max} characters"
            )
        chunk = next(self._texts, None)
        if chunk is None:
            self._ended = True
        else:
            self._buffer += chunk


# --- records -> gzip -------------------------------------------------------------------


class GzipLines:
    """Lines written gzip-compressed as they come, into a binary file opened by the caller.

    Deterministic: the same lines make the same bytes (no name, no time in the
    header), so writing the same output twice under one key changes nothing.
    """

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.lines = 0
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, GZIP_WBITS)
        self._closed = False

    def write(self, text: str) -> None:
        """One line: ``text`` and a newline (added when it has none)."""
        data = text.encode() if text.endswith("\n") else (text + "\n").encode()
        self.target.write(self._compressor.compress(data))
        self.lines += 1

    def write_text(self, text: str) -> None:
        """Text as it is, with no line count (a remainder carried over whole)."""
        self.target.write(self._compressor.compress(text.encode()))

    def close(self) -> None:
        if not self._closed:
            self.target.write(self._compressor.flush())
            self._closed = True
