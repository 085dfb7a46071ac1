"""Plans of the analytics (Glue table, Athena workgroup, named queries, the query policy)
and of Kinesis data streams as a source."""

from __future__ import annotations

import json
from typing import Any

import pytest
from message_status.events import ARCHIVE_LINE_COLUMNS

from devkit import ROOT, analyze
from devkit.permissions.evaluate import allows, statements_of
from devkit.permissions.reference import as_list
from tests.terraform.conftest import Workspace, one, planned, policy_statements

pytestmark = [pytest.mark.terraform]

ACCOUNT = "123456789012"  # moto's account
STREAM_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/pinpoint-events"
OTHER_STREAM_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/ses-events"
SOURCE_KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KINESIS_READ = [
    "kinesis:DescribeStream",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
]
QUERIES = sorted(p.stem for p in (ROOT / "analytics").glob("*.sql"))


@pytest.fixture(scope="module")
def analytics_plan(root: Workspace) -> Any:
    return root.plan(name="demo", athena_bytes_scanned_cutoff_per_query=1073741824)


@pytest.fixture(scope="module")
def kinesis_plan(root: Workspace) -> Any:
    return root.plan(
        name="demo",
        kinesis_source_stream_arns={"pinpoint": STREAM_ARN, "ses": OTHER_STREAM_ARN},
        kinesis_source_kms_key_arns=[SOURCE_KEY_ARN],
    )


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in policy_statements(document) if s["sid"] == sid]
    return found


# ---------------------------------------------------------------- Glue


def test_glue_table_columns_are_the_archive_lines(analytics_plan: Any) -> None:
    table = one(analytics_plan, "aws_glue_catalog_table.events[0]")
    (storage,) = table["storage_descriptor"]
    assert [(c["name"], c["type"]) for c in storage["columns"]] == list(ARCHIVE_LINE_COLUMNS)


def test_glue_table_reads_gzip_json_lines_with_projected_dates(analytics_plan: Any) -> None:
    table = one(analytics_plan, "aws_glue_catalog_table.events[0]")
    (storage,) = table["storage_descriptor"]
    bucket = f"demo-{ACCOUNT}-us-east-1"
    assert storage["location"] == f"s3://{bucket}/events/"
    assert storage["ser_de_info"][0]["serialization_library"] == (
        "org.openx.data.jsonserde.JsonSerDe"
    )
    assert [(k["name"], k["type"]) for k in table["partition_keys"]] == [("dt", "string")]
    parameters = table["parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.dt.type"] == "date"
    # Firehose's prefix is events/!{timestamp:yyyy/MM/dd}/: the projection must use that format.
    assert parameters["projection.dt.format"] == "yyyy/MM/dd"
    assert parameters["storage.location.template"] == f"s3://{bucket}/events/${{dt}}/"
    assert parameters["compressionType"] == "gzip"
    stream = one(analytics_plan, 'aws_kinesis_firehose_delivery_stream.this["events"]')
    assert stream["extended_s3_configuration"][0]["prefix"] == "events/!{timestamp:yyyy/MM/dd}/"
    assert one(analytics_plan, "aws_glue_catalog_database.this[0]")["name"] == "demo"


def test_glue_database_name_has_no_hyphens(root: Workspace) -> None:
    plan = root.plan(name="shop-mail")
    assert one(plan, "aws_glue_catalog_database.this[0]")["name"] == "shop_mail"


# ---------------------------------------------------------------- Athena


def test_workgroup_enforces_encrypted_results_and_a_scan_limit(analytics_plan: Any) -> None:
    workgroup = one(analytics_plan, "aws_athena_workgroup.this[0]")
    (configuration,) = workgroup["configuration"]
    assert configuration["enforce_workgroup_configuration"] is True
    assert configuration["bytes_scanned_cutoff_per_query"] == 1073741824
    (result,) = configuration["result_configuration"]
    assert result["output_location"] == f"s3://demo-{ACCOUNT}-us-east-1/athena-results/"
    assert result["encryption_configuration"][0]["encryption_option"] == "SSE_S3"


def test_athena_results_are_encrypted_with_the_module_key(root: Workspace) -> None:
    plan = root.plan(name="demo", kms_key_arn=SOURCE_KEY_ARN)
    (configuration,) = one(plan, "aws_athena_workgroup.this[0]")["configuration"]
    (result,) = configuration["result_configuration"]
    assert result["encryption_configuration"] == [
        {"encryption_option": "SSE_KMS", "kms_key_arn": SOURCE_KEY_ARN}
    ]
    document = one(plan, "data.aws_iam_policy_document.analytics_query[0]")
    assert statement(document, "UseTheArchiveKey")["resources"] == [SOURCE_KEY_ARN]


