"""The S3 objects Firehose writes, read back into events: bytes in, events out, pure.

An object is gzip-compressed (told by its magic bytes) or not, and holds JSON
records one after another: Firehose concatenates the records it delivers as
they are, so records follow each other with nothing between them unless their
source ends each with a newline (SES does: "Contents of event data that Amazon
SES publishes to Firehose", SES Developer Guide; so do this module's archive
lines and Firehose's error records). Each record is one of:

* a source event, in Pinpoint's, SES's or End User Messaging SMS v2's format
  (the module's ``raw/`` backup, or any Firehose archive of those sources),
  normalized by the same parsers as the transform's;
* one of the module's own archive lines (``events/``), read back exactly
  (archive_line.from_archive_line);
* a Firehose error record (``errors/``, ``raw-errors/``): a JSON object whose
  ``rawData`` is the base64 of the original record, which is then read as the
  transform would read it.

Every record comes back, in order, as an Event, a Skipped (a valid event that
says nothing about delivery) or an Unreadable: where it starts (its ordinal and
its byte offset in the decompressed object) and why, never its content. One
unreadable record never stops the rest: after JSON that does not parse, reading
resumes at the next ``{``, and the values found inside the broken stretch that
are not events are part of that one report, not more of them.

Bounded: the decompressed object is cut at ``max_object_bytes`` (a gzip bomb
stops there; the cut is reported), a record over ``max_record_bytes`` is
refused, and nesting too deep for the JSON parser is a reason like any other.
Each record is decoded from a copy of about its own length, so a record over
the limit is refused without being held whole, and garbage costs time in
proportion to its length.

Written over the standard library's JSON decoder rather than a streaming JSON
package: the functions' zips carry no dependencies, and resuming after
garbage in the middle of concatenated records is this module's own rule.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .archive_line import from_archive_line, is_archive_line
from .events import InvalidEvent, NormalizedEvent, NotADeliveryEvent
from .parse import DEFAULT_MAX_EVENT_BYTES, Parsed, parse_event, parse_record_data
from .pipeline import decode_base64

GZIP_MAGIC: Final = b"\x1f\x8b"
GZIP_WBITS: Final = 16 + zlib.MAX_WBITS  # a gzip header and trailer around deflate data
# Firehose buffers at most 128 MiB before it writes an object, so one it wrote
# decompresses to about that; twice as much leaves room and still bounds a bomb.
DEFAULT_MAX_OBJECT_BYTES: Final = 256 * 1024 * 1024
INPUT_CHUNK_BYTES: Final = 1024 * 1024
# Records are decoded from a copy of the text, first this long, then twice as long
# as the record before, growing to the record limit when a record needs it.
MIN_PROBE_CHARS: Final = 4096
JSON_WHITESPACE: Final = re.compile(r"[ \t\r\n]*")
# The opening run of a nest of objects and arrays ({"a":[{"b": ...): where JSON
# too deep to decode goes on at least, read without recursion. It stops at a
# line end, where the next record may begin.
NESTING: Final = re.compile(r'(?:[\[{][ \t]*(?:"(?:[^"\\\n]|\\.)*"[ \t]*:[ \t]*)?)+')
# Firehose's error output format: attemptsMade, arrivalTimestamp, errorCode,
# errorMessage, attemptEndingTimestamp, rawData, lambdaArn.
ERROR_RECORD_MARKERS: Final = ("rawData", "errorCode")


@dataclass(frozen=True)
class Position:
    """Where a record starts: its ordinal in the object (from 1), its byte offset after
    decompression. ``record`` is None for what concerns the object itself."""

    record: int | None
    offset: int


@dataclass(frozen=True)
class Event:
    position: Position
    event: NormalizedEvent


@dataclass(frozen=True)
class Skipped:
    """A valid event that says nothing about delivery (session, campaign, voice, ...);
    ``event_type`` is the source's own type name, as the record gives it."""

    position: Position
    event_type: str


@dataclass(frozen=True)
class Unreadable:
    position: Position
    reason: str


Read = Event | Skipped | Unreadable


@dataclass
class ObjectContents:
    """Everything read from one object, for a caller that wants it all at once."""

    events: list[NormalizedEvent] = field(default_factory=list)
    skipped: int = 0
    unreadable: list[Unreadable] = field(default_factory=list)


# --- decompression ---------------------------------------------------------------


def decompress(blob: bytes, max_bytes: int = DEFAULT_MAX_OBJECT_BYTES) -> tuple[bytes, str | None]:
    """(the object's content, why it is incomplete or None): gunzipped when it is gzip.

    Whatever could be decompressed before a problem is kept: a truncated or
    corrupt gzip gives its beginning, a bomb its first ``max_bytes``.
    """
    if not blob.startswith(GZIP_MAGIC):
        if len(blob) > max_bytes:
            return blob[:max_bytes], f"object passes {max_bytes} bytes: the rest is unread"
        return blob, None
    return _gunzip(memoryview(blob), max_bytes)


