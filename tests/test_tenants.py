"""SES tenants: a message's tenant (the ses:tenant-name tag) is stored once, answered,
published with status changes, and searched with `GET /messages?tenant=`.

The tenant index is keyed ``tenant#shard`` (the message's outcome-index shard) and
sorted by send time: one busy tenant's mail spreads over ``search_shards`` partitions,
and a search by tenant merges one Query per shard, newest first.
"""

from __future__ import annotations

import pytest
from boto3.dynamodb.types import TypeSerializer
from message_status import model
from message_status.changes import status_change
from message_status.events import NormalizedEvent
from message_status.item import ItemSettings, from_item, shard_of, to_document, to_item
from message_status.parse import parse_event
from message_status.record import fold

from devkit.calls import call_api, results, run_firehose
from devkit.capacity import item_size
from devkit.events import pinpoint_email, ses, sms_v2
from tests.support.searching import all_pages, search

NOW = 1_800_000_000_000
TAG = model.SES_TENANT_TAG
MINUTE = 60_000


def record_of(*events: dict):
    parsed = [parse_event(event) for event in events]
    assert all(isinstance(event, NormalizedEvent) for event in parsed)
    return fold(parsed)


def tenant_mail(message_id: str, tenant: str | None, at: int) -> list[dict]:
    tags = {TAG: tenant} if tenant else None
    to = [f"{message_id}@example.com"]
    return [
        ses("Send", message_id, at, destination=to, tags=tags),
        ses("Delivery", message_id, at + 1000, destination=to, sent_ms=at, tags=tags),
    ]


@pytest.fixture
def tenants_world(transform, query, monkeypatch):
    """acme's and globex's mail, one mail of no tenant, and an SMS: in three batches."""
    monkeypatch.setenv("SEARCH_SHARDS", "3")
    transform.restart()
    batches = [
        [e for n in range(7) for e in tenant_mail(f"acme-{n}", "acme", NOW - n * MINUTE)],
        [e for n in range(3) for e in tenant_mail(f"globex-{n}", "globex", NOW - n * MINUTE)],
        [*tenant_mail("nobody-1", None, NOW), sms_v2("TEXT_DELIVERED", "sms-1", NOW)],
    ]
    for number, batch in enumerate(batches):
        assert set(results(run_firehose(transform, batch, start=number * 100))) == {"Ok"}
    query.restart()
    return query


def tenant_pages(query, tenant: str, **params) -> list[str]:
    """Every page of a tenant search, each message checked to be the tenant's."""
    found = all_pages(query, tenant=tenant, **params)
    for message_id in found:
        status, document = call_api(query, "GET", f"/messages/{message_id}")
        assert (status, document["tenant"]) == (200, tenant)
    return found


def test_a_search_by_tenant_finds_only_that_tenants_messages(tenants_world) -> None:
    """Done when: newest first, across every shard, and nobody else's mail."""
    assert tenant_pages(tenants_world, "acme", limit=3) == [f"acme-{n}" for n in range(7)]
    assert tenant_pages(tenants_world, "globex") == ["globex-0", "globex-1", "globex-2"]
    assert tenant_pages(tenants_world, "initech") == []


def test_a_tenant_search_takes_a_window(tenants_world) -> None:
    since = "2027-01-15T07:57:30.000Z"  # NOW less 2.5 minutes
    status, body = search(tenants_world, tenant="acme", since=since)
    assert status == 200
    assert [m["message_id"] for m in body["messages"]] == ["acme-0", "acme-1", "acme-2"]


@pytest.mark.parametrize("tenant", ["", "a b", "acme#1", "x" * 65, "ténant"])
def test_a_tenant_that_is_no_tenant_name_is_a_400(query, tenant: str) -> None:
    status, body = call_api(query, "GET", "/messages", query={"tenant": tenant})
    assert status == 400
    assert "tenant" in body["message"]


def test_tenant_and_another_search_together_is_a_400(query) -> None:
    status, body = call_api(
        query, "GET", "/messages", query={"tenant": "acme", "recipient": "a@example.com"}
    )
    assert status == 400
    assert "exactly one of" in body["message"]


def test_the_tenant_is_stored_once_in_its_index_key_and_answered() -> None:
    record = record_of(*tenant_mail("m-1", "acme", NOW))
    item = to_item(record, ItemSettings(search_shards=4))
    assert item["tnt"] == f"acme#{shard_of('m-1', 4)}"
    assert "acme" not in str(item.get("a", {})), "stored once, not again as an attribute"
    assert from_item(item).tenant == "acme"
    assert to_document(item)["tenant"] == "acme"


def test_a_message_takes_its_tenant_from_any_event_that_names_it() -> None:
    """SES documents the tag on bounces and complaints: a bounce alone names it."""
    to = ["x@example.com"]
    record = record_of(
        ses("Send", "m", NOW, destination=to),
        ses("Bounce", "m", NOW + 1, destination=to, tags={TAG: "acme"}, sent_ms=NOW),
    )
    assert record.tenant == "acme"


def test_mail_of_no_tenant_and_other_channels_write_no_tenant_index_entry() -> None:
    for record in (
        record_of(*tenant_mail("m", None, NOW)),
        record_of(sms_v2("TEXT_DELIVERED", "s", NOW)),
        record_of(pinpoint_email("_email.send", "p", NOW)),
    ):
        assert "tnt" not in to_item(record)
        assert "tenant" not in to_document(to_item(record))


def test_status_changes_carry_the_tenant_for_rule_patterns() -> None:
    item = to_item(record_of(*tenant_mail("m", "acme", NOW)))
    change = status_change(None, {**item, "version": 1})
    assert change is not None
    assert change.detail()["tenant"] == "acme"


def test_the_item_stays_under_1_kb_with_a_tenant_suppression_and_automated_engagement() -> None:
    """Done when: a tenant's mail, its longest name, a suppression with SES's diagnostic,
    opens and clicks of which some automated: still far under 1 KB, so every later event
    costs one write unit."""
    to = ["recipient@example.com"]
    tags = {TAG: "t" * 64, "order_id": "ORD-1042"}
    events = [
        ses("Send", "m", NOW, destination=to, tags=tags),
        ses("Delivery", "m", NOW + 900, destination=to, sent_ms=NOW, tags=tags),
        ses("Open", "m", NOW + 1900, destination=to, sent_ms=NOW, tags=tags, bot="Likely"),
        ses("Click", "m", NOW + 2000, destination=to, sent_ms=NOW, tags=tags, bot="Likely"),
        ses("Open", "m", NOW + 90_000, destination=to, sent_ms=NOW, tags=tags, bot="Unlikely"),
        ses("Click", "m", NOW + 95_000, destination=to, sent_ms=NOW, tags=tags),
    ]
    parsed = [parse_event(event, "order_id") for event in events]
    item = to_item(fold(e for e in parsed if isinstance(e, NormalizedEvent)))
    serializer = TypeSerializer()
    size = item_size(
        {k: serializer.serialize(v) for k, v in item.items()} | {"version": {"N": "9"}}
    )
    assert size < 700, size
    suppressed = record_of(
        ses("Send", "s", NOW, destination=to, tags=tags),
        ses(
            "Bounce",
            "s",
            NOW + 500,
            destination=to,
            named=to,
            sent_ms=NOW,
            tags=tags,
            sub_type="OnTenantSuppressionList",
        ),
    )
    stored = to_item(suppressed)
    size = item_size({k: serializer.serialize(v) for k, v in stored.items()})
    assert size < 1024, size
