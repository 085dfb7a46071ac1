"""Reference findings that are not defects, each with its reason.

A waiver names a finding by (problem, statement Sid, subject). One that no
longer matches any finding fails the proof (tests/terraform/
test_apply_complete.py), so that a waiver cannot outlive its reason.
"""

from __future__ import annotations

from devkit.permissions.evaluate import resource_matches

WAIVERS: dict[tuple[str, str, str], str] = {
    (
        "condition-key",
        "CloudWatchLogsEncryptsModuleLogGroups",
        "kms:EncryptionContext:aws:logs:arn",
    ): (
        "The statement is AWS's documented key policy for CloudWatch Logs "
        "(AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): kms:Describe* is listed "
        "under the encryption-context condition, which DescribeKey never carries, so that "
        "part grants nothing; Logs needs only the cryptographic actions, which carry it."
    ),
}


def waived(key: tuple[str, str, str]) -> tuple[str, str, str] | None:
    """The waiver that covers a finding's key (subjects may use * wildcards), if any."""
    for waiver in WAIVERS:
        if waiver[:2] == key[:2] and resource_matches(waiver[2], key[2]):
            return waiver
    return None
