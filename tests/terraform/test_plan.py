"""Plan the module and every example, and check what would be created.

These plans cover what the moto apply tests cannot: SES v2 event destinations,
the End User Messaging SMS role, the JWT authorizer, the customer-managed KMS
key and the Powertools layer ARN for other runtimes and architectures. They
need an AWS endpoint (the session's moto server) because the IAM policy
documents are rendered by the provider; input validation and the other
plan-time rules are native `terraform test` runs (tests/module.tftest.hcl).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from message_status.model import INDEXES, OUTCOME_INDEX

from devkit import ROOT
from devkit.permissions.reference import RESOURCELESS_ACTIONS
from devkit.tfdocs import read_variables
from tests.terraform.conftest import (
    Workspace,
    check_warnings,
    one,
    planned,
    policy_statements,
)

ROUTES = {
    "GET /messages/{message_id}",
    "GET /messages",
    "POST /messages/batch-get",
    "GET /recipients/{address}",
    # every other method reaches the function, which answers 405 with Allow
    "ANY /messages/{message_id}",
    "ANY /messages",
    "ANY /recipients/{address}",
}
SES_EVENT_TYPES = {
    "SEND",
    "REJECT",
    "BOUNCE",
    "COMPLAINT",
    "DELIVERY",
    "OPEN",
    "CLICK",
    "RENDERING_FAILURE",
    "DELIVERY_DELAY",
    "SUBSCRIPTION",
}
VPC = {
    "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "security_group_ids": ["sg-0123456789abcdef0"],
}
WITH_SOURCES = {
    "name": "demo",
    "pinpoint_application_ids": ["0123456789abcdef0123456789abcdef"],
    "ses_configuration_set_names": ["transactional"],
    "sms_configuration_set_names": ["sms-alerts"],
}


@pytest.fixture(scope="module")
def default_plan(root: Workspace) -> Any:
    """The root module with only its required input."""
    return root.plan(name="demo")


@pytest.fixture(scope="module")
def sources_plan(root: Workspace) -> Any:
    """The root module with one source of each kind, all IDs known at plan time."""
    return root.plan(**WITH_SOURCES)


def processor_parameters(stream: dict[str, Any]) -> dict[str, str]:
    (s3,) = stream["extended_s3_configuration"]
    (processing,) = s3["processing_configuration"]
    (processor,) = processing["processors"]
    assert processor["type"] == "Lambda"
    return {p["parameter_name"]: p.get("parameter_value") for p in processor["parameters"]}


# ---------------------------------------------------------------- API


def test_default_plan_routes_are_all_iam_authenticated(default_plan: Any) -> None:
    routes = planned(default_plan, "aws_apigatewayv2_route")
    assert {r["route_key"] for r in routes.values()} == ROUTES
    assert {r["authorization_type"] for r in routes.values()} == {"AWS_IAM"}
    assert not planned(default_plan, "aws_apigatewayv2_authorizer")


def test_no_route_is_unauthenticated_unless_none_is_chosen(root: Workspace) -> None:
    plan = root.plan(name="demo", api_authorization_type="NONE")
    routes = planned(plan, "aws_apigatewayv2_route")
    assert {r["authorization_type"] for r in routes.values()} == {"NONE"}


def test_api_uses_proxy_integration_v2_and_throttled_logged_stage(default_plan: Any) -> None:
    integration = one(default_plan, "aws_apigatewayv2_integration.query[0]")
    assert integration["integration_type"] == "AWS_PROXY"
    assert integration["payload_format_version"] == "2.0"
    stage = one(default_plan, "aws_apigatewayv2_stage.this[0]")
    assert stage["name"] == "$default"
    assert stage["auto_deploy"] is True
    (route_settings,) = stage["default_route_settings"]
    assert route_settings["throttling_burst_limit"] == 100
    assert route_settings["throttling_rate_limit"] == 50
    (access_log,) = stage["access_log_settings"]
    assert set(json.loads(access_log["format"])) >= {"requestId", "routeKey", "status"}


def test_the_access_log_records_no_path_since_a_path_can_hold_an_address(
    default_plan: Any,
) -> None:
    """GET /recipients/{address} puts an email address or a phone number in the path."""
    stage = one(default_plan, "aws_apigatewayv2_stage.this[0]")
    (access_log,) = stage["access_log_settings"]
    logged = json.loads(access_log["format"])
    assert not [name for name, value in logged.items() if "$context.path" in value]
    assert logged["routeKey"] == "$context.routeKey"


# ---------------------------------------------------------------- Firehose


def test_processor_buffer_interval_is_at_most_ten_seconds_by_default(default_plan: Any) -> None:
    stream = one(default_plan, 'aws_kinesis_firehose_delivery_stream.this["events"]')
    params = processor_parameters(stream)
    assert int(params["BufferIntervalInSeconds"]) <= 10
    # 1 MiB is Firehose's default, which it never returns: the module leaves it out.
    assert "BufferSizeInMBs" not in params


def test_stream_archives_with_error_prefix_encryption_and_logging(default_plan: Any) -> None:
    stream = one(default_plan, 'aws_kinesis_firehose_delivery_stream.this["events"]')
    assert stream["destination"] == "extended_s3"
    assert stream["server_side_encryption"] == [
        {"enabled": True, "key_type": "AWS_OWNED_CMK", "key_arn": None}
    ]
    (s3,) = stream["extended_s3_configuration"]
    assert s3["prefix"].startswith("events/")
    assert s3["error_output_prefix"] == (
        "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
    )
    assert s3["s3_backup_mode"] == "Disabled"
    (logging,) = s3["cloudwatch_logging_options"]
    assert logging["enabled"] is True
    assert logging["log_group_name"] == "/aws/kinesisfirehose/demo-events"


# ---------------------------------------------------------------- Lambda


@pytest.mark.parametrize("function", ["transform", "query"])
def test_functions_use_python312_arm64_and_table_env(default_plan: Any, function: str) -> None:
    values = one(default_plan, f'aws_lambda_function.this["{function}"]')
    assert values["runtime"] == "python3.12"
    assert values["architectures"] == ["arm64"]
    assert values["handler"] == "app.lambda_handler"
    assert values["filename"].endswith(f"dist/{function}.zip")
    env = values["environment"][0]["variables"]
    assert env["TABLE_NAME"] == "demo"
    assert env["POWERTOOLS_SERVICE_NAME"] == f"demo-{function}"
    assert {"POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"} <= set(env)
    assert values["layers"] == [
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:27"
    ]
    assert values["tracing_config"] == [{"mode": "Active"}]


def test_functions_know_their_timeout_and_never_trace_responses(default_plan: Any) -> None:
    for function, timeout in (("transform", "60"), ("query", "10")):
        env = one(default_plan, f'aws_lambda_function.this["{function}"]')["environment"][0][
            "variables"
        ]
        assert env["FUNCTION_TIMEOUT_SECONDS"] == timeout
        assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
        assert env["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"


def test_every_environment_name_the_module_sets_is_refused_as_an_extra(
    root: Workspace, default_plan: Any
) -> None:
    own = set()
    for function in ("transform", "query"):
        env = one(default_plan, f'aws_lambda_function.this["{function}"]')["environment"][0][
            "variables"
        ]
        own |= {name for name in env if not name.startswith("POWERTOOLS_")}
    assert own == {"TABLE_NAME", "RETENTION_DAYS", "FUNCTION_TIMEOUT_SECONDS", "SEARCH_SHARDS"}
    names = sorted(own | {"CORRELATION_KEY"})  # set only when correlation_key is
    errors = root.plan_errors(
        *({"name": "demo", "lambda_environment_variables": {name: "x"}} for name in names)
    )
    for name, error in zip(names, errors, strict=True):
        assert "lambda_environment_variables keys must be" in " ".join(error.split()), name


def test_only_transform_gets_retention(default_plan: Any) -> None:
    transform = one(default_plan, 'aws_lambda_function.this["transform"]')
    query = one(default_plan, 'aws_lambda_function.this["query"]')
    assert transform["environment"][0]["variables"]["RETENTION_DAYS"] == "90"
    assert "RETENTION_DAYS" not in query["environment"][0]["variables"]


def test_powertools_layer_can_be_dropped_or_replaced(root: Workspace) -> None:
    without = one(
        root.plan(name="demo", powertools_layer_arn=None), 'aws_lambda_function.this["query"]'
    )
    assert without["layers"] in ([], None)
    own = "arn:aws:lambda:us-east-1:111122223333:layer:powertools:4"
    replaced = one(
        root.plan(name="demo", powertools_layer_arn=own), 'aws_lambda_function.this["query"]'
    )
    assert replaced["layers"] == [own]


def test_log_groups_exist_per_component_with_retention(default_plan: Any) -> None:
    groups = {v["name"]: v for v in planned(default_plan, "aws_cloudwatch_log_group").values()}
    assert set(groups) == {
        "/aws/lambda/demo-transform",
        "/aws/lambda/demo-query",
        "/aws/lambda/demo-heal",
        "/aws/kinesisfirehose/demo-events",
        "/aws/apigateway/demo",
    }
    assert {g["retention_in_days"] for g in groups.values()} == {365}


# ---------------------------------------------------------------- One map, four function stacks

FUNCTIONS = ("transform", "query", "stream", "heal")
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
# The names every function's resources had before the map: a rename replaces them.
STACK_NAMES = {
    "transform": ("message-records-read-write", ["kms:Decrypt", "kms:GenerateDataKey"]),
    "query": ("message-records-read", ["kms:Decrypt"]),
    "stream": ("status-events-publish", ["kms:Decrypt", "kms:GenerateDataKey"]),
    "heal": ("failed-records-heal", ["kms:Decrypt", "kms:GenerateDataKey"]),
}
# Each function's own statements, after the basics every function has.
OWN_STATEMENTS = {
    "transform": {"ReadAndWriteMessageRecords"},
    "query": {"ReadMessageRecords", "SearchTheIndexes", "ReadSuppressionList"},
    "stream": {
        "ReadTheTableStream",
        "FindTheTableStream",
        "PublishStatusChanges",
        "ReportUnpublishedBatches",
    },
    "heal": {
        "ReadAndWriteMessageRecords",
        "HealFailedRecords",
        "ArchiveHealedRecordsAndParkPoison",
        "TellHealedObjectsFromDeniedOnes",
        "ReceiveFailedRecordNotifications",
    },
}


def by_function(plan: Any, address: str) -> dict[str, dict[str, Any]]:
    """Planned values of each instance of a for_each resource of the root module, by key."""
    prefix = f"{address}["
    parts = address.split(".")
    type_ = parts[1] if parts[0] == "data" else parts[0]
    return {
        key[len(prefix) + 1 : -2]: values
        for key, values in planned(plan, type_).items()
        if key.startswith(prefix)
    }


@pytest.fixture(scope="module")
def every_function_plan(root: Workspace) -> Any:
    """All four functions, with every setting they share set to something not default."""
    return root.plan(
        name="demo",
        status_events_enabled=True,
        lambda_runtime="python3.13",
        lambda_architecture="x86_64",
        lambda_vpc_config=VPC,
        kms_key_arn=KEY_ARN,
        log_retention_days=30,
        lambda_environment_variables={"DEPLOYMENT": "blue"},
    )


def test_the_map_gives_every_function_the_same_runtime_layers_tracing_network_and_key(
    every_function_plan: Any,
) -> None:
    functions = by_function(every_function_plan, "aws_lambda_function.this")
    assert set(functions) == set(FUNCTIONS)
    shared = {
        key: {
            "runtime": values["runtime"],
            "architectures": values["architectures"],
            "handler": values["handler"],
            "layers": values["layers"],
            "tracing_config": values["tracing_config"],
            "vpc_config": [
                {k: sorted(v) for k, v in c.items() if k in ("subnet_ids", "security_group_ids")}
                for c in values["vpc_config"]
            ],
            "kms_key_arn": values["kms_key_arn"],
            "deployment": values["environment"][0]["variables"]["DEPLOYMENT"],
        }
        for key, values in functions.items()
    }
    expected = {
        "runtime": "python3.13",
        "architectures": ["x86_64"],
        "handler": "app.lambda_handler",
        "layers": [
            "arn:aws:lambda:us-east-1:017000801446:layer:"
            "AWSLambdaPowertoolsPythonV3-python313-x86_64:27"
        ],
        "tracing_config": [{"mode": "Active"}],
        "vpc_config": [{k: sorted(v) for k, v in VPC.items()}],
        "kms_key_arn": KEY_ARN,
        "deployment": "blue",
    }
    assert shared == dict.fromkeys(FUNCTIONS, expected)
    for key, values in functions.items():
        assert values["function_name"] == f"demo-{key}"
        assert values["filename"].endswith(f"dist/{key}.zip"), key
        env = values["environment"][0]["variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == f"demo-{key}", key


def test_each_function_has_its_own_log_group_role_and_policy_under_unchanged_names(
    every_function_plan: Any,
) -> None:
    groups = by_function(every_function_plan, "aws_cloudwatch_log_group.function")
    assert {
        key: (g["name"], g["retention_in_days"], g["kms_key_id"]) for key, g in groups.items()
    } == {key: (f"/aws/lambda/demo-{key}", 30, KEY_ARN) for key in FUNCTIONS}
    roles = by_function(every_function_plan, "aws_iam_role.function")
    assert {key: role["name"] for key, role in roles.items()} == {
        key: f"demo-{key}" for key in FUNCTIONS
    }
    policies = by_function(every_function_plan, "aws_iam_role_policy.function")
    assert {key: policy["name"] for key, policy in policies.items()} == {
        key: name for key, (name, _) in STACK_NAMES.items()
    }
    # Each function's policy is the basics (its own log group, traces, the key,
    # the network interfaces) and then its own statements.
    documents = by_function(every_function_plan, "data.aws_iam_policy_document.function")
    basics = by_function(every_function_plan, "data.aws_iam_policy_document.function_basics")
    assert set(documents) == set(basics) == set(FUNCTIONS)
    for key, (_, kms_actions) in STACK_NAMES.items():
        statements = {s["sid"]: s for s in policy_statements(basics[key])}
        assert set(statements) == {"WriteOwnLogs", "SendTraces", "UseCustomerManagedKey"}, key
        assert statements["UseCustomerManagedKey"]["actions"] == kms_actions, key
        assert statements["UseCustomerManagedKey"]["resources"] == [KEY_ARN], key
        assert len(basics[key]["source_policy_documents"]) == 1, "the VPC statements"
        # The log group's ARN is known after apply, so the plan shows the
        # document's own statements (test_apply_complete reads the whole policy).
        assert documents[key].get("json") is None, key
        assert {s["sid"] for s in policy_statements(documents[key])} == OWN_STATEMENTS[key]


def test_stream_reserved_concurrency_reaches_the_stream_function_only(root: Workspace) -> None:
    plan = root.plan(name="demo", status_events_enabled=True, stream_reserved_concurrency=3)
    functions = by_function(plan, "aws_lambda_function.this")
    assert {key: f["reserved_concurrent_executions"] for key, f in functions.items()} == {
        "transform": -1,
        "query": -1,
        "stream": 3,
        "heal": -1,
    }


def test_no_function_reserves_concurrency_by_default(root: Workspace) -> None:
    plan = root.plan(name="demo", status_events_enabled=True)
    functions = by_function(plan, "aws_lambda_function.this")
    assert {key: f["reserved_concurrent_executions"] for key, f in functions.items()} == {
        key: -1
        for key in FUNCTIONS  # -1: unreserved, the account's pool
    }


# ---------------------------------------------------------------- Storage


def test_table_has_message_id_key_ttl_pitr_and_encryption(default_plan: Any) -> None:
    table = one(default_plan, "aws_dynamodb_table.this[0]")
    assert table["hash_key"] == "message_id"
    assert table.get("range_key") is None
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    key_types = {"message_id": "S", OUTCOME_INDEX.sort_key: "N", "sent": "N"}
    expected = {"message_id"} | {
        key for index in INDEXES for key in (index.partition_key, index.sort_key)
    }
    assert {a["name"]: a["type"] for a in table["attribute"]} == {
        name: key_types.get(name, "S") for name in expected
    }
    assert {
        (index["name"], index["hash_key"], index["range_key"], index["projection_type"])
        for index in table["global_secondary_index"]
    } == {(index.name, index.partition_key, index.sort_key, "KEYS_ONLY") for index in INDEXES}
    assert table["ttl"] == [{"attribute_name": "expires_at", "enabled": True}]
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["enabled"] is True


def test_archive_bucket_is_private_expiring_and_tls_only(default_plan: Any) -> None:
    block = one(default_plan, "aws_s3_bucket_public_access_block.archive[0]")
    assert all(
        block[key]
        for key in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    ownership = one(default_plan, "aws_s3_bucket_ownership_controls.archive[0]")
    assert ownership["rule"] == [{"object_ownership": "BucketOwnerEnforced"}]
    rules = one(default_plan, "aws_s3_bucket_lifecycle_configuration.archive[0]")["rule"]
    (rule,) = [r for r in rules if r["id"] != "expire-athena-results"]
    assert rule["expiration"][0]["days"] == 90
    assert rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"] == 1
    (deny,) = policy_statements(one(default_plan, "data.aws_iam_policy_document.archive_bucket[0]"))
    assert deny["effect"] == "Deny"
    assert deny["actions"] == ["s3:*"]
    condition = deny["condition"]["aws:SecureTransport"]
    assert condition["test"] == "Bool"
    assert condition["values"] == ["false"]


def test_bucket_name_fits_s3_limit_for_the_longest_name(root: Workspace) -> None:
    plan = root.plan(name="a" * 32)
    bucket = one(plan, "aws_s3_bucket.archive[0]")
    assert len(bucket["bucket"]) <= 63


# ---------------------------------------------------------------- IAM


# Key policies, where resource "*" is the key the policy is attached to.
KEY_POLICIES = {"data.aws_iam_policy_document.kms_key_services[0]"}


def test_policies_have_no_wildcard_actions_and_star_only_where_aws_allows_nothing_else(
    root: Workspace,
) -> None:
    plan = root.plan(**WITH_SOURCES, lambda_vpc_config=VPC, status_events_enabled=True)
    documents = planned(plan, "aws_iam_policy_document")
    assert len(documents) >= 10
    assert 'data.aws_iam_policy_document.function["stream"]' in documents
    for address, values in documents.items():
        for statement in policy_statements(values):
            if statement["effect"] == "Deny":
                continue  # the bucket's deny of s3:* over plain HTTP
            assert statement["actions"], f"{address}: statement without actions"
            assert not any("*" in action for action in statement["actions"]), address
            if "*" in statement["resources"] and address not in KEY_POLICIES:
                assert set(statement["actions"]) <= RESOURCELESS_ACTIONS, address


def test_vpc_interface_permissions_are_scoped_to_the_subnets_and_security_groups(
    root: Workspace,
) -> None:
    plan = root.plan(name="demo", lambda_vpc_config=VPC)
    statements = {
        s["sid"]: s
        for s in policy_statements(one(plan, "data.aws_iam_policy_document.vpc_access[0]"))
    }
    subnets = [f"arn:aws:ec2:us-east-1:123456789012:subnet/{id_}" for id_ in VPC["subnet_ids"]]
    groups = [
        f"arn:aws:ec2:us-east-1:123456789012:security-group/{id_}"
        for id_ in VPC["security_group_ids"]
    ]
    interfaces = "arn:aws:ec2:us-east-1:123456789012:network-interface/*"
    create = statements["CreateInterfacesInTheseSubnets"]
    assert create["actions"] == ["ec2:CreateNetworkInterface"]
    assert sorted(create["resources"]) == sorted([interfaces, *subnets, *groups])
    assign = statements["AssignAddressesInTheseSubnets"]
    assert assign["resources"] == [interfaces]
    assert sorted(assign["condition"]["ArnEquals"]["ec2:Subnet"]) == sorted(subnets)
    # Cleaning up is not tied to the current subnets (test_plan_permissions says why).
    clean_up = statements["CleanUpInterfacesInThisAccount"]
    assert clean_up["resources"] == [interfaces]
    assert clean_up["condition"] == {}
    vpc_json = one(plan, "data.aws_iam_policy_document.vpc_access[0]")["json"]
    # Each function's role takes them through its basics (the apply test reads them back).
    for function in ("transform", "query"):
        basics = one(plan, f'data.aws_iam_policy_document.function_basics["{function}"]')
        assert basics["source_policy_documents"] == [vpc_json], function


# A boto3 client whose endpoint service is named otherwise (SES v2's API is email.<region>).
ENDPOINT_OF_CLIENT = {"sesv2": "email"}


def clients_created(function: str) -> set[str]:
    """The AWS services a function's own code calls: its boto3 clients (lambda_src/<name>/)."""
    code = "".join(p.read_text() for p in (ROOT / "lambda_src" / function).glob("*.py"))
    clients = set(re.findall(r"boto3\.client\(\s*\"([a-z0-9-]+)\"", code))
    return {ENDPOINT_OF_CLIENT.get(client, client) for client in clients}


