"""An address on Amazon SES's suppression list, as the recipient page shows it. Pure.

SES keeps an account-level suppression list per Region, and with tenant-level
suppression one list per tenant. ``GetSuppressedDestination`` (SES API v2)
answers one address on one list: its reason (``BOUNCE`` or ``COMPLAINT``), when
it was last updated, and the message and feedback that put it there; an
address that is not on the list is a ``NotFoundException``. The edge that
calls it is ``ses``; this module turns its answers into a ``Lookup`` and decides
how long one may be reused (``ttl_s``, ``LookupCache``).

SES compares addresses on its list case-sensitively (the SES Developer Guide,
"Managing tenant suppression list entries"), while our table keeps them
lower-cased: ``spellings`` names the spellings worth asking for. SES's global
suppression list cannot be read by any API; SMS opt-outs live in End User
Messaging SMS opt-out lists, which this module does not read.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from .ids import message_id_problem
from .timefmt import BadTimestamp, from_datetime

# How long an answer is reused in one function container. SES documents no
# rate for GetSuppressedDestination (it answers TooManyRequestsException when
# a caller goes too fast), so a console refreshing a recipient's page asks SES
# at most once a minute per address, and a failure is not retried for a while.
KNOWN_TTL_S: Final = 60.0
UNKNOWN_TTL_S: Final = 10.0
# Addresses remembered per container: a few KB each at most.
MAX_CACHED: Final = 1024
# Codes that say nothing about SES: not remembered (the next request asks again).
OWN_FAILURES: Final = frozenset({"OutOfTime"})
# SES's values are echoed back: bounded, in case an answer is not what the API reference says.
MAX_VALUE_LENGTH: Final = 320
UNEXPECTED_ANSWER: Final = "UnexpectedResponse"


class State(StrEnum):
    SUPPRESSED = "suppressed"  # SES will not deliver to the address
    NOT_SUPPRESSED = "not_suppressed"  # not on the list read
    UNKNOWN = "unknown"  # SES could not be asked, or did not answer in time
    NOT_APPLICABLE = "not_applicable"  # a phone number: no SES list holds it


@dataclass(frozen=True)
class Lookup:
    """What SES answered about one spelling of an address, and when."""

    state: State
    checked_ms: int  # when SES answered, or the call failed (epoch ms)
    listed_as: str | None = None  # the address as SES keeps it (its case)
    reason: str | None = None  # BOUNCE or COMPLAINT
    since_ms: int | None = None  # SES's LastUpdateTime
    message_id: str | None = None  # the message that put the address on the list
    feedback_id: str | None = None
    error_code: str | None = None  # why the state is unknown


def not_listed(checked_ms: int) -> Lookup:
    return Lookup(State.NOT_SUPPRESSED, checked_ms)


def unknown(error_code: str, checked_ms: int) -> Lookup:
    return Lookup(State.UNKNOWN, checked_ms, error_code=error_code)


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value[:MAX_VALUE_LENGTH]


def from_answer(destination: Mapping[str, Any], checked_ms: int) -> Lookup:
    """A ``SuppressedDestination`` as boto3 parses it (LastUpdateTime a datetime); an answer
    without the fields the API reference marks required is UNKNOWN, never a guess."""
    listed_as, reason = _text(destination.get("EmailAddress")), _text(destination.get("Reason"))
    updated = destination.get("LastUpdateTime")
    try:
        since_ms = from_datetime(updated) if isinstance(updated, datetime) else None
    except (BadTimestamp, OverflowError):
        since_ms = None
    if listed_as is None or reason is None or since_ms is None:
        return unknown(UNEXPECTED_ANSWER, checked_ms)
    attributes = destination.get("Attributes")
    attributes = attributes if isinstance(attributes, Mapping) else {}
    message_id = _text(attributes.get("MessageId"))
    return Lookup(
        State.SUPPRESSED,
        checked_ms,
        listed_as=listed_as,
        reason=reason,
        since_ms=since_ms,
        message_id=message_id if message_id_problem(message_id) is None else None,
        feedback_id=_text(attributes.get("FeedbackId")),
    )


def spellings(given: str, normalized: str) -> tuple[str, ...]:
    """The spellings to ask SES for, in order: as asked (trimmed), then as our table keeps
    it (lower case). One when they are the same."""
    return tuple(dict.fromkeys((given.strip(), normalized)))


def combined(lookups: Sequence[Lookup]) -> Lookup:
    """The address's state over its spellings: suppressed if any is; else unknown if any
    could not be read; else not suppressed, as of the oldest answer."""
    for state in (State.SUPPRESSED, State.UNKNOWN):
        found = next((lookup for lookup in lookups if lookup.state is state), None)
        if found is not None:
            return found
    return min(lookups, key=lambda lookup: lookup.checked_ms)


def settled(lookup: Lookup) -> bool:
    """Whether another spelling is worth asking for: not after a hit, nor after a failure
    (SES is throttling or unreachable: asking again would only add to it)."""
    return lookup.state is not State.NOT_SUPPRESSED


def ttl_s(lookup: Lookup) -> float:
    """How long a container reuses an answer: a minute for what SES said, ten seconds for
    a failure of SES (so a throttled or unreachable SES is not asked on every request), and
    not at all for this invocation's own lack of time."""
    if lookup.state is not State.UNKNOWN:
        return KNOWN_TTL_S
    return 0.0 if lookup.error_code in OWN_FAILURES else UNKNOWN_TTL_S


class LookupCache:
    """Answers by (list, spelling), each kept for its ``ttl_s``, the least recently used
    dropped first beyond ``max_entries``.

    Written here rather than taken from cachetools: the function ships only its own
    code (boto3 comes from the runtime, Powertools from its layer), and an entry's
    time to live depends on the answer. A container serves one request at a time,
    so no lock is needed.
    """

    def __init__(
        self, max_entries: int = MAX_CACHED, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self.entries: OrderedDict[tuple[str, str], tuple[float, Lookup]] = OrderedDict()

    def get(self, key: tuple[str, str]) -> Lookup | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        expires_at, lookup = entry
        if self.clock() >= expires_at:
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return lookup

    def put(self, key: tuple[str, str], lookup: Lookup) -> None:
        ttl = ttl_s(lookup)
        if ttl <= 0:
            self.entries.pop(key, None)
            return
        self.entries[key] = (self.clock() + ttl, lookup)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
