"""The OpenAPI document is complete: every route documented, every body with an example,
every refusal shaped as an ErrorBody."""

from __future__ import annotations

import json


def _spec(app):
    return app.openapi()


def _resolve(spec, schema):
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def test_every_operation_has_a_summary_or_description(app):
    spec = _spec(app)
    undocumented = [(path, method) for path, ops in spec["paths"].items() for method, op in ops.items()
                    if not (op.get("summary") or op.get("description"))]
    assert undocumented == []


def test_every_request_body_carries_an_example(app):
    spec = _spec(app)
    missing = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body and "example" not in json.dumps(_resolve(spec, body["schema"])):
                missing.append((method, path))
    assert missing == []


def test_refusals_are_documented_as_error_bodies(app):
    spec = _spec(app)
    operation = spec["paths"]["/api/v1/shipments"]["post"]
    for status in ("400", "401", "403", "409", "422"):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/ErrorBody"), status
