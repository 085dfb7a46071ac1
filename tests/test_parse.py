"""Parsing: each documented source event and event type maps to the right kind and fields."""

from __future__ import annotations

import json

import pytest
from message_status import model
from message_status.events import InvalidEvent, NormalizedEvent, NotADeliveryEvent
from message_status.model import Channel, Source
from message_status.parse import parse_event, parse_record_data

from devkit.events import fixture, pinpoint_email, pinpoint_sms, ses, sms_v2


def parsed(event: dict) -> NormalizedEvent:
    result = parse_event(event)
    assert isinstance(result, NormalizedEvent)
    return result


# --- the documented examples, field by field ------------------------------------


def test_pinpoint_email_send_example_keeps_the_seed_attributes() -> None:
    event = parsed(fixture("pinpoint_email_send"))
    assert event.message_id == "0200000073rnbmd1-mbvdg3uo-q8ia-m3ku-ibd3-ms77kexample-000000"
    assert (event.channel, event.source, event.kind, event.status) == (
        Channel.EMAIL,
        Source.PINPOINT,
        "send",
        "SENT",
    )
    assert event.time_ms == 1564618621380
    assert event.attributes == {
        "aws_account_id": "123456789012",
        "client": "9a311b17-6f8e-4093-be61-4d0bbexample",
        "from_address": "sender@example.com",
        "destination": ["recipient@example.com"],
    }
    assert event.final is False


def test_pinpoint_sms_success_example_with_delivered_record_status_is_delivered() -> None:
    event = parsed(fixture("pinpoint_sms_success"))
    assert (event.message_id, event.kind, event.status, event.detail) == (
        "1111-2222-3333",
        "success",
        "DELIVERED",
        "DELIVERED",
    )
    assert event.attributes["price_in_millicents_usd"] == 645.0
    assert event.attributes["campaign_id"] == "52dc44b35c4742c98c5935269example"
    assert event.attributes["origination_phone_number"] == "+12065550142"
    assert event.attributes["destination_phone_number"] == "+14255550199"
    assert event.attributes["iso_country_code"] == "US"
    assert event.attributes["message_type"] == "Transactional"
    assert event.final is True


def test_ses_bounce_example_permanent_is_a_final_hard_bounce_with_its_type() -> None:
    event = parsed(fixture("ses_bounce"))
    assert (event.source, event.kind, event.status, event.final) == (
        Source.SES,
        "hardbounce",
        "HARD_BOUNCED",
        True,
    )
    assert event.detail == "Permanent/General"
    assert event.time_ms == 1501893662669  # bounce.timestamp, not mail.timestamp
    assert event.attributes["aws_account_id"] == "123456789012"


def test_ses_delivery_example_uses_the_delivery_timestamp() -> None:
    event = parsed(fixture("ses_delivery"))
    assert event.kind == "delivered"
    assert event.time_ms == parsed(ses("Delivery", "x", 1476919264133)).time_ms


def test_sms_v2_successful_example_is_sent_and_final_because_the_source_says_so() -> None:
    event = parsed(fixture("eum_text_successful"))
    assert (event.source, event.kind, event.status, event.final) == (
        Source.SMS_V2,
        "success",
        "SENT",
        True,
    )
    assert event.attributes["price_in_millicents_usd"] == pytest.approx(9582.0)
    assert event.description == "Message has been accepted by phone carrier"


# --- every event type ----------------------------------------------------------------

PINPOINT_EMAIL_CASES = [
    ("_email.send", "send", "SENT"),
    ("_email.delivered", "delivered", "DELIVERED"),
    ("_email.softbounce", "softbounce", "SOFT_BOUNCED"),
    ("_email.hardbounce", "hardbounce", "HARD_BOUNCED"),
    ("_email.rejected", "rejected", "REJECTED"),
    ("_email.rendering_failure", "rendering_failure", "RENDERING_FAILED"),
    ("_email.complaint", "complaint", "COMPLAINED"),
    ("_email.open", "open", "OPENED"),
    ("_email.click", "click", "CLICKED"),
    ("_email.unsubscribe", "unsubscribe", "UNSUBSCRIBED"),
]


@pytest.mark.parametrize(("event_type", "kind", "status"), PINPOINT_EMAIL_CASES)
def test_pinpoint_email_event_types_map_to_kinds(event_type: str, kind: str, status: str) -> None:
    event = parsed(pinpoint_email(event_type, "m", 1000))
    assert (event.kind, event.status, event.channel) == (kind, status, Channel.EMAIL)


