"""examples/basic applied to the local emulator (the session's shared deployment), read back,
and its deployed code run as Firehose and API Gateway would run it.

The deployment (tests/conftest.py::basic_stack, through devkit.stack) stands
a Pinpoint project in for the example's SES configuration set: moto has no SES
v2 event destinations. What moto cannot cover is checked by the plan tests:
SES v2 event destinations, End User Messaging SMS v2, whether the Powertools
layer exists in a Region. moto also runs neither Firehose's Lambda processor
nor API Gateway, so the deployed code is invoked directly.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import unquote_plus

import pytest
from message_status.events import ARCHIVE_LINE_COLUMNS
from message_status.heal import (
    RECORDS_GIVEN_UP,
    RECORDS_HEALED,
    RECORDS_PARKED,
    RECORDS_RETRIED,
    SOURCE_PREFIX,
)
from message_status.model import INDEXES

from devkit import ROOT, analyze
from devkit.calls import call_api, results, run_firehose, stored_item
from devkit.emulator import REGION
from devkit.events import firehose_event, iso, pinpoint_email, ses
from devkit.firehose import Destination, deliver, keys
from devkit.healing import module_queue_settings
from devkit.queues import Clock, PlayedQueue, QueueSettings, deliver_due
from devkit.ses_suppression import suppress
from devkit.stack import AWS_LAYER_ACCOUNT, Stack, module_defaults
from devkit.streams import MappingSettings, StreamReader, drain, run_mapping, sqs_sender

pytestmark = [pytest.mark.terraform, pytest.mark.apply]

NAME = "msgstatus-basic"  # examples/basic's default name
LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python312-arm64"


def test_outputs_name_every_part(basic_stack: Stack) -> None:
    outputs = basic_stack.outputs
    assert outputs["table_name"] == NAME
    assert outputs["transform_function_name"] == f"{NAME}-transform"
    assert outputs["query_function_name"] == f"{NAME}-query"
    assert outputs["delivery_stream_name"] == f"{NAME}-events"
    assert outputs["archive_bucket_name"] == f"{NAME}-{AWS_LAYER_ACCOUNT}-{REGION}"
    assert outputs["archive_bucket_arn"] == f"arn:aws:s3:::{outputs['archive_bucket_name']}"
    assert outputs["message_status_url"] == outputs["api_endpoint"] + "/messages/{message_id}"
    assert outputs["api_arn"].endswith(f":/apis/{outputs['api_id']}")
    for function in ("transform", "query", "stream", "heal"):
        assert outputs[f"{function}_function_arn"].endswith(f":function:{NAME}-{function}")
        assert outputs[f"{function}_role_arn"].endswith(f":role/{NAME}-{function}")
        assert outputs[f"{function}_role_name"] == f"{NAME}-{function}"
    assert outputs["firehose_role_arn"].endswith(f":role/{NAME}-firehose")
    assert outputs["pinpoint_source_role_arn"].endswith(f":role/{NAME}-pinpoint-source")
    assert outputs["pinpoint_source_role_name"] == f"{NAME}-pinpoint-source"
    assert "ses_source_role_arn" not in outputs  # null outputs are left out
    assert "sms_source_role_arn" not in outputs
    assert set(outputs["log_group_names"]) == {
        "transform",
        "query",
        "firehose",
        "api",
        "stream",
        "heal",
    }
    assert outputs["heal_queue_arn"].endswith(f":{NAME}-heal")
    assert outputs["heal_dead_letter_queue_arn"].endswith(f":{NAME}-heal-dead-letters")
    assert outputs["event_bus_name"] == "default"
    assert outputs["event_source"] == "message-status"
    assert outputs["table_stream_arn"].startswith(f"{outputs['table_arn']}/stream/")


def test_table_is_keyed_by_message_id_with_ttl_and_pitr(basic_stack: Stack) -> None:
    dynamodb = basic_stack.client("dynamodb")
    table = dynamodb.describe_table(TableName=basic_stack.outputs["table_name"])["Table"]
    assert table["KeySchema"] == [{"AttributeName": "message_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    backups = dynamodb.describe_continuous_backups(TableName=table["TableName"])
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    indexes = {
        index["IndexName"]: (
            [(key["AttributeName"], key["KeyType"]) for key in index["KeySchema"]],
            index["Projection"]["ProjectionType"],
        )
        for index in table["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        index.name: ([(index.partition_key, "HASH"), (index.sort_key, "RANGE")], "KEYS_ONLY")
        for index in INDEXES
    }


def test_query_may_search_each_index_by_its_exact_arn(basic_stack: Stack) -> None:
    iam = basic_stack.client("iam")
    (policy_name,) = iam.list_role_policies(RoleName=f"{NAME}-query")["PolicyNames"]
    document = iam.get_role_policy(RoleName=f"{NAME}-query", PolicyName=policy_name)
    table_arn = basic_stack.outputs["table_arn"]
    (search,) = [
        s
        for s in _statements(document["PolicyDocument"])
        if "dynamodb:Query" in _as_list(s["Action"])
    ]
    assert _as_list(search["Action"]) == ["dynamodb:Query"]
    assert sorted(_as_list(search["Resource"])) == sorted(
        f"{table_arn}/index/{i.name}" for i in INDEXES
    )


@pytest.mark.parametrize("function", ["transform", "query"])
def test_functions_run_python312_arm64_with_powertools_layer(
    basic_stack: Stack, function: str
) -> None:
    name = basic_stack.outputs[f"{function}_function_name"]
    config = basic_stack.client("lambda").get_function_configuration(FunctionName=name)
    assert config["Runtime"] == "python3.12"
    assert config["Handler"] == "app.lambda_handler"
    assert config["Architectures"] == ["arm64"]
    assert config["TracingConfig"]["Mode"] == "Active"
    version = module_defaults()["powertools_layer_version"]
    assert [layer["Arn"] for layer in config["Layers"]] == [
        f"arn:aws:lambda:{REGION}:{AWS_LAYER_ACCOUNT}:layer:{LAYER_NAME}:{version}"
    ]
    env = config["Environment"]["Variables"]
    assert env["TABLE_NAME"] == basic_stack.outputs["table_name"]
    assert env["POWERTOOLS_SERVICE_NAME"] == name
    if function == "transform":
        assert env["RETENTION_DAYS"] == "90"
    else:
        assert "RETENTION_DAYS" not in env


def test_firehose_invokes_transform_with_short_buffer(basic_stack: Stack) -> None:
    stream = basic_stack.client("firehose").describe_delivery_stream(
        DeliveryStreamName=basic_stack.outputs["delivery_stream_name"]
    )["DeliveryStreamDescription"]
    assert stream["DeliveryStreamType"] == "DirectPut"
    s3 = stream["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert s3["BucketARN"] == basic_stack.outputs["archive_bucket_arn"]
    assert s3["ErrorOutputPrefix"].startswith("errors/")
    processing = s3["ProcessingConfiguration"]
    assert processing["Enabled"] is True
    params = {
        p["ParameterName"]: p["ParameterValue"] for p in processing["Processors"][0]["Parameters"]
    }
    assert params["LambdaArn"] == basic_stack.outputs["transform_function_arn"] + ":$LATEST"
    assert int(params["BufferIntervalInSeconds"]) <= 10


def test_archive_bucket_is_private_encrypted_and_expiring(basic_stack: Stack) -> None:
    s3 = basic_stack.client("s3")
    bucket = basic_stack.outputs["archive_bucket_name"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    # The TLS-only policy is left out on the emulator (devkit.stack.MODULE_EMULATOR_FILES);
    # tests/terraform/test_plan.py checks it. Objects are readable and writable here:
    s3.put_object(Bucket=bucket, Key="apply-test/probe", Body=b"probe")
    assert s3.get_object(Bucket=bucket, Key="apply-test/probe")["Body"].read() == b"probe"
    s3.delete_object(Bucket=bucket, Key="apply-test/probe")
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert lifecycle["Expiration"]["Days"] == 90


def test_api_routes_require_iam_auth(basic_stack: Stack) -> None:
    api = basic_stack.client("apigatewayv2")
    routes = api.get_routes(ApiId=basic_stack.outputs["api_id"])["Items"]
    assert {route["RouteKey"] for route in routes} >= {
        "GET /messages/{message_id}",
        "GET /messages",
        "POST /messages/batch-get",
        "GET /recipients/{address}",
    }
    assert {route["AuthorizationType"] for route in routes} == {"AWS_IAM"}


def test_pinpoint_project_streams_into_firehose(basic_stack: Stack) -> None:
    pinpoint = basic_stack.client("pinpoint")
    (app,) = [
        app for app in pinpoint.get_apps()["ApplicationsResponse"]["Item"] if app["Name"] == NAME
    ]
    stream = pinpoint.get_event_stream(ApplicationId=app["Id"])["EventStream"]
    assert stream["DestinationStreamArn"] == basic_stack.outputs["delivery_stream_arn"]
    assert stream["RoleArn"] == basic_stack.outputs["pinpoint_source_role_arn"]


def test_deployed_code_transforms_then_answers_delivered(basic_stack: Stack) -> None:
    """The zips Lambda holds, with their configured env, write and read the table."""
    message_id = "0100018c-apply-test-0001"
    batch = [
        pinpoint_email("_email.send", message_id, 1_795_392_000_000),
        pinpoint_email("_email.delivered", message_id, 1_795_392_001_000),
        b"\x00 not an event",
    ]
    quiet = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
    with basic_stack.function("transform_function_name", quiet) as transform:
        response = run_firehose(transform, batch)
    assert results(response) == ["Ok", "Ok", "ProcessingFailed"]
    archived = base64.b64decode(response["records"][1]["data"])
    assert message_id.encode() in archived

    with basic_stack.function("query_function_name", quiet) as query:
        status, body = call_api(query, "GET", f"/messages/{message_id}")
    assert status == 200
    assert body["status"] == "DELIVERED"


def test_deployed_code_finds_a_message_by_each_of_its_recipients(basic_stack: Stack) -> None:
    """Pointer items and index keys from the deployed transform, read back by the deployed query."""
    # Addresses of this test's own: the demo test shares the deployment.
    team = ["apply.ana@example.com", "apply.ben@example.com", "apply.cy@example.org"]
    sent = 1_795_392_000_000
    batch = [
        ses("Send", "apply-team-1", sent, destination=team),
        ses(
            "Delivery", "apply-team-1", sent + 1000, destination=team, named=team[::2], sent_ms=sent
        ),
        ses("Bounce", "apply-team-1", sent + 2000, destination=team, named=team[1:2], sent_ms=sent),
    ]
    quiet = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
    with basic_stack.function("transform_function_name", quiet) as transform:
        assert results(run_firehose(transform, batch)) == ["Ok"] * 3
    with basic_stack.function("query_function_name", quiet) as query:
        for recipient in team:
            status, body = call_api(
                query, "GET", "/messages", query={"recipient": recipient.upper()}
            )
            assert status == 200, body
            assert [m["message_id"] for m in body["messages"]] == ["apply-team-1"], recipient
        status, body = call_api(
            query,
            "GET",
            "/messages",
            query={"status": "HARD_BOUNCED", "since": iso(sent), "until": iso(sent + 60_000)},
        )
    assert status == 200, body
    (message,) = body["messages"]
    assert message["recipients"]["apply.ben@example.com"]["status"] == "HARD_BOUNCED"
    assert message["recipients"]["apply.ana@example.com"]["status"] == "DELIVERED"


def test_deployed_code_answers_a_recipients_page_naming_the_bounce_that_suppressed_her(
    basic_stack: Stack,
) -> None:
    """The deployed query reads the table, then SES's suppression list (the emulator's, taught
    by devkit.ses_suppression), and links the entry to the stored bounce."""
    address, sent = "apply.dana@example.com", 1_795_392_000_000
    batch = [
        ses("Send", "apply-dana-1", sent, destination=[address]),
        ses("Bounce", "apply-dana-1", sent + 1000, destination=[address], named=[address]),
    ]
    quiet = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
    with basic_stack.function("transform_function_name", quiet) as transform:
        assert results(run_firehose(transform, batch)) == ["Ok", "Ok"]
    suppress(address, message_id="apply-dana-1", account_id=AWS_LAYER_ACCOUNT, region=REGION)
    with basic_stack.function("query_function_name", quiet) as query:
        status, body = call_api(query, "GET", "/recipients/Apply.Dana@Example.com")
    assert status == 200, body
    assert [m["message_id"] for m in body["messages"]] == ["apply-dana-1"]
    suppression = body["suppression"]
    assert suppression["state"] == "suppressed", suppression
    assert suppression["checked"] == ["Apply.Dana@Example.com", address]
    assert suppression["cause"]["message"]["status"] == "HARD_BOUNCED"


def test_the_archive_is_catalogued_and_queryable_in_its_workgroup(basic_stack: Stack) -> None:
    outputs = basic_stack.outputs
    database = outputs["glue_database_name"]
    assert database == NAME.replace("-", "_")
    table = basic_stack.client("glue").get_table(DatabaseName=database, Name="events")["Table"]
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == list(
        ARCHIVE_LINE_COLUMNS
    )
    assert table["StorageDescriptor"]["Location"] == (
        f"s3://{outputs['archive_bucket_name']}/events/"
    )
    assert table["Parameters"]["projection.dt.format"] == "yyyy/MM/dd"

    athena = basic_stack.client("athena")
    workgroup = athena.get_work_group(WorkGroup=outputs["athena_workgroup_name"])["WorkGroup"]
    configuration = workgroup["Configuration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert configuration["ResultConfiguration"]["OutputLocation"] == (
        f"s3://{outputs['archive_bucket_name']}/athena-results/"
    )
    names = {path.stem for path in (ROOT / "analytics").glob("*.sql")}
    assert set(outputs["athena_named_query_ids"]) == names
    for name, query_id in outputs["athena_named_query_ids"].items():
        query = athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
        assert query["QueryString"] == analyze.named_queries()[name]
        assert (query["Database"], query["WorkGroup"]) == (database, workgroup["Name"])

    policy = json.loads(outputs["analytics_query_policy_json"])
    resources = {r for s in policy["Statement"] for r in as_list(s["Resource"])}
    assert workgroup_arn(basic_stack, workgroup["Name"]) in resources
    assert f"{outputs['archive_bucket_arn']}/events/*" in resources


def workgroup_arn(stack: Stack, name: str) -> str:
    account = stack.client("sts").get_caller_identity()["Account"]
    return f"arn:aws:athena:{REGION}:{account}:workgroup/{name}"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_second_plan_is_empty(basic_stack: Stack) -> None:
    empty, output = basic_stack.plan_is_empty()
    assert empty, f"plan after apply is not empty:\n{output}"


def _statements(document: Any) -> list[dict[str, Any]]:
    document = json.loads(document) if isinstance(document, str) else document
    return document["Statement"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


UNSCOPABLE = {"dynamodb:ListStreams", "ses:GetSuppressedDestination"}


@pytest.mark.parametrize(
    "role", ["transform", "query", "stream", "heal", "firehose", "pinpoint-source"]
)
def test_deployed_role_policies_are_scoped(basic_stack: Stack, role: str) -> None:
    iam = basic_stack.client("iam")
    role_name = f"{NAME}-{role}"
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    for statement in _statements(document):
        actions = _as_list(statement["Action"])
        assert not any("*" in action for action in actions), statement
        if "*" in _as_list(statement["Resource"]):
            # X-Ray segments, ListStreams and the SES suppression list have no resource-level
            # permissions
            assert all(action.startswith("xray:") or action in UNSCOPABLE for action in actions), (
                statement
            )
    assert not any(
        action in {"dynamodb:Scan", "dynamodb:DeleteItem"}
        for statement in _statements(document)
        for action in _as_list(statement["Action"])
    )


@pytest.mark.parametrize(
    ("role", "service"),
    [("firehose", "firehose.amazonaws.com"), ("pinpoint-source", "pinpoint.amazonaws.com")],
)
def test_deployed_service_roles_carry_confused_deputy_conditions(
    basic_stack: Stack, role: str, service: str
) -> None:
    iam = basic_stack.client("iam")
    trust = iam.get_role(RoleName=f"{NAME}-{role}")["Role"]["AssumeRolePolicyDocument"]
    (statement,) = _statements(trust)
    assert statement["Principal"] == {"Service": service}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": AWS_LAYER_ACCOUNT}
    assert "aws:SourceArn" in statement["Condition"]["ArnLike"]


# --- status-change events --------------------------------------------------------------------


def test_table_streams_old_and_new_images(basic_stack: Stack) -> None:
    table = basic_stack.client("dynamodb").describe_table(
        TableName=basic_stack.outputs["table_name"]
    )["Table"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert table["LatestStreamArn"] == basic_stack.outputs["table_stream_arn"]


def stream_mapping(stack: Stack) -> dict[str, Any]:
    (mapping,) = stack.client("lambda").list_event_source_mappings(
        EventSourceArn=stack.outputs["table_stream_arn"]
    )["EventSourceMappings"]
    return dict(mapping)


def test_stream_mapping_retries_bisects_reports_and_filters(basic_stack: Stack) -> None:
    mapping = stream_mapping(basic_stack)
    assert mapping["EventSourceArn"] == basic_stack.outputs["table_stream_arn"]
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 10
    assert (
        mapping["DestinationConfig"]["OnFailure"]["Destination"]
        == (basic_stack.outputs["status_events_failure_queue_arn"])
    )
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern["eventName"] == ["INSERT", "MODIFY"]
    queue = basic_stack.client("sqs").get_queue_attributes(
        QueueUrl=basic_stack.outputs["status_events_failure_queue_url"], AttributeNames=["All"]
    )["Attributes"]
    assert queue["MessageRetentionPeriod"] == "1209600"
    assert queue["SqsManagedSseEnabled"] == "true"


def status_rule_queue(stack: Stack) -> str:
    """A rule on the events' bus delivering every status change to a queue of this test's."""
    sqs, events = stack.client("sqs"), stack.client("events")
    url = sqs.create_queue(QueueName="apply-status-changes")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    pattern = {
        "source": [stack.outputs["event_source"]],
        "detail-type": [stack.outputs["event_detail_type"]],
    }
    events.put_rule(
        Name="apply-status-changes",
        EventBusName=stack.outputs["event_bus_name"],
        EventPattern=json.dumps(pattern),
    )
    events.put_targets(
        Rule="apply-status-changes",
        EventBusName=stack.outputs["event_bus_name"],
        Targets=[{"Id": "queue", "Arn": arn["QueueArn"]}],
    )
    return str(url)


def test_three_messages_make_exactly_their_status_changes(basic_stack: Stack) -> None:
    """Deployed transform -> the emulator's table stream -> the deployed stream function, as
    its mapping would run it -> the emulator's EventBridge -> a rule -> SQS."""
    queue = status_rule_queue(basic_stack)
    reader = StreamReader(
        basic_stack.client("dynamodbstreams"), basic_stack.outputs["table_stream_arn"]
    )
    reader.new_records()  # what earlier tests wrote is not this test's
    t = 1_795_400_000_000
    team = ["apply.dee@example.com", "apply.eli@example.org"]
    batches = [
        [ses("Send", "apply-ev-1", t)],
        [ses("Delivery", "apply-ev-2", t + 5)],
        [ses("Delivery", "apply-ev-1", t + 1000, sent_ms=t)],
        [ses("Delivery", "apply-ev-1", t + 1000, sent_ms=t)],  # a duplicate
        [ses("Send", "apply-ev-2", t)],  # late: changes no status
        [ses("Send", "apply-ev-3", t, destination=team)],
        [ses("Bounce", "apply-ev-3", t + 9, destination=team, named=team[1:], sent_ms=t)],
    ]
    quiet = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
    with basic_stack.function("transform_function_name", quiet) as transform:
        for n, batch in enumerate(batches):
            assert results(run_firehose(transform, batch, start=n)) == ["Ok"]
    records = reader.new_records()
    mapping = MappingSettings.of(stream_mapping(basic_stack))
    failures = sqs_sender(basic_stack.client("sqs"), mapping.on_failure_arn or "")
    with basic_stack.function("stream_function_name", quiet) as stream:
        report = run_mapping(stream.invoke, records, mapping, failures)
    assert report.failed_batches == []
    assert report.records_filtered_out == 1, "the pointer item of the second recipient"
    events = drain(basic_stack.client("sqs"), queue)
    changes = [
        (e["detail"]["message_id"], e["detail"]["previous_status"], e["detail"]["status"])
        for e in events
    ]
    assert changes == [
        ("apply-ev-1", None, "SENT"),
        ("apply-ev-2", None, "DELIVERED"),
        ("apply-ev-1", "SENT", "DELIVERED"),
        ("apply-ev-3", None, "SENT"),
        ("apply-ev-3", "SENT", "HARD_BOUNCED"),
    ]
    assert [e["detail"]["version"] for e in events] == [1, 1, 2, 1, 2]