def test_each_function_in_a_vpc_needs_an_endpoint_for_each_service_its_code_calls(
    root: Workspace,
) -> None:
    """vpc_endpoint_services lists, per function, the endpoints its code reaches from the
    subnets: each boto3 client of its code, and X-Ray, which its traces go to (tracing
    is Active). Logs, the stream's records and the on-failure queue are Lambda's own
    calls, made outside the VPC."""
    plan = root.plan(name="demo", status_events_enabled=True, lambda_vpc_config=VPC)
    endpoints = plan.outputs["vpc_endpoint_services"]
    assert set(endpoints) == set(FUNCTIONS)
    for function, services in endpoints.items():
        assert all(s.startswith("com.amazonaws.us-east-1.") for s in services), services
        names = {s.removeprefix("com.amazonaws.us-east-1.") for s in services}
        assert names == clients_created(function) | {"xray"}, function


def test_the_vpc_docs_name_every_endpoint_a_function_needs(root: Workspace) -> None:
    plan = root.plan(name="demo", status_events_enabled=True, lambda_vpc_config=VPC)
    services = {
        s.removeprefix("com.amazonaws.us-east-1.")
        for listed in plan.outputs["vpc_endpoint_services"].values()
        for s in listed
    }
    (description,) = [v.description for v in read_variables() if v.name == "lambda_vpc_config"]
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Running in a VPC", 1)[1].split("\n## ", 1)[0]
    for service in services:
        endpoint = f"com.amazonaws.<region>.{service}"
        assert endpoint in description, f"the lambda_vpc_config description omits {endpoint}"
        assert endpoint in section, f"the README's VPC section omits {endpoint}"