def test_athena_results_expire(analytics_plan: Any) -> None:
    lifecycle = one(analytics_plan, "aws_s3_bucket_lifecycle_configuration.archive[0]")
    (rule,) = [r for r in lifecycle["rule"] if r["id"] == "expire-athena-results"]
    assert rule["filter"][0]["prefix"] == "athena-results/"
    assert rule["expiration"][0]["days"] == 7


def test_every_sql_file_is_a_named_query_with_its_text(analytics_plan: Any) -> None:
    queries = planned(analytics_plan, "aws_athena_named_query")
    by_name = {q["name"]: q for q in queries.values()}
    assert sorted(by_name) == sorted(f"demo-{q.replace('_', '-')}" for q in QUERIES)
    for query in QUERIES:
        planned_query = by_name[f"demo-{query.replace('_', '-')}"]
        assert planned_query["query"] == analyze.named_queries()[query]
        assert planned_query["database"] == "demo"


def test_the_named_queries_read_the_window_the_input_gives(root: Workspace) -> None:
    """The default is devkit.analyze's (the window the DuckDB tests run the queries with)."""
    plan = root.plan(name="demo", athena_query_window_days=7)
    by_name = {q["name"]: q["query"] for q in planned(plan, "aws_athena_named_query").values()}
    for query in QUERIES:
        sql = by_name[f"demo-{query.replace('_', '-')}"]
        assert sql == analyze.named_queries(window_days=7)[query]
        assert "INTERVAL '7' DAY" in sql


def test_query_policy_grants_the_workgroup_table_and_prefixes_only(analytics_plan: Any) -> None:
    document = one(analytics_plan, "data.aws_iam_policy_document.analytics_query[0]")
    statements = policy_statements(document)
    for s in statements:
        assert s["effect"] == "Allow"
        assert all("*" not in action for action in s["actions"]), s
        assert "*" not in s["resources"], s
    glue = statement(document, "ReadTheCatalogTable")
    prefix = f"arn:aws:glue:us-east-1:{ACCOUNT}"
    assert sorted(glue["resources"]) == [
        f"{prefix}:catalog",
        f"{prefix}:database/demo",
        f"{prefix}:table/demo/events",
    ]
    assert statement(document, "ReadTheArchive")["actions"] == ["s3:GetObject"]
    results = statement(document, "WriteAndReadResults")
    assert [r.rsplit(":::", 1)[1] for r in results["resources"]] == [
        f"demo-{ACCOUNT}-us-east-1/athena-results/*"
    ]
    # no UseTheArchiveKey statement without a customer-managed key
    assert {s["sid"] for s in statements} == {
        "RunQueriesInTheWorkgroup",
        "ReadTheCatalogTable",
        "FindTheBucket",
        "ListTheArchiveAndResults",
        "ReadTheArchive",
        "WriteAndReadResults",
    }


# The condition keys each S3 action takes, from the Service Authorization Reference
# (Amazon S3, "Actions defined by Amazon S3"), for the actions the query policy uses.
S3_ACTION_CONDITION_KEYS = {
    "s3:ListBucket": {"s3:prefix", "s3:delimiter", "s3:max-keys"},
    "s3:GetBucketLocation": set(),
    "s3:ListBucketMultipartUploads": set(),
    "s3:GetObject": set(),
    "s3:PutObject": {"s3:x-amz-server-side-encryption", "s3:x-amz-acl"},
    "s3:AbortMultipartUpload": set(),
    "s3:ListMultipartUploadParts": set(),
}
BUCKET_ARN = f"arn:aws:s3:::demo-{ACCOUNT}-us-east-1"


@pytest.fixture(scope="module")
def query_policy(root: Workspace) -> list[dict[str, Any]]:
    """analytics_query_policy_json as it will be, with the workgroup's ARN known."""
    policy = root.known(name="demo")["output.analytics_query_policy_json"]["value"]
    return statements_of(policy)


def test_every_condition_key_of_the_query_policy_applies_to_each_action_of_its_statement(
    query_policy: list[dict[str, Any]],
) -> None:
    """A key an action's requests never carry makes the statement deny that action."""
    for statement in query_policy:
        keys = {key for operator in statement.get("Condition", {}).values() for key in operator}
        for action in as_list(statement["Action"]):
            if action.startswith("s3:"):
                assert keys <= S3_ACTION_CONDITION_KEYS[action], (statement["Sid"], action, keys)