# --- healing ------------------------------------------------------------------------------


def heal_queue_attributes(stack: Stack, output: str) -> dict[str, str]:
    return dict(
        stack.client("sqs").get_queue_attributes(
            QueueUrl=stack.outputs[output], AttributeNames=["All"]
        )["Attributes"]
    )


def test_the_bucket_notifies_the_heal_queue_of_failed_records_only(basic_stack: Stack) -> None:
    configuration = basic_stack.client("s3").get_bucket_notification_configuration(
        Bucket=basic_stack.outputs["archive_bucket_name"]
    )
    (queue,) = configuration["QueueConfigurations"]
    assert queue["QueueArn"] == basic_stack.outputs["heal_queue_arn"]
    assert queue["Events"] == ["s3:ObjectCreated:*"]
    rules = queue["Filter"]["Key"]["FilterRules"]
    assert [(rule["Name"].lower(), rule["Value"]) for rule in rules] == [("prefix", SOURCE_PREFIX)]
    assert not configuration.get("LambdaFunctionConfigurations")


def test_the_heal_queue_delays_retries_gives_up_and_takes_only_the_buckets_notes(
    basic_stack: Stack,
) -> None:
    heal = heal_queue_attributes(basic_stack, "heal_queue_url")
    assert (heal["DelaySeconds"], heal["VisibilityTimeout"]) == ("60", "300")
    assert heal["MessageRetentionPeriod"] == "1209600"
    assert heal["SqsManagedSseEnabled"] == "true"
    assert json.loads(heal["RedrivePolicy"]) == {
        "deadLetterTargetArn": basic_stack.outputs["heal_dead_letter_queue_arn"],
        "maxReceiveCount": 6,
    }
    assert QueueSettings.of(heal) == module_queue_settings(), "what devkit.healing plays"
    (send,) = json.loads(heal["Policy"])["Statement"]
    assert send["Principal"] == {"Service": "s3.amazonaws.com"}
    assert send["Action"] == "sqs:SendMessage"
    assert send["Condition"]["ArnEquals"] == {
        "aws:SourceArn": basic_stack.outputs["archive_bucket_arn"]
    }
    assert send["Condition"]["StringEquals"] == {"aws:SourceAccount": AWS_LAYER_ACCOUNT}
    dead_letters = heal_queue_attributes(basic_stack, "heal_dead_letter_queue_url")
    assert dead_letters["MessageRetentionPeriod"] == "1209600"
    assert json.loads(dead_letters["RedriveAllowPolicy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [basic_stack.outputs["heal_queue_arn"]],
    }


def test_the_heal_mapping_hands_one_object_at_a_time_to_the_heal_function(
    basic_stack: Stack,
) -> None:
    (mapping,) = basic_stack.client("lambda").list_event_source_mappings(
        EventSourceArn=basic_stack.outputs["heal_queue_arn"]
    )["EventSourceMappings"]
    assert mapping["FunctionArn"] == basic_stack.outputs["heal_function_arn"]
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 5}


