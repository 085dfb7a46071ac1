"""Analytics over the archive: the Glue columns are the archive line's, and every named
Athena query (analytics/*.sql) answers what it should.

The archive is the transform's own output for a known set of events, written as
Firehose writes it (gzip JSON lines under events/yyyy/MM/dd/); each query is
transpiled from Trino to DuckDB by sqlglot and run by DuckDB on it.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from hypothesis import given
from message_status.events import ARCHIVE_LINE_COLUMNS
from message_status.model import FAILURE_STATUSES
from message_status.parse import parse_event
from sqlglot import exp

from devkit import analyze
from devkit.build import archive_columns
from devkit.calls import results, run_firehose
from devkit.events import pinpoint_email, ses, sms_v2
from tests.support.strategies import every_generated_event, timeline

T1 = 1_800_000_000_000  # 2027-01-15T08:00:00Z
T2 = T1 + 86_400_000  # the next day
DAY1, DAY2 = "2027-01-15", "2027-01-16"
# The queries run as of DAY2, over the module's default window (30 days): events
# of T_OLD, 60 days earlier, are outside it and must change no answer.
TODAY = date(2027, 1, 16)
T_OLD = T1 - 60 * 86_400_000


# --- the Glue columns are the archive line's ------------------------------------------------

PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "bigint": (int,),
    "double": (int, float),
    "array<string>": (list,),
}


def conforms(value: Any, hive_type: str) -> bool:
    if value is None:
        return True
    if hive_type == "bigint" and isinstance(value, bool):
        return False
    if hive_type == "array<string>":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, PYTHON_TYPES[hive_type])


@given(timeline())
def test_every_archive_line_has_exactly_the_glue_columns_and_their_types(events: list) -> None:
    for event in events:
        line = parse_event(event).archive_line()
        assert list(line) == [name for name, _ in ARCHIVE_LINE_COLUMNS], "archive line drifted"
        for name, hive_type in ARCHIVE_LINE_COLUMNS:
            assert conforms(line[name], hive_type), (name, line[name])


def test_every_source_and_kind_fills_the_columns_it_should() -> None:
    for event in every_generated_event():
        parsed = parse_event(event)
        line = parsed.archive_line()
        assert set(line) == {name for name, _ in ARCHIVE_LINE_COLUMNS}
        assert line["message_id"]
        assert line["event_time"]
        assert line["status"]


def test_the_glue_table_reads_the_generated_columns() -> None:
    """analytics.tf declares dist/archive_columns.json, which `make build` writes from the
    core's schema (tests/test_build.py fails when it is stale)."""
    assert analyze.glue_columns() == [{"name": n, "type": t} for n, t in ARCHIVE_LINE_COLUMNS]
    assert archive_columns() == (analyze.DIST / "archive_columns.json").read_text()
    assert (
        'jsondecode(file("${path.module}/dist/archive_columns.json"))'
        in (analyze.ROOT / "analytics.tf").read_text()
    )


@pytest.mark.parametrize("name", sorted(analyze.named_queries()))
def test_each_query_reads_only_the_partitions_of_its_window(name: str) -> None:
    """Every read of the table filters on the partition column dt, from the window's first
    day on: without it Athena scans the whole archive, and the workgroup's scan cutoff
    cancels the query once the archive outgrows it."""
    tree = sqlglot.parse_one(analyze.named_queries(window_days=45)[name], read="trino")
    tables = {
        select: select.args.get("from_") or select.args.get("from")
        for select in tree.find_all(exp.Select)
    }
    reads = [s for s, source in tables.items() if source and source.this.name == "events"]
    assert reads, f"{name} reads no table"
    for read in reads:
        where = read.args.get("where")
        bounds = [
            c
            for c in (where.find_all(exp.GTE) if where else [])
            if isinstance(c.this, exp.Column) and c.this.name == "dt"
        ]
        assert bounds, f"{name}: a read of events without dt >= ...: {read.sql('trino')[:200]}"
        assert "INTERVAL '45' DAY" in bounds[0].expression.sql("trino"), "the window's length"


@pytest.mark.parametrize("name", ["daily_rates", "outcomes_by_group"])
def test_failure_counts_are_the_models_final_failures(name: str) -> None:
    """A message failed when it reached a status of message_status.model.FAILURE_STATUSES
    for good (the API's failed group), in every query that counts failures."""
    tree = sqlglot.parse_one(analyze.named_queries()[name], read="trino")
    (failed,) = [a for a in tree.find_all(exp.Alias) if a.alias == "failed" and a.find(exp.In)]
    (statuses,) = list(failed.find_all(exp.In))
    assert {v.name for v in statuses.expressions} == {str(s) for s in FAILURE_STATUSES}
    condition = statuses.parent
    assert isinstance(condition, exp.And)
    assert "event_is_final" in {c.name for c in condition.find_all(exp.Column)}


