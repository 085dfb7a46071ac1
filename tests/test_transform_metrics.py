"""The transform's metrics: what the alarms and the dashboard divide and plot.

Read from the CloudWatch embedded-metric-format documents the handler prints,
as CloudWatch Logs would turn them into metrics.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from message_status.metrics import INGEST_LAG, RECIPIENT_EVENT_DIMENSIONS, RECIPIENT_EVENTS

from devkit.calls import results, run_firehose
from devkit.events import ses, sms_v2
from tests.support.emf import emf_documents

T = 1_800_000_000_000
TEAM = ["ana@example.com", "ben@example.org", "cy@example.net"]


def recipient_counts(documents: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        names = {m["Name"] for m in directive["Metrics"]}
        if RECIPIENT_EVENTS in names:
            (dimension_set,) = directive["Dimensions"]
            assert set(dimension_set) == {*RECIPIENT_EVENT_DIMENSIONS, "service"}
            counts[(document["channel"], document["status"])] += sum(document[RECIPIENT_EVENTS])
    return counts


def test_recipient_events_count_recipients_by_channel_and_status(transform, capsys) -> None:
    batch = [
        ses("Send", "team", T, destination=TEAM),
        ses("Bounce", "team", T + 1, destination=TEAM, named=TEAM[1:2], sent_ms=T),
        ses("Send", "solo", T),
        sms_v2("TEXT_CARRIER_UNREACHABLE", "text", T, "CARRIER_UNREACHABLE"),
    ]
    assert results(run_firehose(transform, batch)) == ["Ok"] * 4
    counts = recipient_counts(emf_documents(capsys.readouterr().out))
    assert counts == {
        ("email", "SENT"): 4,  # three recipients of "team" and one of "solo"
        ("email", "HARD_BOUNCED"): 1,  # the bounce names one of them
        ("sms", "FAILED"): 1,
    }


def test_a_replayed_batch_is_not_counted_twice(transform, capsys) -> None:
    batch = [ses("Send", "m1", T), ses("Delivery", "m1", T + 1)]
    run_firehose(transform, batch)
    capsys.readouterr()
    run_firehose(transform, batch)  # a Firehose retry: nothing written
    assert recipient_counts(emf_documents(capsys.readouterr().out)) == {}


def test_no_dimension_names_a_message_or_a_recipient(transform, capsys) -> None:
    run_firehose(transform, [ses("Send", "secret-id", T, destination=TEAM)])
    output = capsys.readouterr().out
    for document in emf_documents(output):
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        dimension_values = {document[d] for dims in directive["Dimensions"] for d in dims}
        assert not dimension_values & {"secret-id", *TEAM}


def test_the_oldest_records_wait_since_ingest_is_measured(transform, capsys) -> None:
    run_firehose(transform, [ses("Send", "m2", T)])
    documents = emf_documents(capsys.readouterr().out)
    lags = [d[INGEST_LAG] for d in documents if INGEST_LAG in d]
    assert len(lags) == 1
    (value,) = lags[0] if isinstance(lags[0], list) else [lags[0]]
    # devkit's Firehose events arrived at 1,700,000,000,000 ms (2023-11-14)
    assert value > 0
