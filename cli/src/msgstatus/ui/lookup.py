"""What the console is asked: a search box entry, or a window of outcomes. Pure functions.

The search box takes a message id, a recipient or a correlation id. Its shape
decides: an ``@``, or a ``+`` followed by digits and phone punctuation, is a
recipient; anything else is looked up as a message id first and, when no
message has that id, as a correlation id.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from message_status import model

MAX_QUERY_LENGTH = 320  # the API's longest recipient; ids and correlation ids are shorter
PHONE = re.compile(r"^\+[0-9\s().-]*[0-9][0-9\s().-]*$")

# What a window search can ask for, from the service's status model: a group, or
# a status off every message's expected path (either channel's; the failures
# first, as they are what is looked for most).
STATUS_GROUPS = tuple(group.value for group in model.Group)
WINDOW_STATUSES = tuple(
    sorted(
        dict.fromkeys(
            status.value for channel in model.Channel for status in model.WINDOW_STATUSES[channel]
        ),
        key=lambda status: status not in model.FAILURE_STATUSES,
    )
)
CHANNELS = tuple(channel.value for channel in model.Channel)
RANGES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
CUSTOM = "custom"
DEFAULT_STATUS = model.Group.FAILED.value
DEFAULT_RANGE = "24h"


class InputError(ValueError):
    """A form entry the console cannot search for; the message says how to fix it."""


class By(StrEnum):
    AUTO = "auto"
    MESSAGE_ID = "message_id"
    RECIPIENT = "recipient"
    CORRELATION_ID = "correlation_id"


BY_LABELS = {
    By.AUTO: "guess from the shape",
    By.MESSAGE_ID: "message id",
    By.RECIPIENT: "recipient",
    By.CORRELATION_ID: "correlation id",
}


@dataclass(frozen=True)
class Find:
    """A search box entry: the text, how to read it (AUTO: by its shape), and a page cursor."""

    text: str
    by: By = By.AUTO
    cursor: str | None = None


def has_controls(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def looks_like_recipient(text: str) -> bool:
    """An email address (an ``@``) or a phone number (``+`` then digits and punctuation)."""
    return "@" in text or PHONE.match(text) is not None


def parse_by(value: str | None) -> By:
    try:
        return By(value or By.AUTO)
    except ValueError:
        raise InputError(f"unknown kind of search: {value!r}") from None


def find_request(text: str | None, by: str | None = None, cursor: str | None = None) -> Find:
    """The search box entry, trimmed and checked."""
    value = (text or "").strip()
    if not value:
        raise InputError("type a message id, a recipient (email or phone) or a correlation id")
    if len(value) > MAX_QUERY_LENGTH:
        raise InputError(f"that is longer than {MAX_QUERY_LENGTH} characters")
    if has_controls(value):
        raise InputError("that contains control characters")
    return Find(value, parse_by(by), cursor or None)


def plan(find: Find) -> tuple[By, ...]:
    """The searches to try, in order, until one finds something."""
    if find.by is not By.AUTO:
        return (find.by,)
    if looks_like_recipient(find.text):
        return (By.RECIPIENT,)
    if find.cursor:  # a next page is never a message id's
        return (By.CORRELATION_ID,)
    return (By.MESSAGE_ID, By.CORRELATION_ID)


################################################################################
# Windows: messages by outcome over a time range
################################################################################


@dataclass(frozen=True)
class Window:
    """Messages whose current status is ``status`` (or in that group), reached in [since, until]."""

    status: str
    since: datetime
    until: datetime
    range: str = DEFAULT_RANGE  # as chosen: 1h, 24h, 7d or custom
    channel: str | None = None
    cursor: str | None = None
    account: str | None = None  # only messages sent from this AWS account
    region: str | None = None  # only messages sent in this AWS Region

    def filters(self) -> dict[str, str]:
        """The narrowing parameters, the API's and the console's alike."""
        named = {"channel": self.channel, "account": self.account, "region": self.region}
        return {name: value for name, value in named.items() if value}

    def api_params(self, limit: int) -> dict[str, str]:
        """The query parameters of GET /messages for this window."""
        params = {
            "status": self.status,
            "since": api_time(self.since),
            "until": api_time(self.until),
            "limit": str(limit),
            **self.filters(),
        }
        if self.cursor:
            params["cursor"] = self.cursor
        return params

    def page_params(self, cursor: str | None) -> dict[str, str]:
        """The console's own query for another page: the same absolute window, ``cursor``."""
        params = {
            "status": self.status,
            "range": CUSTOM,
            "since": api_time(self.since),
            "until": api_time(self.until),
            **self.filters(),
        }
        if cursor:
            params["cursor"] = cursor
        return params


def api_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def form_time(moment: datetime) -> str:
    """A value for ``<input type="datetime-local">``, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_time(text: str, name: str) -> datetime:
    """ISO-8601, minutes at least; a time without an offset is UTC."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise InputError(f"{name} is not a date and time like 2026-11-23T08:00: {text!r}") from None
    if "T" not in value.replace(" ", "T", 1):
        raise InputError(f"{name} needs a time as well as a date: {text!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def check_status(status: str) -> str:
    if status in STATUS_GROUPS or status in WINDOW_STATUSES:
        return status
    choices = ", ".join((*STATUS_GROUPS, *WINDOW_STATUSES))
    raise InputError(f"unknown status {status!r}: pick one of {choices}")


def check_channel(channel: str | None) -> str | None:
    if not channel:
        return None
    if channel not in CHANNELS:
        raise InputError(f"unknown channel {channel!r}: email or sms")
    return channel


ACCOUNT_ID = re.compile(r"[0-9]{12}")
REGION_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")


def check_account(account: str | None) -> str | None:
    value = (account or "").strip()
    if value and not ACCOUNT_ID.fullmatch(value):
        raise InputError(f"account {account!r} is not an AWS account id (12 digits)")
    return value or None


def check_region(region: str | None) -> str | None:
    value = (region or "").strip()
    if value and not REGION_NAME.fullmatch(value):
        raise InputError(f"region {region!r} is not an AWS Region name, like eu-west-1")
    return value or None


def window_bounds(
    range_: str, since: str | None, until: str | None, now: datetime
) -> tuple[datetime, datetime]:
    """[since, until] for a named range ending now, or a custom one (until defaults to now)."""
    if range_ in RANGES:
        return now - RANGES[range_], now
    if range_ != CUSTOM:
        raise InputError(f"unknown time range {range_!r}: 1h, 24h, 7d or custom")
    end = parse_time(until, "until") if until else now
    start = parse_time(since, "since") if since else end - RANGES[DEFAULT_RANGE]
    if start > end:
        raise InputError("since is after until")
    return start, end


def window_request(fields: Mapping[str, str], now: datetime) -> Window:
    """The window form's fields, checked; a named range is fixed to absolute times now."""
    chosen = fields.get("range") or DEFAULT_RANGE
    moment = now.astimezone(UTC).replace(microsecond=0)
    start, end = window_bounds(chosen, fields.get("since"), fields.get("until"), moment)
    return Window(
        status=check_status(fields.get("status") or DEFAULT_STATUS),
        since=start,
        until=end,
        range=chosen,
        channel=check_channel(fields.get("channel")),
        cursor=fields.get("cursor") or None,
        account=check_account(fields.get("account")),
        region=check_region(fields.get("region")),
    )
