"""IAM's policy evaluation for one account, offline: is this request allowed?

No maintained package does this offline. principalmapper 1.1.5 (its
``local_policy_simulation``) no longer imports on Python 3.10+ (it imports
``Mapping`` from ``collections``), nor does its fork principalmapper-0ca, and
it is AGPL; aws-why and sibyl-aws call IAM's policy simulator in an account.
So this module implements the part of IAM's evaluation logic the module's
policies use, as the IAM User Guide states it, and tests/test_permissions.py
checks it against the guide's own examples:

* "Policy evaluation logic" (reference_policies_evaluation-logic.html): an
  explicit Deny in any policy wins; else an Allow is needed; a permissions
  boundary must also allow what an identity policy allows; within one
  account a resource policy that names the principal allows on its own;
* the key policy of a KMS key must allow, to the principal directly or to
  the account (its root), which delegates to IAM (kms key-policies.html);
* a role's trust policy decides who may assume it;
* the condition operators the module and its examples use (String*, Arn*,
  Bool, Null, the IfExists forms, ForAllValues and ForAnyValue of the
  positive ones), with their rule for a missing key
  (reference_policies_elements_condition_operators.html), and NotAction and
  NotResource. Anything else raises, rather than guess.

It is the one evaluator of the project: the proof decides each call with
:func:`decide`, and the plan tests ask with :func:`allows` whether one
document on its own (a role's policy, a boundary, a key policy's statements
for one service) allows a request, and with :func:`allowed_requests` what a
policy allows, to check it against another (a boundary).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from devkit.permissions.reference import as_list, statements

Context = Mapping[str, str | Sequence[str]]


class Unsupported(ValueError):
    """A policy uses something this evaluator does not implement."""


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a role (by ARN) or a service principal (by name)."""

    arn: str | None = None  # arn:aws:iam::123456789012:role/path/name
    service: str | None = None  # events.amazonaws.com

    @property
    def account(self) -> str | None:
        return self.arn.split(":")[4] if self.arn else None

    def __str__(self) -> str:
        return self.arn or self.service or "?"


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: str
    context: Context = field(default_factory=dict)


# --- matching -----------------------------------------------------------------------------