def _gunzip(view: memoryview, max_bytes: int) -> tuple[bytes, str | None]:
    """Every gzip member in turn (concatenated .gz files are one valid gzip file)."""
    out = bytearray()
    position = 0
    while position < len(view):
        inflater = zlib.decompressobj(wbits=GZIP_WBITS)
        while not inflater.eof:
            if position >= len(view):
                return bytes(out), "gzip data ends early (truncated): the rest is unread"
            piece = view[position : position + INPUT_CHUNK_BYTES]
            try:
                # At most one byte over the cap: enough to know the cap is passed.
                out += inflater.decompress(piece, max_bytes + 1 - len(out))
            except zlib.error:
                return bytes(out), "gzip data is corrupt: the rest is unread"
            if len(out) > max_bytes:
                return bytes(out[:max_bytes]), (
                    f"decompresses to more than {max_bytes} bytes: the rest is unread"
                )
            # Below the cap all of the piece was taken, up to the member's end.
            position += len(piece) - len(inflater.unused_data)
        position = _after_zero_padding(view, position)
    return bytes(out), None


def _after_zero_padding(view: memoryview, position: int) -> int:
    """gzip files may be padded with zero bytes after a member (as gzip(1) reads them)."""
    while position < len(view) and view[position] == 0:
        position += 1
    return position


# --- JSON values, one after another -------------------------------------------------


@dataclass(frozen=True)
class _Value:
    start: int
    end: int
    value: Any


@dataclass(frozen=True)
class _Broken:
    start: int
    reason: str
    reached: int  # where the decoder stopped: the broken record goes on at least up to it
    resume: int  # where to look for the next object from


def _json_values(text: str, max_chars: int) -> Iterator[_Value | _Broken]:
    """Each JSON object of ``text``, whitespace or nothing between them (character positions).

    What is not an object, or does not parse, is _Broken, and reading resumes
    at the next ``{`` after it (_Broken.resume).
    """
    decoder = json.JSONDecoder()
    probe = min(MIN_PROBE_CHARS, max_chars + 1)
    position = _after_whitespace(text, 0)
    while position < len(text):
        decoded = _decode_object(decoder, text, position, probe, max_chars)
        if isinstance(decoded, _Broken):
            yield decoded
            following = text.find("{", decoded.resume)
            position = len(text) if following < 0 else following
            continue
        yield decoded
        # The next record is most likely about as long: probe twice that.
        probe = min(max(MIN_PROBE_CHARS, 2 * (decoded.end - decoded.start)), max_chars + 1)
        position = _after_whitespace(text, decoded.end)


def _decode_object(
    decoder: json.JSONDecoder, text: str, start: int, probe: int, max_chars: int
) -> _Value | _Broken:
    """The object at ``start``, decoded from a slice of the text that grows as needed.

    Each attempt decodes a copy of at most twice the record (or ``max_chars +
    1`` characters), never the rest of the text: the decoder's errors cost the
    length of what it was given, and a record over the limit is never held
    whole.
    """
    if text[start] != "{":
        # Every record is an object; anything else is garbage, read no further
        # (a string would run on into the record after it).
        return _Broken(start, "not a JSON object", start + 1, start + 1)
    while True:
        piece = text[start : start + probe]
        cut = start + len(piece) < len(text)
        try:
            value, end = decoder.raw_decode(piece)
        except RecursionError:
            # Every object inside the nest is as deep: resume after its opening run
            # (else each of them would be decoded and fail in turn).
            nest_end = _nesting_end(text, start)
            return _Broken(start, "JSON nested too deeply to be an event", nest_end, nest_end)
        except json.JSONDecodeError as err:
            # The decoder reports running out at the end of what it was given,
            # except for a string it could not close, reported where it starts.
            ran_out = err.pos >= len(piece) or err.msg.startswith("Unterminated string")
            if not (cut and ran_out):
                # Resume right after the start: a record cut short may end where
                # the next one begins, inside what the decoder took for a string.
                return _Broken(start, f"not JSON: {err.msg}", start + err.pos, start + 1)
            if probe > max_chars:
                reason = f"not JSON within {max_chars} characters: a record over the size limit"
                return _Broken(start, reason, start + len(piece), start + 1)
            probe = min(2 * probe, max_chars + 1)
            continue
        except ValueError:  # an integer literal longer than Python's digit limit
            return _Broken(start, "not JSON: an integer with too many digits", start + 1, start + 1)
        return _Value(start, start + end, value)


def _nesting_end(text: str, start: int) -> int:
    match = NESTING.match(text, start)
    return start + 1 if match is None else max(match.end(), start + 1)


def _after_whitespace(text: str, position: int) -> int:
    match = JSON_WHITESPACE.match(text, position)  # always matches: the pattern may be empty
    return position if match is None else match.end()


