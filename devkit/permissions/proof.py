"""Each call proven allowed, or not, by the policies AWS evaluates for it.

For a call made with a role: the role's identity policies, intersected with
its permissions boundary, and the resource's policy where there is one (a
bucket's denies, a queue's or a topic's policy); for KMS, the key policy
must allow too, directly or by delegating to IAM through the account root.
For a service principal: the role's trust policy (sts:AssumeRole), or the
resource's policy (a queue, a topic, a key). For an operator (the CLI and the
console run with the user's own identity, whose policies the user writes):
what the deployment's own policies leave possible (no deny, and a key policy
that delegates to IAM).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from devkit.permissions.calls import Authorization, Call, Where, authorizations
from devkit.permissions.documents import Deployment
from devkit.permissions.evaluate import Decision, Principal, Request, decide
from devkit.permissions.reference import resource_types_of
from devkit.permissions.service_calls import ServiceCall

# An operator's own identity policy is the user's to write: assume it allows
# everything, so that only the deployment's own policies can refuse.
OPERATOR_IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@dataclass(frozen=True)
class Verdict:
    who: str
    principal: Principal
    action: str
    resource: str
    decision: Decision
    doc: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """(principal, action, resource type): what a known defect names, stable
        across deployments (role names, not ARNs; resource types, not IDs)."""
        principal = self.principal.service or (self.principal.arn or "").rsplit("/", 1)[-1]
        kinds = sorted(resource_types_of(self.resource)) if self.resource != "*" else ["*"]
        return (principal, self.action, ",".join(kinds) or self.resource)

    def __str__(self) -> str:
        verdict = "allowed" if self.decision else "DENIED"
        source = f" [{self.doc}]" if self.doc else ""
        return (
            f"{verdict}: {self.who}: {self.action} on {self.resource} as {self.principal}: "
            f"{self.decision.reason}{source}"
        )


def _resource_policy(d: Deployment, action: str, resource: str) -> tuple[Any, bool]:
    """The resource's policy and whether it must allow (key and trust policies)."""
    if action == "sts:AssumeRole":
        return d.role_by_arn(resource).trust, True
    if action.startswith("kms:"):
        policy = d.resource_policies.get(resource)
        if policy is None:
            raise LookupError(f"the key {resource} is not in the deployment: its policy is unknown")
        return policy.document, True
    candidates = [resource]
    if resource.startswith("arn:") and ":s3:::" in resource:
        candidates.append(resource.split("/", 1)[0])  # an object's bucket
    if ":lambda:" in resource:
        candidates.append(":".join(resource.split(":")[:7]))  # the unqualified function
    for candidate in candidates:
        if candidate in d.resource_policies:
            return d.resource_policies[candidate].document, False
    return None, False


def decide_for(
    d: Deployment, principal: Principal, auth: Authorization, *, operator: bool = False
) -> Decision:
    policy, required = _resource_policy(d, auth.action, auth.resource)
    request = Request(principal, auth.action, auth.resource, auth.context)
    if principal.service:
        return decide(request, resource_policy=policy, resource_policy_required=True)
    if operator:
        return decide(
            request,
            identity=[OPERATOR_IDENTITY],
            resource_policy=policy,
            resource_policy_required=required,
        )
    role = d.role_by_arn(principal.arn or "")
    identity = [*role.policies.values(), *(d.managed[arn].document for arn in role.attached)]
    boundary = None
    if role.boundary_arn:
        if role.boundary_arn not in d.managed:
            raise LookupError(f"the boundary {role.boundary_arn} is not in the deployment")
        boundary = d.managed[role.boundary_arn].document
    return decide(
        request,
        identity=identity,
        boundary=boundary,
        resource_policy=policy,
        resource_policy_required=required,
    )


def prove_recorded(
    d: Deployment, who: str, principal: Principal, calls: Iterable[Call], *, operator: bool = False
) -> list[Verdict]:
    """Verdicts on calls code made (UnmappedOperation for one the table lacks)."""
    where = Where(d.account, d.region, d.partition)
    verdicts = []
    for call in calls:
        for auth in authorizations(call, where):
            decision = decide_for(d, principal, auth, operator=operator)
            verdicts.append(Verdict(who, principal, auth.action, auth.resource, decision))
    return verdicts


def prove_service_calls(d: Deployment, calls: Iterable[ServiceCall]) -> list[Verdict]:
    return [
        Verdict(
            call.who,
            call.principal,
            call.action,
            call.resource,
            decide_for(d, call.principal, Authorization(call.action, call.resource, call.context)),
            call.doc,
        )
        for call in calls
    ]


def denied(verdicts: Iterable[Verdict]) -> dict[tuple[str, str, str], list[Verdict]]:
    """The refused verdicts, by key."""
    found: dict[tuple[str, str, str], list[Verdict]] = {}
    for verdict in verdicts:
        if not verdict.decision:
            found.setdefault(verdict.key, []).append(verdict)
    return found


def prove_api_requests(d: Deployment, requests: Iterable[tuple[str, str]]) -> list[Verdict]:
    """The CLI's and the console's calls to the HTTP API: with JWT routes the authorizer
    decides and IAM is not asked; with AWS_IAM the operator needs execute-api:Invoke."""
    (api,) = d.of_type("aws_apigatewayv2_api")
    kinds = {route["authorization_type"] for route in d.of_type("aws_apigatewayv2_route")}
    operator = Principal(arn=f"arn:{d.partition}:iam::{d.account}:role/operator")
    verdicts = []
    for method, path in requests:
        resource = f"{api['execution_arn']}/$default/{method}{path}"
        if kinds == {"JWT"}:
            decision = Decision(True, "the routes' JWT authorizer decides; IAM is not asked")
        else:
            auth = Authorization("execute-api:Invoke", resource, {"aws:SecureTransport": "true"})
            decision = decide_for(d, operator, auth, operator=True)
        verdicts.append(
            Verdict("msgstatus (API)", operator, "execute-api:Invoke", resource, decision)
        )
    return verdicts
