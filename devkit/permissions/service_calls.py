"""The calls AWS services make on the module's behalf, as declared data.

Each rule reads the planned resources that make a service call (a delivery
stream, an event-source mapping, a rule's target...) by type and attributes,
and declares the IAM requests the service then makes, with the page of AWS's
documentation that says so. The proof then checks each one against the
policies that AWS evaluates for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from devkit.permissions.documents import Deployment
from devkit.permissions.evaluate import Principal

# The pages each declaration comes from.
FIREHOSE_ACCESS = "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html"
SES_FIREHOSE = (
    "https://docs.aws.amazon.com/ses/latest/dg/event-publishing-add-event-destination-firehose.html"
)
SMS_FIREHOSE = "https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-kinesis-creating-role.html"
LAMBDA_DDB_STREAMS = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
    "iam-policy-example-lamda-process-dynamodb-streams.html"
)
LAMBDA_ON_FAILURE = "https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html"
LAMBDA_SQS = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html"
S3_NOTIFICATIONS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html"
LAMBDA_EXECUTION_ROLE = (
    "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"
)
LAMBDA_VPC = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html"
SQS_KMS = (
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
    "sqs-key-management.html"
)
EVENTS_API_DESTINATIONS = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html"
)
EVENTS_DLQ = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html"
# A rule's role for a Firehose target, and for a bus in another account or Region.
EVENTS_TARGETS = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html"
EVENTS_CROSS_ACCOUNT = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html"
)
EVENTS_BUS_KMS = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-event-bus-cmkey.html"
)
LOGS_KMS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"
CLOUDWATCH_SNS = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html"
)
APIGATEWAY_LAMBDA = "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html"
S3_KMS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html"


@dataclass(frozen=True)
class ServiceCall:
    """One IAM request a service makes: as a service principal (trust and resource
    policies decide) or with a role it was given (that role's policies decide)."""

    who: str  # "Firehose (msgstatus-events)"
    principal: Principal
    action: str
    resource: str
    doc: str
    context: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.who}: {self.action} on {self.resource} as {self.principal}"


def _one(values: Any) -> dict[str, Any]:
    """The single nested block Terraform plans as a list of one."""
    return dict(values[0]) if values else {}


def _source(d: Deployment, arn: str) -> dict[str, str]:
    return {"aws:SourceAccount": d.account, "aws:SourceArn": arn}


def _key_of(d: Deployment, type_: str, arn: str, attribute: str, arn_attribute: str = "arn") -> str:
    for values in d.of_type(type_):
        if values.get(arn_attribute) == arn and values.get(attribute):
            return str(values[attribute])
    return ""


def _kms(  # noqa: PLR0917 - one declaration's fields, in ServiceCall's order
    who: str, principal: Principal, key: str, actions: list[str], doc: str, context: dict[str, str]
) -> list[ServiceCall]:
    if not key.startswith("arn:"):  # no customer managed key: AWS's own key needs no policy
        return []
    return [ServiceCall(who, principal, action, key, doc, context) for action in actions]


def _queue_data_key(queue: str) -> dict[str, str]:
    """What SQS's KMS requests for an encrypted queue carry: each message's data key is
    bound to the queue by the aws:sqs:arn encryption context (SQS_KMS). Nothing else is
    assumed: the SNS guide warns that aws:SourceArn and aws:SourceAccount are missing
    from those requests when a service sends (kms.tf says so for EventBridge)."""
    return {"kms:EncryptionContext:aws:sqs:arn": queue}


def _sends_to_queue(  # noqa: PLR0917 - ServiceCall's fields, and the key's doc
    d: Deployment,
    who: str,
    principal: Principal,
    queue: str,
    doc: str,
    context: dict[str, str],
    key_doc: str = SQS_KMS,
) -> Iterator[ServiceCall]:
    """A sender of ``queue``'s messages: SendMessage, and with a customer managed key the
    data key SQS makes and reads for it (GenerateDataKey, Decrypt) on the sender's behalf."""
    yield ServiceCall(who, principal, "sqs:SendMessage", queue, doc, context)
    key = _key_of(d, "aws_sqs_queue", queue, "kms_master_key_id")
    encrypt = ["kms:GenerateDataKey", "kms:Decrypt"]
    yield from _kms(who, principal, key, encrypt, key_doc, _queue_data_key(queue))


