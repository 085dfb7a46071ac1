"""EventBridge's part of a delivery, played on a deployment read back from the emulator.

A rule matches an event and sends each of its targets the event, or the part
its ``InputPath`` selects ("Transforming Amazon EventBridge target input",
EventBridge User Guide); a rule whose target is another account's or Region's
bus sends the event itself, which keeps the account and Region it began in.

The emulator cannot play this: moto 5.2 re-issues an event sent to another
bus as a new event of that bus's account and Region, and raises
NotImplementedError for a Firehose target. So the apply tests put no event on
the emulator's buses: they read each deployed rule and target back and apply
them here. The pattern is matched by moto's own matcher (moto 5.2 implements no
TestEventPattern): the one its rules use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from moto.events.models import EventPattern
from moto.events.utils import EventMessageType


@dataclass(frozen=True)
class Delivery:
    """What one target of a rule receives for an event."""

    target_arn: str
    role_arn: str | None
    payload: Any


def play_rule(events: Any, rule: str, bus: str, event: Mapping[str, Any]) -> list[Delivery]:
    """Each target's delivery when ``event`` reaches ``bus`` (an events client of the
    bus's account and Region), or none when the rule's pattern does not match it."""
    described = events.describe_rule(Name=rule, EventBusName=bus)
    pattern = EventPattern.load(described["EventPattern"])
    if not pattern.matches_event(cast("EventMessageType", dict(event))):
        return []
    targets = events.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
    return [Delivery(t["Arn"], t.get("RoleArn"), target_input(t, event)) for t in targets]


def target_input(target: Mapping[str, Any], event: Mapping[str, Any]) -> Any:
    """The target's input: the whole event, its constant ``Input``, or its ``InputPath``."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        return json_path(event, target["InputPath"])
    if "InputTransformer" in target:
        raise NotImplementedError("input transformers are not played (the module uses none)")
    return dict(event)


def json_path(document: Mapping[str, Any], path: str) -> Any:
    """A ``$.a.b`` path, the form InputPath takes for one field."""
    if path == "$":
        return document
    if not path.startswith("$."):
        raise ValueError(f"not a JSON path to a field: {path}")
    value: Any = document
    for part in path[2:].split("."):
        value = value[part]
    return value