def test_function_roles_read_write_only_what_they_need(sources_plan: Any) -> None:
    transform = policy_statements(
        one(sources_plan, 'data.aws_iam_policy_document.function["transform"]')
    )
    query = policy_statements(one(sources_plan, 'data.aws_iam_policy_document.function["query"]'))
    dynamodb = lambda statements: {  # noqa: E731
        a for s in statements for a in s["actions"] if a.startswith("dynamodb:")
    }
    assert dynamodb(transform) == {
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",  # recipient pointer items
        "dynamodb:GetItem",
        "dynamodb:PutItem",
    }
    assert dynamodb(query) == {"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"}
    (search,) = [s for s in query if "dynamodb:Query" in s["actions"]]
    assert search["actions"] == ["dynamodb:Query"], "Query only where the indexes are"
    # The ARNs are known after apply (test_apply checks them): here, one per index.
    assert len(search["resources"]) == len(INDEXES)


def test_the_query_may_read_the_suppression_list_and_call_no_other_ses_action(
    sources_plan: Any,
) -> None:
    """The recipient page's one SES call; the action supports no resource-level permission."""
    every = [
        policy_statements(one(sources_plan, f'data.aws_iam_policy_document.function["{name}"]'))
        for name in ("transform", "query")
    ]
    transform, query = ([a for s in statements for a in s["actions"]] for statements in every)
    assert [a for a in query if not a.startswith(("dynamodb:", "logs:", "xray:", "kms:"))] == [
        "ses:GetSuppressedDestination"
    ]
    (lookup,) = [s for s in every[1] if "ses:GetSuppressedDestination" in s["actions"]]
    assert (lookup["sid"], lookup["actions"], lookup["resources"]) == (
        "ReadSuppressionList",
        ["ses:GetSuppressedDestination"],
        ["*"],
    )
    assert "condition" not in lookup or not lookup["condition"]
    assert not [a for a in transform if a.startswith("ses:")]


