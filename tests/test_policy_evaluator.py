"""One policy on its own (devkit.permissions.evaluate.allows, which the plan tests ask),
against the IAM User Guide's rules.

Each case is a rule the guide states: "IAM JSON policy elements: Action"
(case-insensitive, wildcards), "Resource" (ARNs match case-sensitively, ``*``
and ``?``), "Condition operators" (a missing key fails a positive operator, an
``IfExists`` form passes it), and "Policy evaluation logic" (an explicit Deny
wins over any Allow; nothing allowed without an Allow). The whole evaluation
(boundaries, resource, key and trust policies) is tested in test_permissions.py.
"""

from __future__ import annotations

import json

import pytest

from devkit.permissions.evaluate import allowed_requests, allows

BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"


def allow(action: str, resource: str, condition: dict | None = None) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return statement | ({"Condition": condition} if condition else {})


def test_actions_match_without_case_and_with_wildcards() -> None:
    policy = [allow("s3:Get*", f"{BUCKET}/*")]
    assert allows(policy, "S3:GETOBJECT", f"{BUCKET}/key")
    assert not allows(policy, "s3:PutObject", f"{BUCKET}/key")


def test_resources_match_with_case_and_both_wildcards() -> None:
    policy = [allow("s3:GetObject", f"{BUCKET}/home/?/*")]
    assert allows(policy, "s3:GetObject", f"{BUCKET}/home/a/notes.txt")
    assert not allows(policy, "s3:GetObject", f"{BUCKET}/home/ab/notes.txt")
    assert not allows(policy, "s3:GetObject", f"{BUCKET}/HOME/a/notes.txt")


def test_an_explicit_deny_wins_and_nothing_is_allowed_by_default() -> None:
    policy = [
        allow("s3:*", "*"),
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
    ]
    assert allows(policy, "s3:GetObject", f"{BUCKET}/key")
    assert not allows(policy, "s3:DeleteObject", f"{BUCKET}/key")
    assert not allows([], "s3:GetObject", f"{BUCKET}/key")


def test_not_action_allows_everything_else() -> None:
    policy = [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]
    assert allows(policy, "s3:GetObject", f"{BUCKET}/key")
    assert not allows(policy, "iam:CreateUser", "*")


def test_a_condition_on_a_key_the_request_lacks_fails_unless_if_exists() -> None:
    listing = allow("s3:ListBucket", BUCKET, {"StringLike": {"s3:prefix": ["home/*"]}})
    assert allows([listing], "s3:ListBucket", BUCKET, {"s3:prefix": "home/a"})
    assert not allows([listing], "s3:ListBucket", BUCKET, {"s3:prefix": "etc/"})
    # GetBucketLocation carries no s3:prefix: such a statement never allows it.
    location = allow("s3:GetBucketLocation", BUCKET, {"StringLike": {"s3:prefix": ["home/*"]}})
    assert not allows([location], "s3:GetBucketLocation", BUCKET)
    lenient = allow("s3:ListBucket", BUCKET, {"StringLikeIfExists": {"s3:prefix": ["home/*"]}})
    assert allows([lenient], "s3:ListBucket", BUCKET)


def test_for_all_values_holds_when_every_request_value_is_listed_and_when_there_are_none() -> None:
    """IAM User Guide, "Set operators for multivalued context keys": ForAllValues is true
    when every value in the request matches one in the policy, and when the key is
    missing or empty; ForAnyValue when at least one does, false when it is missing."""
    bus = "arn:aws:events:us-east-1:123456789012:event-bus/central"
    only = {"ForAllValues:StringEquals": {"events:source": ["aws.ses", "aws.sms-voice"]}}
    policy = [allow("events:PutEvents", bus, only)]
    assert allows(policy, "events:PutEvents", bus, {"events:source": ["aws.ses"]})
    assert allows(policy, "events:PutEvents", bus, {"events:source": ["aws.ses", "aws.sms-voice"]})
    assert not allows(policy, "events:PutEvents", bus, {"events:source": ["aws.ses", "aws.ec2"]})
    assert allows(policy, "events:PutEvents", bus), "missing: ForAllValues still holds"
    present = {**only, "Null": {"events:source": "false"}}
    assert not allows([allow("events:PutEvents", bus, present)], "events:PutEvents", bus)
    any_of = {"ForAnyValue:StringEquals": {"events:source": ["aws.ses"]}}
    policy = [allow("events:PutEvents", bus, any_of)]
    assert allows(policy, "events:PutEvents", bus, {"events:source": ["aws.ec2", "aws.ses"]})
    assert not allows(policy, "events:PutEvents", bus, {"events:source": ["aws.ec2"]})
    assert not allows(policy, "events:PutEvents", bus)


def test_arn_conditions_match_part_by_part() -> None:
    policy = [
        allow(
            "ec2:DeleteNetworkInterface",
            "*",
            {"ArnLike": {"ec2:Subnet": ["arn:aws:ec2:*:123456789012:subnet/*"]}},
        )
    ]
    subnet = "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-1"
    assert allows(policy, "ec2:DeleteNetworkInterface", "eni", {"ec2:Subnet": subnet})
    other = "arn:aws:ec2:us-east-1:210987654321:subnet/subnet-1"
    assert not allows(policy, "ec2:DeleteNetworkInterface", "eni", {"ec2:Subnet": other})


def test_an_operator_it_does_not_know_is_refused_rather_than_guessed() -> None:
    policy = [allow("s3:GetObject", "*", {"DateLessThan": {"aws:CurrentTime": "2030-01-01"}})]
    with pytest.raises(ValueError, match="DateLessThan"):
        allows(policy, "s3:GetObject", f"{BUCKET}/key", {"aws:CurrentTime": "2026-12-04"})


def test_allowed_requests_lists_what_each_allow_names_as_written() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"{BUCKET}/*",
            },
            {"Effect": "Allow", "Action": "xray:PutTraceSegments"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        ]
    }
    assert allowed_requests(policy) == [
        ("s3:GetObject", f"{BUCKET}/*"),
        ("s3:PutObject", f"{BUCKET}/*"),
        ("xray:PutTraceSegments", "*"),
    ]


def test_a_policy_is_read_from_its_json_its_document_or_its_statements() -> None:
    statement = allow("s3:GetObject", f"{BUCKET}/*")
    document = {"Version": "2012-10-17", "Statement": [statement]}
    for policy in (document, json.dumps(document), [statement]):
        assert allows(policy, "s3:GetObject", f"{BUCKET}/key")
