"""The module's DynamoDB table as CreateTable arguments, for tables made outside Terraform.

The unit tests (moto in-process) and the benchmark create the table directly;
its key, its attributes and its indexes come from message_status.model.INDEXES,
which tests/terraform/test_static.py checks against storage.tf.
"""

from __future__ import annotations

from typing import Any

from message_status.model import INDEXES

# Attribute types of the keys: strings, except the times (epoch milliseconds).
NUMBER_KEYS = {"sent", "oat"}


def table_definition(name: str) -> dict[str, Any]:
    keys = {"message_id"} | {i.partition_key for i in INDEXES} | {i.sort_key for i in INDEXES}
    return {
        "TableName": name,
        "KeySchema": [{"AttributeName": "message_id", "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": key, "AttributeType": "N" if key in NUMBER_KEYS else "S"}
            for key in sorted(keys)
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
            for index in INDEXES
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
