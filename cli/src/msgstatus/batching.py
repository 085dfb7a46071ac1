"""Grouping records into PutRecordBatch calls within Amazon Data Firehose's limits."""

from __future__ import annotations

from collections.abc import Sequence

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 4 * 1024 * 1024  # 4 MiB
MAX_RECORD_BYTES = 1000 * 1024  # 1,000 KiB


def fits(size: int) -> bool:
    """Whether one record can be put at all."""
    return size <= MAX_RECORD_BYTES


def plan_batches(
    sizes: Sequence[int],
    max_records: int = MAX_RECORDS_PER_CALL,
    max_bytes: int = MAX_BYTES_PER_CALL,
) -> list[list[int]]:
    """Indexes of ``sizes`` grouped in order, each group within both limits.

    Every size must fit (``fits``): a record too large for any call is the
    caller's to set aside.
    """
    if any(not fits(size) for size in sizes):
        raise ValueError("a record is larger than Firehose accepts")
    batches: list[list[int]] = []
    current: list[int] = []
    current_bytes = 0
    for index, size in enumerate(sizes):
        if current and (len(current) >= max_records or current_bytes + size > max_bytes):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(index)
        current_bytes += size
    if current:
        batches.append(current)
    return batches
