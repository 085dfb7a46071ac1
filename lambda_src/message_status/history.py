"""A message's event history, bounded: the first event of each kind and the latest ones.

Image proxies, link scanners and forwarded mail keep adding opens and clicks
to one message; an unbounded history would grow its item to DynamoDB's
400 KB limit (and make every write cost a unit per KB of it). So a history
keeps, of all the distinct events seen:

* the first (earliest) event of each class: a kind, the status it implied,
  whether the source called it final, the recipient it concerns (or all of
  them), and whether SES marked it automated (a scanner's open). The
  message's and every recipient's status, finality and per-kind times are
  computed from these, so they stay exact whatever else is dropped: a flood
  of automated opens never hides the first human one;
* the latest ``MAX_LATEST_ENTRIES`` events.

Entries are bounded in size where they are parsed (texts clipped to
model.MAX_DETAIL_BYTES), so a history is bounded in bytes too. The latest
events are bounded by count, not bytes, on purpose: "the newest N" of a union
is the newest N of the newest N of each part, which a byte budget is not (a
smaller, older entry can fit where a dropped larger one did not).

and counts the events it dropped, per kind (and, apart, how many of those
were automated), so that ``counts`` stays the number of distinct events of
each kind seen and ``automated_counts`` the number of automated ones.

``bounded`` is a homomorphism of set union: the entries kept from A | B are
the entries kept from bounded(A) | bounded(B), so the kept entries depend only
on the set of events, never on their order or split. The drop counts are exact
except in one case, which no bounded structure can tell apart: an event older
than the latest entries kept (and not the first of its kind) may be a
re-delivery of one dropped before, or a new one that arrived late. It is taken
for a re-delivery and not counted, so that replaying a batch changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from .model import KIND_STATUS, Kind, Status

MAX_LATEST_ENTRIES: Final = 6
EVERY_RECIPIENT: Final = "*"


@dataclass(frozen=True, order=True)
class HistoryEntry:
    """One distinct event of a message (equal fields: the same event, delivered twice)."""

    time_ms: int
    kind: Kind
    detail: str = ""
    description: str = ""
    status: Status | None = None  # the status the event implied; None means the kind's
    final: bool = False  # whether the event made that status final
    recipients: tuple[str, ...] = ()  # the recipients it names, sorted; () concerns them all
    # SES marked it a machine's (an open or click, model.SES_AUTOMATED_FIELD): shown,
    # counted apart, and left out of every status (record.outcome_of).
    automated: bool = False

    def __post_init__(self) -> None:
        # Always set, so that entries compare (and sort) on real values.
        if self.status is None:
            object.__setattr__(self, "status", KIND_STATUS[self.kind])

    @property
    def implied_status(self) -> Status:
        return self.status or KIND_STATUS[self.kind]

    def concerns(self, recipient: str) -> bool:
        return not self.recipients or recipient in self.recipients

    def classes(self) -> tuple[tuple[Kind, Status, bool, str, bool], ...]:
        """What it may be the first of: its kind, status, finality and automation, for
        each recipient."""
        return tuple(
            (self.kind, self.implied_status, self.final, recipient, self.automated)
            for recipient in self.recipients or (EVERY_RECIPIENT,)
        )


@dataclass(frozen=True)
class History:
    """The kept entries, oldest first, and how many events of each kind were dropped
    (``dropped``), of which how many automated (``dropped_automated``)."""

    entries: tuple[HistoryEntry, ...] = ()
    dropped: Mapping[Kind, int] = field(default_factory=dict)
    dropped_automated: Mapping[Kind, int] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        return any(self.dropped.values())

    @property
    def counts(self) -> dict[Kind, int]:
        """Distinct events seen, per kind (see the module docstring for the one exception)."""
        counts = Counter(entry.kind for entry in self.entries)
        counts.update({kind: n for kind, n in self.dropped.items() if n})
        return dict(sorted(counts.items()))

    @property
    def automated_counts(self) -> dict[Kind, int]:
        """Of ``counts``, the events SES marked automated, per kind (only kinds with some)."""
        counts = Counter(entry.kind for entry in self.entries if entry.automated)
        counts.update({kind: n for kind, n in self.dropped_automated.items() if n})
        return dict(sorted(counts.items()))

    def horizon(self) -> HistoryEntry | None:
        """The oldest of the latest entries, when events were dropped: older ones may be replays."""
        if not self.truncated:
            return None
        return min(latest_run(self.entries))


def first_of_each_class(entries: Iterable[HistoryEntry]) -> set[HistoryEntry]:
    firsts: dict[tuple[Kind, Status, bool, str, bool], HistoryEntry] = {}
    for entry in entries:
        for key in entry.classes():
            if key not in firsts or entry < firsts[key]:
                firsts[key] = entry
    return set(firsts.values())


def latest_run(entries: Iterable[HistoryEntry]) -> set[HistoryEntry]:
    """The newest MAX_LATEST_ENTRIES entries."""
    return set(sorted(set(entries), reverse=True)[:MAX_LATEST_ENTRIES])


def bounded(entries: Iterable[HistoryEntry]) -> tuple[HistoryEntry, ...]:
    """The entries a history keeps of ``entries``: firsts of each class, and the latest run."""
    unique = set(entries)
    return tuple(sorted(first_of_each_class(unique) | latest_run(unique)))


def _counted_when_dropped(
    entry: HistoryEntry, side: History, side_horizon: HistoryEntry | None
) -> bool:
    """False when ``side`` does not know ``entry`` and may have dropped it before (a replay)."""
    return entry in side.entries or side_horizon is None or entry >= side_horizon


def _combined(
    left: Mapping[Kind, int], right: Mapping[Kind, int], newly: Counter[Kind]
) -> dict[Kind, int]:
    counts = {
        kind: max(left.get(kind, 0), right.get(kind, 0)) + newly[kind]
        for kind in sorted({*left, *right, *newly})
    }
    return {kind: n for kind, n in counts.items() if n}


def merge(left: History, right: History) -> History:
    """Combine two histories of one message (commutative and idempotent)."""
    union = set(left.entries) | set(right.entries)
    kept = bounded(union)
    left_horizon, right_horizon = left.horizon(), right.horizon()
    newly_dropped = [
        entry
        for entry in union.difference(kept)
        if _counted_when_dropped(entry, left, left_horizon)
        and _counted_when_dropped(entry, right, right_horizon)
    ]
    return History(
        kept,
        _combined(left.dropped, right.dropped, Counter(e.kind for e in newly_dropped)),
        _combined(
            left.dropped_automated,
            right.dropped_automated,
            Counter(e.kind for e in newly_dropped if e.automated),
        ),
    )


def single(entry: HistoryEntry) -> History:
    return History((entry,))
