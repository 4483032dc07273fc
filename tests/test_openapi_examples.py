"""Every example in the API document passes the API's own validation: its schema, and the
identifier rules of docs/domain.md §1 (credit codes) and §2 (licence numbers and terms)."""

from __future__ import annotations

import importlib
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel

from suppliers.credit_code import validate_credit_code
from suppliers.licence_numbers import parse_licence_number
from suppliers.service import LICENCE_MAX_TERM_YEARS, add_years

SCHEMA_MODULES = ("suppliers.schemas", "canteens.schemas", "inspections.schemas", "trace.schemas",
                  "trace.query_schemas", "trace.errors")


def _models() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for name in SCHEMA_MODULES:
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel:
                found[value.__name__] = value
    return found


def _check_term(issued: Any, expires: Any) -> None:
    if issued and expires:
        assert date.fromisoformat(expires) <= add_years(date.fromisoformat(issued), LICENCE_MAX_TERM_YEARS)


def _check_identifiers(value: Any) -> int:
    """Apply the domain's identifier rules to every identifier in an example; count them."""
    checked = 0
    if isinstance(value, list):
        return sum(_check_identifiers(v) for v in value)
    if not isinstance(value, dict):
        return 0
    if isinstance(value.get("credit_code"), str):
        validate_credit_code(value["credit_code"])
        checked += 1
    if isinstance(value.get("number"), str) and value.get("kind") in (
            "food_production", "food_business", "prepackaged_filing"):
        parse_licence_number(value["number"], kind=value["kind"])
        _check_term(value.get("issued_on"), value.get("expires_on"))
        checked += 1
    if isinstance(value.get("canteen_licence"), str):
        assert parse_licence_number(value["canteen_licence"], kind="food_business").is_unit_canteen
        _check_term(value.get("canteen_licence_issued"), value.get("canteen_licence_expires"))
        checked += 1
    return checked + sum(_check_identifiers(v) for v in value.values())


def _schema_examples(app) -> list[tuple[str, Any]]:
    components = app.openapi()["components"]["schemas"]
    return [(name, example) for name, schema in components.items() for example in schema.get("examples", [])]


def test_the_api_document_has_examples_with_identifiers(app):
    # Guards the tests below against passing on nothing.
    assert sum(_check_identifiers(example) for _, example in _schema_examples(app)) >= 3


def test_every_schema_example_validates_against_its_own_schema(app):
    models = _models()
    checked = [name for name, example in _schema_examples(app) if name in models]
    for name, example in _schema_examples(app):
        if name in models:
            models[name].model_validate(example)
    assert {"SupplierCreate", "SchoolCreate", "LicenceCreate"} <= set(checked)


def test_every_schema_example_passes_the_identifier_rules_of_sections_1_and_2(app):
    for name, example in _schema_examples(app):
        _check_identifiers(example)


@pytest.mark.parametrize("field", ["credit_code", "number", "canteen_licence"])
def test_every_field_example_of_an_identifier_passes_its_rule(app, field):
    components = app.openapi()["components"]["schemas"]
    for name, schema in components.items():
        examples = schema.get("properties", {}).get(field, {}).get("examples", [])
        for example in examples:
            if field == "number" and name.startswith("Licence"):
                parse_licence_number(example)
            elif field == "credit_code":
                validate_credit_code(example)
            elif field == "canteen_licence":
                parse_licence_number(example, kind="food_business")