def test_the_query_policy_allows_what_athena_asks_of_s3(
    query_policy: list[dict[str, Any]],
) -> None:
    """Athena's own results policy (AmazonAthenaFullAccess) asks for these on the results
    location; reading the table lists and reads its location."""
    day = "events/2026/12/01/"
    for action, resource, context in (
        ("s3:GetBucketLocation", BUCKET_ARN, {}),
        ("s3:ListBucket", BUCKET_ARN, {"s3:prefix": day}),
        ("s3:ListBucket", BUCKET_ARN, {"s3:prefix": "athena-results/"}),
        ("s3:ListBucketMultipartUploads", BUCKET_ARN, {}),
        ("s3:GetObject", f"{BUCKET_ARN}/{day}events-1.gz", {}),
        ("s3:PutObject", f"{BUCKET_ARN}/athena-results/q.csv", {}),
        ("s3:GetObject", f"{BUCKET_ARN}/athena-results/q.csv", {}),
        ("s3:ListMultipartUploadParts", f"{BUCKET_ARN}/athena-results/q.csv", {}),
        ("s3:AbortMultipartUpload", f"{BUCKET_ARN}/athena-results/q.csv", {}),
    ):
        assert allows(query_policy, action, resource, context), (action, resource)
    # and nothing beyond the two prefixes
    assert not allows(query_policy, "s3:ListBucket", BUCKET_ARN, {"s3:prefix": "raw/"})
    assert not allows(query_policy, "s3:GetObject", f"{BUCKET_ARN}/raw/x.gz")
    assert not allows(query_policy, "s3:PutObject", f"{BUCKET_ARN}/events/x.gz")


def test_analytics_can_be_switched_off(root: Workspace) -> None:
    plan = root.plan(name="demo", analytics_enabled=False)
    for type_ in (
        "aws_glue_catalog_database",
        "aws_glue_catalog_table",
        "aws_athena_workgroup",
        "aws_athena_named_query",
    ):
        assert not planned(plan, type_), type_
    assert plan.outputs["analytics_query_policy_json"] is None


# ---------------------------------------------------------------- Kinesis sources


def test_each_kinesis_stream_gets_a_delivery_stream_like_the_direct_one(kinesis_plan: Any) -> None:
    streams = planned(kinesis_plan, "aws_kinesis_firehose_delivery_stream")
    by_name = {s["name"]: s for s in streams.values()}
    assert sorted(by_name) == ["demo-events", "demo-kinesis-pinpoint", "demo-kinesis-ses"]
    direct = by_name["demo-events"]
    assert direct["kinesis_source_configuration"] == []
    for name, arn in (
        ("demo-kinesis-pinpoint", STREAM_ARN),
        ("demo-kinesis-ses", OTHER_STREAM_ARN),
    ):
        stream = by_name[name]
        (source,) = stream["kinesis_source_configuration"]
        assert source["kinesis_stream_arn"] == arn
        # Firehose refuses its own server-side encryption with a Kinesis source.
        assert stream["server_side_encryption"] == []
        # Same processor, archive prefixes and error output as the direct stream.
        (s3,) = stream["extended_s3_configuration"]
        (direct_s3,) = direct["extended_s3_configuration"]
        for key in (
            "prefix",
            "error_output_prefix",
            "compression_format",
            "processing_configuration",
        ):
            assert s3[key] == direct_s3[key], key


def test_firehose_role_reads_exactly_the_source_streams(kinesis_plan: Any) -> None:
    document = one(kinesis_plan, "data.aws_iam_policy_document.firehose[0]")
    read = statement(document, "ReadKinesisSources")
    assert sorted(read["actions"]) == KINESIS_READ
    assert sorted(read["resources"]) == sorted([STREAM_ARN, OTHER_STREAM_ARN])
    decrypt = statement(document, "DecryptKinesisSources")
    assert decrypt["actions"] == ["kms:Decrypt"]
    assert decrypt["resources"] == [SOURCE_KEY_ARN]
    conditions = json.dumps(decrypt["condition"])
    assert "kinesis.us-east-1.amazonaws.com" in conditions
    assert "kms:EncryptionContext:aws:kinesis:arn" in conditions
    assert STREAM_ARN in conditions
    assert OTHER_STREAM_ARN in conditions


def test_firehose_role_trusts_every_delivery_stream_of_this_instance_only(
    kinesis_plan: Any,
) -> None:
    document = one(kinesis_plan, "data.aws_iam_policy_document.firehose_assume[0]")
    (trust,) = policy_statements(document)
    arns = trust["condition"]["ArnLike"]["aws:SourceArn"]
    prefix = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream"
    assert sorted(arns) == [
        f"{prefix}/demo-events",
        f"{prefix}/demo-kinesis-pinpoint",
        f"{prefix}/demo-kinesis-ses",
    ]


def test_without_kinesis_sources_the_role_has_no_kinesis_access(analytics_plan: Any) -> None:
    document = one(analytics_plan, "data.aws_iam_policy_document.firehose[0]")
    actions = [a for s in policy_statements(document) for a in s["actions"]]
    assert not [a for a in actions if a.startswith("kinesis:")]
    assert len(planned(analytics_plan, "aws_kinesis_firehose_delivery_stream")) == 1