def _function_role(d: Deployment, function: str) -> Principal:
    for f in d.of_type("aws_lambda_function"):
        if function in (f["arn"], f["function_name"]) or function.startswith(f"{f['arn']}:"):
            return Principal(arn=f["role"])
    raise LookupError(f"no function {function}")


# --- Firehose -----------------------------------------------------------------------------


def firehose(d: Deployment) -> Iterator[ServiceCall]:
    for stream in d.of_type("aws_kinesis_firehose_delivery_stream"):
        who = f"Firehose ({stream['name']})"
        s3 = _one(stream.get("extended_s3_configuration"))
        role = Principal(arn=s3["role_arn"])
        service = Principal(service="firehose.amazonaws.com")
        yield ServiceCall(
            who,
            service,
            "sts:AssumeRole",
            s3["role_arn"],
            FIREHOSE_ACCESS,
            _source(d, stream["arn"]),
        )
        for processor in _one(s3.get("processing_configuration")).get("processors", []):
            for parameter in processor.get("parameters", []):
                if parameter["parameter_name"] == "LambdaArn":
                    for action in ("lambda:InvokeFunction", "lambda:GetFunctionConfiguration"):
                        yield ServiceCall(
                            who, role, action, parameter["parameter_value"], FIREHOSE_ACCESS
                        )
        bucket = s3["bucket_arn"]
        for prefix in {s3.get("prefix") or "", s3.get("error_output_prefix") or ""}:
            static = prefix.split("!{")[0]
            for action in ("s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"):
                yield ServiceCall(who, role, action, f"{bucket}/{static}object", FIREHOSE_ACCESS)
        for action in ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"):
            yield ServiceCall(who, role, action, bucket, FIREHOSE_ACCESS)
        backup = _one(s3.get("s3_backup_configuration"))
        if backup:
            static = (backup.get("prefix") or "").split("!{")[0]
            yield ServiceCall(
                who, role, "s3:PutObject", f"{bucket}/{static}object", FIREHOSE_ACCESS
            )
        key = _bucket_key(d, bucket)
        yield from _kms(
            who,
            role,
            key,
            ["kms:GenerateDataKey", "kms:Decrypt"],
            FIREHOSE_ACCESS,
            {
                "kms:ViaService": f"s3.{d.region}.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn": bucket,
            },
        )
        logging = _one(s3.get("cloudwatch_logging_options"))
        if logging.get("enabled"):
            yield ServiceCall(
                who,
                role,
                "logs:PutLogEvents",
                d.arn_of_log_stream(logging["log_group_name"], logging["log_stream_name"]),
                FIREHOSE_ACCESS,
            )
        source = _one(stream.get("kinesis_source_configuration"))
        if source:
            yield from _kinesis_source(d, who, Principal(arn=source["role_arn"]), source)


def _bucket_key(d: Deployment, bucket_arn: str) -> str:
    name = bucket_arn.rsplit(":", 1)[-1]
    for sse in d.of_type("aws_s3_bucket_server_side_encryption_configuration"):
        if sse["bucket"] == name:
            default = _one(_one(sse.get("rule")).get("apply_server_side_encryption_by_default"))
            return str(default.get("kms_master_key_id") or "")
    return ""


def _kinesis_source(
    d: Deployment, who: str, role: Principal, source: dict[str, Any]
) -> Iterator[ServiceCall]:
    stream = source["kinesis_stream_arn"]
    for action in (
        "kinesis:DescribeStream",
        "kinesis:GetShardIterator",
        "kinesis:GetRecords",
        "kinesis:ListShards",
    ):
        yield ServiceCall(who, role, action, stream, FIREHOSE_ACCESS)
    key = _key_of(d, "aws_kinesis_stream", stream, "kms_key_id")
    yield from _kms(
        who,
        role,
        key,
        ["kms:Decrypt"],
        FIREHOSE_ACCESS,
        {
            "kms:ViaService": f"kinesis.{d.region}.amazonaws.com",
            "kms:EncryptionContext:aws:kinesis:arn": stream,
        },
    )


# --- the sources: SES and SMS put records with the role they were given --------------------


def _roles_trusting(d: Deployment, service: str) -> list[str]:
    return [
        role.arn
        for role in d.roles.values()
        if any(
            service in str(s.get("Principal", {}).get("Service", ""))
            for s in role.trust.get("Statement", [])
        )
    ]


