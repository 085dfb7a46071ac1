"""DynamoDB edge: batched reads and optimistic-locking writes of message items.

Each distinct message in a batch costs one PutItem (none when the batch adds
nothing new, as on a Firehose retry), plus a share of one BatchGetItem per 100
messages. A write is conditional on the ``version`` it read; when another
invocation got there first, the item is read again and the merge redone, which
is safe because the merge is order-free.

Transport-level retries (throttling, 5xx, timeouts) are left to botocore's
"standard" retry mode with exponential backoff and jitter; this module only
retries what botocore cannot know about: unprocessed BatchGetItem keys and
lost optimistic-locking races.

Every call fits the function's deadline by construction (``budget``): the
client is made with a ``CallBudget``'s config, and the invocation's
``Deadline`` refuses to start a call that could not finish in the time left.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from .budget import Deadline
from .call_errors import CALL_ERRORS, IncompleteCall, error_code
from .changes import QUIET_MARKER
from .dynamodb_json import deserialize, serialize
from .events import NormalizedEvent
from .item import ItemSettings, from_item, is_legacy, pointer_items, to_item
from .outcomes import WriteOutcome, WriteResult
from .record import fold
from .search import DONE, Search, StreamPage, start_key

BATCH_GET_LIMIT = 100
# Streams of one search page queried at once: a status search over every
# status and shard fans out to tens of Queries, each a few ms.
QUERY_CONCURRENCY = 16
# Messages of one batch written at once. Writes are I/O-bound (~5 ms each), so
# 8 threads keep a 500-message batch well under a second without making the
# function's memory matter.
WRITE_CONCURRENCY = 8


class StoreError(IncompleteCall):
    """A batch call left keys or items unprocessed after every round."""


# Fields the store keeps for itself, beside the item's content.
BOOKKEEPING_FIELDS = ("version", "updated_at", QUIET_MARKER)
BATCH_WRITE_LIMIT = 25


def content_equal(stored: Mapping[str, Any], fresh: Mapping[str, Any]) -> bool:
    """True when ``stored`` already holds everything ``fresh`` would write.

    Compared as DynamoDB would store them, so that a float and the Decimal it
    was stored as are equal.
    """
    stored_content = {k: v for k, v in stored.items() if k not in BOOKKEEPING_FIELDS}
    fresh_content = {k: v for k, v in fresh.items() if k not in BOOKKEEPING_FIELDS}
    return serialize(stored_content) == serialize(fresh_content)


def new_pointers(
    current: Mapping[str, Any] | None, fresh: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Pointer items ``fresh`` needs that ``current`` did not already have (written once)."""
    written = set()
    if current is not None and not is_legacy(current):
        written = {pointer["message_id"] for pointer in pointer_items(current)}
    return [pointer for pointer in pointer_items(fresh) if pointer["message_id"] not in written]


@dataclass(frozen=True)
class WritePlan:
    """One message's next write: the fresh item, the version it must replace, new pointers."""

    fresh: dict[str, Any]
    version: int | None
    unchanged: bool
    pointers: list[dict[str, Any]]