def test_correlation_key_reaches_the_transform_only(root: Workspace) -> None:
    plan = root.plan(name="demo", correlation_key="order_id")
    transform = one(plan, 'aws_lambda_function.this["transform"]')["environment"][0]["variables"]
    query = one(plan, 'aws_lambda_function.this["query"]')["environment"][0]["variables"]
    assert transform["CORRELATION_KEY"] == "order_id"
    assert "CORRELATION_KEY" not in query
    assert transform["SEARCH_SHARDS"] == query["SEARCH_SHARDS"] == "4"


def test_firehose_role_invokes_only_transform_and_writes_only_bucket(sources_plan: Any) -> None:
    statements = {
        s["sid"]: s
        for s in policy_statements(one(sources_plan, "data.aws_iam_policy_document.firehose[0]"))
    }
    assert set(statements) == {"InvokeTransform", "ArchiveToBucket", "WriteDeliveryLogs"}
    assert set(statements["InvokeTransform"]["actions"]) == {
        "lambda:InvokeFunction",
        "lambda:GetFunctionConfiguration",
    }
    assert all(a.startswith("s3:") for a in statements["ArchiveToBucket"]["actions"])
    trust = policy_statements(one(sources_plan, "data.aws_iam_policy_document.firehose_assume[0]"))
    (assume,) = trust
    assert assume["principal"] == {"Service": "firehose.amazonaws.com"}
    assert assume["condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert assume["condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/demo-events"
    }


