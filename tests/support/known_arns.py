"""Every resource and policy document of a configuration, with the ARNs AWS would give.

A plan leaves the ARN of every resource it creates unknown, and with it every
policy document that names one (a role's statement on its table, a log group,
a queue): the provider renders those documents only during apply. The
permission tests need them whole, without an account. `terraform test` can
apply a configuration with every resource overridden (``override_resource``:
nothing is created, the values given are used): this module writes such an
override for each resource the plan would create, with the ARN AWS gives that
kind of resource (the formats of the Service Authorization Reference's
resource types) built from the planned name, and reads the state that run
leaves (``terraform test -json -verbose``), where the real provider has
rendered every policy document from those ARNs. Data sources are read for
real (from the emulator): only resources are overridden.

A resource type missing from ARN_FORMATS gets a made-up ARN from terraform;
tests that need a document whole say which one still names such a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"  # the emulator's
# Stand-ins for the parts of an ARN AWS generates (a key's id, a stream's label).
UUID = "0f0e0d0c-0b0a-4909-8807-060504030201"
STREAM_LABEL = "2026-12-04T00:00:00.000"

Values = Mapping[str, Any]
Format = Callable[[Values], dict[str, str]]


def _prefix(service: str) -> str:
    return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT}"


def _table(v: Values) -> dict[str, str]:
    arn = f"{_prefix('dynamodb')}:table/{v['name']}"
    return {"arn": arn, "stream_arn": f"{arn}/stream/{STREAM_LABEL}"}


def _queue(v: Values) -> dict[str, str]:
    return {
        "arn": f"{_prefix('sqs')}:{v['name']}",
        "url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{v['name']}",
        "id": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{v['name']}",
    }


def _function(v: Values) -> dict[str, str]:
    arn = f"{_prefix('lambda')}:function:{v['function_name']}"
    return {"arn": arn, "qualified_arn": f"{arn}:$LATEST"}


def _http_api(v: Values) -> dict[str, str]:
    api_id = "a1b2c3d4e5"
    return {
        "id": api_id,
        "arn": f"arn:{PARTITION}:apigateway:{REGION}::/apis/{api_id}",
        "execution_arn": f"{_prefix('execute-api')}:{api_id}",
        "api_endpoint": f"https://{api_id}.execute-api.{REGION}.amazonaws.com",
    }


def _rule(v: Values) -> dict[str, str]:
    bus = v.get("event_bus_name") or "default"
    path = v["name"] if bus == "default" else f"{bus}/{v['name']}"
    return {"arn": f"{_prefix('events')}:rule/{path}"}


ARN_FORMATS: dict[str, Format] = {
    "aws_dynamodb_table": _table,
    "aws_sqs_queue": _queue,
    "aws_lambda_function": _function,
    "aws_cloudwatch_event_rule": _rule,
    "aws_apigatewayv2_api": _http_api,
    "aws_cloudwatch_log_group": lambda v: {"arn": f"{_prefix('logs')}:log-group:{v['name']}"},
    "aws_s3_bucket": lambda v: {"arn": f"arn:{PARTITION}:s3:::{v['bucket']}"},
    "aws_kms_key": lambda v: {"arn": f"{_prefix('kms')}:key/{UUID}", "key_id": UUID},
    "aws_kinesis_stream": lambda v: {"arn": f"{_prefix('kinesis')}:stream/{v['name']}"},
    "aws_kinesis_firehose_delivery_stream": lambda v: {
        "arn": f"{_prefix('firehose')}:deliverystream/{v['name']}"
    },
    "aws_cloudwatch_event_bus": lambda v: {"arn": f"{_prefix('events')}:event-bus/{v['name']}"},
    "aws_cloudwatch_event_connection": lambda v: {
        "arn": f"{_prefix('events')}:connection/{v['name']}/{UUID}"
    },
    "aws_cloudwatch_event_api_destination": lambda v: {
        "arn": f"{_prefix('events')}:api-destination/{v['name']}/{UUID}"
    },
    "aws_sns_topic": lambda v: {"arn": f"{_prefix('sns')}:{v['name']}"},
    "aws_athena_workgroup": lambda v: {"arn": f"{_prefix('athena')}:workgroup/{v['name']}"},
    "aws_iam_policy": lambda v: {
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT}:policy{v.get('path') or '/'}{v['name']}"
    },
    "aws_iam_role": lambda v: {
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT}:role{v.get('path') or '/'}{v['name']}"
    },
}


def _managed_changes(plan: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for change in plan.get("resource_changes", []):
        if change.get("mode", "managed") == "managed" and "create" in change["change"]["actions"]:
            yield change


def arn_overrides(plan: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Address of every resource the plan creates => its ARN attributes, as AWS would set them
    (nothing for a type missing from ARN_FORMATS, or whose name is unknown)."""
    overrides: dict[str, dict[str, str]] = {}
    for change in _managed_changes(plan):
        build = ARN_FORMATS.get(change["type"])
        after, unknown = change["change"]["after"] or {}, change["change"]["after_unknown"] or {}
        try:
            values = build(after) if build is not None else {}
        except KeyError:  # its name is unknown too: nothing to build the ARN from
            values = {}
        overrides[change["address"]] = {k: v for k, v in values.items() if unknown.get(k)}
    return overrides


def override_file(overrides: Mapping[str, Mapping[str, str]], variables: Values) -> str:
    """A `terraform test` file: the overrides, the variables, one apply run."""
    blocks = ["# Written by tests/support/known_arns.py for one test run; not the module's.\n"]
    for address, values in sorted(overrides.items()):
        body = "".join(f"    {key} = {json.dumps(value)}\n" for key, value in values.items())
        blocks.append(
            f"override_resource {{\n  target = {address}\n  values = {{\n{body}  }}\n}}\n"
        )
    blocks.append(_variables_block(variables))
    blocks.append('run "known_arns" {\n  command = apply\n}\n')
    return "\n".join(blocks)


def plan_file(variables: Values) -> str:
    """A `terraform test` file of one plan run with these variables, nothing overridden."""
    return "\n".join(
        [
            "# Written by tests/terraform/conftest.py for one test run; not the module's.\n",
            _variables_block(variables),
            'run "plan" {\n  command = plan\n}\n',
        ]
    )


def _variables_block(variables: Values) -> str:
    if not variables:
        return ""
    body = "\n".join(f"  {key} = {json.dumps(value)}" for key, value in variables.items())
    return f"variables {{\n{body}\n}}\n"


def _walk(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _walk(child)


def state_of_the_run(json_lines: str) -> dict[str, dict[str, Any]]:
    """Address => values of every resource and data source in the state that
    `terraform test -json -verbose` printed for its one run, and ``output.NAME``
    => ``{"value": ...}`` for each of the root module's outputs."""
    for line in json_lines.splitlines():
        if '"test_state"' not in line:
            continue
        message = json.loads(line)
        if message.get("type") == "test_state":
            state = message["test_state"]
            found = {r["address"]: r["values"] for r in _walk(state["root_module"])}
            found |= {f"output.{k}": v for k, v in state.get("outputs", {}).items()}
            return found
    raise ValueError("terraform test printed no state (did the run fail?)")
