"""DynamoDB JSON: plain values to and from the typed attribute values DynamoDB speaks.

The table's own wire format, with no client and no call: the DynamoDB edge
(``store``) writes and reads items in it, and the stream function reads the
images of DynamoDB Streams records, which come in the same format, without
depending on the edge that writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_dynamo_value(value: Any) -> Any:
    """Python value -> something TypeSerializer accepts (floats become Decimals)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {key: to_dynamo_value(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamo_value(inner) for inner in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(to_dynamo_value(value)) for key, value in item.items()}


def deserialize(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in raw.items()}