@pytest.mark.parametrize(
    ("source", "service", "source_arn"),
    [
        (
            "pinpoint",
            "pinpoint.amazonaws.com",
            "arn:aws:mobiletargeting:us-east-1:123456789012:apps/0123456789abcdef0123456789abcdef/*",
        ),
        (
            "ses",
            "ses.amazonaws.com",
            "arn:aws:ses:us-east-1:123456789012:configuration-set/transactional",
        ),
        (
            "sms",
            "sms-voice.amazonaws.com",
            "arn:aws:sms-voice:us-east-1:123456789012:configuration-set/sms-alerts",
        ),
    ],
)
def test_source_roles_trust_only_their_service_for_these_sources(
    sources_plan: Any, source: str, service: str, source_arn: str
) -> None:
    (assume,) = policy_statements(
        one(sources_plan, f'data.aws_iam_policy_document.source_assume["{source}"]')
    )
    assert assume["actions"] == ["sts:AssumeRole"]
    assert assume["principal"] == {"Service": service}
    assert assume["condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": source_arn},
    }
    role = one(sources_plan, f'aws_iam_role.source["{source}"]')
    assert role["name"] == f"demo-{source}-source"


def test_source_roles_may_only_put_to_this_stream(sources_plan: Any) -> None:
    (put,) = policy_statements(one(sources_plan, "data.aws_iam_policy_document.put_to_stream[0]"))
    assert sorted(put["actions"]) == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    assert len(put["resources"]) == 1
    attached = planned(sources_plan, "aws_iam_role_policy")
    for source in ("pinpoint", "ses", "sms"):
        assert f'aws_iam_role_policy.source["{source}"]' in attached


