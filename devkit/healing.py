"""The heal path, wired as the module wires it: S3 -> the heal queue -> the heal function.

The emulator's S3 sends its notifications itself (to a plain queue of the
caller's, filtered on ``errors/processing-failed/`` as heal.tf's bucket
notification is); ``HealPath`` carries them into the heal queue played on a
clock (devkit.queues), and hands what is due to the heal function as Lambda's
mapping does. ``run_until`` moves the clock from one due message to the next,
so minutes of delays and retries pass in the time the invocations take.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from message_status.heal import SOURCE_PREFIX

from devkit.queues import (
    Clock,
    Invoke,
    MappingReport,
    PlayedQueue,
    QueueSettings,
    deliver_due,
    notify_into,
    pump,
)
from devkit.stack import module_defaults


def module_queue_settings() -> QueueSettings:
    """The heal queue as the module's defaults make it (variables.tf, heal.tf)."""
    defaults = module_defaults()
    return QueueSettings(
        delay_s=float(defaults["heal_delay_seconds"]),
        visibility_s=float(defaults["heal_retry_interval_seconds"]),
        max_receives=int(defaults["heal_max_attempts"]),
    )


@dataclass
class HealPath:
    """Notifications of ``bucket``'s error objects, delivered to ``invoke`` on ``clock``."""

    s3: Any
    sqs: Any
    bucket: str
    invoke: Invoke
    clock: Clock = field(default_factory=Clock)
    settings: QueueSettings = field(default_factory=module_queue_settings)
    report: MappingReport = field(default_factory=MappingReport)
    # Called with the clock's time before each delivery (a test switches its faults).
    at_each_step: Callable[[float], None] = lambda _now: None
    queue: PlayedQueue = field(init=False)
    mailbox_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.queue = PlayedQueue(self.settings, self.clock)
        self.mailbox_url = notify_into(self.s3, self.sqs, self.bucket, SOURCE_PREFIX)

    def step(self) -> None:
        """What S3 sent so far joins the queue; every message due now is delivered."""
        pump(self.sqs, self.mailbox_url, self.queue)
        self.at_each_step(self.clock.now)
        deliver_due(self.queue, self.invoke, report=self.report)
        pump(self.sqs, self.mailbox_url, self.queue)  # what the invocations wrote

    def run_until(self, moment: float) -> None:
        """Deliver every message that falls due up to ``moment``; the clock ends there."""
        self.step()
        while (due := self.queue.next_due()) is not None and due <= moment:
            self.clock.advance_to(due)
            self.step()
        self.clock.advance_to(moment)

    def run_until_empty(self, limit_s: float = 24 * 3600) -> float:
        """Deliver until the queue is empty (healed, or dead-lettered); the time it ends."""
        self.step()
        while (due := self.queue.next_due()) is not None and due <= limit_s:
            self.clock.advance_to(due)
            self.step()
        return self.clock.now