def sources(d: Deployment, variables: dict[str, Any]) -> Iterator[ServiceCall]:
    # The sources put into the direct stream: the one that reads no Kinesis stream.
    (stream,) = [
        s["arn"]
        for s in d.of_type("aws_kinesis_firehose_delivery_stream")
        if not s.get("kinesis_source_configuration")
    ]
    ses_sets = [c["configuration_set_name"] for c in d.of_type("aws_sesv2_configuration_set")]
    sms_sets = list(variables.get("sms_configuration_set_names", {}).get("value", []))
    for service, action, names, kind, doc in (
        ("ses.amazonaws.com", "firehose:PutRecordBatch", ses_sets, "ses", SES_FIREHOSE),
        ("sms-voice.amazonaws.com", "firehose:PutRecord", sms_sets, "sms-voice", SMS_FIREHOSE),
    ):
        for role in _roles_trusting(d, service):
            for name in names:
                arn = f"arn:{d.partition}:{kind}:{d.region}:{d.account}:configuration-set/{name}"
                who = f"{service} ({name})"
                yield ServiceCall(
                    who, Principal(service=service), "sts:AssumeRole", role, doc, _source(d, arn)
                )
                yield ServiceCall(who, Principal(arn=role), action, stream, doc)


# --- Lambda: the event-source mapping, logs, traces and network interfaces -------------------


def event_source_mappings(d: Deployment) -> Iterator[ServiceCall]:
    for mapping in d.of_type("aws_lambda_event_source_mapping"):
        role = _function_role(d, mapping["function_name"])
        who = f"Lambda event-source mapping ({mapping['event_source_arn']})"
        if ":sqs:" in mapping["event_source_arn"]:
            yield from _queue_poller(d, who, role, mapping["event_source_arn"])
            continue
        stream = mapping["event_source_arn"]
        for action in (
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        ):
            yield ServiceCall(who, role, action, stream, LAMBDA_DDB_STREAMS)
        yield ServiceCall(who, role, "dynamodb:ListStreams", "*", LAMBDA_DDB_STREAMS)
        failure = _one(_one(mapping.get("destination_config")).get("on_failure"))
        if failure.get("destination_arn"):
            queue = failure["destination_arn"]
            yield from _sends_to_queue(d, who, role, queue, LAMBDA_ON_FAILURE, {})


def _queue_poller(d: Deployment, who: str, role: Principal, queue: str) -> Iterator[ServiceCall]:
    """Lambda polls an SQS queue with the function's role, and decrypts what it receives
    (SQS's request for the message's data key, bound to the queue: SQS_KMS)."""
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        yield ServiceCall(who, role, action, queue, LAMBDA_SQS)
    key = _key_of(d, "aws_sqs_queue", queue, "kms_master_key_id")
    yield from _kms(who, role, key, ["kms:Decrypt"], LAMBDA_SQS, _queue_data_key(queue))


def function_runtime(d: Deployment) -> Iterator[ServiceCall]:
    """What Lambda does with each function's role: its logs, its traces, its interfaces."""
    for f in d.of_type("aws_lambda_function"):
        who = f"Lambda ({f['function_name']})"
        role = Principal(arn=f["role"])
        group = (
            _one(f.get("logging_config")).get("log_group") or f"/aws/lambda/{f['function_name']}"
        )
        stream = d.arn_of_log_stream(group, "2026/12/04/[$LATEST]0123456789abcdef")
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            yield ServiceCall(who, role, action, stream, LAMBDA_EXECUTION_ROLE)
        if _one(f.get("tracing_config")).get("mode") == "Active":
            for action in ("xray:PutTraceSegments", "xray:PutTelemetryRecords"):
                yield ServiceCall(who, role, action, "*", LAMBDA_EXECUTION_ROLE)
        vpc = _one(f.get("vpc_config"))
        if vpc.get("subnet_ids"):
            yield from _network_interfaces(d, who, role, vpc)