def _glob(pattern: str, *, case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, 0 if case else re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    return _glob(pattern, case=False).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    return _glob(pattern, case=True).fullmatch(resource) is not None


def arn_like(pattern: str, value: str) -> bool:
    """ArnLike and ArnEquals: each of the six colon-delimited parts matched on its own."""
    wanted, given = pattern.split(":", 5), value.split(":", 5)
    return len(wanted) == len(given) == 6 and all(
        resource_matches(w, g) for w, g in zip(wanted, given, strict=True)
    )


def _equals(wanted: str, given: str) -> bool:
    return wanted == given


def _equals_ignore_case(wanted: str, given: str) -> bool:
    return wanted.lower() == given.lower()


def _like(wanted: str, given: str) -> bool:
    return resource_matches(wanted, given)


def _bool(wanted: str, given: str) -> bool:
    return wanted.lower() == given.lower()


# operator => (compare one policy value with one context value, negated)
OPERATORS = {
    "StringEquals": (_equals, False),
    "StringNotEquals": (_equals, True),
    "StringEqualsIgnoreCase": (_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_equals_ignore_case, True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "ArnEquals": (arn_like, False),
    "ArnLike": (arn_like, False),
    "ArnNotEquals": (arn_like, True),
    "ArnNotLike": (arn_like, True),
    "Bool": (_bool, False),
}


def _context_values(context: Context, key: str) -> list[str] | None:
    for name, value in context.items():
        if name.lower() == key.lower():  # condition key names are case-insensitive
            return [value] if isinstance(value, str) else list(value)
    return None


def condition_holds(operator: str, key: str, wanted: Any, context: Context) -> bool:
    """One key of one condition operator. A missing key fails a condition, but holds
    for a negated operator and for ...IfExists; Null tests presence itself."""
    values = [str(v).lower() if isinstance(v, bool) else str(v) for v in as_list(wanted)]
    given = _context_values(context, key)
    if operator == "Null":
        return (given is None) == (values[0].lower() == "true")
    qualifier, _, operator = operator.rpartition(":")
    if qualifier:
        return _set_condition_holds(qualifier, operator, values, given)
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base not in OPERATORS:
        raise Unsupported(f"condition operator {operator}")
    compare, negated = OPERATORS[base]
    if given is None:
        return if_exists or negated
    matched = any(compare(w, g) for w in values for g in given)
    return not matched if negated else matched


def _set_condition_holds(
    qualifier: str, operator: str, values: Sequence[str], given: Sequence[str] | None
) -> bool:
    """A multivalued key (IAM User Guide, "Set operators for multivalued context keys"):
    ForAllValues holds when every value of the request matches one of the policy's, and
    also when the key is missing or empty (hence a Null condition beside it);
    ForAnyValue holds when at least one does, never when the key is missing."""
    if operator not in OPERATORS or OPERATORS[operator][1]:
        raise Unsupported(f"condition operator {qualifier}:{operator}")
    compare = OPERATORS[operator][0]
    members = [any(compare(w, g) for w in values) for g in given or ()]
    if qualifier == "ForAllValues":
        return all(members)
    if qualifier == "ForAnyValue":
        return any(members)
    raise Unsupported(f"condition qualifier {qualifier}")


def conditions_hold(condition: Mapping[str, Mapping[str, Any]], context: Context) -> bool:
    """Every operator, every key (AND); any of a key's values (OR)."""
    return all(
        condition_holds(operator, key, wanted, context)
        for operator, block in condition.items()
        for key, wanted in block.items()
    )


def principal_matches(statement: Mapping[str, Any], principal: Principal) -> str | None:
    """How a resource policy's statement names the principal: "direct" (its ARN, its
    service or "*"), "account" (the account's root or ID: delegated to IAM) or None."""
    if "NotPrincipal" in statement:
        raise Unsupported("NotPrincipal")
    named = statement.get("Principal")
    if named == "*":
        return "direct"
    if not isinstance(named, Mapping):
        return None
    if principal.service and principal.service in as_list(named.get("Service")):
        return "direct"
    for value in as_list(named.get("AWS")):
        if value == "*" or (principal.arn and value == principal.arn):
            return "direct"
        if principal.account and value in (
            principal.account,
            f"arn:{principal.arn.split(':')[1] if principal.arn else 'aws'}:iam::{principal.account}:root",
        ):
            return "account"
    return None


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Action, resource and condition (not the principal) match the request."""
    if "Action" in statement:
        acts = any(action_matches(p, request.action) for p in as_list(statement["Action"]))
    else:
        acts = not any(action_matches(p, request.action) for p in as_list(statement["NotAction"]))
    if not acts:
        return False
    if "Resource" in statement:
        on = any(resource_matches(p, request.resource) for p in as_list(statement["Resource"]))
    elif "NotResource" in statement:
        on = not any(resource_matches(p, request.resource) for p in statement["NotResource"])
    else:
        on = True  # trust policies name no resource
    return on and conditions_hold(statement.get("Condition", {}), request.context)


def matching(
    document: Mapping[str, Any] | None, request: Request, effect: str
) -> list[dict[str, Any]]:
    """The statements of a policy with this effect that apply to the request."""
    if document is None:
        return []
    return [
        s
        for s in statements(document)
        if s.get("Effect", "Allow") == effect and statement_applies(s, request)
    ]


def resource_grants(
    document: Mapping[str, Any] | None, request: Request, effect: str
) -> dict[str, list[dict[str, Any]]]:
    """A resource policy's applying statements of one effect, by how they name the principal."""
    found: dict[str, list[dict[str, Any]]] = {"direct": [], "account": []}
    for statement in matching(document, request, effect):
        how = principal_matches(statement, request.principal)
        if how:
            found[how].append(statement)
    return found


# --- the decision -------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def decide(  # noqa: PLR0911 - one return per rule of the evaluation logic, in its order
    request: Request,
    *,
    identity: Sequence[Mapping[str, Any]] = (),
    boundary: Mapping[str, Any] | None = None,
    resource_policy: Mapping[str, Any] | None = None,
    resource_policy_required: bool = False,
) -> Decision:
    """Same-account evaluation of one request.

    ``identity`` are the principal's identity policies (none for a service
    principal), ``boundary`` its permissions boundary, ``resource_policy`` the
    resource's policy (key policy, trust policy, queue policy...).
    ``resource_policy_required`` is true for KMS keys and role trust: there
    the resource policy must allow, directly or by delegating to the account.
    """
    denies = [s for doc in identity for s in matching(doc, request, "Deny")]
    denies += matching(boundary, request, "Deny")
    resource_denies = resource_grants(resource_policy, request, "Deny")
    if denies or resource_denies["direct"] or resource_denies["account"]:
        sids = [
            s.get("Sid") for s in [*denies, *resource_denies["direct"], *resource_denies["account"]]
        ]
        return Decision(False, f"explicitly denied ({sids})")

    grants = resource_grants(resource_policy, request, "Allow")
    identity_allows = [s for doc in identity for s in matching(doc, request, "Allow")]
    within_boundary = boundary is None or bool(matching(boundary, request, "Allow"))

    if request.principal.service:
        if grants["direct"]:
            return Decision(True, f"resource policy allows {request.principal}")
        return Decision(False, f"no resource policy statement allows {request.principal}")
    if resource_policy_required and not (grants["direct"] or grants["account"]):
        return Decision(False, "the resource policy neither allows it nor delegates to IAM")
    if not within_boundary:
        return Decision(False, "the permissions boundary does not allow it")
    if grants["direct"]:
        return Decision(True, "the resource policy allows the role")
    if identity_allows:
        return Decision(True, f"identity policy allows it ({identity_allows[0].get('Sid')})")
    return Decision(False, "no identity policy allows it")


# --- one policy on its own ----------------------------------------------------------------

Policy = str | Mapping[str, Any] | Iterable[Mapping[str, Any]]


def statements_of(policy: Policy) -> list[dict[str, Any]]:
    """The statements of a policy: its JSON, the parsed document, or its statements."""
    if isinstance(policy, str):
        return statements(json.loads(policy))
    if isinstance(policy, Mapping):
        return statements(policy)
    return [dict(statement) for statement in policy]


def allows(policy: Policy, action: str, resource: str, context: Context | None = None) -> bool:
    """Whether this one policy allows the request: an Allow applies and no Deny does.

    The principals its statements name are not asked (give a key policy's
    statements for one service); nor are other policies: :func:`decide` is
    the whole evaluation."""
    document = {"Statement": statements_of(policy)}
    request = Request(Principal(), action, resource, context or {})
    return bool(matching(document, request, "Allow")) and not matching(document, request, "Deny")


def allowed_requests(policy: Policy) -> list[tuple[str, str]]:
    """Every (action, resource) an Allow statement names, wildcards as written.

    Checking another policy against these literal strings (a boundary's
    ``log-group:*name*`` against a role's ``log-group:/aws/lambda/name:*``) asks
    whether it allows at least everything the pattern stands for, as long as
    its own wildcards are no narrower than the ones they meet.
    """
    return [
        (action, resource)
        for s in statements_of(policy)
        if s.get("Effect", "Allow") == "Allow" and "NotAction" not in s
        for action in as_list(s["Action"])
        for resource in as_list(s.get("Resource", "*"))
    ]