class MessageReader:
    """Reads message items: all the query function needs."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        max_get_rounds: int = 8,
        consistent_reads: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.table_name = table_name
        self.max_get_rounds = max_get_rounds
        # The query reads eventually consistent (half the cost); the transform
        # reads consistently to lose fewer write races.
        self.consistent_reads = consistent_reads
        self.sleep = sleep
        self.deadline = Deadline()  # set per invocation by the handler

    def get(self, message_id: str) -> dict[str, Any] | None:
        """One item, or None when the message has no item."""
        self.deadline.require_call()
        response = self.client.get_item(
            TableName=self.table_name,
            Key={"message_id": {"S": message_id}},
            ConsistentRead=self.consistent_reads,
        )
        raw = response.get("Item")
        return deserialize(raw) if raw else None

    def batch_get(self, message_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Items by id, in BatchGetItem calls of up to 100 keys; absent ids are left out."""
        ids = sorted(set(message_ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            chunk = ids[start : start + BATCH_GET_LIMIT]
            found.update(self._batch_get_chunk(chunk))
        return found

    def _batch_get_chunk(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        request: dict[str, Any] = {
            self.table_name: {
                "Keys": [{"message_id": {"S": message_id}} for message_id in ids],
                "ConsistentRead": self.consistent_reads,
            }
        }
        found: dict[str, dict[str, Any]] = {}
        for round_number in range(self.max_get_rounds):
            self.deadline.require_call()
            response = self.client.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(self.table_name, []):
                item = deserialize(raw)
                found[item["message_id"]] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
            self.backoff(round_number)
        raise StoreError(
            "UnprocessedKeys",
            f"BatchGetItem left keys unprocessed after {self.max_get_rounds} rounds",
        )

    def query_stream(self, search: Search, n: int) -> StreamPage:
        """One Query of one stream of ``search``: up to ``limit`` entries, newest first."""
        stream = search.streams[n]
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": stream.index.name,
            "KeyConditionExpression": stream.key_condition(),
            "ExpressionAttributeValues": serialize(
                {":key": stream.key, ":since": search.since_ms, ":until": search.until_ms}
            ),
            "ScanIndexForward": False,
            "Limit": search.limit,
        }
        start = start_key(stream, search.positions[n] if search.positions else None)
        if start is not None:
            request["ExclusiveStartKey"] = serialize(start)
        self.deadline.require_call()
        response = self.client.query(**request)
        more = response.get("LastEvaluatedKey")
        return StreamPage(
            [_plain_keys(deserialize(raw)) for raw in response.get("Items", [])],
            _plain_keys(deserialize(more)) if more else None,
        )

    def query_streams(self, search: Search) -> list[StreamPage | None]:
        """One Query per stream not yet done, in parallel: one fan-out, one page."""
        pending = [
            n
            for n in range(len(search.streams))
            if not search.positions or search.positions[n] != DONE
        ]
        pages: list[StreamPage | None] = [None] * len(search.streams)
        if len(pending) == 1:
            pages[pending[0]] = self.query_stream(search, pending[0])
            return pages
        with ThreadPoolExecutor(max_workers=min(QUERY_CONCURRENCY, len(pending) or 1)) as pool:
            for n, page in zip(
                pending, pool.map(lambda n: self.query_stream(search, n), pending), strict=True
            ):
                pages[n] = page
        return pages

    def backoff(self, attempt: int) -> None:
        """Full-jitter exponential backoff: up to 25 ms, 50 ms, ... capped at 1 s."""
        self.sleep(random.uniform(0, min(1.0, 0.025 * 2**attempt)))  # noqa: S311


def pointers_not_written(attempt: int, code: str) -> WriteOutcome:
    return WriteOutcome(WriteResult.FAILED, attempt, "pointer items not written", code)


def _plain_keys(keys: Mapping[str, Any]) -> dict[str, Any]:
    """Index keys with DynamoDB's Decimals as ints (they are epoch milliseconds)."""
    return {name: int(v) if isinstance(v, Decimal) else v for name, v in keys.items()}


class MessageStore(MessageReader):
    """Reads and conditionally writes message items: the transform's store."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        settings: ItemSettings = ItemSettings(),  # noqa: B008 - frozen
        *,
        max_write_attempts: int = 8,
        max_get_rounds: int = 8,
        write_concurrency: int = WRITE_CONCURRENCY,
        sleep: Callable[[float], None] = time.sleep,
        quiet: bool = False,
    ) -> None:
        super().__init__(
            client, table_name, max_get_rounds=max_get_rounds, consistent_reads=True, sleep=sleep
        )
        self.settings = settings
        self.max_write_attempts = max_write_attempts
        self.write_concurrency = write_concurrency
        # Quiet writes (a backfill's) carry QUIET_MARKER: the stream publishes no change
        # for them (changes.written_quietly). The transform never writes quietly.
        self.quiet = quiet

    # --- writes ----------------------------------------------------------------

    def put_if_version(self, item: Mapping[str, Any], expected_version: int | None) -> None:
        """Write ``item`` only if the stored version is still ``expected_version``.

        The whole item is put, so a marker of an earlier quiet write never survives
        a later write: only a quiet store writes one, holding the version it wrote.
        """
        version = (expected_version or 0) + 1
        new_item = {**item, "version": version}
        if self.quiet:
            new_item[QUIET_MARKER] = version
        self.deadline.require_call()
        condition: dict[str, Any]
        if expected_version is None:
            condition = {"ConditionExpression": "attribute_not_exists(message_id)"}
        else:
            condition = {
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
            }
        self.client.put_item(TableName=self.table_name, Item=serialize(new_item), **condition)

    def plan(
        self, events: Sequence[NormalizedEvent], current: Mapping[str, Any] | None
    ) -> WritePlan:
        """What writing ``events`` onto ``current`` takes; ValueError if it is unreadable."""
        try:
            base = from_item(current) if current else None
            version = int(current["version"]) if current and "version" in current else None
        except (KeyError, TypeError, ValueError, IndexError) as err:
            raise ValueError(f"stored item unreadable: {type(err).__name__}") from err
        fresh = to_item(fold(events, base), self.settings)
        unchanged = current is not None and content_equal(current, fresh)
        return WritePlan(
            fresh, version, unchanged, [] if unchanged else new_pointers(current, fresh)
        )

    def apply_events(
        self,
        message_id: str,
        events: Sequence[NormalizedEvent],
        current: dict[str, Any] | None,
        planned: WritePlan | None = None,
    ) -> WriteOutcome:
        """Merge ``events`` into the stored item, retrying lost races.

        ``planned`` is a plan whose pointers are already written (apply_all
        writes every message's pointers in batches first); a plan made after a
        lost race writes its own.
        """
        for attempt in range(1, self.max_write_attempts + 1):
            pointers_written = planned is not None
            try:
                plan = planned or self.plan(events, current)
            except ValueError as err:
                # An item this code did not write (or a corrupted one): leave it alone and
                # send the records to the error output rather than overwrite it.
                return WriteOutcome(WriteResult.FAILED, attempt, str(err))
            planned = None
            if plan.unchanged:
                return WriteOutcome(WriteResult.UNCHANGED, attempt)
            if plan.pointers and not pointers_written:
                failed = self.write_pointers({message_id: plan.pointers})
                if message_id in failed:
                    return pointers_not_written(attempt, failed[message_id])
            outcome = self._write(plan.fresh, plan.version, attempt)
            if outcome is not None:
                return outcome
            self.backoff(attempt)
            try:
                current = self.get(message_id)
            except CALL_ERRORS as err:
                return WriteOutcome(
                    WriteResult.FAILED,
                    attempt,
                    "re-reading after a lost race failed",
                    error_code(err),
                )
        return WriteOutcome(
            WriteResult.FAILED,
            self.max_write_attempts,
            "write race not settled",
            "ConditionalCheckFailedException",
        )

    def write_pointers(self, pointers: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, str]:
        """Put every message's pointer items (25 per BatchWriteItem); the ids that failed,
        each with the error code of the call that failed it.

        Pointers go first: a message item never lists a recipient whose pointer
        is missing, so no later write has to find out which ones are.
        """
        owners = [(message_id, p) for message_id, items in pointers.items() for p in items]
        failed: dict[str, str] = {}
        for start in range(0, len(owners), BATCH_WRITE_LIMIT):
            chunk = owners[start : start + BATCH_WRITE_LIMIT]
            try:
                self._batch_write([pointer for _, pointer in chunk])
            except CALL_ERRORS as err:
                failed.update((message_id, error_code(err)) for message_id, _ in chunk)
        return failed

    def _batch_write(self, items: Sequence[Mapping[str, Any]]) -> None:
        request: dict[str, Any] = {
            self.table_name: [{"PutRequest": {"Item": serialize(item)}} for item in items]
        }
        for round_number in range(self.max_get_rounds):
            self.deadline.require_call()
            response = self.client.batch_write_item(RequestItems=request)
            request = response.get("UnprocessedItems") or {}
            if not request:
                return
            self.backoff(round_number)
        raise StoreError(
            "UnprocessedItems",
            f"BatchWriteItem left items unprocessed after {self.max_get_rounds} rounds",
        )

    def _write(
        self, fresh: Mapping[str, Any], version: int | None, attempt: int
    ) -> WriteOutcome | None:
        """The conditional write; None when another writer got there first."""
        try:
            self.put_if_version(fresh, version)
        except CALL_ERRORS as err:
            code = error_code(err)
            if isinstance(err, ClientError) and code == "ConditionalCheckFailedException":
                return None
            return WriteOutcome(WriteResult.FAILED, attempt, "PutItem failed", code)
        except (TypeError, ValueError, ArithmeticError) as err:
            # A value DynamoDB cannot store (the parser bounds numbers, so this
            # is a defect): this message fails alone, its neighbours are written.
            reason = f"item not storable: {type(err).__name__}"
            return WriteOutcome(WriteResult.FAILED, attempt, reason)
        return WriteOutcome(WriteResult.WRITTEN, attempt)

    def apply_all(self, groups: Mapping[str, Sequence[NormalizedEvent]]) -> dict[str, WriteOutcome]:
        """Apply every message's events: one batched read, then one write per message."""
        try:
            existing = self.batch_get(groups)
        except CALL_ERRORS as err:
            failed = WriteOutcome(WriteResult.FAILED, 0, "BatchGetItem failed", error_code(err))
            return dict.fromkeys(groups, failed)

        plans, outcomes = self._plan_all(groups, existing)
        failed_pointers = self.write_pointers(
            {message_id: plan.pointers for message_id, plan in plans.items() if plan.pointers}
        )
        for message_id, code in failed_pointers.items():
            outcomes[message_id] = pointers_not_written(1, code)
            del plans[message_id]

        def apply_one(message_id: str) -> tuple[str, WriteOutcome]:
            return message_id, self.apply_events(
                message_id, groups[message_id], existing.get(message_id), plans[message_id]
            )

        if self.write_concurrency <= 1 or len(plans) <= 1:
            outcomes.update(map(apply_one, plans))
        else:
            with ThreadPoolExecutor(max_workers=self.write_concurrency) as pool:
                outcomes.update(pool.map(apply_one, plans))
        return outcomes

    def _plan_all(
        self, groups: Mapping[str, Sequence[NormalizedEvent]], existing: Mapping[str, Any]
    ) -> tuple[dict[str, WritePlan], dict[str, WriteOutcome]]:
        plans: dict[str, WritePlan] = {}
        outcomes: dict[str, WriteOutcome] = {}
        for message_id, events in groups.items():
            try:
                plans[message_id] = self.plan(events, existing.get(message_id))
            except ValueError as err:
                outcomes[message_id] = WriteOutcome(WriteResult.FAILED, 1, str(err))
        return plans, outcomes
