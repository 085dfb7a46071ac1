"""The part of IAM's policy evaluation the plan tests need, small on purpose.

What it does, as the IAM User Guide states it ("Policy evaluation logic",
reference_policies_evaluation-logic.html; "IAM JSON policy elements: Resource"
and "Condition operators"): an explicit Deny wins; otherwise some Allow must
match the action (Action or NotAction, case-insensitive, with ``*`` and ``?``
wildcards), the resource (Resource or NotResource, case-sensitive, same
wildcards) and every condition of its statement. Conditions are evaluated
against a request context; a key the context does not carry fails every
operator except the ``...IfExists`` forms and ``Null``. An operator this module
does not know raises instead of guessing.

The full evaluator of the permission proof (devkit/permissions, issue 19) does
more (trust, resource and key policies); these tests only ask whether one
document, or two intersected (a role's policy within its boundary), allow a
request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

Context = Mapping[str, str | Sequence[str]]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(document: str | Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statements of a policy document (its JSON, or the parsed document)."""
    parsed = json.loads(document) if isinstance(document, str) else document
    return [dict(s) for s in as_list(parsed["Statement"])]


@cache
def _glob(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE)


def matches(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM's wildcard match: ``*`` any run of characters, ``?`` any one character."""
    return _glob(pattern, case_sensitive).fullmatch(value) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike/ArnEquals: the six colon-separated parts of the ARN matched part by part."""
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    return len(pattern_parts) == len(value_parts) == 6 and all(
        matches(p, v) for p, v in zip(pattern_parts, value_parts, strict=True)
    )


_OPERATORS = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringNotEquals": lambda pattern, value: pattern != value,
    "StringLike": matches,
    "StringEqualsIgnoreCase": lambda pattern, value: pattern.lower() == value.lower(),
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": lambda pattern, value: pattern.lower() == value.lower(),
}
_NEGATED = {"StringNotEquals"}


def _condition_holds(operator: str, key: str, wanted: list[str], context: Context) -> bool:
    if operator == "Null":
        present = key in context
        return all((str(w).lower() == "true") != present for w in wanted)
    base = operator.removesuffix("IfExists")
    if base not in _OPERATORS:
        raise ValueError(f"condition operator {operator} is not implemented here")
    if key not in context:
        return operator.endswith("IfExists") or base in _NEGATED
    values = [str(v) for v in as_list(context[key])]
    test = _OPERATORS[base]
    if base in _NEGATED:
        return all(all(test(str(w), v) for w in wanted) for v in values)
    return any(test(str(w), v) for w in wanted for v in values)


def conditions_hold(condition: Mapping[str, Mapping[str, Any]], context: Context) -> bool:
    return all(
        _condition_holds(operator, key, [str(w) for w in as_list(wanted)], context)
        for operator, keys in condition.items()
        for key, wanted in keys.items()
    )


def _action_in(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(
            matches(p, action, case_sensitive=False) for p in as_list(statement["NotAction"])
        )
    return any(matches(p, action, case_sensitive=False) for p in as_list(statement["Action"]))


def _resource_in(statement: Mapping[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(matches(p, resource) for p in as_list(statement["NotResource"]))
    return any(matches(p, resource) for p in as_list(statement.get("Resource", "*")))


def applies(statement: Mapping[str, Any], action: str, resource: str, context: Context) -> bool:
    """Whether ``statement`` speaks to this request (its effect aside)."""
    return (
        _action_in(statement, action)
        and _resource_in(statement, resource)
        and conditions_hold(statement.get("Condition", {}), context)
    )


def allows(
    policy: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Context | None = None,
) -> bool:
    """Whether one policy (its statements) allows the request: an Allow applies, no Deny."""
    found = [s for s in policy if applies(s, action, resource, context or {})]
    return bool(found) and all(s.get("Effect", "Allow") == "Allow" for s in found)


def allowed_requests(policy: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Every (action, resource) an Allow statement names, wildcards as written.

    Checking another policy against these literal strings (a boundary's
    ``log-group:*name*`` against a role's ``log-group:/aws/lambda/name:*``) asks
    whether it allows at least everything the pattern stands for, as long as
    its own wildcards are no narrower than the ones they meet.
    """
    return [
        (action, resource)
        for s in policy
        if s.get("Effect", "Allow") == "Allow" and "NotAction" not in s
        for action in as_list(s["Action"])
        for resource in as_list(s.get("Resource", "*"))
    ]


# Actions that support no resource-level permissions, so "*" is their only resource
# (the Service Authorization Reference lists no resource type for them).
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