@pytest.mark.parametrize(
    ("event_type", "record_status", "kind", "status", "final"),
    [
        ("_SMS.BUFFERED", "PENDING", "buffered", "PENDING", False),
        ("_SMS.SUCCESS", "SUCCESSFUL", "success", "SENT", False),
        ("_SMS.SUCCESS", "DELIVERED", "success", "DELIVERED", True),
        ("_SMS.FAILURE", "UNREACHABLE", "failure", "FAILED", True),
        ("_SMS.OPTOUT", "OPTED_OUT", "optout", "OPTED_OUT", True),
    ],
)
def test_pinpoint_sms_event_types_map_to_kinds(
    event_type: str, record_status: str, kind: str, status: str, final: bool
) -> None:
    event = parsed(pinpoint_sms(event_type, "s", 1000, record_status))
    assert (event.kind, event.status, event.final, event.detail) == (
        kind,
        status,
        final,
        record_status,
    )


@pytest.mark.parametrize(
    ("event_type", "kind", "status", "detail"),
    [
        ("Send", "send", "SENT", None),
        ("Delivery", "delivered", "DELIVERED", "250 2.6.0 Message received"),
        ("DeliveryDelay", "delivery_delay", "DELAYED", "MailboxFull"),
        ("Reject", "rejected", "REJECTED", "Bad content"),
        ("Rendering Failure", "rendering_failure", "RENDERING_FAILED", None),
        ("Complaint", "complaint", "COMPLAINED", "abuse"),
        ("Open", "open", "OPENED", None),
        ("Click", "click", "CLICKED", "https://example.com/offer"),
        ("Subscription", "unsubscribe", "UNSUBSCRIBED", "offers"),
    ],
)
def test_ses_event_types_map_to_kinds(
    event_type: str, kind: str, status: str, detail: str | None
) -> None:
    event = parsed(ses(event_type, "e", 1000))
    assert (event.kind, event.status) == (kind, status)
    if detail is not None:
        assert event.detail == detail
    assert event.time_ms == 1000


@pytest.mark.parametrize(
    ("bounce_type", "kind", "final"),
    [
        ("Permanent", "hardbounce", True),
        ("Transient", "softbounce", True),
        ("Undetermined", "softbounce", True),
    ],
)
def test_ses_bounce_types(bounce_type: str, kind: str, final: bool) -> None:
    event = parsed(ses("Bounce", "e", 1000, bounce_type=bounce_type))
    assert (event.kind, event.final) == (kind, final)
    assert event.detail.startswith(bounce_type)


def test_pinpoint_soft_bounce_is_not_final_but_ses_soft_bounce_is() -> None:
    assert parsed(pinpoint_email("_email.softbounce", "m", 1)).final is False
    assert parsed(ses("Bounce", "m", 1, bounce_type="Transient")).final is True


def test_ses_subscription_unsubscribe_all_is_an_unsubscribe() -> None:
    event = ses("Subscription", "e", 1000)
    event["subscription"]["newTopicPreferences"] = {"unsubscribeAll": True}
    assert parsed(event).detail == "*"


def test_ses_subscription_opt_in_is_not_a_delivery_event() -> None:
    event = ses("Subscription", "e", 1000)
    event["subscription"]["newTopicPreferences"]["topicSubscriptionStatus"][0][
        "subscriptionStatus"
    ] = "OptIn"
    assert parse_event(event) == NotADeliveryEvent("Subscription")


@pytest.mark.parametrize(
    ("event_type", "kind", "status"),
    [
        ("TEXT_QUEUED", "buffered", "PENDING"),
        ("TEXT_PENDING", "buffered", "PENDING"),
        ("TEXT_SUCCESSFUL", "success", "SENT"),
        ("TEXT_DELIVERED", "success", "DELIVERED"),
        ("TEXT_CARRIER_UNREACHABLE", "failure", "FAILED"),
        ("TEXT_BLOCKED", "failure", "FAILED"),
        ("TEXT_TTL_EXPIRED", "failure", "FAILED"),
        ("TEXT_SPAM", "failure", "FAILED"),
        ("TEXT_UNKNOWN", "failure", "FAILED"),
    ],
)
def test_sms_v2_event_types_map_to_kinds(event_type: str, kind: str, status: str) -> None:
    event = parsed(sms_v2(event_type, "s", 1000))
    assert (event.kind, event.status) == (kind, status)


