"""Parse one source event (Pinpoint, SES v2, End User Messaging SMS v2) into a NormalizedEvent.

Pure functions over plain data. The field accessors below are hand-written
rather than a pydantic model (the Powertools parser): the surface is small, and
pydantic would add about 100 ms to every cold start of the transform.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from . import model
from .events import InvalidEvent, NormalizedEvent, NotADeliveryEvent
from .ids import message_id_problem
from .model import Channel, Finality, Kind, Source, Status
from .recipients import normalized_or_none
from .text import NOT_UNICODE, is_valid_unicode
from .timefmt import BadTimestamp, check_epoch_ms, from_iso

# The largest event the sources document is a few KB (SES with long headers);
# a record this large is not an event.
DEFAULT_MAX_EVENT_BYTES = 256 * 1024

MILLICENTS_PER_USD = 100_000
# No single message costs ten million dollars: a larger price is not a price.
MAX_PRICE_MILLICENTS = 10_000_000 * MILLICENTS_PER_USD


def millicents(value: float | None) -> float | None:
    """A price in millicents, to 3 decimals (what DynamoDB stores exactly)."""
    return None if value is None else round(value, 3)


Parsed = NormalizedEvent | NotADeliveryEvent

_MISSING = object()


# --- typed field access -----------------------------------------------------


def _lookup(obj: Mapping[str, Any], path: str) -> Any:
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, Mapping):
            raise InvalidEvent(f"{path}: expected an object at {part!r}")
        current = current.get(part, _MISSING)
        if current is _MISSING:
            return _MISSING
    return current


def _text(value: object, path: str) -> str:
    """Every string the parser takes from an event passes here: text the table and the
    archive can hold, or the event is invalid (its record goes to errors/ intact)."""
    if not isinstance(value, str):
        raise InvalidEvent(f"{path}: expected a string, got {type(value).__name__}")
    if not is_valid_unicode(value):
        raise InvalidEvent(f"{path}: {NOT_UNICODE}")
    return value


def req_str(obj: Mapping[str, Any], path: str) -> str:
    value = _lookup(obj, path)
    if value is _MISSING or value is None:
        raise InvalidEvent(f"{path}: missing")
    return _text(value, path)


def opt_str(obj: Mapping[str, Any], path: str) -> str | None:
    value = _lookup(obj, path)
    if value is _MISSING or value is None or value == "":
        return None
    return _text(value, path)


def opt_number(obj: Mapping[str, Any], path: str, low: float, high: float) -> float | None:
    """A number in [low, high]; anything else (too large for a float included) is invalid.

    Out-of-range numbers are rejected rather than clamped: a price that is not
    a price means the event is not what it claims, and it goes to errors/
    intact, where it can be looked at.
    """
    value = _lookup(obj, path)
    if value is _MISSING or value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidEvent(f"{path}: expected a number")
    try:
        number = float(value)
    except OverflowError as err:
        raise InvalidEvent(f"{path}: number out of range") from err
    if not (math.isfinite(number) and low <= number <= high):
        raise InvalidEvent(f"{path}: number out of range [{low:g}, {high:g}]")
    return number


def opt_bool(obj: Mapping[str, Any], path: str) -> bool | None:
    value = _lookup(obj, path)
    if value is _MISSING or value is None:
        return None
    if not isinstance(value, bool):
        raise InvalidEvent(f"{path}: expected true or false")
    return value


def opt_str_list(obj: Mapping[str, Any], path: str) -> list[str] | None:
    value = _lookup(obj, path)
    if value is _MISSING or value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidEvent(f"{path}: expected a list of strings")
    return sorted({_text(item, path) for item in value}) or None


def req_epoch_ms(obj: Mapping[str, Any], path: str) -> int:
    value = _lookup(obj, path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidEvent(f"{path}: expected epoch milliseconds")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidEvent(f"{path}: expected epoch milliseconds")
    try:
        # int() of a float is exact; an int is never converted to float (it may not fit one).
        return check_epoch_ms(int(value))
    except BadTimestamp as err:
        raise InvalidEvent(f"{path}: {err}") from err


def req_iso_ms(obj: Mapping[str, Any], path: str) -> int:
    try:
        return from_iso(req_str(obj, path))
    except BadTimestamp as err:
        raise InvalidEvent(f"{path}: {err}") from err


def req_message_id(obj: Mapping[str, Any], path: str) -> str:
    value = _lookup(obj, path)
    if value is _MISSING or value is None:
        raise InvalidEvent(f"{path}: no message id")
    problem = message_id_problem(value)
    if problem:
        raise InvalidEvent(f"{path}: {problem}")
    return str(value)


def clip(text: str | None) -> str | None:
    """Keep free-text details bounded, in bytes, so a message's item stays small."""
    if text is None:
        return None
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) <= model.MAX_DETAIL_BYTES:
        return text
    return raw[: model.MAX_DETAIL_BYTES].decode("utf-8", "ignore")


