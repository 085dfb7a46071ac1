"""Every policy document of a deployment, read from a plan's JSON by what it is.

Documents are found by resource type and attributes (a role by its name, a
queue policy by its queue's URL), never by address, so that a refactoring of
the module's resources changes nothing here. ``real_plan`` takes the plan of
the real example in a stack deployed on the emulator: the emulator's overrides
(a Pinpoint project for SES, no TLS-only bucket policy; devkit.stack) are
taken out for the plan, so the documents are the ones a real account gets,
with the ARNs of the deployed resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from devkit.stack import MODULE_EMULATOR_FILES, Stack, write_module_emulator_files


@dataclass(frozen=True)
class Document:
    """One policy document: what it is, and the resource it is attached to, if any."""

    name: str  # "role msgstatus-transform policy message-records-read-write"
    kind: str  # identity, trust, managed, resource, key, output
    document: dict[str, Any]
    resource_arn: str | None = None


@dataclass
class Role:
    name: str
    arn: str
    trust: dict[str, Any]
    boundary_arn: str | None
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # inline, by name
    attached: list[str] = field(default_factory=list)  # managed policy ARNs


@dataclass
class Deployment:
    """The policies of one deployment, and its resources' planned values."""

    account: str
    region: str
    partition: str
    roles: dict[str, Role]  # by name
    managed: dict[str, Document]  # customer managed policies, by ARN
    resource_policies: dict[str, Document]  # by the ARN of the resource they protect
    outputs: dict[str, Document]  # policy documents a module outputs, by output name
    resources: list[dict[str, Any]]  # every planned resource: address, type, values
    variables: dict[str, Any] = field(default_factory=dict)  # the root module's inputs

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r["values"] for r in self.resources if r["type"] == type_]

    def arn_of_log_stream(self, group: str, stream: str) -> str:
        return (
            f"arn:{self.partition}:logs:{self.region}:{self.account}:"
            f"log-group:{group}:log-stream:{stream}"
        )

    def role_by_arn(self, arn: str) -> Role:
        (role,) = [r for r in self.roles.values() if r.arn == arn]
        return role

    def documents(self) -> list[Document]:
        """Every policy document, for the reference check."""
        found: list[Document] = []
        for role in self.roles.values():
            found.append(Document(f"role {role.name} trust policy", "trust", role.trust))
            found += [
                Document(f"role {role.name} policy {name}", "identity", document)
                for name, document in role.policies.items()
            ]
        return [
            *found,
            *self.managed.values(),
            *self.resource_policies.values(),
            *self.outputs.values(),
        ]


# --- reading a plan -----------------------------------------------------------------------