@pytest.mark.parametrize("name", sorted(analyze.named_queries()))
def test_each_query_is_trino_sql_over_known_columns(name: str) -> None:
    """Parsed as Athena's dialect, and every column it reads is a table column or its own alias."""
    tree = sqlglot.parse_one(analyze.named_queries()[name], read="trino")
    known = {n for n, _ in ARCHIVE_LINE_COLUMNS} | {"dt"}
    aliases = {a.alias_or_name for a in tree.find_all(exp.Alias)}
    aliases |= {t.alias_or_name for t in tree.find_all(exp.TableAlias) for t in [t, *t.columns]}
    aliases |= {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for column in tree.find_all(exp.Column):
        assert column.name in known | aliases, f"{name}: unknown column {column.name}"


# --- a known archive ---------------------------------------------------------------------------

GMAIL = [f"e{n}@gmail.test" for n in range(1, 7)]
CORP = [f"e{n}@corp.test" for n in range(7, 11)]
DELIVERY_DELAY_S = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 7: 6, 8: 7, 9: 8}


TENANT = "ses:tenant-name"


def ses_mail(n: int) -> list[dict]:
    """Mail e<n>: the spring campaign for e1-e5; delivered, bounced (e6, e10), e1 complains
    the same day, e2 the next day. Tenant acme sends e1-e5, globex e6-e10 (its tag on the
    send only: the bounces have none). A scanner opens e2 (automated); e3's reader opens it."""
    to = (GMAIL + CORP)[n - 1]
    tags = {"campaign_id": "spring"} if n <= 5 else {}
    send_tags = {**tags, TENANT: "acme" if n <= 5 else "globex"}
    mail = [ses("Send", f"e{n}", T1, destination=[to], tags=send_tags)]
    if n in DELIVERY_DELAY_S:
        at = T1 + DELIVERY_DELAY_S[n] * 1000
        mail.append(
            ses("Delivery", f"e{n}", at, destination=[to], named=[to], sent_ms=T1, tags=tags)
        )
    else:
        mail.append(ses("Bounce", f"e{n}", T1 + 10_000, destination=[to], named=[to], sent_ms=T1))
    complaints = {1: T1 + 60_000, 2: T2 + 5_000}
    if n in complaints:
        mail.append(
            ses(
                "Complaint",
                f"e{n}",
                complaints[n],
                destination=[to],
                named=[to],
                sent_ms=T1,
                tags=tags,
            )
        )
    if n in (2, 3):
        bot = "Likely" if n == 2 else "Unlikely"
        at = T1 + 20_000
        mail.append(ses("Open", f"e{n}", at, destination=[to], sent_ms=T1, tags=tags, bot=bot))
    return mail


def suppressed_mail() -> list[dict]:
    """e12, for globex, to an address on the account's suppression list: SES never sent it."""
    to = "e12@corp.test"
    return [
        ses("Send", "e12", T1, destination=[to], tags={TENANT: "globex"}),
        ses(
            "Bounce",
            "e12",
            T1 + 500,
            destination=[to],
            named=[to],
            sent_ms=T1,
            sub_type="OnAccountSuppressionList",
        ),
    ]


def pinpoint_mail(message_id: str, delay_s: int) -> list[dict]:
    return [
        pinpoint_email("_email.send", message_id, T1),
        pinpoint_email("_email.delivered", message_id, T1 + delay_s * 1000, sent_ms=T1),
    ]


def text(
    message_id: str, event_type: str, delay_s: int, country: str = "US", sent_ms: int = T1
) -> dict:
    status = {"TEXT_CARRIER_UNREACHABLE": "CARRIER_UNREACHABLE"}.get(event_type)
    event = sms_v2(event_type, message_id, sent_ms + delay_s * 1000, status, sent_ms=sent_ms)
    event["isoCountryCode"] = country
    return event


