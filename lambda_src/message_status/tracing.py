"""The handlers' X-Ray annotations: counts and labels to search traces by, never personal data."""

from __future__ import annotations

from numbers import Number
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:  # the handlers' Tracer; this module needs no Powertools at run time
    from aws_lambda_powertools import Tracer


def annotate(tracer: Tracer, **values: int | str) -> None:
    """Each value as an annotation of the current trace segment.

    Powertools types a value as ``str | numbers.Number | bool``; an int is a
    ``numbers.Number`` at run time, but not to mypy, hence the cast.
    """
    for key, value in values.items():
        tracer.put_annotation(key, value if isinstance(value, str) else cast(Number, value))
