"""Function settings from the environment: one typed reader for every handler.

An edge module: the pure core never reads the environment. Each handler reads
its settings here once, on its cold start, into a frozen object, and hands the
core plain values. A value that does not parse fails that cold start with a
message naming the variable, rather than a default silently standing in for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar

from .item import ItemSettings
from .model import DEFAULT_RETENTION_DAYS, DEFAULT_SEARCH_SHARDS

T = TypeVar("T")


class BadSetting(RuntimeError):
    """An environment variable is missing or holds a value the function cannot use."""


def setting(
    name: str,
    parse: Callable[[str], T],
    default: T,
    environ: Mapping[str, str] = os.environ,
) -> T:
    """``name`` parsed by ``parse``; ``default`` when it is unset or empty."""
    raw = environ.get(name, "")
    if not raw:
        return default
    try:
        return parse(raw)
    except ValueError as err:
        raise BadSetting(f"environment variable {name}: {err} (got {raw!r})") from err


def required(name: str, environ: Mapping[str, str] = os.environ) -> str:
    """A text setting the function cannot run without."""
    value = environ.get(name, "")
    if not value:
        raise BadSetting(f"environment variable {name} is required and not set")
    return value


def text(raw: str) -> str:
    return raw


def positive_int(raw: str) -> int:
    """A whole number of at least 1 (days, shards, seconds)."""
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("must be a whole number") from None
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def item_settings(environ: Mapping[str, str] = os.environ) -> ItemSettings:
    """How the transform shapes an item (RETENTION_DAYS, SEARCH_SHARDS): read the same way
    by every writer of the table (the transform, the heal function, the CLI's backfill)."""
    return ItemSettings(
        retention_days=setting("RETENTION_DAYS", positive_int, DEFAULT_RETENTION_DAYS, environ),
        search_shards=setting("SEARCH_SHARDS", positive_int, DEFAULT_SEARCH_SHARDS, environ),
    )