def test_sms_v2_failure_keeps_its_reason() -> None:
    event = parsed(
        sms_v2(
            "TEXT_CARRIER_UNREACHABLE",
            "s",
            1000,
            "CARRIER_UNREACHABLE",
            description="The carrier could not be reached",
        )
    )
    assert event.detail == "CARRIER_UNREACHABLE"
    assert event.description == "The carrier could not be reached"
    assert event.archive_line()["detail"] == "CARRIER_UNREACHABLE"


@pytest.mark.parametrize(("is_final", "expected"), [(True, True), (False, False)])
def test_sms_v2_successful_is_final_only_when_the_source_says_so(
    is_final: bool, expected: bool
) -> None:
    assert parsed(sms_v2("TEXT_SUCCESSFUL", "s", 1000, is_final=is_final)).final is expected


def test_every_mapped_kind_is_a_known_kind() -> None:
    mapped = {
        *model.PINPOINT_EVENT_KINDS.values(),
        *model.SES_EVENT_KINDS.values(),
        *model.SES_BOUNCE_KINDS.values(),
        *(rule.kind for rule in model.END_USER_MESSAGING_EVENT_TYPES.values()),
        "unsubscribe",
        "suppressed",
    }
    assert mapped == set(model.ALL_KINDS)
    assert set(model.KIND_STATUS) == set(model.ALL_KINDS)
    assert set(model.KIND_CHANNEL) == set(model.ALL_KINDS)


# --- events that are valid but not about delivery ---------------------------------


@pytest.mark.parametrize(
    "event_type",
    ["_session.start", "_campaign.send", "_custom.purchase", "_SMS.RECEIVED", "_email.unknown"],
)
def test_pinpoint_non_delivery_events_are_recognised_not_failed(event_type: str) -> None:
    event = fixture("pinpoint_email_send")
    event["event_type"] = event_type
    del event["facets"]
    assert parse_event(event) == NotADeliveryEvent(event_type)


@pytest.mark.parametrize("event_type", ["RCS_DELIVERED", "RCS_READ", "REGISTRATION_STATUS"])
def test_end_user_messaging_events_of_untracked_channels_are_not_delivery_events(
    event_type: str,
) -> None:
    assert parse_event(sms_v2(event_type, "v", 1000)) == NotADeliveryEvent(event_type)


# --- invalid events ---------------------------------------------------------------


def _without_message_id() -> dict:
    event = fixture("ses_send")
    del event["mail"]["messageId"]
    return event


def _with_sms_id(value: object) -> dict:
    event = fixture("eum_text_successful")
    event["messageId"] = value
    return event


def _with_timestamp(value: object) -> dict:
    event = fixture("pinpoint_sms_success")
    event["event_timestamp"] = value
    return event


def _with_mail(value: object) -> dict:
    event = fixture("ses_send")
    event["mail"] = value
    return event


