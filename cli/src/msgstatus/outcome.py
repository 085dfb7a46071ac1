"""What a message's status means for someone waiting on it."""

from __future__ import annotations

from enum import Enum
from typing import Any

# Final statuses that mean the message reached the recipient. Everything else
# that is final (bounces, complaints, rejections, failures, opt-outs, and an
# SMS that is final at SENT without a delivery receipt) is not a delivery.
DELIVERED_STATUSES = frozenset({"DELIVERED", "OPENED", "CLICKED"})


class Outcome(Enum):
    DELIVERED = "delivered"
    FAILED = "failed"
    PENDING = "pending"


EXIT_CODES = {Outcome.DELIVERED: 0, Outcome.FAILED: 1}
EXIT_TIMEOUT = 3


def classify(document: dict[str, Any]) -> Outcome:
    """DELIVERED or FAILED once the status is final, PENDING until then."""
    if document.get("is_final") is not True:
        return Outcome.PENDING
    if document.get("status") in DELIVERED_STATUSES:
        return Outcome.DELIVERED
    return Outcome.FAILED