def test_no_source_roles_without_sources(default_plan: Any) -> None:
    roles = {v["name"] for v in planned(default_plan, "aws_iam_role").values()}
    assert roles == {"demo-transform", "demo-query", "demo-heal", "demo-firehose"}
    assert not planned(default_plan, "aws_pinpoint_event_stream")
    assert not planned(default_plan, "aws_sesv2_configuration_set_event_destination")


# ---------------------------------------------------------------- Sources


def test_ses_destination_sends_every_event_type_to_the_stream(sources_plan: Any) -> None:
    destination = one(
        sources_plan, 'aws_sesv2_configuration_set_event_destination.this["transactional"]'
    )
    assert destination["configuration_set_name"] == "transactional"
    (spec,) = destination["event_destination"]
    assert spec["enabled"] is True
    assert set(spec["matching_event_types"]) == SES_EVENT_TYPES
    assert len(spec["kinesis_firehose_destination"]) == 1


def test_pinpoint_event_stream_per_project(sources_plan: Any) -> None:
    streams = planned(sources_plan, "aws_pinpoint_event_stream")
    assert [v["application_id"] for v in streams.values()] == ["0123456789abcdef0123456789abcdef"]


PINPOINT_CHECK = "check.pinpoint_end_of_support"


def test_pinpoint_inputs_plan_with_an_end_of_support_warning(sources_plan: Any) -> None:
    """Deprecated, not removed: the project still streams, and the plan warns."""
    (message,) = check_warnings(sources_plan)[PINPOINT_CHECK]
    assert "2026-10-30" in message
    assert "docs/migrating-from-pinpoint.md" in message
    assert "ses_configuration_set_names" in message
    assert "sms_configuration_set_names" in message


