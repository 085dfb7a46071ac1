"""The transform's operational metrics, pure: what is counted, under which dimensions.

Dimensions are a small fixed set, ``channel`` and ``status`` (and Powertools'
``service``, the function's name: one value per module instance), never a
message id or a recipient: CloudWatch bills and limits by distinct dimension values,
and metrics are readable by more people than the table is.

``recipient_events`` counts, per (channel, status), the recipients the
events of newly written messages concern: a Send to three people counts
three sends, a Bounce naming one of them counts one bounce, as Amazon SES
counts its own bounce and complaint rates (per recipient). Events of a write
that changed nothing (a Firehose retry, a replay) are not counted again.
The alarms' metric math (alarms.tf) divides these counts.

Opens and clicks SES marks automated (a scanner's, model.SES_AUTOMATED_FIELD)
are not counted: they say nothing of a recipient's engagement, and no rate or
alarm may rise with them.

``suppressed_recipients`` counts, per suppression list (account, global,
tenant), the recipients SES declined to send to, so that the bounce-rate alarm
can count them as SES counts its own bounce rate
(model.COUNTS_IN_SES_BOUNCE_RATE). Its one dimension, ``list``, has three
values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Final

from .events import NormalizedEvent
from .model import Channel, Kind, Status, SuppressionList, suppression_list

RECIPIENT_EVENTS: Final = "recipient_events"
RECIPIENT_EVENT_DIMENSIONS: Final = ("channel", "status")
SUPPRESSED_RECIPIENTS: Final = "suppressed_recipients"
SUPPRESSED_RECIPIENT_DIMENSION: Final = "list"
INGEST_LAG: Final = "ingest_to_write_ms"


def recipients_concerned(event: NormalizedEvent) -> int:
    """How many recipients one event is about: those it names, else all it knows, else one."""
    return len(event.recipients) or len(event.destinations) or 1


def recipient_event_counts(events: Iterable[NormalizedEvent]) -> Counter[tuple[Channel, Status]]:
    counts: Counter[tuple[Channel, Status]] = Counter()
    for event in events:
        if not event.automated:
            counts[(event.channel, event.status)] += recipients_concerned(event)
    return counts


def suppressed_recipient_counts(events: Iterable[NormalizedEvent]) -> Counter[SuppressionList]:
    """Recipients SES declined to send to, per suppression list."""
    counts: Counter[SuppressionList] = Counter()
    for event in events:
        listed = suppression_list(event.detail) if event.kind is Kind.SUPPRESSED else None
        if listed is not None:
            counts[listed] += recipients_concerned(event)
    return counts


def ingest_lag_ms(arrivals_ms: Iterable[object], now_ms: int) -> int | None:
    """The oldest record's wait from Firehose ingest to its table write, or None (no
    usable approximateArrivalTimestamp: a hand-made event)."""
    times = [int(a) for a in arrivals_ms if isinstance(a, int | float) and 0 < a <= now_ms]
    return now_ms - min(times) if times else None


def dimensions(key: tuple[Channel, Status]) -> Mapping[str, str]:
    channel, status = key
    return dict(zip(RECIPIENT_EVENT_DIMENSIONS, (channel.value, status.value), strict=True))