def test_a_failed_record_in_the_deployed_bucket_reaches_the_deployed_heal_function(
    basic_stack: Stack,
) -> None:
    """The emulator's S3 notifies the deployed heal queue (its filter lets errors/ through and
    nothing else); the deployed heal function, handed the notification as the mapping would,
    writes the record to the deployed table and removes the object."""
    s3, bucket = basic_stack.client("s3"), basic_stack.outputs["archive_bucket_name"]
    event = firehose_event([ses("Send", "apply-heal-1", 1_795_500_000_000)])
    failed = {
        "records": [
            {"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]}
            for r in event["records"]
        ]
    }
    destination = Destination.module(bucket, basic_stack.outputs["delivery_stream_name"])
    key = deliver(s3, destination, event, failed)["ProcessingFailed"]
    s3.put_object(Bucket=bucket, Key="apply-test/not-healed", Body=b"{}")
    notes = basic_stack.queued_bodies(basic_stack.outputs["heal_queue_arn"])
    (note,) = [n for n in notes if "ObjectCreated" in n]
    assert unquote_plus(json.loads(note)["Records"][0]["s3"]["object"]["key"]) == key
    queue = PlayedQueue(
        QueueSettings.of(heal_queue_attributes(basic_stack, "heal_queue_url")), Clock()
    )
    queue.send(note)
    queue.clock.advance_to(60)
    quiet = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
    with basic_stack.function("heal_function_name", quiet) as heal:
        report = deliver_due(queue, heal.invoke)
    assert (report.invocations, report.deleted) == (1, 1)
    item = stored_item(
        basic_stack.client("dynamodb"), basic_stack.outputs["table_name"], "apply-heal-1"
    )
    assert item is not None
    assert key not in keys(s3, bucket, SOURCE_PREFIX)
    s3.delete_object(Bucket=bucket, Key="apply-test/not-healed")


# --- alarms and dashboard -----------------------------------------------------------------


def test_alarms_are_deployed_with_their_metrics(basic_stack: Stack) -> None:
    names = basic_stack.outputs["alarm_names"]
    found = basic_stack.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    by_name = {alarm["AlarmName"]: alarm for alarm in found}
    assert set(by_name) == set(names)
    # 9 on one metric + 3 of the stream, messages-failed, api 5xx, dynamodb x2,
    # rates x5 (email x2, sms, mms, voice)
    assert len(names) == 21
    errors = by_name[f"{NAME}-transform-errors"]
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": f"{NAME}-transform"}]
    bounce = by_name[f"{NAME}-email-bounce-rate"]
    assert bounce["Threshold"] == 2
    metrics = [q["MetricStat"]["Metric"] for q in bounce["Metrics"] if "MetricStat" in q]
    # suppressed sends counted as SES counts them: the transform's suppressed_recipients
    assert {m["MetricName"] for m in metrics} == {"recipient_events", "suppressed_recipients"}
    assert all(bounce["AlarmDescription"] for bounce in found)


def test_the_dashboard_shows_throughput_statuses_rates_errors_and_freshness(
    basic_stack: Stack,
) -> None:
    body = basic_stack.client("cloudwatch").get_dashboard(
        DashboardName=basic_stack.outputs["dashboard_name"]
    )["DashboardBody"]
    widgets = json.loads(body)["widgets"]
    titles = " | ".join(w["properties"]["title"] for w in widgets)
    for word in (
        "Throughput",
        "by channel and status",
        "Deliverability",
        "Errors",
        "Freshness",
        "Healing",
    ):
        assert word in titles
    assert "recipient_events" in body
    assert "ingest_to_write_ms" in body
    for metric in (RECORDS_RETRIED, RECORDS_HEALED, RECORDS_PARKED, RECORDS_GIVEN_UP):
        assert f'"{metric}"' in body, metric
    assert f"{NAME}-heal-dead-letters" in body
    assert basic_stack.outputs["api_id"] in body
