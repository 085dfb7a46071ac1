"""Check API responses against docs/openapi.yaml."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from devkit import ROOT

OPENAPI = ROOT / "docs" / "openapi.yaml"


@cache
def document() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI.read_text())


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    response = document()["paths"][path][method.lower()]["responses"][str(status)]
    if "$ref" in response:
        response = document()["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response["content"]["application/json"]["schema"]


def validate_response(path: str, method: str, status: int, body: Any) -> None:
    """Raise jsonschema.ValidationError when ``body`` does not match the documented schema."""
    schema = {**document(), **response_schema(path, method, status)}
    Draft202012Validator(schema).validate(body)
