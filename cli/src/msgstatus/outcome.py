"""What a message's status means for someone waiting on it."""

from __future__ import annotations

from enum import Enum
from typing import Any

from message_status.model import DELIVERED_STATUSES


class Outcome(Enum):
    DELIVERED = "delivered"
    FAILED = "failed"
    PENDING = "pending"


EXIT_CODES = {Outcome.DELIVERED: 0, Outcome.FAILED: 1}
EXIT_TIMEOUT = 3


def classify(document: dict[str, Any]) -> Outcome:
    """DELIVERED or FAILED once the status is final, PENDING until then.

    Delivered is what the service's status model says (DELIVERED_STATUSES): the
    message reached the recipient. Everything else that is final (bounces,
    rejections, failures, opt-outs, and an SMS final at SENT without a delivery
    receipt) is not a delivery.
    """
    if document.get("is_final") is not True:
        return Outcome.PENDING
    if document.get("status") in DELIVERED_STATUSES:
        return Outcome.DELIVERED
    return Outcome.FAILED
