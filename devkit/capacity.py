"""DynamoDB's published size and write-unit rules, applied to items in the wire format.

Hand-written on purpose: no maintained package computes item sizes by the
published rules (the few on PyPI are approximations, unmaintained), and the
rules fit in a page. Source: "DynamoDB item sizes and formats" and "Global
secondary indexes: provisioned throughput considerations" in the DynamoDB
Developer Guide.

* A string is its UTF-8 bytes; a number about one byte per two significant
  digits plus one; a binary its raw bytes; a boolean or null one byte.
* A list or map costs 3 bytes plus one byte per element, plus its elements
  (and, for a map, the names of its keys).
* Every attribute costs the UTF-8 bytes of its name.
* A write costs one write request unit per started KB of the larger of the
  item before and after; a global secondary index whose entry is written costs
  one more per started KB of the entry, and a change of the index key costs a
  delete and a put.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

KB = 1024


def number_size(text: str) -> int:
    digits = str(Decimal(text).normalize()).lstrip("-").replace(".", "").lstrip("0")
    mantissa = digits.split("E")[0] if "E" in digits else digits
    significant = len(mantissa.rstrip("0")) or 1
    return math.ceil(significant / 2) + 1


def _binary_size(value: str | bytes) -> int:
    return len(base64.b64decode(value)) if isinstance(value, str) else len(value)


_SCALAR_SIZES: dict[str, Callable[[Any], int]] = {
    "S": lambda inner: len(inner.encode()),
    "N": number_size,
    "B": _binary_size,
    "BOOL": lambda _inner: 1,
    "NULL": lambda _inner: 1,
    "SS": lambda inner: sum(len(item.encode()) for item in inner),
    "NS": lambda inner: sum(number_size(item) for item in inner),
    "BS": lambda inner: sum(_binary_size(item) for item in inner),
}


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB JSON (``{"S": "x"}``, ``{"M": {...}}``, ...)."""
    ((kind, inner),) = value.items()
    if kind == "L":
        return 3 + sum(1 + value_size(item) for item in inner)
    if kind == "M":
        return 3 + sum(1 + len(key.encode()) + value_size(item) for key, item in inner.items())
    if kind not in _SCALAR_SIZES:
        raise ValueError(f"unknown DynamoDB type {kind!r}")
    return _SCALAR_SIZES[kind](inner)


def item_size(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    """Bytes of an item in DynamoDB JSON: its attribute names plus their values."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def units(size: int) -> int:
    """Write request units for an item or index entry of ``size`` bytes (0 when nothing is written)."""
    return math.ceil(size / KB) if size else 0


@dataclass(frozen=True)
class Index:
    """A global secondary index: its key attributes and the non-key attributes it projects."""

    name: str
    keys: tuple[str, ...]
    projected: tuple[str, ...] = ()  # beyond the table's and the index's keys (INCLUDE)


def index_entry(
    item: Mapping[str, Any] | None, index: Index, table_keys: Sequence[str]
) -> dict[str, Any] | None:
    """The entry ``item`` has in ``index``, or None when it lacks a key attribute (sparse)."""
    if not item or any(key not in item for key in index.keys):
        return None
    names = {*table_keys, *index.keys, *index.projected}
    return {name: item[name] for name in names if name in item}


def write_units(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    indexes: Sequence[Index] = (),
    table_keys: Sequence[str] = ("message_id",),
) -> tuple[int, int]:
    """(table units, index units) that one write from ``before`` to ``after`` costs."""
    table = units(max(item_size(before), item_size(after)))
    index_units = 0
    for index in indexes:
        old, new = index_entry(before, index, table_keys), index_entry(after, index, table_keys)
        if old == new:
            continue
        old_key = None if old is None else [old[key] for key in index.keys]
        new_key = None if new is None else [new[key] for key in index.keys]
        if old is not None and new is not None and old_key == new_key:
            index_units += units(max(item_size(old), item_size(new)))  # updated in place
        else:
            index_units += units(item_size(old)) + units(item_size(new))  # delete and/or put
    return table, index_units
