"""The metrics a handler printed, read back as CloudWatch Logs reads them: embedded metric format."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any


def emf_documents(text: str) -> list[dict[str, Any]]:
    """Every embedded-metric-format document printed in ``text`` (one JSON object a line)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def metric_sums(documents: list[dict[str, Any]]) -> Counter[str]:
    """Each metric's values, summed over every document that declares it."""
    sums: Counter[str] = Counter()
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                sums[metric["Name"]] += sum(value) if isinstance(value, list) else value
    return sums