def test_pinpoint_applications_map_warns_too(root: Workspace) -> None:
    plan = root.plan(name="demo", pinpoint_applications={"legacy": "0123456789abcdef"})
    assert PINPOINT_CHECK in check_warnings(plan)
    assert planned(plan, "aws_pinpoint_event_stream")


def test_no_pinpoint_warning_without_pinpoint_inputs(default_plan: Any, root: Workspace) -> None:
    assert check_warnings(default_plan) == {}
    without_pinpoint = {key: value for key, value in WITH_SOURCES.items() if "pinpoint" not in key}
    assert check_warnings(root.plan(**without_pinpoint)) == {}


# ---------------------------------------------------------------- Examples


def test_basic_example_wires_one_ses_configuration_set(workspaces: dict[str, Workspace]) -> None:
    plan = workspaces["basic"].plan()
    (config_set,) = planned(plan, "aws_sesv2_configuration_set").values()
    (destination,) = planned(plan, "aws_sesv2_configuration_set_event_destination").values()
    assert destination["configuration_set_name"] == config_set["configuration_set_name"]
    assert not planned(plan, "aws_pinpoint_event_stream")
    roles = {v["name"] for v in planned(plan, "aws_iam_role").values()}
    assert "msgstatus-basic-ses-source" in roles


PROJECT = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def migration(workspaces: dict[str, Workspace]) -> tuple[Any, Any]:
    """examples/per-project planned at step 1 (the project still streams) and step 3 (dropped)."""
    example = workspaces["per-project"]
    return example.plan(pinpoint_application_id=PROJECT), example.plan()


def managed(plan: Any) -> set[str]:
    """Addresses of the managed resources a plan would create."""
    return {
        change["address"]
        for change in plan.resource_changes.values()
        if change["mode"] == "managed" and "create" in change["change"]["actions"]
    }


def test_per_project_example_adds_ses_and_sms_beside_the_project_stream(migration: Any) -> None:
    during, _ = migration
    (stream,) = planned(during, "aws_pinpoint_event_stream").values()
    assert stream["application_id"] == PROJECT
    (email,) = planned(during, "aws_sesv2_configuration_set").values()
    (destination,) = planned(during, "aws_sesv2_configuration_set_event_destination").values()
    assert destination["configuration_set_name"] == email["configuration_set_name"]
    (sms,) = planned(during, "aws_pinpointsmsvoicev2_configuration_set").values()
    assume = policy_statements(one(during, 'data.aws_iam_policy_document.source_assume["sms"]'))
    assert assume[0]["condition"]["ArnLike"]["aws:SourceArn"].endswith(
        f":configuration-set/{sms['name']}"
    )
    transform = one(during, 'aws_lambda_function.this["transform"]')
    assert transform["environment"][0]["variables"]["CORRELATION_KEY"] == "order_id"
    (warning,) = check_warnings(during).values()
    assert "2026-10-30" in warning[0]