INVALID = {
    "no message id": _without_message_id(),
    "id over 256 characters": _with_sms_id("x" * 257),
    "id with a newline": _with_sms_id("abc\ndef"),
    "id with a NUL": _with_sms_id("abc\x00"),
    "empty id": _with_sms_id(""),
    "numeric id": _with_sms_id(12345),
    "timestamp is a string": _with_timestamp("yesterday"),
    "timestamp is a bool": _with_timestamp(True),
    "timestamp out of range": _with_timestamp(-5),
    "mail is a list": _with_mail([]),
    "unknown shape": {"hello": "world"},
    "ses bounce type unknown": {**fixture("ses_bounce"), "bounce": {"bounceType": "Weird"}},
    "ses bad iso timestamp": {
        **fixture("ses_send"),
        "mail": {**fixture("ses_send")["mail"], "timestamp": "not a time"},
    },
    "price is a string": {**fixture("eum_text_successful"), "totalMessagePrice": "cheap"},
    "isFinal is a string": {**fixture("eum_text_successful"), "isFinal": "yes"},
    "destination is not a list": {
        **fixture("ses_send"),
        "mail": {**fixture("ses_send")["mail"], "destination": "a@example.com"},
    },
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_events_raise_invalid_event_with_a_reason(case: str) -> None:
    with pytest.raises(InvalidEvent) as excinfo:
        parse_event(INVALID[case])
    assert str(excinfo.value)


LONE = "\ud800"  # a UTF-16 surrogate with no partner: JSON can carry it, UTF-8 cannot
PAIRED = "\U0001f4e8"  # JSON writes it as the surrogate pair \ud83d\udce8: valid


def _set(event: dict, path: str, value: object) -> dict:
    *parents, last = path.split(".")
    target = event
    for key in parents:
        target = target[key]
    target[last] = value
    return event


# Every kind of text the parser takes from an event, each holding a lone surrogate.
NOT_UNICODE = {
    "SES message id": _set(fixture("ses_send"), "mail.messageId", f"m{LONE}"),
    "SMS v2 message id": _with_sms_id(f"m{LONE}"),
    "Pinpoint message id": _set(
        fixture("pinpoint_sms_success"), "attributes.message_id", f"m{LONE}"
    ),
    "event type": _set(fixture("eum_text_successful"), "eventType", f"TEXT_{LONE}"),
    "sender": _set(fixture("ses_send"), "mail.source", f"bob{LONE}@example.com"),
    "destination list": _set(fixture("ses_send"), "mail.destination", [f"a{LONE}@example.com"]),
    "recipient a delivery names": _set(
        ses("Delivery", "m", 1_800_000_000_000), "delivery.recipients", [f"a{LONE}@example.com"]
    ),
    "bounce sub-type (detail)": _set(fixture("ses_bounce"), "bounce.bounceSubType", LONE),
    "status description": _set(
        fixture("eum_text_successful"), "messageStatusDescription", f"carrier said {LONE}"
    ),
    "phone number": _set(
        fixture("pinpoint_sms_success"), "attributes.destination_phone_number", LONE
    ),
    "timestamp text": _set(fixture("ses_send"), "mail.timestamp", f"2026-12-01T00:00:00{LONE}"),
}


@pytest.mark.parametrize("case", sorted(NOT_UNICODE))
def test_text_that_is_not_valid_unicode_makes_the_event_invalid(case: str) -> None:
    """Whatever field holds it: it would reach the table or the archive, which cannot hold it."""
    event = NOT_UNICODE[case]
    with pytest.raises(InvalidEvent, match="not valid Unicode"):
        parse_event(event)
    with pytest.raises(InvalidEvent, match="not valid Unicode"):
        parse_record_data(json.dumps(event).encode())  # as Firehose delivers it: an escape


def test_a_surrogate_pair_is_one_valid_character() -> None:
    event = _with_sms_id(f"m{PAIRED}")
    assert "\\ud83d\\udce8" in json.dumps(event)
    assert parse_record_data(json.dumps(event).encode()).message_id == f"m{PAIRED}"


def test_a_correlation_id_that_is_not_valid_unicode_is_left_out() -> None:
    """As any correlation id the index cannot hold: the event itself is sound."""
    event = ses("Send", "m", 1_800_000_000_000, tags={"order_id": f"A-{LONE}"})
    assert parse_event(event, correlation_key="order_id").correlation_id is None


def test_id_of_exactly_256_characters_is_accepted() -> None:
    assert parsed(_with_sms_id("x" * 256)).message_id == "x" * 256


@pytest.mark.parametrize("payload", [b"not json", b"\xff\xfe", b"[1, 2]", b'"a string"', b"null"])
def test_record_data_that_is_not_a_json_object_is_invalid(payload: bytes) -> None:
    with pytest.raises(InvalidEvent):
        parse_record_data(payload)


def test_oversized_record_is_invalid() -> None:
    with pytest.raises(InvalidEvent, match="limit"):
        parse_record_data(b" " * 2048 + b"{}", max_bytes=1024)


def test_archive_line_has_the_same_keys_for_every_source() -> None:
    keys = {
        frozenset(parsed(event).archive_line())
        for event in (
            fixture("pinpoint_email_send"),
            fixture("pinpoint_sms_success"),
            fixture("ses_bounce"),
            fixture("eum_text_successful"),
        )
    }
    assert len(keys) == 1


# --- suppression, automated engagement, tenants, MMS and voice (issue 22) ------------


def test_a_tenant_suppression_keeps_the_diagnostic_and_names_the_tenant() -> None:
    event = parsed(fixture("ses_bounce_on_tenant_suppression_list"))
    assert event.description is not None
    assert event.description.startswith("Amazon SES did not send the message")
    assert event.tenant == "acme-mail"


def test_a_bounce_of_another_permanent_subtype_is_still_a_hard_bounce() -> None:
    assert parsed(ses("Bounce", "m", 1000, sub_type="NoEmail")).kind == "hardbounce"


def test_a_transient_bounce_naming_a_suppression_list_stays_a_soft_bounce() -> None:
    """Only SES's Permanent suppression bounces are suppressions: the table is for those."""
    event = ses("Bounce", "m", 1000, bounce_type="Transient", sub_type="Suppressed")
    assert parsed(event).kind == "softbounce"


def test_a_complaint_without_a_subtype_is_a_complaint() -> None:
    assert parsed(ses("Complaint", "m", 1000)).kind == "complaint"


@pytest.mark.parametrize("name", ["ses_open_automated", "ses_click_automated"])
def test_an_open_or_click_ses_marks_likely_a_bot_is_automated(name: str) -> None:
    event = parsed(fixture(name))
    assert event.automated is True
    assert event.kind in {"open", "click"}


@pytest.mark.parametrize("bot", [None, "Unlikely", "Unknown"])
def test_an_open_without_the_likely_marker_is_a_humans_as_before(bot: str | None) -> None:
    assert parsed(ses("Open", "m", 1000, bot=bot)).automated is False
    assert parsed(fixture("ses_open")).automated is False


def test_the_automated_marker_only_counts_on_opens_and_clicks() -> None:
    event = ses("Delivery", "m", 1000)
    event["delivery"][model.SES_AUTOMATED_FIELD] = model.SES_AUTOMATED_VALUE
    assert parsed(event).automated is False


def test_an_automated_marker_that_is_not_text_makes_the_event_invalid() -> None:
    event = ses("Open", "m", 1000)
    event["open"][model.SES_AUTOMATED_FIELD] = True
    with pytest.raises(InvalidEvent, match="isBotEvent"):
        parse_event(event)


@pytest.mark.parametrize("tenant", ["acme", "Acme_Mail-2", "x" * 64])
def test_the_ses_tenant_tag_names_the_events_tenant(tenant: str) -> None:
    event = ses("Send", "m", 1000, tags={model.SES_TENANT_TAG: tenant})
    assert parsed(event).tenant == tenant


@pytest.mark.parametrize("tenant", ["", "x" * 65, "acme#1", "a b", "ténant"])
def test_a_tenant_tag_that_is_no_tenant_name_is_left_out(tenant: str) -> None:
    event = ses("Send", "m", 1000, tags={model.SES_TENANT_TAG: tenant})
    assert parsed(event).tenant is None


def test_mail_without_the_tenant_tag_has_no_tenant() -> None:
    assert parsed(fixture("ses_send")).tenant is None


@pytest.mark.parametrize(
    ("name", "channel", "kind", "status"),
    [
        ("eum_media_delivered", "mms", "mms_success", "DELIVERED"),
        ("eum_voice_completed", "voice", "voice_completed", "DELIVERED"),
    ],
)
def test_mms_and_voice_examples_have_channels_of_their_own(
    name: str, channel: str, kind: str, status: str
) -> None:
    event = parsed(fixture(name))
    assert (event.channel, event.kind, event.status, event.final) == (channel, kind, status, True)
    assert event.destinations == ("+14255550156",)
    assert event.attributes["price_in_millicents_usd"] == 9582


@pytest.mark.parametrize("event_type", sorted(model.END_USER_MESSAGING_EVENT_TYPES))
def test_every_end_user_messaging_event_type_gets_its_tables_status_and_finality(
    event_type: str,
) -> None:
    rule = model.END_USER_MESSAGING_EVENT_TYPES[event_type]
    for is_final in (True, False):
        event = parsed(sms_v2(event_type, "m", 1000, is_final=is_final))
        assert event.kind == rule.kind
        assert event.channel == model.kind_channel(rule.kind)
        delivered = event_type.endswith("_DELIVERED")
        assert event.status == ("DELIVERED" if delivered else model.KIND_STATUS[rule.kind])
        expected_final = {
            model.Finality.ALWAYS: True,
            model.Finality.NEVER: False,
            model.Finality.SOURCE_SAYS: is_final,
        }[rule.finality]
        assert event.final is expected_final, (event_type, is_final)


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("TEXT_ADDED_LATER", "failure"),
        ("MEDIA_ADDED_LATER", "mms_failure"),
        ("VOICE_ADDED_LATER", "voice_failure"),
    ],
)
def test_an_event_type_aws_adds_later_is_a_failure_final_only_when_the_event_says(
    event_type: str, kind: str
) -> None:
    for is_final in (True, False):
        event = parsed(sms_v2(event_type, "m", 1000, message_status=None, is_final=is_final))
        assert (event.kind, event.status, event.final) == (kind, "FAILED", is_final)
        assert event.detail == "ADDED_LATER"


