"""The permission proof's own parts, offline: the evaluator against the IAM User Guide's
examples, the reference check, the call table and the source scan.

The proof itself runs on the examples/complete deployment
(tests/terraform/test_apply_complete.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from devkit.permissions import waivers
from devkit.permissions.calls import (
    Call,
    CallRecorder,
    UnmappedOperation,
    Where,
    authorizations,
)
from devkit.permissions.evaluate import (
    Principal,
    Request,
    Unsupported,
    condition_holds,
    decide,
)
from devkit.permissions.reference import (
    RESOURCELESS_ACTIONS,
    check_document,
    expand_action,
    requires_a_resource,
    resource_types_of,
)
from devkit.permissions.scan import operations_called
from devkit.permissions.waivers import waived

ACCOUNT = "123456789012"
ROLE = Principal(arn=f"arn:aws:iam::{ACCOUNT}:role/app")


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# --- policy evaluation logic (IAM User Guide) ----------------------------------------------
# reference_policies_evaluation-logic_policy-eval-basics.html: Carlos may use his own
# bucket, and a Deny of every bucket named *log* overrides what a bucket policy allows.

CARLOS = Principal(arn=f"arn:aws:iam::{ACCOUNT}:user/carlossalazar")
CARLOS_POLICY = policy(
    {
        "Sid": "AllowS3ListRead",
        **allow(
            ["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock", "s3:ListAllMyBuckets"],
            "arn:aws:s3:::*",
        ),
    },
    {
        "Sid": "AllowS3Self",
        **allow(
            "s3:*",
            [
                "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*",
                "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar",
            ],
        ),
    },
    {"Sid": "DenyS3Logs", **deny("s3:*", "arn:aws:s3:::*log*")},
)
LOGS_BUCKET_POLICY = policy(
    {
        "Effect": "Allow",
        "Principal": {"AWS": CARLOS.arn},
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*",
    }
)


def put(bucket: str) -> Request:
    return Request(CARLOS, "s3:PutObject", f"arn:aws:s3:::{bucket}/file.txt")


def test_an_identity_policy_allows_its_own_bucket() -> None:
    assert decide(put("amzn-s3-demo-bucket-carlossalazar"), identity=[CARLOS_POLICY])


def test_an_explicit_deny_overrides_a_bucket_policy_that_allows() -> None:
    decision = decide(
        put("amzn-s3-demo-bucket-carlossalazar-logs"),
        identity=[CARLOS_POLICY],
        resource_policy=LOGS_BUCKET_POLICY,
    )
    assert not decision
    assert "DenyS3Logs" in decision.reason


def test_a_resource_policy_naming_the_principal_allows_without_an_identity_policy() -> None:
    assert decide(put("amzn-s3-demo-bucket-carlossalazar-logs"), resource_policy=LOGS_BUCKET_POLICY)


def test_nothing_allows_what_no_policy_mentions() -> None:
    assert not decide(put("someone-else"), identity=[CARLOS_POLICY])


# --- permissions boundaries (access_policies_boundaries.html) ------------------------------
# The boundary allows S3, CloudWatch and EC2; the identity policy allows iam:CreateUser:
# "the operation fails because the permissions boundary does not allow" it.

BOUNDARY = policy(allow(["s3:*", "cloudwatch:*", "ec2:*"]))
CREATE_USERS = policy(allow("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/*"))


def test_a_boundary_caps_what_the_identity_policy_allows() -> None:
    request = Request(ROLE, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/new")
    assert decide(request, identity=[CREATE_USERS])
    decision = decide(request, identity=[CREATE_USERS], boundary=BOUNDARY)
    assert not decision
    assert "boundary" in decision.reason


def test_a_boundary_alone_allows_nothing() -> None:
    request = Request(ROLE, "s3:GetObject", "arn:aws:s3:::bucket/key")
    assert not decide(request, boundary=BOUNDARY)
    assert decide(request, identity=[policy(allow("s3:GetObject"))], boundary=BOUNDARY)


def test_a_deny_in_the_boundary_wins() -> None:
    boundary = policy(allow("*"), deny("s3:DeleteObject"))
    request = Request(ROLE, "s3:DeleteObject", "arn:aws:s3:::bucket/key")
    assert not decide(request, identity=[policy(allow("s3:*"))], boundary=boundary)


def test_not_action_allows_everything_but_what_it_names() -> None:
    # reference_policies_elements_notaction.html: "everything except IAM".
    everything_but_iam = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decide(Request(ROLE, "s3:ListBucket", "arn:aws:s3:::b"), identity=[everything_but_iam])
    assert not decide(
        Request(ROLE, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x"),
        identity=[everything_but_iam],
    )


# --- key policies (kms key-policies.html) ---------------------------------------------------

KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROOT_DELEGATES = policy(
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
)


def test_a_key_policy_that_delegates_to_the_account_lets_iam_decide() -> None:
    request = Request(ROLE, "kms:Decrypt", KEY)
    decrypt = policy(allow("kms:Decrypt", KEY))
    assert decide(
        request, identity=[decrypt], resource_policy=ROOT_DELEGATES, resource_policy_required=True
    )
    assert not decide(request, resource_policy=ROOT_DELEGATES, resource_policy_required=True)


def test_without_the_key_policy_no_identity_policy_can_use_a_key() -> None:
    logs_only = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    request = Request(ROLE, "kms:Decrypt", KEY)
    assert not decide(
        request,
        identity=[policy(allow("kms:*"))],
        resource_policy=logs_only,
        resource_policy_required=True,
    )


def test_a_service_principal_needs_a_statement_naming_it_with_its_source() -> None:
    # sqs: EventBridge may send to a dead-letter queue only for its rule.
    rule = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/bus/hook"
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"
    queue_policy = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
        }
    )
    events = Principal(service="events.amazonaws.com")
    assert decide(
        Request(events, "sqs:SendMessage", queue, {"aws:SourceArn": rule}),
        resource_policy=queue_policy,
    )
    assert not decide(
        Request(events, "sqs:SendMessage", queue, {"aws:SourceArn": f"{rule}-other"}),
        resource_policy=queue_policy,
    )
    assert not decide(
        Request(Principal(service="sns.amazonaws.com"), "sqs:SendMessage", queue),
        resource_policy=queue_policy,
    )


# --- condition operators (reference_policies_elements_condition_operators.html) -------------


@pytest.mark.parametrize(
    ("operator", "wanted", "given", "holds"),
    [
        ("StringEquals", ["a", "b"], "b", True),  # any of the values
        ("StringEquals", "A", "a", False),  # case-sensitive
        ("StringEqualsIgnoreCase", "A", "a", True),
        ("StringNotEquals", "a", "b", True),
        ("StringLike", "home/*", "home/jane/x", True),
        ("StringLike", "home/?", "home/jj", False),
        (
            "ArnLike",
            "arn:aws:sns:*:123456789012:topic",
            "arn:aws:sns:eu-west-1:123456789012:topic",
            True,
        ),
        # Each of the six parts on its own: * does not cross a colon.
        ("ArnLike", "arn:aws:sns:*:topic", "arn:aws:sns:eu-west-1:123456789012:topic", False),
        ("ArnEquals", "arn:aws:events:*:1:rule/r", "arn:aws:events:us-east-1:1:rule/r", True),
        ("Bool", "false", "false", True),
        ("Bool", "false", "true", False),
    ],
)
def test_condition_operators_compare_as_iam_does(
    operator: str, wanted: Any, given: str, holds: bool
) -> None:
    assert condition_holds(operator, "k", wanted, {"k": given}) is holds


def test_a_missing_key_fails_a_condition_but_not_its_negation_nor_if_exists() -> None:
    assert condition_holds("StringEquals", "aws:SourceAccount", "1", {}) is False
    assert condition_holds("StringNotEquals", "aws:SourceAccount", "1", {}) is True
    assert condition_holds("StringEqualsIfExists", "aws:SourceAccount", "1", {}) is True
    assert condition_holds("Null", "aws:SourceAccount", "true", {}) is True


def test_condition_key_names_are_case_insensitive() -> None:
    assert condition_holds("StringEquals", "AWS:SourceAccount", "1", {"aws:sourceaccount": "1"})


def test_an_operator_it_does_not_implement_raises_instead_of_guessing() -> None:
    with pytest.raises(Unsupported):
        condition_holds("NumericLessThan", "k", "1", {"k": "0"})
    with pytest.raises(Unsupported):
        condition_holds("ForAnyValue:StringNotEquals", "k", "1", {"k": "1"})
    with pytest.raises(Unsupported):
        condition_holds("ForSomeValues:StringEquals", "k", "1", {"k": "1"})


def test_bool_secure_transport_deny_refuses_plain_http_only() -> None:
    tls_only = policy(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    identity = [policy(allow("s3:GetObject"))]
    request = Request(ROLE, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": "true"})
    assert decide(request, identity=identity, resource_policy=tls_only)
    plain = Request(ROLE, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": "false"})
    assert not decide(plain, identity=identity, resource_policy=tls_only)


# --- the reference check ------------------------------------------------------------------


def problems(*statements: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [f.key for f in check_document("test", policy(*statements))]


def test_a_valid_statement_has_no_finding() -> None:
    assert (
        problems(
            {
                "Sid": "Ok",
                **allow(
                    ["dynamodb:GetItem", "dynamodb:Query"],
                    [
                        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t",
                        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t/index/*",
                    ],
                ),
            },
            {"Sid": "Star", **allow("xray:PutTraceSegments")},
            {
                "Sid": "Kms",
                **allow(
                    "kms:Decrypt",
                    KEY,
                    Condition={
                        "StringEquals": {
                            "kms:ViaService": "kinesis.us-east-1.amazonaws.com",
                            "kms:EncryptionContext:aws:kinesis:arn": "arn:aws:kinesis:us-east-1:1:stream/s",
                        }
                    },
                ),
            },
        )
        == []
    )


def test_an_unknown_action_is_a_finding() -> None:
    assert problems({"Sid": "S", **allow("dynamodb:GetItems")}) == [
        ("unknown-action", "S", "dynamodb:GetItems")
    ]


def test_an_action_that_supports_only_star_given_an_arn_is_a_finding() -> None:
    assert problems(
        {"Sid": "S", **allow("dynamodb:ListStreams", "arn:aws:dynamodb:us-east-1:1:table/t")}
    ) == [("star-only", "S", "dynamodb:ListStreams")]


def test_an_arn_of_the_wrong_resource_type_is_a_finding() -> None:
    # GetRecords reads a stream, not the table.
    assert ("resource-mismatch", "S", "dynamodb:GetRecords") in problems(
        {"Sid": "S", **allow("dynamodb:GetRecords", "arn:aws:dynamodb:us-east-1:1:table/t")}
    )


def test_a_condition_key_the_action_never_carries_is_a_finding() -> None:
    # Defect #3's shape: s3:prefix is a key of list requests only.
    assert problems(
        {
            "Sid": "S",
            **allow(
                ["s3:GetBucketLocation", "s3:ListBucket"],
                "arn:aws:s3:::b",
                Condition={"StringLike": {"s3:prefix": "events/*"}},
            ),
        }
    ) == [("condition-key", "S", "s3:prefix")]


def test_the_actions_listed_as_taking_only_star_require_no_resource_in_the_reference() -> None:
    for action in sorted(RESOURCELESS_ACTIONS):
        assert expand_action(action), f"{action} is not in the reference"
        assert not requires_a_resource(action), action
    # What the list must not hold: a data action, whose requests always name their resource.
    assert requires_a_resource("dynamodb:GetItem")
    assert requires_a_resource("ses:SendEmail")  # its identity


def test_a_waiver_covers_the_findings_it_names_and_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waiver = ("condition-key", "LogsUseTheKey", "kms:EncryptionContext:*")
    monkeypatch.setattr(waivers, "WAIVERS", {waiver: "the reason"})
    assert waived(("condition-key", "LogsUseTheKey", "kms:EncryptionContext:aws:logs:arn")) == (
        waiver
    )
    assert waived(("condition-key", "OtherStatement", "kms:EncryptionContext:x")) is None
    assert waived(("unknown-action", "LogsUseTheKey", "kms:EncryptionContext:x")) is None
    assert waived(("condition-key", "LogsUseTheKey", "kms:ViaService")) is None


def test_log_stream_and_index_arns_are_typed_by_the_reference() -> None:
    assert "logs:log-stream" in resource_types_of(
        "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:*"
    )
    assert resource_types_of("arn:aws:dynamodb:us-east-1:1:table/t/index/*") == {"dynamodb:index"}
    assert resource_types_of("arn:aws:dynamodb:us-east-1:1:table/t") == {"dynamodb:table"}
    assert resource_types_of("arn:aws:s3:::b/errors/x") == {"s3:object"}


# --- recorded calls and the operation table -------------------------------------------------

WHERE = Where(ACCOUNT, "us-east-1")


def test_the_recorder_keeps_the_parameters_that_name_resources() -> None:
    recorder = CallRecorder()
    client = boto3.client(
        "events", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    recorder.attach(client.meta.events)
    client.meta.events.register("before-send", lambda **_: _stop())
    with pytest.raises(_Stopped):
        client.put_events(
            Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "bus"}]
        )
    assert recorder.calls == [Call("events", "PutEvents", {"EventBusNames": ["bus"]})]


class _Stopped(Exception):
    pass


def _stop() -> None:
    raise _Stopped


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            Call("dynamodb", "BatchWriteItem", {"RequestItems": ["t"]}),
            [("dynamodb:BatchWriteItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t")],
        ),
        (
            Call("dynamodb", "Query", {"TableName": "t", "IndexName": "by_recipient"}),
            [
                (
                    "dynamodb:Query",
                    f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t/index/by_recipient",
                )
            ],
        ),
        (
            Call(
                "s3",
                "CopyObject",
                {"Bucket": "b", "Key": "errors/replayed/k", "CopySource": "b/errors/k"},
            ),
            [
                ("s3:GetObject", "arn:aws:s3:::b/errors/k"),
                ("s3:PutObject", "arn:aws:s3:::b/errors/replayed/k"),
            ],
        ),
        (
            Call(
                "sqs",
                "SendMessage",
                {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/999999999999/q"},
            ),
            [("sqs:SendMessage", "arn:aws:sqs:us-east-1:999999999999:q")],
        ),
        # A conditional write or delete (If-Match, the heal function's) reads the ETag too.
        (
            Call("s3", "DeleteObject", {"Bucket": "b", "Key": "errors/k", "IfMatch": '"e"'}),
            [
                ("s3:DeleteObject", "arn:aws:s3:::b/errors/k"),
                ("s3:GetObject", "arn:aws:s3:::b/errors/k"),
            ],
        ),
        (
            Call("s3", "PutObject", {"Bucket": "b", "Key": "errors/k"}),
            [("s3:PutObject", "arn:aws:s3:::b/errors/k")],
        ),
        (
            Call("events", "PutEvents", {"EventBusNames": ["default"]}),
            [("events:PutEvents", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default")],
        ),
        # The account's suppression list is no resource; a tenant's is its tenant.
        (
            Call("sesv2", "GetSuppressedDestination", {"EmailAddress": "a@example.com"}),
            [("ses:GetSuppressedDestination", "*")],
        ),
        (
            Call(
                "sesv2",
                "DeleteSuppressedDestination",
                {"EmailAddress": "a@example.com", "TenantName": "acme"},
            ),
            [
                (
                    "ses:DeleteSuppressedDestination",
                    f"arn:aws:ses:us-east-1:{ACCOUNT}:tenant/acme/*",
                )
            ],
        ),
        (
            Call("lambda", "GetFunctionConfiguration", {"FunctionName": "t"}),
            [("lambda:GetFunctionConfiguration", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:t")],
        ),
        (
            Call(
                "lambda",
                "GetFunctionConfiguration",
                {"FunctionName": "arn:aws:lambda:eu-west-1:999999999999:function:t"},
            ),
            [
                (
                    "lambda:GetFunctionConfiguration",
                    "arn:aws:lambda:eu-west-1:999999999999:function:t",
                )
            ],
        ),
    ],
)
def test_each_operation_maps_to_the_action_and_arn_iam_authorizes(
    call: Call, expected: list[tuple[str, str]]
) -> None:
    assert [(a.action, a.resource) for a in authorizations(call, WHERE)] == expected


def test_list_objects_carries_its_prefix_as_a_condition_key() -> None:
    (auth,) = authorizations(
        Call("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "errors/"}), WHERE
    )
    assert auth.context["s3:prefix"] == "errors/"


def test_a_write_that_asks_for_its_consumed_capacity_carries_it_as_a_condition_key() -> None:
    """The backfill's paced writes ask for it; a policy may deny what does."""
    (paced,) = authorizations(
        Call("dynamodb", "PutItem", {"TableName": "t", "ReturnConsumedCapacity": "TOTAL"}), WHERE
    )
    (plain,) = authorizations(Call("dynamodb", "PutItem", {"TableName": "t"}), WHERE)
    assert paced.context["dynamodb:ReturnConsumedCapacity"] == "TOTAL"
    assert "dynamodb:ReturnConsumedCapacity" not in plain.context
    refuses_paced = policy(
        allow("dynamodb:PutItem"),
        deny(
            "dynamodb:PutItem",
            Condition={"StringEquals": {"dynamodb:ReturnConsumedCapacity": "TOTAL"}},
        ),
    )
    assert decide(
        Request(ROLE, plain.action, plain.resource, plain.context), identity=[refuses_paced]
    )
    assert not decide(
        Request(ROLE, paced.action, paced.resource, paced.context), identity=[refuses_paced]
    )


