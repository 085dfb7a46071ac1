"""Timestamps: epoch milliseconds inside, ISO-8601 UTC with milliseconds outside."""

from __future__ import annotations

from datetime import UTC, datetime

# 1970-01-01 up to 9999-12-31: anything else is a malformed timestamp.
MIN_EPOCH_MS = 0
MAX_EPOCH_MS = 253_402_300_799_999
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadTimestamp(ValueError):
    """A timestamp that is not a valid point in time."""


def to_iso(epoch_ms: int) -> str:
    """``1564618621380`` -> ``"2019-08-01T00:17:01.380Z"``."""
    seconds, millis = divmod(epoch_ms, 1000)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


def from_iso(text: str) -> int:
    """Parse ISO-8601 (``Z`` or an offset; naive means UTC) to epoch milliseconds."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise BadTimestamp("not an ISO-8601 timestamp") from err
    return from_datetime(moment)


def from_datetime(moment: datetime) -> int:
    """A datetime (naive means UTC) as epoch milliseconds; BadTimestamp when out of range."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Integer arithmetic: float seconds would round some milliseconds wrongly.
    delta = moment - EPOCH
    return check_epoch_ms(
        delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000
    )


def check_epoch_ms(value: int) -> int:
    """Return ``value`` if it is a plausible epoch-milliseconds timestamp."""
    if not MIN_EPOCH_MS <= value <= MAX_EPOCH_MS:
        raise BadTimestamp("timestamp out of range")
    return value