def _network_interfaces(
    d: Deployment, who: str, role: Principal, vpc: dict[str, Any]
) -> Iterator[ServiceCall]:
    def ec2(resource: str) -> str:
        return f"arn:{d.partition}:ec2:{d.region}:{d.account}:{resource}"

    interface = ec2("network-interface/eni-0123456789abcdef0")
    subnet = sorted(vpc["subnet_ids"])[0]
    on_subnet = {"ec2:Subnet": ec2(f"subnet/{subnet}")}
    for resource in [
        interface,
        ec2(f"subnet/{subnet}"),
        *(ec2(f"security-group/{g}") for g in vpc["security_group_ids"]),
    ]:
        yield ServiceCall(who, role, "ec2:CreateNetworkInterface", resource, LAMBDA_VPC, on_subnet)
    for action in (
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    ):
        yield ServiceCall(who, role, action, interface, LAMBDA_VPC, on_subnet)
    for action in ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"):
        yield ServiceCall(who, role, action, "*", LAMBDA_VPC)


# --- S3: a bucket's event notifications to a queue -----------------------------------------


def bucket_notifications(d: Deployment) -> Iterator[ServiceCall]:
    """S3 sends each notification (and, when the configuration is put, a test message) to
    the queue as s3.amazonaws.com, for the bucket and its owner (S3_NOTIFICATIONS); with an
    encrypted queue it needs the key too, which SQS asks for with the message's data key
    bound to the queue (SQS_KMS: aws:sqs:arn), and nothing else assumed."""
    s3 = Principal(service="s3.amazonaws.com")
    for notification in d.of_type("aws_s3_bucket_notification"):
        bucket = f"arn:{d.partition}:s3:::{notification['bucket']}"
        who = f"S3 event notifications ({bucket})"
        for queue in notification.get("queue") or []:
            arn, source = queue["queue_arn"], _source(d, bucket)
            yield from _sends_to_queue(d, who, s3, arn, S3_NOTIFICATIONS, source, S3_NOTIFICATIONS)


# --- EventBridge: API destinations, dead letters, an encrypted bus -------------------------


def _module_of(address: str) -> str:
    """The module path of a resource address ("module.shop." or "" for the root)."""
    return "".join(re.findall(r"module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.", address))


def _rule_of(d: Deployment, target: dict[str, Any]) -> dict[str, Any]:
    """A target's rule: the one of its name on its bus, in its module (module instances in
    other Regions, the sender accounts', have rules of the same name)."""
    values, module = target["values"], _module_of(target["address"])
    for r in d.resources:
        if (
            r["type"] == "aws_cloudwatch_event_rule"
            and _module_of(r["address"]) == module
            and r["values"]["name"] == values["rule"]
            and (r["values"].get("event_bus_name") or "default")
            == (values.get("event_bus_name") or "default")
        ):
            return dict(r["values"])
    raise LookupError(f"no rule {values['rule']} on {values.get('event_bus_name')} in {module}")


def event_targets(d: Deployment) -> Iterator[ServiceCall]:
    events = Principal(service="events.amazonaws.com")
    for resource in (r for r in d.resources if r["type"] == "aws_cloudwatch_event_target"):
        target, rule_values = resource["values"], _rule_of(d, resource)
        rule = str(rule_values["arn"])
        who = f"EventBridge ({rule})"
        if target.get("role_arn"):
            yield ServiceCall(
                who,
                events,
                "sts:AssumeRole",
                target["role_arn"],
                EVENTS_API_DESTINATIONS,
                _source(d, rule),
            )
            yield from _role_target_calls(who, target, rule_values)
        dead_letter = _one(target.get("dead_letter_config")).get("arn")
        if dead_letter:
            yield from _sends_to_queue(d, who, events, dead_letter, EVENTS_DLQ, _source(d, rule))


def _role_target_calls(
    who: str, target: dict[str, Any], rule: dict[str, Any]
) -> Iterator[ServiceCall]:
    """What EventBridge does with a target's role: invoke an API destination, put records
    into a delivery stream, or put the event on another bus (a sender account's
    forwarding, with the event's source and detail-type, which the bus policy reads)."""
    role, arn = Principal(arn=target["role_arn"]), target["arn"]
    if ":api-destination/" in arn:
        yield ServiceCall(who, role, "events:InvokeApiDestination", arn, EVENTS_API_DESTINATIONS)
    elif ":deliverystream/" in arn:
        for action in ("firehose:PutRecord", "firehose:PutRecordBatch"):
            yield ServiceCall(who, role, action, arn, EVENTS_TARGETS)
    elif ":event-bus/" in arn:
        for source, detail_type in _forwarded(rule):
            context = {"events:source": source, "events:detail-type": detail_type}
            yield ServiceCall(who, role, "events:PutEvents", arn, EVENTS_CROSS_ACCOUNT, context)


