"""Plans of healing (heal.tf): the bucket's notification, the heal queue and its dead-letter
queue, who may send to it, the mapping, and the heal function's role, as the code expects
them. The emulator runs none of S3 -> SQS -> Lambda: tests/test_healing.py plays that path.
"""

from __future__ import annotations

import json
import re
from typing import Any

import hcl2
import pytest
from message_status.heal import ARCHIVE_PREFIX, PARKED_PREFIX, SOURCE_PREFIX

from devkit import ROOT
from devkit.firehose import MODULE_ERROR_PREFIX, MODULE_PREFIX
from devkit.healing import module_queue_settings
from devkit.stack import module_defaults
from tests.terraform.conftest import Workspace, one, planned, policy_statements

pytestmark = [pytest.mark.terraform]

ACCOUNT, REGION = "123456789012", "us-east-1"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
BUCKET_ARN = f"arn:aws:s3:::demo-{ACCOUNT}-{REGION}"


@pytest.fixture(scope="module")
def heal_plan(root: Workspace) -> Any:
    return root.plan(name="demo")


def test_the_bucket_notifies_the_heal_queue_of_what_firehose_failed_only(heal_plan: Any) -> None:
    notification = one(heal_plan, "aws_s3_bucket_notification.archive[0]")
    (queue,) = notification["queue"]
    assert queue["events"] == ["s3:ObjectCreated:*"]
    assert queue["filter_prefix"] == SOURCE_PREFIX, "what the heal function reads"
    assert not notification.get("lambda_function")
    assert not notification.get("topic")


def test_the_heal_queue_waits_retries_and_gives_up_as_the_defaults_say(heal_plan: Any) -> None:
    queue = one(heal_plan, "aws_sqs_queue.heal[0]")
    assert queue["name"] == "demo-heal"
    assert (queue["delay_seconds"], queue["visibility_timeout_seconds"]) == (60, 300)
    assert queue["message_retention_seconds"] == 1209600
    assert queue["sqs_managed_sse_enabled"] is True
    dead_letters = one(heal_plan, "aws_sqs_queue.heal_dead_letters[0]")
    assert dead_letters["name"] == "demo-heal-dead-letters"
    assert dead_letters["message_retention_seconds"] == 1209600
    assert dead_letters["sqs_managed_sse_enabled"] is True
    # The redrive policy names the dead-letter queue's ARN, known after apply; the
    # attempts are the input's.
    changes = {c["address"]: c["change"] for c in heal_plan.resource_changes.values()}
    assert changes["aws_sqs_queue.heal[0]"]["after_unknown"]["redrive_policy"] is True
    # devkit.healing plays the queue with the same settings.
    settings = module_queue_settings()
    assert (settings.delay_s, settings.visibility_s, settings.max_receives) == (60, 300, 6)


def test_attempts_delay_and_interval_reach_the_queue(root: Workspace) -> None:
    plan = root.plan(
        name="demo", heal_delay_seconds=0, heal_retry_interval_seconds=600, heal_max_attempts=3
    )
    queue = one(plan, "aws_sqs_queue.heal[0]")
    assert (queue["delay_seconds"], queue["visibility_timeout_seconds"]) == (0, 600)
    heal = one(plan, 'aws_lambda_function.this["heal"]')
    assert heal["environment"][0]["variables"]["HEAL_MAX_ATTEMPTS"] == "3"


def test_with_a_key_the_queues_are_encrypted_with_it(root: Workspace) -> None:
    plan = root.plan(name="demo", kms_key_arn=KEY_ARN)
    for address in ("aws_sqs_queue.heal[0]", "aws_sqs_queue.heal_dead_letters[0]"):
        queue = one(plan, address)
        assert queue["kms_master_key_id"] == KEY_ARN, address
        assert queue.get("sqs_managed_sse_enabled") in (None, False), address


def test_only_s3_for_this_bucket_in_this_account_may_send_to_the_heal_queue(
    heal_plan: Any,
) -> None:
    (send,) = policy_statements(one(heal_plan, "data.aws_iam_policy_document.heal_queue[0]"))
    assert send["actions"] == ["sqs:SendMessage"]
    assert send["principal"] in (
        {"Service": "s3.amazonaws.com"},
        [{"type": "Service", "identifiers": ["s3.amazonaws.com"]}],
    )
    condition = json.dumps(send["condition"])
    assert "aws:SourceAccount" in condition
    assert ACCOUNT in condition
    assert "aws:SourceArn" in condition


def test_the_mapping_hands_one_object_at_a_time_and_takes_partial_failures(
    heal_plan: Any,
) -> None:
    mapping = one(heal_plan, "aws_lambda_event_source_mapping.heal[0]")
    assert mapping["batch_size"] == 1
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert mapping["scaling_config"] == [{"maximum_concurrency": 5}]


def test_the_heal_function_gets_the_transforms_item_settings(root: Workspace) -> None:
    plan = root.plan(name="demo", correlation_key="order_id", message_retention_days=30)
    heal = one(plan, 'aws_lambda_function.this["heal"]')
    transform = one(plan, 'aws_lambda_function.this["transform"]')
    env = heal["environment"][0]["variables"]
    for name in ("RETENTION_DAYS", "CORRELATION_KEY", "SEARCH_SHARDS"):
        assert env[name] == transform["environment"][0]["variables"][name], name
    assert env["ARCHIVE_BUCKET"] == f"demo-{ACCOUNT}-{REGION}"
    assert env["HEAL_MAX_ATTEMPTS"] == "6"
    assert env["FUNCTION_TIMEOUT_SECONDS"] == "120"
    assert (heal["timeout"], heal["memory_size"]) == (120, 256)
    assert heal["filename"].endswith("dist/heal.zip")


