"""Amazon Data Firehose error objects: reading them, and where they sit in the bucket.

Firehose writes the records it could not process (here: the transform failed
them, or could not be invoked) to the error output prefix, each as a JSON
object with ``attemptsMade``, ``arrivalTimestamp``, ``errorCode``,
``errorMessage``, ``attemptEndingTimestamp``, ``rawData`` (base64 of the
original record) and ``lambdaArn``. The objects are compressed as the
destination says (GZIP for this module); records are usually one per line,
but may be concatenated without any separator.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

GZIP_MAGIC = b"\x1f\x8b"
ERRORS_ROOT = "errors/"
DATE_IN_KEY = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/|$)")
WHITESPACE = " \t\r\n"


class UnreadableObject(Exception):
    """The object is not (gzip-compressed) concatenated JSON."""


@dataclass(frozen=True)
class ErrorRecord:
    """One failed record: its original bytes, or why they cannot be had."""

    data: bytes | None
    problem: str | None = None
    error_code: str | None = None


def decompress(blob: bytes) -> bytes:
    """The bytes of a gzip object (detected by its magic bytes), or the blob as it is."""
    if not blob.startswith(GZIP_MAGIC):
        return blob
    try:
        return gzip.decompress(blob)
    except (OSError, EOFError, zlib.error) as err:
        raise UnreadableObject(f"not valid gzip: {err}") from err


def iter_json_values(text: str) -> Iterator[Any]:
    """Each JSON value of a stream of concatenated values, with or without newlines between."""
    decoder = json.JSONDecoder()
    position = 0
    end = len(text)
    while True:
        while position < end and text[position] in WHITESPACE:
            position += 1
        if position >= end:
            return
        try:
            value, position = decoder.raw_decode(text, position)
        except ValueError as err:
            raise UnreadableObject(f"not JSON at character {position}: {err}") from err
        yield value


def to_record(value: Any) -> ErrorRecord:
    """The original bytes of one error record, from its base64 ``rawData``."""
    if not isinstance(value, dict):
        return ErrorRecord(None, "not a JSON object")
    code = value.get("errorCode") if isinstance(value.get("errorCode"), str) else None
    raw = value.get("rawData")
    if not isinstance(raw, str):
        return ErrorRecord(None, "no rawData", code)
    try:
        return ErrorRecord(base64.b64decode(raw, validate=True), None, code)
    except (binascii.Error, ValueError):
        return ErrorRecord(None, "rawData is not base64", code)


def parse_error_object(blob: bytes) -> list[ErrorRecord]:
    """Every record of one error object; raises UnreadableObject when it cannot be read."""
    try:
        text = decompress(blob).decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnreadableObject(f"not UTF-8: {err}") from err
    return [to_record(value) for value in iter_json_values(text)]


def key_date(key: str, prefix: str) -> date | None:
    """The date of the first ``YYYY/MM/DD`` path segments after ``prefix``, None without one."""
    rest = key[len(prefix) :] if key.startswith(prefix) else key
    match = DATE_IN_KEY.search(rest)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def in_window(day: date | None, since: date | None, until: date | None) -> bool:
    """True when no window is set, else when ``day`` is within it (both ends included)."""
    if since is None and until is None:
        return True
    if day is None:
        return False
    return (since is None or day >= since) and (until is None or day <= until)


def moved_key(key: str, move_to: str) -> str:
    """``move_to`` followed by the key after its ``errors/`` root (the whole key without one)."""
    rest = key[len(ERRORS_ROOT) :] if key.startswith(ERRORS_ROOT) else key
    destination = move_to if move_to.endswith("/") or not move_to else move_to + "/"
    return destination + rest