def test_a_transient_sms_failure_is_not_final_when_the_event_says_so() -> None:
    event = parsed(sms_v2("TEXT_CARRIER_UNREACHABLE", "m", 1000, is_final=False))
    assert (event.status, event.final) == ("FAILED", False)


def test_the_event_type_table_covers_every_sms_mms_and_voice_type_of_awss_enum() -> None:
    """botocore's copy of the pinpoint-sms-voice-v2 EventType enum: a type AWS adds
    fails this test until model.END_USER_MESSAGING_EVENT_TYPES gives it a status."""
    loader = pytest.importorskip("botocore.loaders")
    shapes = loader.Loader().load_service_model("pinpoint-sms-voice-v2", "service-2")["shapes"]
    enum = set(shapes["EventType"]["enum"])
    tracked = {
        t
        for t in enum
        if t.startswith(tuple(model.END_USER_MESSAGING_PREFIXES)) and t[-4:] != "_ALL"
    }
    assert tracked == set(model.END_USER_MESSAGING_EVENT_TYPES)
    untracked = enum - tracked - {"ALL"}
    assert all(model.end_user_messaging_rule(t) is None or t.endswith("_ALL") for t in untracked)
    assert set(model.RECOMMENDED_EVENT_TYPES.values()) <= enum


# --- events forwarded through EventBridge (a hub serving many accounts) ----------


