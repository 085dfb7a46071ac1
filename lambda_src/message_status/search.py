"""Searches without a message id, pure: what to query, how to page, and what to answer.

Four searches, each on one index (model.INDEXES), newest first:

* ``recipient``: the messages sent to an address or phone number;
* ``correlation_id``: the messages that carry the caller's own id;
* ``tenant``: the messages sent for one SES tenant (its own search, not a
  filter of the others: the tenant index answers it in one fan-out, where a
  filter would page through every other tenant's messages);
* ``status``: the messages whose current status is a status (or in a group)
  and that reached it within a window of at most seven days.

``account`` and ``region`` narrow any of the four to the messages one sender
account, or one Region, sent (a hub instance serves many). They filter the
messages a page fetches, as ``channel`` does, rather than adding an index per
account or Region: a page may then hold fewer than ``limit`` messages and still
have a cursor, and no search ever scans the table.

A page is one fan-out of Queries (one per "stream": a partition of the index,
one per shard for tenant searches, and for status searches one per channel,
status and shard), merged by time,
plus one BatchGetItem for the page's messages. The cursor is an opaque token
that records where each stream stopped; it carries a checksum and the search
it was made for, so a tampered, truncated or foreign cursor is a 400. It is
integrity-checked, not secret: it holds only index keys the caller can see.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from . import model
from .answers import MAX_BODY_BYTES, escaped_size
from .item import message_id_of, tenant_partition, to_document
from .model import Channel, Group, Index, Status
from .parse import ACCOUNT_ID, REGION_NAME, TENANT_NAME
from .recipients import NotARecipient, normalize_recipient
from .requests import BadRequest
from .text import NOT_UNICODE, is_valid_unicode
from .timefmt import BadTimestamp, from_iso

HOUR_MS: Final = 3_600_000
DAY_MS: Final = 24 * HOUR_MS
CURSOR_VERSION: Final = 1
SEARCH_PARAMETERS: Final = ("recipient", "correlation_id", "tenant", "status")
OTHER_PARAMETERS: Final = ("since", "until", "limit", "cursor", "channel", "account", "region")


@dataclass(frozen=True)
class Stream:
    """One partition of one index that a search reads, newest first, between two times."""

    index: Index
    key: str

    def key_condition(self) -> str:
        return (
            f"{self.index.partition_key} = :key AND {self.index.sort_key} BETWEEN :since AND :until"
        )


@dataclass(frozen=True)
class Origin:
    """Where the messages a search wants were sent from: an account, a Region, or any."""

    account: str | None = None
    region: str | None = None

    def matches(self, document: Mapping[str, Any]) -> bool:
        return (self.account is None or document.get("aws_account_id") == self.account) and (
            self.region is None or document.get("aws_region") == self.region
        )


@dataclass(frozen=True)
class Search:
    """A validated search: its streams, its window and what a page's messages must match."""

    kind: str  # recipient, correlation_id, tenant or status
    value: str
    streams: tuple[Stream, ...]
    since_ms: int
    until_ms: int
    limit: int
    statuses: frozenset[Status] = frozenset()
    group: Group | None = None
    channel: Channel | None = None
    origin: Origin = field(default_factory=Origin)
    positions: tuple[Any, ...] = field(default=())  # where each stream stopped (from a cursor)

    @property
    def fingerprint(self) -> str:
        """What makes two pages parts of the same search."""
        parts = [self.kind, self.value, self.channel or "", str(self.since_ms), str(self.until_ms)]
        if self.origin.account or self.origin.region:  # cursors made before these filters hold
            parts += [self.origin.account or "", self.origin.region or ""]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()

    def matches(self, document: Mapping[str, Any]) -> bool:
        """Whether a fetched message belongs on the page: it matches the filters, and
        still the index entry (indexes lag their items)."""
        return self.origin.matches(document) and self._still_indexed(document)

    def _still_indexed(self, document: Mapping[str, Any]) -> bool:
        if self.kind == "tenant":
            return document.get("tenant") == self.value
        if self.kind != "status":
            return True
        if self.channel and document.get("channel") != self.channel:
            return False
        status = Status(document["status"])
        if self.group is not None:
            return model.in_group(self.group, status, bool(document["is_final"]))
        return status in self.statuses


# --- parameters -------------------------------------------------------------------------