def known_events() -> list[dict]:
    events = [e for n in range(1, 11) for e in ses_mail(n)] + suppressed_mail()
    events += pinpoint_mail("p1", 2) + pinpoint_mail("p2", 4)
    events += [
        text("s1", "TEXT_DELIVERED", 1),
        text("s2", "TEXT_DELIVERED", 3),
        text("s3", "TEXT_DELIVERED", 5),
        text("s4", "TEXT_CARRIER_UNREACHABLE", 2),
        text("s5", "TEXT_BLOCKED", 2, country="GB"),
    ]
    events += [
        ses("Send", "e11", T2, destination=["e11@gmail.test"]),
        ses("Delivery", "e11", T2 + 10_000, destination=["e11@gmail.test"], sent_ms=T2),
        # refused by SES: a final failure that is neither a bounce nor FAILED
        ses("Reject", "e13", T1, destination=["e13@corp.test"]),
        # the next day, a link scanner opens e4: a machine's open counts in no rate
        ses("Open", "e4", T2 + 20_000, destination=[GMAIL[3]], sent_ms=T1, bot="Likely"),
    ]
    return events + events_before_the_window()


def events_before_the_window() -> list[dict]:
    """Mail and SMS of 60 days before (each query would answer differently with them), and
    an open today of a mail sent then, which is not a message of today."""
    old = ["o1@old.test"]
    autumn = {"campaign_id": "autumn"}
    return [
        ses("Send", "o1", T_OLD, destination=old, tags=autumn),
        ses("Bounce", "o1", T_OLD + 10_000, destination=old, named=old, sent_ms=T_OLD),
        ses("Send", "o2", T_OLD, destination=old, tags=autumn),
        ses("Delivery", "o2", T_OLD + 3_000, destination=old, named=old, sent_ms=T_OLD),
        text("os1", "TEXT_CARRIER_UNREACHABLE", 2, country="FR", sent_ms=T_OLD),
        ses("Open", "o2", T1 + 30_000, destination=old, sent_ms=T_OLD),
    ]


@pytest.fixture
def archive(transform, tmp_path: Path) -> Path:
    """The transform's Ok lines for the known events, as Firehose writes them, by day."""
    response = run_firehose(transform, known_events())
    assert set(results(response)) == {"Ok"}
    by_day: dict[str, list[bytes]] = {}
    for record in response["records"]:
        line = base64.b64decode(record["data"])
        day = json.loads(line)["event_time"][:10].replace("-", "/")
        by_day.setdefault(day, []).append(line)
    for day, lines in by_day.items():
        folder = tmp_path / "events" / day
        folder.mkdir(parents=True)
        (folder / "stream-1-2027-01-15-08-00-00-x.gz").write_bytes(gzip.compress(b"".join(lines)))
    return tmp_path


def answer(archive: Path, name: str) -> list[dict[str, Any]]:
    connection = analyze.connect(archive)
    return analyze.run(connection, analyze.named_queries()[name], today=TODAY).as_dicts()


def test_the_archive_view_partitions_by_day(archive: Path) -> None:
    connection = analyze.connect(archive)
    rows = connection.execute("SELECT dt, count(*) FROM events GROUP BY 1 ORDER BY 1").fetchall()
    before = len(events_before_the_window()) - 1  # the open is of DAY1
    assert rows == [
        ("2026/11/16", before),
        ("2027/01/15", len(known_events()) - before - 4),
        ("2027/01/16", 4),
    ]


def test_daily_rates(archive: Path) -> None:
    rows = {(str(r["day"]), r["channel"], r["source"]): r for r in answer(archive, "daily_rates")}
    assert set(rows) == {
        (DAY1, "email", "pinpoint"),
        (DAY1, "email", "ses"),
        (DAY1, "sms", "sms-v2"),
        (DAY2, "email", "ses"),
    }
    ses_day1 = rows[(DAY1, "email", "ses")]
    assert (
        ses_day1["messages"],
        ses_day1["sent"],
        ses_day1["delivered"],
        ses_day1["failed"],
        ses_day1["complained"],
    ) == (12, 11, 8, 4, 2)  # the suppressed mail (e12) is sent and failed
    assert (
        ses_day1["delivery_rate_pct"],
        ses_day1["failure_rate_pct"],
        ses_day1["complaint_rate_pct"],
    ) == (66.67, 33.33, 16.67)
    assert rows[(DAY1, "email", "pinpoint")]["delivery_rate_pct"] == 100.0
    sms = rows[(DAY1, "sms", "sms-v2")]
    # SMS reports no send event: rates are over the messages seen, so SMS has them too.
    assert (sms["messages"], sms["sent"], sms["delivered"], sms["failed"]) == (5, 0, 3, 2)
    assert (sms["delivery_rate_pct"], sms["failure_rate_pct"]) == (60.0, 40.0)


def test_daily_rates_count_the_messages_sent_that_day(archive: Path) -> None:
    """e2's complaint on DAY2 is DAY1's (its send day), and the open of a mail sent before
    the window counts nowhere: DAY2 keeps the rates of what was sent on DAY2."""
    rows = {(str(r["day"]), r["channel"], r["source"]): r for r in answer(archive, "daily_rates")}
    day2 = rows[(DAY2, "email", "ses")]
    assert (day2["messages"], day2["delivered"], day2["complained"]) == (1, 1, 0)
    assert (day2["delivery_rate_pct"], day2["complaint_rate_pct"]) == (100.0, 0.0)


