"""AWS's simulators, as `make smoke` uses them: each address or number, the events it produces
as AWS documents them, and the status the module must reach for it.

Amazon SES mailbox simulator (Amazon SES Developer Guide, "Sending test emails in Amazon
SES with the simulator", section "Using the mailbox simulator manually":
https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html#send-email-simulator):

* ``success@``: the provider accepts the mail -> Send, Delivery;
* ``bounce@``: rejected with SMTP 550 5.1.1 "Unknown User"; SES generates a (hard) bounce
  -> Send, Bounce Permanent/General;
* ``ooto@``: accepted and delivered; the provider sends an out-of-office auto response to
  the Return-Path (an email to the sender, not an event) -> Send, Delivery;
* ``complaint@``: accepted and delivered, then marked as spam -> Send, Delivery, Complaint;
* ``suppressionlist@``: "a hard bounce as if the recipient's address is on the global
  suppression list" -> Send, Bounce Permanent/Suppressed (the bounce types of "Contents of
  event data that Amazon SES publishes to Firehose": Suppressed is the global list,
  OnAccountSuppressionList the account's).

AWS End User Messaging SMS simulator (AWS End User Messaging SMS User Guide, "Simulator
phone numbers": https://docs.aws.amazon.com/sms-voice/latest/userguide/test-phone-numbers.html):
each country has one destination number that produces a success event and one that
produces a failure event. Origination simulator numbers exist only in the United States,
and one can only send to the destination simulator numbers of its own country; another
origination identity can send to any country's. Which success event type arrives
(TEXT_SUCCESSFUL or TEXT_DELIVERED, "used interchangeably" depending on the country) and
which TEXT_* type the failure number produces are not documented ("Event types for SMS,
MMS, and voice": https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-types.html),
so each documented alternative is a possible outcome.

What the module must answer for each is not written down here a second time: it is what
the module's own parser and merge make of those documented events (:func:`expectations`),
so a change to the status model changes what the smoke expects, and the tests say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from message_status.events import NormalizedEvent
from message_status.model import Channel
from message_status.parse import parse_event
from message_status.record import fold

from devkit.events import ses as ses_event
from devkit.events import sms_v2

SES_SIMULATOR_PAGE = (
    "https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html#send-email-simulator"
)
SMS_SIMULATOR_PAGE = (
    "https://docs.aws.amazon.com/sms-voice/latest/userguide/test-phone-numbers.html"
)
SMS_EVENT_TYPES_PAGE = (
    "https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-types.html"
)
SIMULATOR_DOMAIN = "simulator.amazonses.com"
# Destination simulator numbers, (success, failure), from the "Simulator phone numbers" page.
SMS_SIMULATOR_NUMBERS = {
    "US": ("+14254147755", "+14254147167"),
    "GB": ("+447860019066", "+447860019067"),
    "AU": ("+61455944038", "+61455944039"),
    "FR": ("+33755512501", "+33755512502"),
}
DEFAULT_SMS_COUNTRY = "US"
# The documented SMS failure event types ("Event types for SMS, MMS, and voice"); the
# simulator's failure number produces one of them, the page does not say which.
SMS_FAILURE_EVENT_TYPES = (
    "TEXT_BLOCKED",
    "TEXT_CARRIER_BLOCKED",
    "TEXT_CARRIER_UNREACHABLE",
    "TEXT_UNREACHABLE",
    "TEXT_INVALID",
    "TEXT_INVALID_MESSAGE",
    "TEXT_SPAM",
    "TEXT_TTL_EXPIRED",
    "TEXT_UNKNOWN",
)


@dataclass(frozen=True)
class SesEvent:
    """One event SES publishes for a mail: its eventType and, for a Bounce, its types."""

    event_type: str
    bounce_type: str | None = None
    bounce_subtype: str | None = None


@dataclass(frozen=True)
class SmsEvent:
    """One event End User Messaging SMS publishes for a text."""

    event_type: str
    is_final: bool = True


DocumentedEvent = SesEvent | SmsEvent


@dataclass(frozen=True)
class Scenario:
    """One simulator outcome: where to send, and each documented sequence of events."""

    outcome: str
    channel: Channel
    address: str
    alternatives: tuple[tuple[DocumentedEvent, ...], ...]


@dataclass(frozen=True, order=True)
class Expectation:
    """A status the API must answer for the message, and whether it must be final."""

    status: str
    final: bool

    def __str__(self) -> str:
        return f"{self.status} {'final' if self.final else 'not final'}"


SEND = SesEvent("Send")
DELIVERY = SesEvent("Delivery")


def _simulator(name: str) -> str:
    return f"{name}@{SIMULATOR_DOMAIN}"


EMAIL_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("success", Channel.EMAIL, _simulator("success"), ((SEND, DELIVERY),)),
    Scenario(
        "bounce",
        Channel.EMAIL,
        _simulator("bounce"),
        ((SEND, SesEvent("Bounce", "Permanent", "General")),),
    ),
    Scenario(
        "complaint",
        Channel.EMAIL,
        _simulator("complaint"),
        ((SEND, DELIVERY, SesEvent("Complaint")),),
    ),
    Scenario("out-of-office", Channel.EMAIL, _simulator("ooto"), ((SEND, DELIVERY),)),
    Scenario(
        "suppression list",
        Channel.EMAIL,
        _simulator("suppressionlist"),
        ((SEND, SesEvent("Bounce", "Permanent", "Suppressed")),),
    ),
)


def sms_scenarios(country: str = DEFAULT_SMS_COUNTRY) -> tuple[Scenario, ...]:
    """The success and failure destination numbers of ``country`` (KeyError if not listed)."""
    success, failure = SMS_SIMULATOR_NUMBERS[country]
    return (
        Scenario(
            "sms success",
            Channel.SMS,
            success,
            ((SmsEvent("TEXT_SUCCESSFUL"),), (SmsEvent("TEXT_DELIVERED"),)),
        ),
        Scenario(
            "sms failure",
            Channel.SMS,
            failure,
            tuple((SmsEvent(event_type),) for event_type in SMS_FAILURE_EVENT_TYPES),
        ),
    )


# --- the documented events, as the source publishes them ------------------------------------


def _ses(
    spec: SesEvent, scenario: Scenario, message_id: str, time_ms: int, sent_ms: int
) -> dict[str, Any]:
    event = ses_event(
        spec.event_type,
        message_id,
        time_ms,
        spec.bounce_type or "Permanent",
        destination=[scenario.address],
        named=[scenario.address],
        sent_ms=sent_ms,
    )
    if spec.event_type == "Bounce":
        event["bounce"]["bounceSubType"] = spec.bounce_subtype
        if spec.bounce_subtype == "Suppressed":
            # No remote server answered: no DSN, so only the address (the documented minimum).
            event["bounce"]["bouncedRecipients"] = [{"emailAddress": scenario.address}]
            event["bounce"].pop("reportingMTA", None)
    return event


def documented_events(
    scenario: Scenario,
    message_id: str,
    sent_ms: int,
    correlation: tuple[str, str] | None = None,
    alternative: int = 0,
) -> list[dict[str, Any]]:
    """The events the source publishes for a message sent to ``scenario.address`` at
    ``sent_ms``, one second apart, carrying the ``(key, value)`` correlation tag (SES
    message tags, SMS context) when given."""
    events = []
    for step, spec in enumerate(scenario.alternatives[alternative]):
        time_ms = sent_ms + 1000 * step
        if isinstance(spec, SesEvent):
            event = _ses(spec, scenario, message_id, time_ms, sent_ms)
            if correlation:
                event["mail"].setdefault("tags", {})[correlation[0]] = [correlation[1]]
        else:
            event = sms_v2(
                spec.event_type, message_id, time_ms, is_final=spec.is_final, sent_ms=sent_ms
            )
            event["destinationPhoneNumber"] = scenario.address
            event["context"] = dict([correlation]) if correlation else {}
        events.append(event)
    return events


# --- what the module makes of them ---------------------------------------------------------

_EXAMPLE_ID = "simulator-expectation"
_EXAMPLE_MS = 1_795_400_000_000


def outcome_of(events: Sequence[dict[str, Any]]) -> Expectation:
    """The status and finality the module's parser and merge give a message with ``events``."""
    parsed = [e for e in map(parse_event, events) if isinstance(e, NormalizedEvent)]
    record = fold(parsed)
    return Expectation(record.status.value, record.is_final)


@cache
def expectations(scenario: Scenario) -> frozenset[Expectation]:
    """Every outcome the module may answer for ``scenario``: one per documented alternative."""
    return frozenset(
        outcome_of(documented_events(scenario, _EXAMPLE_ID, _EXAMPLE_MS, alternative=index))
        for index in range(len(scenario.alternatives))
    )


def scenario_for(address: str, scenarios: Sequence[Scenario]) -> Scenario:
    """The scenario of a simulator address (``bounce+label@...`` included) or number."""
    local, _, domain = address.partition("@")
    plain = f"{local.split('+', 1)[0]}@{domain}" if domain else address
    for scenario in scenarios:
        if scenario.address == plain:
            return scenario
    raise KeyError(address)