def _walk(module: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _walk(child)


def planned_resources(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Managed resources as they will be after the plan (values known at plan time)."""
    return [
        r
        for r in _walk(plan["planned_values"]["root_module"])
        if r.get("mode", "managed") == "managed"
    ]


def _module_config(plan: Mapping[str, Any], address: str) -> Mapping[str, Any]:
    """The configuration of the module a resource address is in."""
    config: Mapping[str, Any] = plan["configuration"]["root_module"]
    for call in re.findall(r"module\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.", address):
        config = config["module_calls"][call]["module"]
    return config


def referenced_address(plan: Mapping[str, Any], resource: Mapping[str, Any], attr: str) -> str:
    """The address of the resource an attribute refers to, for a value unknown at plan
    time (a new role's name): from the configuration's reference, its each.key or
    count.index replaced by the resource's own index."""
    address = str(resource["address"])
    config = _module_config(plan, address)
    (block,) = [
        r
        for r in config.get("resources", [])
        if r["address"] == f"{resource['type']}.{resource['name']}"
    ]
    references = block["expressions"][attr]["references"]
    index = resource.get("index")
    module_prefix = address[: address.index(f"{resource['type']}.{resource['name']}")]
    # ["aws_iam_role.source[each.key].id", ...] or ["aws_iam_role.source", "each.key"]
    target = str(references[0])
    target = target.replace("[each.key]", f"[{json.dumps(index)}]")
    target = target.replace("[count.index]", f"[{index}]")
    target = ".".join(target.split(".")[:2])  # the resource, without its attribute
    if "[" not in target and index is not None:
        target += f"[{json.dumps(index)}]" if "each.key" in references else f"[{index}]"
    return module_prefix + target


def _by_address(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["address"]: r for r in resources}


def _role_name(
    plan: Mapping[str, Any], resource: dict[str, Any], by_address: dict[str, dict[str, Any]]
) -> str:
    name = resource["values"].get("role")
    if name is None:
        name = by_address[referenced_address(plan, resource, "role")]["values"]["name"]
    return str(name)


def _json(text: str) -> dict[str, Any]:
    return dict(json.loads(text))


def read_plan(
    plan: Mapping[str, Any], account: str, region: str, partition: str = "aws"
) -> Deployment:
    resources = planned_resources(plan)
    by_address = _by_address(resources)
    roles: dict[str, Role] = {}
    for r in (r for r in resources if r["type"] == "aws_iam_role"):
        v = r["values"]
        arn = v.get("arn") or f"arn:{partition}:iam::{account}:role{v.get('path', '/')}{v['name']}"
        roles[v["name"]] = Role(
            v["name"], arn, _json(v["assume_role_policy"]), v.get("permissions_boundary") or None
        )
    for r in resources:
        if r["type"] == "aws_iam_role_policy":
            roles[_role_name(plan, r, by_address)].policies[r["values"]["name"]] = _json(
                r["values"]["policy"]
            )
        elif r["type"] == "aws_iam_role_policy_attachment":
            roles[_role_name(plan, r, by_address)].attached.append(r["values"]["policy_arn"])
    managed = {
        r["values"]["arn"]: Document(
            f"managed policy {r['values']['name']}", "managed", _json(r["values"]["policy"])
        )
        for r in resources
        if r["type"] == "aws_iam_policy"
    }
    deployment = Deployment(
        account,
        region,
        partition,
        roles,
        managed,
        {},
        _outputs(plan),
        resources,
        dict(plan.get("variables", {})),
    )
    deployment.resource_policies = _resource_policies(deployment)
    return deployment


def _outputs(plan: Mapping[str, Any]) -> dict[str, Document]:
    found = {}
    for name, output in plan["planned_values"].get("outputs", {}).items():
        value = output.get("value")
        if isinstance(value, str) and '"Statement"' in value:
            found[name] = Document(f"output {name}", "output", _json(value))
    return found


def _resource_policies(d: Deployment) -> dict[str, Document]:
    found: dict[str, Document] = {}
    queues = {q["url"]: q["arn"] for q in d.of_type("aws_sqs_queue") if q.get("url")}
    for v in d.of_type("aws_sqs_queue_policy"):
        arn = queues[v["queue_url"]]
        found[arn] = Document(f"queue policy of {arn}", "resource", _json(v["policy"]), arn)
    for v in d.of_type("aws_s3_bucket_policy"):
        arn = f"arn:{d.partition}:s3:::{v['bucket']}"
        found[arn] = Document(
            f"bucket policy of {v['bucket']}", "resource", _json(v["policy"]), arn
        )
    for v in d.of_type("aws_sns_topic_policy"):
        found[v["arn"]] = Document(
            f"topic policy of {v['arn']}", "resource", _json(v["policy"]), v["arn"]
        )
    for v in d.of_type("aws_cloudwatch_event_bus_policy"):
        arn = f"arn:{d.partition}:events:{d.region}:{d.account}:event-bus/{v['event_bus_name']}"
        found[arn] = Document(f"bus policy of {arn}", "resource", _json(v["policy"]), arn)
    for v in d.of_type("aws_kms_key"):
        found[v["arn"]] = Document(f"key policy of {v['arn']}", "key", _json(v["policy"]), v["arn"])
    for arn, statements in _lambda_permissions(d).items():
        found[arn] = Document(
            f"function policy of {arn}",
            "resource",
            {"Version": "2012-10-17", "Statement": statements},
            arn,
        )
    return found


def _lambda_permissions(d: Deployment) -> dict[str, list[dict[str, Any]]]:
    """aws_lambda_permission resources as the statements Lambda adds to the function's policy."""
    functions = {f["function_name"]: f["arn"] for f in d.of_type("aws_lambda_function")}
    found: dict[str, list[dict[str, Any]]] = {}
    for v in d.of_type("aws_lambda_permission"):
        arn = functions.get(v["function_name"], v["function_name"])
        resource = f"{arn}:{v['qualifier']}" if v.get("qualifier") else arn
        condition: dict[str, Any] = {}
        if v.get("source_arn"):
            condition["ArnLike"] = {"AWS:SourceArn": v["source_arn"]}
        if v.get("source_account"):
            condition["StringEquals"] = {"AWS:SourceAccount": v["source_account"]}
        found.setdefault(resource, []).append(
            {
                "Sid": v.get("statement_id"),
                "Effect": "Allow",
                "Principal": {"Service": v["principal"]}
                if v["principal"].endswith(".amazonaws.com")
                else {"AWS": v["principal"]},
                "Action": v["action"],
                "Resource": resource,
                "Condition": condition,
            }
        )
    return found


# --- the real example's plan --------------------------------------------------------------


# Kept in the real plan: it makes the deployment destroyable (deletion protection
# off, force_destroy on), which changes no policy; without it the table and the
# bucket would change, and every document naming them would be unknown until apply.
KEPT_EMULATOR_FILES = frozenset({"emulator_destroyable_override.tf"})


@contextmanager
def real_configuration(stack: Stack) -> Iterator[None]:
    """The stack's example and module copy without the emulator's stand-ins, for a plan."""
    example_files = {k: v for k, v in stack.files.items() if k not in KEPT_EMULATOR_FILES}
    stack.write_files(dict.fromkeys(example_files, ""))
    for name in MODULE_EMULATOR_FILES:
        (stack.module_root / name).unlink(missing_ok=True)
    try:
        yield
    finally:
        write_module_emulator_files(stack.module_root)
        stack.write_files(example_files)


def real_plan(stack: Stack) -> dict[str, Any]:
    """The plan of the real example against the deployed stack: what AWS would get.

    Not refreshed: the stack's state is its last apply's, and the documents
    come from the configuration and the deployed resources' ARNs in it. What
    another resource sets on a resource (a queue's ``policy``, set by its
    queue policy; a role's ``inline_policy``) then reads empty, so
    :func:`read_plan` takes each document from the resource that sets it.
    """
    with real_configuration(stack):
        return stack.plan_json(refresh=False)
