"""The AWS operations a source tree can call, found statically.

A run records only the calls the exercised paths make; this finds the others.
For each tree, the services it creates clients of (a string literal as the
first argument of a ``client(...)`` or ``aws_client(...)`` call) and every
method call or paginator of theirs (botocore's operation names, in the
snake_case boto3 gives them). The proof requires each operation found to be
recorded in the run or declared with its resource.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from botocore import xform_name
from botocore.session import get_session

CLIENT_FACTORIES = frozenset({"client", "aws_client"})


@cache
def _operations(service: str) -> dict[str, str]:
    """snake_case method name => botocore operation name, for one service."""
    model = get_session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


def _trees(paths: Iterable[Path]) -> list[ast.Module]:
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*.py")))]
    return [ast.parse(f.read_text(), filename=str(f)) for f in files]


def services_created(trees: Iterable[ast.Module]) -> set[str]:
    found = set()
    for tree in trees:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute | ast.Name)
                and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
                in CLIENT_FACTORIES
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def operations_called(paths: Iterable[Path]) -> set[tuple[str, str]]:
    """(service, Operation) for every call of a client method in these files."""
    trees = _trees(paths)
    services = services_created(trees)
    found: set[tuple[str, str]] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            names = [node.func.attr]
            if node.func.attr == "get_paginator" and node.args:
                argument = node.args[0]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    names = [argument.value]
            for service in services:
                for name in names:
                    if name in _operations(service):
                        found.add((service, _operations(service)[name]))
    return found
