"""Reference findings that are not defects, each with its reason.

A waiver names a finding by (problem, statement Sid, subject) and says why it
is no defect, e.g.::

    ("condition-key", "SomeStatement", "kms:EncryptionContext:*"): (
        "The statement is AWS's documented key policy for ...: why the finding "
        "grants nothing wrong."
    ),

One that no longer matches any finding fails the proof (tests/terraform/
test_apply_complete.py), so that a waiver cannot outlive its reason. None is
needed today: the example's key policy took the module's own statements
(kms_key_policy_statements_json), which the reference accepts as they are.
"""

from __future__ import annotations

from devkit.permissions.evaluate import resource_matches

WAIVERS: dict[tuple[str, str, str], str] = {}


def waived(key: tuple[str, str, str]) -> tuple[str, str, str] | None:
    """The waiver that covers a finding's key (subjects may use * wildcards), if any."""
    for waiver in WAIVERS:
        if waiver[:2] == key[:2] and resource_matches(waiver[2], key[2]):
            return waiver
    return None