def test_an_operation_the_table_does_not_know_fails_loudly() -> None:
    with pytest.raises(UnmappedOperation, match=r"sqs\.DeleteQueue"):
        authorizations(Call("sqs", "DeleteQueue", {"QueueUrl": "https://x/1/q"}), WHERE)


# --- the source scan ----------------------------------------------------------------------


def test_the_scan_finds_every_client_call_of_the_functions_and_the_cli() -> None:
    root = Path(__file__).parent.parent
    assert operations_called([root / "lambda_src"]) == {
        ("dynamodb", "BatchGetItem"),
        ("dynamodb", "BatchWriteItem"),
        ("dynamodb", "GetItem"),
        ("dynamodb", "PutItem"),
        ("dynamodb", "Query"),
        ("events", "PutEvents"),
        ("s3", "DeleteObject"),  # the heal function: an error object healed
        ("s3", "GetObject"),  # ... read
        ("s3", "PutObject"),  # ... its archive lines, parked records, unread rest
        ("sesv2", "GetSuppressedDestination"),  # the query's recipient page
    }
    # The CLI's table writes (backfill) are the core's store's calls, found above.
    assert operations_called([root / "cli" / "src"]) == {
        ("firehose", "PutRecordBatch"),  # replay
        ("lambda", "GetFunctionConfiguration"),  # backfill: the transform's settings
        ("s3", "CopyObject"),
        ("s3", "DeleteObject"),
        ("s3", "GetObject"),  # replay and backfill
        ("s3", "ListObjectsV2"),
        ("sesv2", "DeleteSuppressedDestination"),  # recipient --remove-from-suppression-list
        ("sts", "GetCallerIdentity"),  # ... names whose credentials remove it
    }


def test_the_scan_finds_a_new_call_and_its_paginators(tmp_path: Path) -> None:
    (tmp_path / "new.py").write_text(
        "import boto3\n"
        "sqs = boto3.client('sqs')\n"
        "sqs.delete_queue(QueueUrl='u')\n"
        "sqs.get_paginator('list_queues')\n"
    )
    assert operations_called([tmp_path]) == {("sqs", "DeleteQueue"), ("sqs", "ListQueues")}