def test_per_project_example_drops_only_the_project_stream_at_the_last_step(
    migration: Any,
) -> None:
    """The same module instance throughout: the table, archive and API stay as they are."""
    during, after = migration
    assert managed(after) < managed(during)
    assert managed(during) - managed(after) == {
        'module.message_status.aws_pinpoint_event_stream.this["0123456789abcdef0123456789abcdef"]',
        'module.message_status.aws_iam_role.source["pinpoint"]',
        'module.message_status.aws_iam_role_policy.source["pinpoint"]',
    }
    assert check_warnings(after) == {}
    for kind in ("aws_dynamodb_table", "aws_apigatewayv2_api", "aws_s3_bucket"):
        assert planned(during, kind) == planned(after, kind)


@pytest.fixture(scope="module")
def complete_plan(workspaces: dict[str, Workspace]) -> Any:
    return workspaces["complete"].plan()


def test_complete_example_authenticates_with_jwt(complete_plan: Any) -> None:
    routes = planned(complete_plan, "aws_apigatewayv2_route")
    assert {r["authorization_type"] for r in routes.values()} == {"JWT"}
    authorizer = one(complete_plan, "aws_apigatewayv2_authorizer.jwt[0]")
    assert authorizer["authorizer_type"] == "JWT"
    assert authorizer["identity_sources"] == ["$request.header.Authorization"]
    assert authorizer["jwt_configuration"] == [
        {"issuer": "https://auth.example.com/", "audience": ["message-status-readers"]}
    ]


def test_complete_example_encrypts_everything_with_its_key(complete_plan: Any) -> None:
    assert one(complete_plan, "aws_kms_key.this")["enable_key_rotation"] is True
    # The key ARN is only known after apply: check the encrypting attributes depend on it.
    changes = {c["address"]: c["change"] for c in complete_plan.resource_changes.values()}
    stream = changes['module.message_status.aws_kinesis_firehose_delivery_stream.this["events"]']
    assert stream["after"]["server_side_encryption"][0]["enabled"] is True
    assert stream["after_unknown"]["server_side_encryption"][0] == {
        "key_arn": True,
        "key_type": True,
    }
    unknown = changes["module.message_status.aws_dynamodb_table.this[0]"]["after_unknown"]
    assert unknown["server_side_encryption"][0]["kms_key_arn"] is True
    for group in (
        'function["transform"]',
        'function["query"]',
        'function["stream"]',
        'function["heal"]',
        "firehose[0]",
        "api[0]",
    ):
        after_unknown = changes[f"module.message_status.aws_cloudwatch_log_group.{group}"][
            "after_unknown"
        ]
        assert after_unknown["kms_key_id"] is True, group


def test_complete_example_backs_up_raw_records_and_uses_its_settings(complete_plan: Any) -> None:
    stream = one(
        complete_plan, 'module.message_status.aws_kinesis_firehose_delivery_stream.this["events"]'
    )
    (s3,) = stream["extended_s3_configuration"]
    assert s3["s3_backup_mode"] == "Enabled"
    assert s3["s3_backup_configuration"][0]["prefix"].startswith("raw/")
    assert processor_parameters(stream) | {"LambdaArn": ""} == {
        "LambdaArn": "",
        "BufferIntervalInSeconds": "0",
        "BufferSizeInMBs": "0.5",
    }
    transform = one(complete_plan, 'module.message_status.aws_lambda_function.this["transform"]')
    assert transform["runtime"] == "python3.13"
    assert transform["architectures"] == ["x86_64"]
    assert transform["layers"][0].endswith(":layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27")


def test_complete_example_puts_every_role_under_a_path_and_a_boundary(complete_plan: Any) -> None:
    roles = {
        address: values
        for address, values in planned(complete_plan, "aws_iam_role").items()
        if address.startswith("module.message_status.")
    }
    assert len(roles) == 8  # transform, query, stream, heal, firehose, ses and sms sources, webhook
    assert {role["path"] for role in roles.values()} == {"/message-status/"}
    changes = {c["address"]: c["change"] for c in complete_plan.resource_changes.values()}
    for address in roles:
        # The boundary is the example's own policy, known only after apply.
        assert changes[address]["after_unknown"]["permissions_boundary"] is True, address


def test_complete_example_wires_ses_and_sms_sources(complete_plan: Any) -> None:
    destinations = planned(complete_plan, "aws_sesv2_configuration_set_event_destination")
    assert len(destinations) == 1
    roles = {v["name"] for v in planned(complete_plan, "aws_iam_role").values()}
    assert {"msgstatus-complete-ses-source", "msgstatus-complete-sms-source"} <= roles
    assert "msgstatus-complete-pinpoint-source" not in roles


def test_disabled_instance_creates_nothing(complete_plan: Any) -> None:
    disabled = [c for c in complete_plan.resource_changes if c.startswith("module.disabled.")]
    assert disabled == []
    assert complete_plan.outputs.get("table_name") is not None
