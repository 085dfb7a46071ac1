"""One instance, many senders: each message answers with the account and Region it was
sent from, and every search narrows to one account or Region.

Events forwarded by sender accounts arrive in their EventBridge envelope (the hub's
rule delivers whole events to the delivery stream); the others arrive directly and
were sent in the transform's own Region (AWS_REGION, which Lambda sets).
"""

from __future__ import annotations

import json

import pytest

from devkit.calls import call_api, results, run_firehose
from devkit.capacity import item_size
from devkit.events import eventbridge, ses, sms_v2
from tests.support.searching import all_pages, ids, search

HOUR = 3_600_000
NOW = 1_800_000_000_000
HUB_REGION = "us-east-1"
SHOP = ("111111111111", "eu-west-1")  # a sender account in Ireland
BILLING = ("222222222222", "ap-southeast-2")  # another, in Sydney
TAGS = {"order_id": "A-1", "ses:tenant-name": "acme"}


@pytest.fixture
def hub(transform, query, monkeypatch):
    """Mail to one address from two sender accounts and from the hub's own account."""
    monkeypatch.setenv("AWS_REGION", HUB_REGION)
    monkeypatch.setenv("CORRELATION_KEY", "order_id")
    transform.restart()
    to = {"destination": ["pat@example.com"], "tags": TAGS}
    batch = [
        eventbridge(ses("Send", "shop-1", NOW - 3 * HOUR, **to), *SHOP),
        eventbridge(ses("Bounce", "shop-1", NOW - 3 * HOUR + 1000, **to), *SHOP),
        eventbridge(ses("Send", "billing-1", NOW - 2 * HOUR, **to), *BILLING),
        eventbridge(ses("Bounce", "billing-1", NOW - 2 * HOUR + 1000, **to), *BILLING),
        ses("Send", "hub-1", NOW - HOUR, **to),
        ses("Bounce", "hub-1", NOW - HOUR + 1000, **to),
        eventbridge(sms_v2("TEXT_DELIVERED", "shop-sms", NOW - HOUR), *SHOP),
    ]
    assert set(results(run_firehose(transform, batch))) == {"Ok"}
    query.restart()
    return query


def document(query, message_id: str) -> dict:
    status, body = call_api(query, "GET", f"/messages/{message_id}")
    assert status == 200, body
    return body


@pytest.mark.parametrize(
    ("message_id", "origin"),
    [("shop-1", SHOP), ("billing-1", BILLING), ("shop-sms", SHOP)],
)
def test_a_forwarded_message_answers_with_its_senders_account_and_region(
    hub, message_id: str, origin: tuple[str, str]
) -> None:
    body = document(hub, message_id)
    assert (body["aws_account_id"], body["aws_region"]) == origin


def test_a_message_that_arrived_directly_was_sent_in_the_hubs_region(hub) -> None:
    body = document(hub, "hub-1")
    assert body["aws_region"] == HUB_REGION
    assert body["aws_account_id"] == "123456789012"  # the documented mail's sendingAccountId


def test_account_and_region_are_stored_once_on_the_item(hub, dynamodb) -> None:
    item = dynamodb.get_item(
        TableName=hub.settings().table_name, Key={"message_id": {"S": "billing-1"}}
    )["Item"]
    assert item["a"]["M"]["acct"] == {"S": BILLING[0]}
    assert item["a"]["M"]["rgn"] == {"S": BILLING[1]}
    assert json.dumps(item).count(BILLING[1]) == 1
    assert item_size(item) < 1024, "a forwarded message still costs one write unit per event"


@pytest.mark.parametrize(
    "params",
    [
        {"recipient": "pat@example.com"},
        {"correlation_id": "A-1"},
        {"tenant": "acme"},
        {
            "status": "HARD_BOUNCED",
            "since": "2027-01-15T03:00:00Z",
            "until": "2027-01-15T08:00:00Z",
        },
    ],
    ids=["recipient", "correlation_id", "tenant", "status"],
)
def test_every_search_narrows_to_one_account_or_one_region(hub, params: dict) -> None:
    assert set(all_pages(hub, **params)) == {"shop-1", "billing-1", "hub-1"}
    assert all_pages(hub, **params, account=SHOP[0]) == ["shop-1"]
    assert all_pages(hub, **params, region=BILLING[1]) == ["billing-1"]
    assert all_pages(hub, **params, region=HUB_REGION) == ["hub-1"]
    assert all_pages(hub, **params, account=SHOP[0], region=BILLING[1]) == []


def test_a_filtered_page_may_be_short_and_still_lead_on(hub) -> None:
    status, first = search(hub, recipient="pat@example.com", account=SHOP[0], limit=1)
    assert status == 200
    assert ids(first) == []  # the newest message (hub-1) is another account's
    assert first["next_cursor"] is not None


def test_a_cursor_is_only_good_for_the_filters_it_was_made_with(hub) -> None:
    _, first = search(hub, recipient="pat@example.com", limit=1)
    status, body = search(
        hub, recipient="pat@example.com", limit=1, account=SHOP[0], cursor=first["next_cursor"]
    )
    assert status == 400
    assert "cursor" in body["message"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"recipient": "pat@example.com", "account": "12345"}, "account must be"),
        ({"recipient": "pat@example.com", "account": "abcdefghijkl"}, "account must be"),
        ({"recipient": "pat@example.com", "region": "Ireland"}, "region must be"),
        ({"recipient": "pat@example.com", "region": " "}, "region is empty"),
    ],
)
def test_a_bad_account_or_region_is_a_json_400_naming_the_fix(hub, params, message) -> None:
    status, body = search(hub, **params)
    assert status == 400
    assert message in body["message"]