def compact(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes that have a value, texts cut like details (an item stays bounded)."""
    return {
        key: clip(value) if isinstance(value, str) else value
        for key, value in attributes.items()
        if value is not None
    }


# --- status and finality of one event ---------------------------------------


def event_status(kind: Kind, detail: str | None, event_type: str) -> Status:
    """The status one event implies: the kind's, except that an SMS or MMS
    success is DELIVERED only when the carrier confirmed delivery."""
    if kind in model.CARRIER_SUCCESS_KINDS and (
        detail in model.SMS_DELIVERED_MARKERS or event_type in model.SMS_DELIVERED_MARKERS
    ):
        return Status.DELIVERED
    return model.KIND_STATUS[kind]


def finality_rule(channel: Channel, status: Status, source: Source, event_type: str) -> Finality:
    """When an event of this status is final: its End User Messaging event type's rule
    (model.END_USER_MESSAGING_EVENT_TYPES), else the status's on its channel."""
    rule = model.end_user_messaging_rule(event_type) if source is Source.SMS_V2 else None
    if rule is not None and status is model.KIND_STATUS[rule.kind]:
        return rule.finality
    return model.FINALITY[channel][status]


def event_final(
    channel: Channel,
    status: Status,
    source: Source,
    source_final: bool | None,
    event_type: str = "",
) -> bool:
    rule = finality_rule(channel, status, source, event_type)
    if rule is Finality.SOURCE_SAYS:
        return bool(source_final)
    if rule is Finality.UNLESS_PINPOINT:
        return source is not Source.PINPOINT
    return rule is Finality.ALWAYS


@dataclass(frozen=True)
class Context:
    """What every event of a message shares, beyond its own kind, time and detail."""

    destinations: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    sent_ms: int | None = None
    correlation_id: str | None = None
    tenant: str | None = None


def build_event(
    *,
    message_id: str,
    source: Source,
    event_type: str,
    kind: Kind,
    time_ms: int,
    detail: str | None = None,
    description: str | None = None,
    source_final: bool | None = None,
    automated: bool = False,
    attributes: Mapping[str, Any],
    context: Context = Context(),
) -> NormalizedEvent:
    channel = model.kind_channel(kind)
    status = event_status(kind, detail, event_type)
    return NormalizedEvent(
        message_id=message_id,
        channel=channel,
        source=source,
        event_type=event_type,
        kind=kind,
        status=status,
        final=event_final(channel, status, source, source_final, event_type),
        time_ms=time_ms,
        detail=clip(detail),
        description=clip(description),
        attributes=compact(attributes),
        recipients=context.recipients,
        destinations=context.destinations,
        sent_ms=context.sent_ms,
        correlation_id=context.correlation_id,
        automated=automated and kind in model.AUTOMATABLE_KINDS,
        tenant=context.tenant,
    )


def recipients_of(values: Iterable[object]) -> tuple[str, ...]:
    """Normalized, de-duplicated and sorted; values that do not normalize are left out."""
    return tuple(sorted({r for r in map(normalized_or_none, values) if r}))[: model.MAX_RECIPIENTS]


def correlation_value(value: object) -> str | None:
    """The caller's correlation id, when it is one the index can hold (1-256 plain characters)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or message_id_problem(value):  # the same rules as a message id
        return None
    return value


TENANT_NAME = re.compile(model.TENANT_NAME_PATTERN)


def tenant_value(value: object) -> str | None:
    """An SES tenant name, when it is one (1-64 letters, digits, - and _); else None,
    as SES sends no other (and so that the index key's "#shard" stays unambiguous)."""
    if isinstance(value, str) and TENANT_NAME.fullmatch(value):
        return value
    return None


def opt_sent_ms(obj: Mapping[str, Any], path: str, iso: bool) -> int | None:
    """When the message was sent, if the source says; a malformed time is ignored (optional)."""
    if _lookup(obj, path) in (_MISSING, None):
        return None
    try:
        return req_iso_ms(obj, path) if iso else req_epoch_ms(obj, path)
    except InvalidEvent:
        return None


# --- Amazon Pinpoint event stream ---------------------------------------------

PINPOINT_MAIL = "facets.email_channel.mail_event.mail"


def parse_pinpoint(event: Mapping[str, Any], correlation_key: str | None = None) -> Parsed:
    event_type = req_str(event, "event_type")
    kind = model.PINPOINT_EVENT_KINDS.get(event_type)
    if kind is None:
        return NotADeliveryEvent(event_type)
    common = {
        "aws_account_id": opt_str(event, "awsAccountId"),
        "client": opt_str(event, "client.client_id"),
        "campaign_id": opt_str(event, "attributes.campaign_id"),
        "journey_id": opt_str(event, "attributes.journey_id"),
    }
    time_ms = req_epoch_ms(event, "event_timestamp")
    correlation_id = (
        correlation_value(_lookup(event, f"attributes.{correlation_key}"))
        if correlation_key
        else None
    )
    if model.kind_channel(kind) is Channel.EMAIL:
        destination = opt_str_list(event, f"{PINPOINT_MAIL}.destination")
        return build_event(
            message_id=req_message_id(event, f"{PINPOINT_MAIL}.message_id"),
            source=Source.PINPOINT,
            event_type=event_type,
            kind=kind,
            time_ms=time_ms,
            detail=pinpoint_email_detail(event, kind),
            attributes={
                **common,
                "from_address": opt_str(event, f"{PINPOINT_MAIL}.from_address"),
                "destination": destination,
            },
            # Pinpoint's email events name no recipient: each concerns them all.
            context=Context(
                destinations=recipients_of(destination or ()),
                sent_ms=opt_sent_ms(event, f"{PINPOINT_MAIL}.message_send_timestamp", iso=False),
                correlation_id=correlation_id,
            ),
        )
    record_status = opt_str(event, "attributes.record_status")
    phone = opt_str(event, "attributes.destination_phone_number")
    return build_event(
        message_id=req_message_id(event, "attributes.message_id"),
        source=Source.PINPOINT,
        event_type=event_type,
        kind=kind,
        time_ms=time_ms,
        detail=record_status,
        attributes={
            **common,
            "origination_phone_number": opt_str(event, "attributes.origination_phone_number"),
            "destination_phone_number": phone,
            "iso_country_code": opt_str(event, "attributes.iso_country_code"),
            "message_type": opt_str(event, "attributes.message_type"),
            "price_in_millicents_usd": millicents(
                opt_number(event, "metrics.price_in_millicents_usd", 0, MAX_PRICE_MILLICENTS)
            ),
        },
        context=Context(destinations=recipients_of([phone]), correlation_id=correlation_id),
    )


def pinpoint_email_detail(event: Mapping[str, Any], kind: Kind) -> str | None:
    if kind is Kind.CLICK:
        link = opt_str(event, "facets.email_channel.mail_event.click.link")
        if link:
            return link
    return opt_str(event, "attributes.feedback")


# --- Amazon SES event publishing (configuration sets) -----------------------

SES_DETAIL_FIELDS: Mapping[str, tuple[str, ...]] = {
    "Delivery": ("delivery.smtpResponse",),
    "DeliveryDelay": ("deliveryDelay.delayType",),
    "Reject": ("reject.reason",),
    "Click": ("click.link",),
    "Rendering Failure": ("failure.errorMessage",),
}
SES_TIME_FIELDS: Mapping[str, str] = {
    "Delivery": "delivery.timestamp",
    "DeliveryDelay": "deliveryDelay.timestamp",
    "Bounce": "bounce.timestamp",
    "Complaint": "complaint.timestamp",
    "Open": "open.timestamp",
    "Click": "click.timestamp",
    "Subscription": "subscription.timestamp",
}
SES_EVENT_TYPES = frozenset({*model.SES_EVENT_KINDS, "Bounce", "Subscription"})
# The event types whose body may carry SES's automated marker, and the body's name.
SES_AUTOMATABLE_BODIES: Mapping[str, str] = {"Open": "open", "Click": "click"}
# The events that name the recipients they concern, and where; the others
# concern every recipient of the message. diagnosticCode explains a bounce or
# a delay for one recipient: the first one named becomes the description.
SES_RECIPIENT_LISTS: Mapping[str, tuple[str, str | None]] = {
    "Delivery": ("delivery.recipients", None),
    "Bounce": ("bounce.bouncedRecipients", "emailAddress"),
    "Complaint": ("complaint.complainedRecipients", "emailAddress"),
    "DeliveryDelay": ("deliveryDelay.delayedRecipients", "emailAddress"),
}


def ses_bounce_kind(event: Mapping[str, Any]) -> tuple[Kind, str]:
    """A Bounce is a hard or soft bounce, or, with a suppression-list subtype, a
    suppression: SES never attempted the delivery (model.SES_SUPPRESSION_SUBTYPES)."""
    bounce_type = req_str(event, "bounce.bounceType")
    kind = model.SES_BOUNCE_KINDS.get(bounce_type)
    if kind is None:
        raise InvalidEvent("bounce.bounceType: unknown value")
    sub_type = opt_str(event, "bounce.bounceSubType")
    if kind is Kind.HARDBOUNCE and sub_type in model.SES_SUPPRESSION_SUBTYPES:
        kind = Kind.SUPPRESSED
    return kind, f"{bounce_type}/{sub_type}" if sub_type else bounce_type


def ses_complaint_kind(event: Mapping[str, Any]) -> tuple[Kind, str | None]:
    """A Complaint is a complaint, unless its subtype says SES never sent the mail
    (model.SES_COMPLAINT_SUPPRESSION_SUBTYPES)."""
    sub_type = opt_str(event, "complaint.complaintSubType")
    if sub_type in model.SES_COMPLAINT_SUPPRESSION_SUBTYPES:
        return Kind.SUPPRESSED, sub_type
    return Kind.COMPLAINT, opt_str(event, "complaint.complaintFeedbackType")


def ses_automated(event: Mapping[str, Any], event_type: str) -> bool:
    """Whether SES marks an Open or Click as probably a machine's (model.SES_AUTOMATED_FIELD)."""
    body = SES_AUTOMATABLE_BODIES.get(event_type)
    if body is None:
        return False
    return opt_str(event, f"{body}.{model.SES_AUTOMATED_FIELD}") == model.SES_AUTOMATED_VALUE


def ses_kind(event: Mapping[str, Any], event_type: str) -> tuple[Kind | None, str | None]:
    """(kind, detail) of an SES event; kind None when it is no delivery event."""
    if event_type == "Bounce":
        return ses_bounce_kind(event)
    if event_type == "Complaint":
        return ses_complaint_kind(event)
    if event_type == "Subscription":
        topics = ses_opted_out_topics(event)
        return (Kind.UNSUBSCRIBE, ",".join(topics)) if topics else (None, None)
    detail = None
    for path in SES_DETAIL_FIELDS.get(event_type, ()):
        detail = opt_str(event, path)
    return model.SES_EVENT_KINDS[event_type], detail


def ses_opted_out_topics(event: Mapping[str, Any]) -> list[str]:
    """Topics the recipient opted out of; ["*"] for unsubscribe-all."""
    preferences = _lookup(event, "subscription.newTopicPreferences")
    if preferences is _MISSING or preferences is None:
        return []
    if not isinstance(preferences, Mapping):
        raise InvalidEvent("subscription.newTopicPreferences: expected an object")
    if opt_bool(preferences, "unsubscribeAll"):
        return ["*"]
    statuses = preferences.get("topicSubscriptionStatus") or []
    if not isinstance(statuses, list) or not all(isinstance(s, Mapping) for s in statuses):
        raise InvalidEvent("subscription.newTopicPreferences.topicSubscriptionStatus: bad type")
    return sorted(
        req_str(entry, "topicName")
        for entry in statuses
        if opt_str(entry, "subscriptionStatus") == "OptOut"
    )


def ses_event_type(event: Mapping[str, Any]) -> str:
    """eventType (configuration-set event publishing), or notificationType (identity feedback)."""
    if _lookup(event, "eventType") is _MISSING:
        return req_str(event, "notificationType")
    return req_str(event, "eventType")


def ses_named_recipients(event: Mapping[str, Any], event_type: str) -> tuple[list[str], str | None]:
    """(the recipients an event names, the first diagnostic code given for one of them)."""
    path, address_field = SES_RECIPIENT_LISTS.get(event_type, ("", None))
    if not path:
        return [], None
    entries = _lookup(event, path)
    if entries is _MISSING or entries is None:
        return [], None
    if not isinstance(entries, list):
        raise InvalidEvent(f"{path}: expected a list")
    if address_field is None:
        return [_text(entry, path) for entry in entries if isinstance(entry, str)], None
    addresses, diagnostic = [], None
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise InvalidEvent(f"{path}: expected a list of objects")
        address = opt_str(entry, address_field)
        if address:
            addresses.append(address)
        diagnostic = diagnostic or opt_str(entry, "diagnosticCode")
    return addresses, diagnostic


def parse_ses(event: Mapping[str, Any], correlation_key: str | None = None) -> Parsed:
    event_type = ses_event_type(event)
    if event_type not in SES_EVENT_TYPES:  # reached through an EventBridge envelope
        return NotADeliveryEvent(event_type)
    kind, detail = ses_kind(event, event_type)
    if kind is None:
        return NotADeliveryEvent(event_type)
    destination = opt_str_list(event, "mail.destination")
    named, diagnostic = ses_named_recipients(event, event_type)
    return build_event(
        message_id=req_message_id(event, "mail.messageId"),
        source=Source.SES,
        event_type=event_type,
        kind=kind,
        time_ms=ses_time_ms(event, event_type),
        detail=detail,
        description=diagnostic,
        automated=ses_automated(event, event_type),
        attributes={
            "aws_account_id": opt_str(event, "mail.sendingAccountId"),
            "from_address": opt_str(event, "mail.source"),
            "destination": destination,
            "campaign_id": ses_tag(event, "campaign_id"),
            "journey_id": ses_tag(event, "journey_id"),
        },
        context=Context(
            destinations=recipients_of([*(destination or ()), *named]),
            recipients=recipients_of(named),
            sent_ms=opt_sent_ms(event, "mail.timestamp", iso=True),
            correlation_id=ses_tag(event, correlation_key) if correlation_key else None,
            tenant=tenant_value(ses_tag_value(event, model.SES_TENANT_TAG)),
        ),
    )


def ses_time_ms(event: Mapping[str, Any], event_type: str) -> int:
    """When the event happened: its own timestamp, else (Send, Reject, ...) the mail's."""
    path = SES_TIME_FIELDS.get(event_type)
    if path and _lookup(event, path) not in (_MISSING, None):
        return req_iso_ms(event, path)
    return req_iso_ms(event, "mail.timestamp")


def ses_tag_value(event: Mapping[str, Any], name: str) -> object:
    """First value of a message tag (SES puts tags in mail.tags as lists), unchecked."""
    tags = _lookup(event, "mail.tags")
    if not isinstance(tags, Mapping):
        return None
    values = tags.get(name)
    if not isinstance(values, list) or not values:
        return None
    return values[0]


def ses_tag(event: Mapping[str, Any], name: str) -> str | None:
    """First value of a message tag, when it is one the correlation index can hold."""
    return correlation_value(ses_tag_value(event, name))


# --- AWS End User Messaging SMS v2: SMS, MMS and voice -------------------------------------


def parse_sms_v2(event: Mapping[str, Any], correlation_key: str | None = None) -> Parsed:
    event_type = req_str(event, "eventType")
    rule = model.end_user_messaging_rule(event_type)
    if rule is None:
        return NotADeliveryEvent(event_type)
    price = opt_number(event, "totalMessagePrice", 0, MAX_PRICE_MILLICENTS / MILLICENTS_PER_USD)
    status = opt_str(event, "messageStatus")
    phone = opt_str(event, "destinationPhoneNumber")
    context = _lookup(event, "context")
    return build_event(
        message_id=req_message_id(event, "messageId"),
        source=Source.SMS_V2,
        event_type=event_type,
        kind=rule.kind,
        time_ms=req_epoch_ms(event, "eventTimestamp"),
        detail=status or event_type.removeprefix(model.end_user_messaging_prefix(event_type)),
        description=opt_str(event, "messageStatusDescription"),
        source_final=opt_bool(event, "isFinal"),
        attributes={
            "origination_phone_number": opt_str(event, "originationPhoneNumber"),
            "destination_phone_number": phone,
            "iso_country_code": opt_str(event, "isoCountryCode"),
            "message_type": opt_str(event, "messageType"),
            "price_in_millicents_usd": None
            if price is None
            else millicents(price * MILLICENTS_PER_USD),
        },
        context=Context(
            destinations=recipients_of([phone]),
            sent_ms=opt_sent_ms(event, "messageRequestTimestamp", iso=False),
            correlation_id=correlation_value(context.get(correlation_key))
            if correlation_key and isinstance(context, Mapping)
            else None,
        ),
    )


SourceParser = Callable[[Mapping[str, Any], str | None], Parsed]


# --- Amazon EventBridge: events a sender account forwards to a hub --------------------
#
# A sender account's SES configuration set publishes its events to the account's
# default bus ("Monitoring SES events using Amazon EventBridge", SES Developer
# Guide: https://docs.aws.amazon.com/ses/latest/dg/monitoring-eventbridge.html),
# and End User Messaging SMS sends its status events there on its own ("Monitoring
# with EventBridge", https://docs.aws.amazon.com/sms-voice/latest/userguide/monitor-event-bridge.html).
# A rule forwards them to the hub's bus, whose rule puts each whole event on the
# delivery stream: the envelope names the account and Region the message was sent
# from ("account", "region"), and its "detail" is the event as the service
# publishes it to Firehose, which the parsers above read.

EVENTBRIDGE_PARSERS: Mapping[str, SourceParser] = {
    "aws.ses": parse_ses,
    "aws.sms-voice": parse_sms_v2,
}
ACCOUNT_ID = re.compile(r"\d{12}")
REGION_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def is_eventbridge_event(event: Mapping[str, Any]) -> bool:
    """An EventBridge event: its envelope's source, detail-type and detail."""
    return "detail-type" in event and "detail" in event and "source" in event


def opt_account(obj: Mapping[str, Any], path: str) -> str | None:
    value = opt_str(obj, path)
    if value is not None and not ACCOUNT_ID.fullmatch(value):
        raise InvalidEvent(f"{path}: not an AWS account id (12 digits)")
    return value


def opt_region(obj: Mapping[str, Any], path: str) -> str | None:
    value = opt_str(obj, path)
    if value is not None and not REGION_NAME.fullmatch(value):
        raise InvalidEvent(f"{path}: not an AWS Region name")
    return value


def with_origin(parsed: Parsed, account: str | None, region: str | None) -> Parsed:
    """The event with the account and Region it was sent from: the account the event
    itself names (SES mail.sendingAccountId, Pinpoint awsAccountId) else ``account``."""
    if isinstance(parsed, NotADeliveryEvent):
        return parsed
    attributes = dict(parsed.attributes)
    attributes["aws_account_id"] = attributes.get("aws_account_id") or account
    attributes["aws_region"] = region
    return replace(parsed, attributes=compact(attributes))


def parse_eventbridge(event: Mapping[str, Any], correlation_key: str | None = None) -> Parsed:
    """An SES or End User Messaging event in its EventBridge envelope."""
    source = req_str(event, "source")
    parser = EVENTBRIDGE_PARSERS.get(source)
    if parser is None:
        return NotADeliveryEvent(f"{source}: {req_str(event, 'detail-type')}")
    detail = event["detail"]
    if not isinstance(detail, Mapping):
        raise InvalidEvent("detail: expected an object")
    return with_origin(
        parser(detail, correlation_key), opt_account(event, "account"), opt_region(event, "region")
    )


# --- dispatch ------------------------------------------------------------------


def source_parser(event: Mapping[str, Any]) -> SourceParser:
    """Pick the parser by the shape of the event."""
    if is_eventbridge_event(event):
        return parse_eventbridge
    if "event_type" in event:
        return parse_pinpoint
    event_type = event.get("eventType", event.get("notificationType"))
    if isinstance(event_type, str) and "mail" in event and event_type in SES_EVENT_TYPES:
        return parse_ses
    if isinstance(event_type, str) and "messageId" in event:
        return parse_sms_v2
    raise InvalidEvent("not a Pinpoint, SES, End User Messaging SMS or EventBridge event")


def parse_event(
    event: object, correlation_key: str | None = None, region: str | None = None
) -> Parsed:
    """Normalize one decoded source event; ``correlation_key`` names the caller's own id.

    ``region`` is where an event that names no Region was sent: the Region of the
    delivery stream it came through (the transform's own). An event forwarded through
    EventBridge names its own (its envelope's ``region``).
    """
    if not isinstance(event, Mapping):
        raise InvalidEvent("event is not a JSON object")
    parser = source_parser(event)
    if parser is parse_eventbridge:
        return parser(event, correlation_key)
    return with_origin(parser(event, correlation_key), None, region)


def parse_record_data(
    data: bytes,
    max_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    correlation_key: str | None = None,
    region: str | None = None,
) -> Parsed:
    """Normalize the decoded payload of one Firehose record."""
    if len(data) > max_bytes:
        raise InvalidEvent(f"record is {len(data)} bytes, over the {max_bytes}-byte limit")
    try:
        document = json.loads(data)
    except RecursionError as err:  # e.g. "[[[[...": nested deeper than the parser allows
        raise InvalidEvent("record is JSON nested too deeply to be an event") from err
    except ValueError as err:
        # JSONDecodeError and UnicodeDecodeError are ValueErrors, and so is an
        # integer literal longer than Python's int-conversion digit limit.
        raise InvalidEvent(f"record is not JSON an event can be: {err}") from err
    return parse_event(document, correlation_key, region)