def _forwarded(rule: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Each (source, detail-type) the rule's pattern matches."""
    pattern = json.loads(rule["event_pattern"])
    for source in pattern.get("source", []):
        for detail_type in pattern.get("detail-type", []):
            yield source, detail_type


def event_buses(d: Deployment) -> Iterator[ServiceCall]:
    """EventBridge checks a bus's key (DescribeKey, which carries no encryption context),
    then encrypts each event's data key bound to the bus."""
    for bus in d.of_type("aws_cloudwatch_event_bus"):
        who, events = f"EventBridge ({bus['arn']})", Principal(service="events.amazonaws.com")
        key = str(bus.get("kms_key_identifier") or "")
        source = _source(d, bus["arn"])
        yield from _kms(who, events, key, ["kms:DescribeKey"], EVENTS_BUS_KMS, source)
        context = {**source, "kms:EncryptionContext:aws:events:event-bus:arn": bus["arn"]}
        yield from _kms(
            who, events, key, ["kms:GenerateDataKey", "kms:Decrypt"], EVENTS_BUS_KMS, context
        )


# --- CloudWatch: alarms to SNS; Logs with a customer managed key ---------------------------


def alarm_topics(d: Deployment) -> Iterator[ServiceCall]:
    cloudwatch = Principal(service="cloudwatch.amazonaws.com")
    topics = {t["arn"]: t for t in d.of_type("aws_sns_topic")}
    for alarm in d.of_type("aws_cloudwatch_metric_alarm"):
        for topic in sorted(set(alarm.get("alarm_actions") or []) & set(topics)):
            context = _source(d, alarm["arn"])
            who = f"CloudWatch alarm ({alarm['alarm_name']})"
            yield ServiceCall(who, cloudwatch, "sns:Publish", topic, CLOUDWATCH_SNS, context)
            key = str(topics[topic].get("kms_master_key_id") or "")
            yield from _kms(
                who,
                cloudwatch,
                key,
                ["kms:GenerateDataKey", "kms:Decrypt"],
                CLOUDWATCH_SNS,
                context,
            )


def log_groups(d: Deployment) -> Iterator[ServiceCall]:
    for group in d.of_type("aws_cloudwatch_log_group"):
        arn = group["arn"].removesuffix(":*")
        yield from _kms(
            f"CloudWatch Logs ({group['name']})",
            Principal(service=f"logs.{d.region}.amazonaws.com"),
            str(group.get("kms_key_id") or ""),
            ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
            LOGS_KMS,
            {"kms:EncryptionContext:aws:logs:arn": arn},
        )


# --- API Gateway invokes the query function ------------------------------------------------


def api_integrations(d: Deployment) -> Iterator[ServiceCall]:
    apigateway = Principal(service="apigateway.amazonaws.com")
    for api in d.of_type("aws_apigatewayv2_api"):
        for route in d.of_type("aws_apigatewayv2_route"):
            method, path = route["route_key"].split(" ", 1)
            method = "GET" if method == "ANY" else method  # the request's own method
            for integration in d.of_type("aws_apigatewayv2_integration"):
                source = f"{api['execution_arn']}/$default/{method}{path}"
                # arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations
                uri = integration["integration_uri"]
                function = uri.split("/functions/", 1)[-1].removesuffix("/invocations")
                yield ServiceCall(
                    f"API Gateway ({route['route_key']})",
                    apigateway,
                    "lambda:InvokeFunction",
                    function,
                    APIGATEWAY_LAMBDA,
                    _source(d, source),
                )


RULES: list[Callable[[Deployment], Iterator[ServiceCall]]] = [
    firehose,
    bucket_notifications,
    event_source_mappings,
    function_runtime,
    event_targets,
    event_buses,
    alarm_topics,
    log_groups,
    api_integrations,
]


def service_calls(d: Deployment, variables: dict[str, Any]) -> list[ServiceCall]:
    """Every call the services make on the deployment's behalf."""
    found = [call for rule in RULES for call in rule(d)]
    return found + list(sources(d, variables))