class _ByteOffsets:
    """Byte offsets of increasing character positions, in one pass over the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.chars = 0
        self.bytes = 0

    def __call__(self, position: int) -> int:
        # surrogateescape: the text was decoded that way, so this gives back its bytes.
        self.bytes += len(self.text[self.chars : position].encode("utf-8", "surrogateescape"))
        self.chars = position
        return self.bytes


# --- one record ---------------------------------------------------------------------


def is_error_record(document: Mapping[str, Any]) -> bool:
    """Whether a decoded JSON object is one of Firehose's error output records."""
    return all(key in document for key in ERROR_RECORD_MARKERS)


def _from_error_record(
    document: Mapping[str, Any], max_bytes: int, correlation_key: str | None, region: str | None
) -> Parsed:
    data = document.get("rawData")
    if not isinstance(data, str):
        raise InvalidEvent("error record has no rawData string")
    return parse_record_data(decode_base64(data), max_bytes, correlation_key, region)


def _parsed(value: Any, max_bytes: int, correlation_key: str | None, region: str | None) -> Parsed:
    if isinstance(value, Mapping) and is_error_record(value):
        return _from_error_record(value, max_bytes, correlation_key, region)
    if isinstance(value, Mapping) and is_archive_line(value):
        return from_archive_line(value)
    return parse_event(value, correlation_key, region)


def _check_size(text: str, value: _Value, max_bytes: int) -> None:
    """InvalidEvent when the record's bytes are not UTF-8 or more than ``max_bytes``."""
    try:
        size = len(text[value.start : value.end].encode("utf-8"))
    except UnicodeEncodeError as err:  # bytes that were not UTF-8 (decoded as surrogates)
        raise InvalidEvent("record is not UTF-8") from err
    if size > max_bytes:
        raise InvalidEvent(f"record is {size} bytes, over the {max_bytes}-byte limit")


def _read(  # noqa: PLR0917 - one call site
    text: str,
    value: _Value,
    where: Position,
    max_bytes: int,
    correlation_key: str | None,
    region: str | None,
) -> Read:
    try:
        _check_size(text, value, max_bytes)
        parsed = _parsed(value.value, max_bytes, correlation_key, region)
    except InvalidEvent as err:
        return Unreadable(where, str(err))
    if isinstance(parsed, NotADeliveryEvent):
        return Skipped(where, parsed.event_type)
    return Event(where, parsed)


# --- an object --------------------------------------------------------------------


def read_text(
    text: str,
    *,
    correlation_key: str | None = None,
    max_record_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    region: str | None = None,
) -> Iterator[Read]:
    """Each record of decompressed, decoded content, in order. ``region`` is the
    deployment's, recorded on a source event that names none, as the transform does."""
    offsets = _ByteOffsets(text)
    record = 0
    stretch_end: int | None = None  # set while in a broken stretch: how far it goes at least
    for found in _json_values(text, max_record_bytes):
        if isinstance(found, _Broken):
            if stretch_end is None or found.start > stretch_end:
                record += 1  # a record of its own, not a piece of the one before
                yield Unreadable(Position(record, offsets(found.start)), found.reason)
            stretch_end = max(stretch_end or 0, found.reached)
            continue
        read = _read(
            text,
            found,
            Position(record + 1, offsets(found.start)),
            max_record_bytes,
            correlation_key,
            region,
        )
        if isinstance(read, Unreadable) and stretch_end is not None:
            # An object found inside a broken stretch that is no event: a piece of
            # the broken record already reported.
            stretch_end = max(stretch_end, found.end)
            continue
        record += 1
        stretch_end = None
        yield read


def read_object(
    blob: bytes,
    *,
    correlation_key: str | None = None,
    max_record_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES,
    region: str | None = None,
) -> Iterator[Read]:
    """Each record of one S3 object as Firehose wrote it, in order; then, if the object
    could not be read to its end, an Unreadable for the object (record None)."""
    content, problem = decompress(blob, max_object_bytes)
    # Bytes that are not UTF-8 stay in the text as surrogates: only the records
    # that hold them are unreadable.
    yield from read_text(
        content.decode("utf-8", "surrogateescape"),
        correlation_key=correlation_key,
        max_record_bytes=max_record_bytes,
        region=region,
    )
    if problem is not None:
        yield Unreadable(Position(None, len(content)), problem)


def object_contents(
    blob: bytes,
    *,
    correlation_key: str | None = None,
    max_record_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES,
) -> ObjectContents:
    """Every event, the count of skipped records and every unreadable one, of one object."""
    contents = ObjectContents()
    reads = read_object(
        blob,
        correlation_key=correlation_key,
        max_record_bytes=max_record_bytes,
        max_object_bytes=max_object_bytes,
    )
    for read in reads:
        if isinstance(read, Event):
            contents.events.append(read.event)
        elif isinstance(read, Skipped):
            contents.skipped += 1
        else:
            contents.unreadable.append(read)
    return contents