def test_bounces_and_complaints_by_domain(archive: Path) -> None:
    assert answer(archive, "bounces_by_domain") == [
        {"domain": "gmail.test", "hard_bounced": 1, "complained": 2},
        {"domain": "corp.test", "hard_bounced": 1, "complained": 0},
    ]


def test_sms_failures_by_country(archive: Path) -> None:
    assert answer(archive, "sms_failures_by_country") == [
        {"country": "GB", "carrier_status": "BLOCKED", "failed_messages": 1},
        {"country": "US", "carrier_status": "CARRIER_UNREACHABLE", "failed_messages": 1},
    ]


def test_delivery_latency_percentiles(archive: Path) -> None:
    rows = {(str(r["day"]), r["channel"]): r for r in answer(archive, "delivery_latency")}
    assert set(rows) == {(DAY1, "email"), (DAY1, "sms"), (DAY2, "email")}
    email = rows[(DAY1, "email")]
    # SES 1-8 s (e1-e5, e7-e9) and Pinpoint 2 and 4 s: 1 2 2 3 4 4 5 6 7 8
    assert email["messages"] == 10
    assert 3 <= email["p50_seconds"] <= 5
    assert 7 <= email["p95_seconds"] <= 8
    assert email["p99_seconds"] == pytest.approx(8, abs=0.5)
    assert rows[(DAY1, "sms")]["messages"] == 3
    assert rows[(DAY1, "sms")]["p50_seconds"] == pytest.approx(3, abs=0.5)
    assert rows[(DAY2, "email")]["p99_seconds"] == pytest.approx(10)


def test_outcomes_per_campaign(archive: Path) -> None:
    assert answer(archive, "outcomes_by_group") == [
        {
            "grouped_by": "campaign",
            "group_id": "spring",
            "messages": 5,
            "delivered": 5,
            "failed": 0,
            "engaged": 1,  # e3's reader; the scanner's open of e2 is not engagement
            "opted_out": 2,
        }
    ]


def test_sms_spend_by_country(archive: Path) -> None:
    # Each SMS v2 event of the documented example costs 0.09582 USD.
    assert [
        (str(r["day"]), r["country"], r["messages"], r["spend_usd"])
        for r in answer(archive, "sms_spend_by_country")
    ] == [
        (DAY1, "US", 4, 0.3833),
        (DAY1, "GB", 1, 0.0958),
    ]


def test_make_analyze_prints_every_query(archive: Path, capsys) -> None:
    assert analyze.main(["--archive", str(archive)]) == 0
    out = capsys.readouterr().out
    for name in analyze.named_queries():
        assert f"== {name}:" in out
    assert "gmail.test" in out


def test_make_analyze_without_an_archive_says_what_to_do(tmp_path: Path, capsys) -> None:
    assert analyze.main(["--archive", str(tmp_path / "none")]) == 2
    assert "run `make demo` first" in capsys.readouterr().err


def test_rates_per_tenant_count_each_message_under_its_tenant(archive: Path) -> None:
    """globex's bounces carry no tenant tag: they count under it through their sends. The
    suppressed e12 is not a bounce, and the automated open of e2 is not engagement."""
    assert answer(archive, "rates_by_tenant") == [
        {
            "tenant": "globex",
            "messages": 6,
            "delivered": 3,
            "hard_bounced": 2,
            "suppressed": 1,
            "complained": 0,
            "engaged": 0,
            "delivery_rate_pct": 50.0,
            "bounce_rate_pct": 40.0,
            "complaint_rate_pct": 0.0,
            "engagement_rate_pct": 0.0,
        },
        {
            "tenant": "acme",
            "messages": 5,
            "delivered": 5,
            "hard_bounced": 0,
            "suppressed": 0,
            "complained": 2,
            "engaged": 1,
            "delivery_rate_pct": 100.0,
            "bounce_rate_pct": 0.0,
            "complaint_rate_pct": 40.0,
            "engagement_rate_pct": 20.0,
        },
    ]


def test_automated_events_are_marked_in_the_archive(archive: Path) -> None:
    connection = analyze.connect(archive)
    rows = connection.execute(
        "SELECT message_id, automated FROM events WHERE kind = 'open' AND message_id LIKE 'e%' "
        "ORDER BY 1, 2"
    ).fetchall()
    assert rows == [("e2", True), ("e3", None), ("e4", True)]