def _one(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not value.strip():
        raise BadRequest(f"{name} is empty")
    return value


def _time(params: Mapping[str, str], name: str) -> int | None:
    value = _one(params, name)
    if value is None:
        return None
    try:
        return from_iso(value)
    except BadTimestamp as err:
        raise BadRequest(f"{name} must be an ISO-8601 time, like 2026-11-23T09:00:00Z") from err


def _limit(params: Mapping[str, str]) -> int:
    value = _one(params, "limit")
    if value is None:
        return model.DEFAULT_SEARCH_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= model.MAX_SEARCH_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {model.MAX_SEARCH_LIMIT}")
    return int(value)


def _channel(params: Mapping[str, str]) -> Channel | None:
    value = _one(params, "channel")
    if value is None:
        return None
    try:
        return Channel(value)
    except ValueError as err:
        raise BadRequest(f"channel must be one of {', '.join(Channel)}") from err


def _origin(params: Mapping[str, str]) -> Origin:
    account, region = _one(params, "account"), _one(params, "region")
    if account is not None and not ACCOUNT_ID.fullmatch(account):
        raise BadRequest("account must be an AWS account id: 12 digits")
    if region is not None and not REGION_NAME.fullmatch(region):
        raise BadRequest("region must be an AWS Region name, like eu-west-1")
    return Origin(account, region)


def search_kind(params: Mapping[str, str]) -> str | None:
    """Which search the parameters ask for; None for a lookup by message_id."""
    asked = [name for name in SEARCH_PARAMETERS if name in params]
    if "message_id" in params:
        if asked:
            raise BadRequest(
                "give message_id alone, or one of recipient, correlation_id, tenant, status"
            )
        return None
    if len(asked) != 1:
        raise BadRequest(
            "give exactly one of message_id, recipient, correlation_id, tenant or status"
        )
    return asked[0]


def parse_search(params: Mapping[str, str], now_ms: int, shards: int) -> Search:
    """The search the query string asks for; BadRequest with a message naming the fix."""
    kind = search_kind(params)
    if kind is None:
        raise BadRequest("not a search")
    unknown = set(params) - {*SEARCH_PARAMETERS, *OTHER_PARAMETERS}
    if unknown:
        raise BadRequest(f"unknown parameter: {sorted(unknown)[0]}")
    since, until, limit = _time(params, "since"), _time(params, "until"), _limit(params)
    if since is not None and until is not None and since > until:
        raise BadRequest("since is after until")
    value = params[kind]
    if kind == "status":
        search = _status_search(value, since, until, limit, _channel(params), now_ms, shards)
    else:
        if "channel" in params:
            raise BadRequest("channel applies to status searches only")
        search = _key_search(kind, value, since, until, limit, shards)
    search = Search(**{**search.__dict__, "origin": _origin(params)})
    cursor = params.get("cursor")
    if cursor is not None:
        return resume(search, cursor)
    return search


def _tenant_streams(value: str, shards: int) -> tuple[Stream, ...]:
    if not TENANT_NAME.fullmatch(value):
        raise BadRequest(
            "tenant must be an SES tenant name: 1 to 64 letters, digits, hyphens and underscores"
        )
    return tuple(
        Stream(model.TENANT_INDEX, tenant_partition(value, shard)) for shard in range(shards)
    )


def _key_search(  # noqa: PLR0917 - one call site, every value validated by the caller
    kind: str, value: str, since: int | None, until: int | None, limit: int, shards: int
) -> Search:
    if kind == "tenant":
        return Search(
            kind=kind,
            value=value,
            streams=_tenant_streams(value, shards),
            since_ms=0 if since is None else since,
            until_ms=(2**53 - 1) if until is None else until,
            limit=limit,
        )
    if kind == "recipient":
        try:
            key = normalize_recipient(value)
        except NotARecipient as err:
            raise BadRequest(
                f"recipient is {err}: give an email address or an E.164 phone"
            ) from err
        index = model.RECIPIENT_INDEX
    else:
        key = value.strip()
        if not is_valid_unicode(key):
            raise BadRequest(f"correlation_id {NOT_UNICODE}")
        if len(key) > model.MAX_MESSAGE_ID_LENGTH:
            raise BadRequest(
                f"correlation_id is longer than {model.MAX_MESSAGE_ID_LENGTH} characters"
            )
        index = model.CORRELATION_INDEX
    return Search(
        kind=kind,
        value=key,
        streams=(Stream(index, key),),
        since_ms=0 if since is None else since,
        until_ms=(2**53 - 1) if until is None else until,
        limit=limit,
    )


def _statuses_asked(value: str) -> tuple[frozenset[Status], Group | None]:
    if value in {group.value for group in Group}:
        group = Group(value)
        members = {
            status
            for channel in Channel
            for status in model.WINDOW_STATUSES[channel]
            if group is Group.PENDING or status in model.FAILURE_STATUSES
        }
        return frozenset(members), group
    try:
        status = Status(value.upper())
    except ValueError as err:
        raise BadRequest(
            f"status must be a status ({', '.join(Status)}) or a group (failed, pending)"
        ) from err
    if not any(status in model.WINDOW_STATUSES[channel] for channel in Channel):
        raise BadRequest(
            f"{status} is on every message's expected path and is not indexed for window "
            "searches: search by recipient or correlation_id, or query the archive with Athena"
        )
    return frozenset({status}), None


def _status_search(  # noqa: PLR0917 - one call site, every value validated above
    value: str,
    since: int | None,
    until: int | None,
    limit: int,
    channel: Channel | None,
    now_ms: int,
    shards: int,
) -> Search:
    statuses, group = _statuses_asked(value)
    until_ms = now_ms if until is None else until
    since_ms = until_ms - DAY_MS if since is None else since
    if until_ms - since_ms > model.MAX_SEARCH_WINDOW_DAYS * DAY_MS:
        raise BadRequest(f"the window is longer than {model.MAX_SEARCH_WINDOW_DAYS} days")
    channels = [channel] if channel else list(Channel)
    streams = tuple(
        Stream(model.OUTCOME_INDEX, f"{ch.value}#{status.value}#{shard}")
        for ch in channels
        for status in model.WINDOW_STATUSES[ch]
        if status in statuses
        for shard in range(shards)
    )
    if not streams:
        raise BadRequest(f"no {channel} message can have status {value}")
    return Search(
        kind="status",
        value=value.lower() if group else value.upper(),
        streams=streams,
        since_ms=since_ms,
        until_ms=until_ms,
        limit=limit,
        statuses=statuses,
        group=group,
        channel=channel,
    )


# --- the cursor ---------------------------------------------------------------------------


def _checksum(payload: bytes) -> str:
    return hashlib.sha256(b"message-status-cursor\x1f" + payload).hexdigest()[:24]


def make_cursor(search: Search, positions: Sequence[Any]) -> str:
    """An opaque token: where each stream stopped, for this search only."""
    body = {
        "v": CURSOR_VERSION,
        "f": search.fingerprint,
        "w": [search.since_ms, search.until_ms],
        "p": list(positions),
    }
    payload = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{token}.{_checksum(payload)}"


def _bad_cursor() -> BadRequest:
    return BadRequest("cursor is not one this search made: start again without it")


def resume(search: Search, cursor: str) -> Search:
    """The search, continued where ``cursor`` says; BadRequest for any other cursor."""
    token, _, checksum = cursor.partition(".")
    try:
        # validate=True and the round trip refuse every other spelling of the same bytes.
        payload = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        body = json.loads(payload)
    except (binascii.Error, ValueError) as err:
        raise _bad_cursor() from err
    canonical = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    if canonical != token or _checksum(payload) != checksum or not isinstance(body, dict):
        raise _bad_cursor()
    window, positions = body.get("w"), body.get("p")
    if body.get("v") != CURSOR_VERSION or not isinstance(window, list) or not _valid_window(window):
        raise _bad_cursor()
    since_ms, until_ms = int(window[0]), int(window[1])
    if search.kind == "status" and (since_ms, until_ms) != (search.since_ms, search.until_ms):
        # A status search's window defaults to the last day: the cursor keeps the first page's.
        search = Search(**{**search.__dict__, "since_ms": since_ms, "until_ms": until_ms})
    if body.get("f") != search.fingerprint:
        raise _bad_cursor()
    if not isinstance(positions, list) or len(positions) != len(search.streams):
        raise _bad_cursor()
    if not all(_valid_position(position) for position in positions):
        raise _bad_cursor()
    return Search(**{**search.__dict__, "positions": tuple(positions)})


def _valid_window(window: list[Any]) -> bool:
    return (
        len(window) == 2
        and all(isinstance(t, int) and not isinstance(t, bool) for t in window)
        and 0 <= window[0] <= window[1] <= 2**53
    )


DONE: Final = "done"


def _valid_position(position: object) -> bool:
    """None (not started), "done", or [the table key, the sort value] of the last entry taken."""
    if position is None or position == DONE:
        return True
    if not isinstance(position, list) or len(position) != 2:
        return False
    table_key, sort_value = position
    return (
        isinstance(table_key, str)
        and 0 < len(table_key) <= 2 * model.MAX_MESSAGE_ID_LENGTH + 256
        and is_valid_unicode(table_key)
        and isinstance(sort_value, int)
        and not isinstance(sort_value, bool)
    )


def start_key(stream: Stream, position: Any) -> dict[str, Any] | None:
    """The ExclusiveStartKey a Query of ``stream`` continues after, from a cursor position."""
    if not isinstance(position, list):
        return None
    table_key, sort_value = position
    return {
        "message_id": table_key,
        stream.index.partition_key: stream.key,
        stream.index.sort_key: sort_value,
    }


# --- a page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One index entry a stream returned: the keys, and which stream."""

    stream: int
    keys: Mapping[str, Any]
    sort_value: int

    @property
    def message_id(self) -> str:
        return message_id_of(str(self.keys["message_id"]))


@dataclass(frozen=True)
class StreamPage:
    """What one Query returned: entries newest first, and whether more follow."""

    entries: Sequence[Mapping[str, Any]]
    more: Mapping[str, Any] | None  # LastEvaluatedKey


def merge_streams(search: Search, pages: Sequence[StreamPage | None]) -> list[Hit]:
    """Every returned entry, newest first across streams.

    Each stream keeps the order its Query returned (DynamoDB's order for equal
    times), so that what a page takes from a stream is a prefix of it, and a
    cursor position is a key the next Query can continue after.
    """
    streams = [
        [
            Hit(n, entry, int(entry[search.streams[n].index.sort_key]))
            for entry in (page.entries if page is not None else ())
        ]
        for n, page in enumerate(pages)
    ]
    return list(heapq.merge(*streams, key=lambda hit: (-hit.sort_value, hit.stream)))


def next_positions(
    search: Search, pages: Sequence[StreamPage | None], taken: Sequence[Hit]
) -> list[Any]:
    """Where each stream stands after the page took ``taken`` (a prefix of merge_streams)."""
    last_taken: dict[int, Hit] = {}
    count: dict[int, int] = {}
    for hit in taken:
        last_taken[hit.stream] = hit
        count[hit.stream] = count.get(hit.stream, 0) + 1
    positions: list[Any] = []
    for n, page in enumerate(pages):
        if page is None:  # done before this page
            positions.append(DONE)
        elif count.get(n, 0) < len(page.entries):  # stopped inside what the Query returned
            if n in last_taken:
                hit = last_taken[n]
                positions.append([str(hit.keys["message_id"]), hit.sort_value])
            else:
                positions.append(search.positions[n] if search.positions else None)
        elif page.more:
            sort_key = search.streams[n].index.sort_key
            positions.append([str(page.more["message_id"]), int(page.more[sort_key])])
        else:
            positions.append(DONE)
    return positions


def select(search: Search, hits: Sequence[Hit]) -> list[Hit]:
    """The newest hits of up to ``limit`` distinct messages (a message may have several)."""
    taken: list[Hit] = []
    messages: set[str] = set()
    for hit in hits:
        if hit.message_id not in messages and len(messages) == search.limit:
            break
        messages.add(hit.message_id)
        taken.append(hit)
    return taken


def page_answer(
    search: Search,
    pages: Sequence[StreamPage | None],
    taken: Sequence[Hit],
    items: Mapping[str, Mapping[str, Any]],
    budget: int = MAX_BODY_BYTES,
) -> dict[str, Any]:
    """The page's documents, newest first, within ``budget``, and the cursor for the rest.

    A message whose item is gone (expired) or no longer matches (its status
    moved on since the index was written) is left out: a page may hold fewer
    than ``limit`` messages and still have a next_cursor.
    """
    messages: list[dict[str, Any]] = []
    seen: set[str] = set()
    used = escaped_size({"messages": [], "next_cursor": "x" * 8192})
    kept: list[Hit] = []
    for hit in taken:
        if hit.message_id not in seen:
            seen.add(hit.message_id)
            item = items.get(hit.message_id)
            document = to_document(item) if item is not None else None
            if document is not None and search.matches(document):
                size = escaped_size(document)
                if messages and used + size > budget:
                    break  # the rest waits for the next page
                messages.append(document)
                used += size
        kept.append(hit)
    positions = next_positions(search, pages, kept)
    more = any(position != DONE for position in positions)
    return {"messages": messages, "next_cursor": make_cursor(search, positions) if more else None}
