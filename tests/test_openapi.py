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


INSPECTOR_READS = [
    ("/api/v1/batches", "BatchPublic"),
    ("/api/v1/receipts/{receipt_id}", "ReceiptPublic"),
    ("/api/v1/schools/{school_id}/receipts", "ReceiptPublic"),
    ("/api/v1/schools/{school_id}/uses", "UsePublic"),
    ("/api/v1/schools/{school_id}/stock", "StockPublic"),
    ("/api/v1/batches/{batch_id}/trace/forward", "ForwardTrace"),
]


def test_the_inspectors_reads_document_their_answer_and_refusals(app):
    spec = _spec(app)
    for path, model in INSPECTOR_READS:
        operation = spec["paths"][path]["get"]
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer.get("items", answer)["$ref"] == f"#/components/schemas/{model}", path
        for status in ("401", "403", "404", "422"):
            refusal = operation["responses"][status]["content"]["application/json"]["schema"]
            assert refusal["$ref"].endswith("/ErrorBody"), (path, status)


def test_the_inspectors_reads_describe_every_query_parameter(app):
    spec = _spec(app)
    undescribed = [(path, p["name"]) for path, _model in INSPECTOR_READS
                   for p in spec["paths"][path]["get"].get("parameters", [])
                   if p["in"] == "query" and not p.get("description")]
    assert undescribed == []


def test_date_filters_are_named_from_and_to_and_typed_as_dates(app):
    spec = _spec(app)
    for path in ("/api/v1/schools/{school_id}/receipts", "/api/v1/schools/{school_id}/uses"):
        parameters = {p["name"]: p["schema"] for p in spec["paths"][path]["get"]["parameters"]}
        for name in ("from", "to"):
            assert {"type": "string", "format": "date"} in parameters[name]["anyOf"], (path, name)


def test_pages_are_bounded(app):
    spec = _spec(app)
    for path in ("/api/v1/batches", "/api/v1/schools/{school_id}/receipts", "/api/v1/schools/{school_id}/uses"):
        parameters = {p["name"]: p["schema"] for p in spec["paths"][path]["get"]["parameters"]}
        assert (parameters["limit"]["minimum"], parameters["limit"]["maximum"]) == (1, 500), path
        assert parameters["offset"]["minimum"] == 0, path