def test_ses_event_in_its_eventbridge_envelope_parses_as_its_detail_with_account_and_region() -> (
    None
):
    envelope = fixture("eventbridge_ses_delivery")
    event = parsed(envelope)
    alone = parsed(envelope["detail"])
    assert (event.message_id, event.kind, event.time_ms) == (
        alone.message_id,
        alone.kind,
        alone.time_ms,
    )
    assert event.attributes == {**alone.attributes, "aws_region": "us-east-1"}
    assert event.attributes["aws_account_id"] == "123456789012"


def test_sms_event_in_its_eventbridge_envelope_takes_the_account_from_the_envelope() -> None:
    event = parsed(fixture("eventbridge_sms_text_successful"))
    assert (event.source, event.kind, event.message_id) == (
        Source.SMS_V2,
        "success",
        "ed23196c-75ce-4727-93ee-7bf72b64998f",
    )
    assert event.attributes["aws_account_id"] == "111122223333"
    assert event.attributes["aws_region"] == "us-east-1"
    # EventBridge's SMS events name no destination number: the message has no recipient.
    assert event.destinations == ()


def test_the_region_of_an_event_sent_from_another_region_is_its_envelopes() -> None:
    envelope = {**fixture("eventbridge_ses_delivery"), "region": "eu-west-1"}
    assert parse_event(envelope, region="us-east-1").attributes["aws_region"] == "eu-west-1"


def test_an_event_that_arrives_directly_was_sent_in_the_hubs_region() -> None:
    event = parse_event(fixture("ses_delivery"), region="ap-southeast-2")
    assert isinstance(event, NormalizedEvent)
    assert event.attributes["aws_region"] == "ap-southeast-2"
    assert "aws_region" not in parsed(fixture("ses_delivery")).attributes


def test_an_eventbridge_event_of_another_source_or_type_is_not_a_delivery_event() -> None:
    other = {**fixture("eventbridge_ses_delivery"), "source": "aws.ec2"}
    assert parse_event(other) == NotADeliveryEvent("aws.ec2: Email Delivered")
    advisor = {
        **fixture("eventbridge_ses_delivery"),
        "detail-type": "Advisor Recommendation Status Open",
        "detail": {"eventType": "Advisor"},
    }
    assert isinstance(parse_event(advisor), NotADeliveryEvent)


@pytest.mark.parametrize(
    ("field", "value"),
    [("account", "1234"), ("region", "us east 1"), ("detail", "not an object"), ("source", 7)],
)
def test_a_malformed_envelope_makes_the_event_invalid(field: str, value: object) -> None:
    envelope = {**fixture("eventbridge_sms_text_successful"), field: value}
    with pytest.raises(InvalidEvent):
        parse_event(envelope)