def test_the_heal_role_touches_only_the_prefixes_it_needs(heal_plan: Any) -> None:
    own = {
        s["sid"]: s
        for s in policy_statements(one(heal_plan, 'data.aws_iam_policy_document.function["heal"]'))
    }
    assert own["HealFailedRecords"]["actions"] == [
        "s3:DeleteObject",
        "s3:GetObject",
        "s3:PutObject",
    ]
    assert own["HealFailedRecords"]["resources"] == [f"{BUCKET_ARN}/{SOURCE_PREFIX}*"]
    assert own["ArchiveHealedRecordsAndParkPoison"]["actions"] == ["s3:PutObject"]
    assert sorted(own["ArchiveHealedRecordsAndParkPoison"]["resources"]) == sorted(
        [f"{BUCKET_ARN}/{ARCHIVE_PREFIX}*", f"{BUCKET_ARN}/{PARKED_PREFIX}*"]
    )
    assert own["TellHealedObjectsFromDeniedOnes"]["actions"] == ["s3:ListBucket"]
    assert own["TellHealedObjectsFromDeniedOnes"]["resources"] == [BUCKET_ARN]
    assert own["ReceiveFailedRecordNotifications"]["actions"] == [
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
    ]
    assert len(own["ReceiveFailedRecordNotifications"]["resources"]) == 1
    # As the transform's: no Scan, no DeleteItem.
    assert own["ReadAndWriteMessageRecords"]["actions"] == [
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
    ]


def test_healing_can_be_switched_off(root: Workspace) -> None:
    plan = root.plan(name="demo", heal_enabled=False)
    for type_ in (
        "aws_sqs_queue",
        "aws_sqs_queue_policy",
        "aws_s3_bucket_notification",
        "aws_lambda_event_source_mapping",
    ):
        assert planned(plan, type_) == {}, type_
    assert 'aws_lambda_function.this["heal"]' not in planned(plan, "aws_lambda_function")


def test_a_retry_interval_shorter_than_the_timeout_is_refused(root: Workspace) -> None:
    error = " ".join(
        root.plan_error(
            name="demo", heal_timeout_seconds=300, heal_retry_interval_seconds=120
        ).split()
    )
    assert "heal_retry_interval_seconds (the heal queue's visibility timeout) must be" in error


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("heal_reserved_concurrency", 1, "heal_reserved_concurrency must be null or"),
        ("heal_delay_seconds", 901, "heal_delay_seconds must be a whole number between 0 and 900"),
        ("heal_max_attempts", 0, "heal_max_attempts must be a whole number from 1 to 1000"),
        ("heal_timeout_seconds", 901, "heal_timeout_seconds must be a whole number between 10"),
        ("heal_retry_interval_seconds", 43201, "heal_retry_interval_seconds must be a whole"),
    ],
)
def test_a_bad_heal_setting_is_refused_naming_it(
    root: Workspace, variable: str, value: int, message: str
) -> None:
    error = " ".join(root.plan_error(name="demo", **{variable: value}).split())
    assert message in error


# --- the code and the Terraform agree ------------------------------------------------------


def heal_locals() -> dict[str, Any]:
    with (ROOT / "heal.tf").open() as handle:
        parsed = hcl2.load(handle)
    return {key: value for block in parsed["locals"] for key, value in block.items()}


def test_heal_tf_names_the_prefixes_the_heal_function_uses() -> None:
    found = {key: str(value).strip('"') for key, value in heal_locals().items()}
    assert found["heal_source_prefix"] == SOURCE_PREFIX
    assert found["heal_parked_prefix"] == PARKED_PREFIX
    assert found["heal_archive_prefix"] == ARCHIVE_PREFIX


def test_firehose_writes_where_the_heal_function_reads_and_archives() -> None:
    """firehose.tf's prefixes are devkit.firehose's, and expand to the heal function's."""
    text = (ROOT / "firehose.tf").read_text()
    assert f'prefix              = "{MODULE_PREFIX}"' in text
    assert f'error_output_prefix = "{MODULE_ERROR_PREFIX}"' in text
    expanded = MODULE_ERROR_PREFIX.replace("!{firehose:error-output-type}", "processing-failed")
    assert expanded.startswith(SOURCE_PREFIX)
    assert MODULE_PREFIX.startswith(ARCHIVE_PREFIX)
    assert not PARKED_PREFIX.startswith(SOURCE_PREFIX), "parked records are never notified"


def test_the_readme_gives_the_give_up_bound_the_defaults_make() -> None:
    defaults = module_defaults()
    delay = defaults["heal_delay_seconds"]
    interval = defaults["heal_retry_interval_seconds"]
    attempts = defaults["heal_max_attempts"]
    total = delay + attempts * interval
    readme = " ".join((ROOT / "README.md").read_text().split())
    arithmetic = f"{delay} + {attempts} x {interval} = {total} s"
    assert arithmetic in readme, arithmetic
    assert re.search(rf"\b{round(total / 60)} minutes\b", readme)
