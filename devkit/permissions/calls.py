"""The AWS calls code makes, recorded through botocore, and the IAM request each one is.

A :class:`CallRecorder` registered on a session's (or a client's) events sees
every operation with its parameters before they are serialized; it keeps only
the parameters that name a resource. :func:`authorizations` turns a recorded
call into what IAM authorizes: one or more (action, resource ARN, context),
from :data:`OPERATIONS`, a table per operation. An operation the table does not
know raises :class:`UnmappedOperation`, so that a new call cannot slip past the
proof unmapped.

The worker that runs deployed code (devkit.lambda_worker) records when
``DEVKIT_RECORD_CALLS`` is set; the CLI's calls are recorded in process, on
the clients its Runtime creates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

RECORD_ENV = "DEVKIT_RECORD_CALLS"


@dataclass(frozen=True)
class Call:
    """One operation as code called it: the service's botocore name, and the parameters
    that say which resource it is on."""

    service: str  # botocore's service name: dynamodb, events, s3, firehose...
    operation: str  # GetItem
    params: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"service": self.service, "operation": self.operation, "params": self.params}

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Call:
        return cls(data["service"], data["operation"], dict(data["params"]))


def resource_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """What names resources: top-level strings, RequestItems' tables, Entries' buses."""
    kept: dict[str, Any] = {k: v for k, v in params.items() if isinstance(v, str)}
    if isinstance(params.get("RequestItems"), Mapping):
        kept["RequestItems"] = sorted(params["RequestItems"])
    if isinstance(params.get("Entries"), list):
        kept["EventBusNames"] = sorted(
            {str(e.get("EventBusName", "default")) for e in params["Entries"]}
        )
    if isinstance(params.get("CopySource"), Mapping):
        source = params["CopySource"]
        kept["CopySource"] = f"{source['Bucket']}/{source['Key']}"
    return kept


@dataclass
class CallRecorder:
    """Registered on ``before-parameter-build``: every call, once (retries are not calls)."""

    calls: list[Call] = field(default_factory=list)

    def __call__(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        # The client's service name (events, not the event system's eventbridge).
        service = model.service_model.service_name
        self.calls.append(Call(service, model.name, resource_params(params)))

    def attach(self, events: Any) -> CallRecorder:
        events.register_first("before-parameter-build", self)
        return self


# --- from a call to what IAM authorizes ---------------------------------------------------


@dataclass(frozen=True)
class Where:
    """Account, Region and partition of the resources a call names by name or URL."""

    account: str
    region: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account if region else ''}:{resource}"
        )


@dataclass(frozen=True)
class Authorization:
    """One IAM request: an action on a resource, with the context keys the call sets."""

    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)


class UnmappedOperation(LookupError):
    """A recorded operation that OPERATIONS does not know."""


def _table(w: Where, p: Mapping[str, Any]) -> list[str]:
    names = p.get("RequestItems") or [p["TableName"]]
    return [w.arn("dynamodb", f"table/{name}") for name in names]


def _index_or_table(w: Where, p: Mapping[str, Any]) -> list[str]:
    table = w.arn("dynamodb", f"table/{p['TableName']}")
    return [f"{table}/index/{p['IndexName']}" if p.get("IndexName") else table]


def _bus(w: Where, p: Mapping[str, Any]) -> list[str]:
    return [
        name if name.startswith("arn:") else w.arn("events", f"event-bus/{name}")
        for name in p.get("EventBusNames", ["default"])
    ]


def _bucket(w: Where, p: Mapping[str, Any]) -> list[str]:
    return [f"arn:{w.partition}:s3:::{p['Bucket']}"]


def _object(w: Where, p: Mapping[str, Any]) -> list[str]:
    return [f"arn:{w.partition}:s3:::{p['Bucket']}/{p['Key']}"]


def _object_if_matched(w: Where, p: Mapping[str, Any]) -> list[str]:
    """A conditional write or delete (If-Match an ETag) reads the object's ETag: S3
    authorizes it with s3:GetObject too ("How to perform conditional deletes", Amazon S3
    User Guide)."""
    return _object(w, p) if p.get("IfMatch") else []


def _copy_source(w: Where, p: Mapping[str, Any]) -> list[str]:
    return [f"arn:{w.partition}:s3:::{p['CopySource']}"]


def _delivery_stream(w: Where, p: Mapping[str, Any]) -> list[str]:
    return [w.arn("firehose", f"deliverystream/{p['DeliveryStreamName']}")]


def _queue(w: Where, p: Mapping[str, Any]) -> list[str]:
    # https://sqs.<region>.amazonaws.com/<account>/<name>
    account, name = urlparse(p["QueueUrl"]).path.strip("/").split("/")
    return [f"arn:{w.partition}:sqs:{w.region}:{account}:{name}"]


def _kinesis_stream(w: Where, p: Mapping[str, Any]) -> list[str]:
    return [p.get("StreamARN") or w.arn("kinesis", f"stream/{p['StreamName']}")]


def _table_stream(w: Where, p: Mapping[str, Any]) -> list[str]:
    return [p["StreamArn"]]


def _function(w: Where, p: Mapping[str, Any]) -> list[str]:
    """FunctionName as Lambda takes it: a name (maybe with its qualifier), a partial ARN
    (ACCOUNT:function:NAME) or an ARN."""
    name = str(p["FunctionName"])
    if name.startswith("arn:"):
        return [name]
    if ":function:" in name:
        return [f"arn:{w.partition}:lambda:{w.region}:{name}"]
    return [w.arn("lambda", f"function:{name}")]


def _suppression_list(w: Where, p: Mapping[str, Any]) -> list[str]:
    """The account's suppression list is no resource ("*"); a tenant's list is its tenant
    (the reference's optional ``tenant`` type), whose ID the call does not carry: the
    ARN keeps ``*`` there, which only a policy at least as wide matches."""
    tenant = p.get("TenantName")
    return [w.arn("ses", f"tenant/{tenant}/*")] if tenant else ["*"]


def _nothing(w: Where, p: Mapping[str, Any]) -> list[str]:
    return []


def _star(w: Where, p: Mapping[str, Any]) -> list[str]:
    return ["*"]


def _list_prefix(p: Mapping[str, Any]) -> dict[str, str]:
    return {"s3:prefix": p.get("Prefix", "")}


def _consumed_capacity(p: Mapping[str, Any]) -> dict[str, str]:
    """dynamodb:ReturnConsumedCapacity, when the call asks for it (the backfill's paced
    writes do): a policy may condition on it."""
    asked = p.get("ReturnConsumedCapacity")
    return {"dynamodb:ReturnConsumedCapacity": asked} if asked else {}


Resources = Callable[[Where, Mapping[str, Any]], list[str]]
Context = Callable[[Mapping[str, Any]], dict[str, str]]

# (service, operation) => [(IAM action, its resources, its context keys)]. An action
# with no resources is one IAM does not authorize (sts:GetCallerIdentity).
OPERATIONS: dict[tuple[str, str], Sequence[tuple[str, Resources, Context | None]]] = {
    ("dynamodb", "GetItem"): [("dynamodb:GetItem", _table, _consumed_capacity)],
    ("dynamodb", "PutItem"): [("dynamodb:PutItem", _table, _consumed_capacity)],
    ("dynamodb", "UpdateItem"): [("dynamodb:UpdateItem", _table, _consumed_capacity)],
    ("dynamodb", "DeleteItem"): [("dynamodb:DeleteItem", _table, _consumed_capacity)],
    ("dynamodb", "BatchGetItem"): [("dynamodb:BatchGetItem", _table, _consumed_capacity)],
    ("dynamodb", "BatchWriteItem"): [("dynamodb:BatchWriteItem", _table, _consumed_capacity)],
    ("dynamodb", "Query"): [("dynamodb:Query", _index_or_table, _consumed_capacity)],
    ("dynamodbstreams", "DescribeStream"): [("dynamodb:DescribeStream", _table_stream, None)],
    ("dynamodbstreams", "GetShardIterator"): [("dynamodb:GetShardIterator", _table_stream, None)],
    ("dynamodbstreams", "GetRecords"): [("dynamodb:GetRecords", _table_stream, None)],
    ("dynamodbstreams", "ListStreams"): [("dynamodb:ListStreams", _star, None)],
    ("events", "PutEvents"): [("events:PutEvents", _bus, None)],
    ("firehose", "PutRecord"): [("firehose:PutRecord", _delivery_stream, None)],
    ("firehose", "PutRecordBatch"): [("firehose:PutRecordBatch", _delivery_stream, None)],
    ("s3", "ListObjectsV2"): [("s3:ListBucket", _bucket, _list_prefix)],
    ("s3", "GetObject"): [("s3:GetObject", _object, None)],
    ("s3", "PutObject"): [
        ("s3:PutObject", _object, None),
        ("s3:GetObject", _object_if_matched, None),
    ],
    ("s3", "DeleteObject"): [
        ("s3:DeleteObject", _object, None),
        ("s3:GetObject", _object_if_matched, None),
    ],
    # CopyObject reads the source and writes the destination.
    ("s3", "CopyObject"): [
        ("s3:GetObject", _copy_source, None),
        ("s3:PutObject", _object, None),
    ],
    ("sqs", "SendMessage"): [("sqs:SendMessage", _queue, None)],
    ("kinesis", "GetRecords"): [("kinesis:GetRecords", _kinesis_stream, None)],
    ("kinesis", "GetShardIterator"): [("kinesis:GetShardIterator", _kinesis_stream, None)],
    ("kinesis", "DescribeStream"): [("kinesis:DescribeStream", _kinesis_stream, None)],
    ("kinesis", "ListShards"): [("kinesis:ListShards", _kinesis_stream, None)],
    # The transform's settings, which a backfill's items follow.
    ("lambda", "GetFunctionConfiguration"): [("lambda:GetFunctionConfiguration", _function, None)],
    # SES API v2's suppression list: the query reads, an operator removes (msgstatus).
    ("sesv2", "GetSuppressedDestination"): [
        ("ses:GetSuppressedDestination", _suppression_list, None)
    ],
    ("sesv2", "DeleteSuppressedDestination"): [
        ("ses:DeleteSuppressedDestination", _suppression_list, None)
    ],
    # Anyone may ask who they are: IAM authorizes nothing.
    ("sts", "GetCallerIdentity"): [("sts:GetCallerIdentity", _nothing, None)],
}


def authorizations(call: Call, where: Where) -> list[Authorization]:
    """The IAM requests one call makes; UnmappedOperation when OPERATIONS lacks it."""
    try:
        rows = OPERATIONS[(call.service, call.operation)]
    except KeyError:
        raise UnmappedOperation(
            f"{call.service}.{call.operation} is not in devkit.permissions.calls.OPERATIONS: "
            "add the IAM action and resource it needs"
        ) from None
    found = []
    for action, resources, context in rows:
        # Every call here goes over HTTPS (botocore's default).
        keys = {"aws:SecureTransport": "true", **(context(call.params) if context else {})}
        found += [Authorization(action, arn, keys) for arn in resources(where, call.params)]
    return found
