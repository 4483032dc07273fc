"""Suppliers and their licences, as docs/domain.md §1 and §2 say."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from suppliers import service as supplier_service
from suppliers.credit_code import make_credit_code, organisation_code_check_character
from suppliers.schemas import LicenceCreate, SupplierCreate
from tests.factories import bearer, days_ago, make_product, make_supplier, make_user, today
from tests.helpers import assert_refused
from trace.accounts import system_actor
from trace.errors import Conflict, Invalid
from trace.models import Role


def licence(kind: str = "food_business", number: str = "JY13701140009991", *, issued: date | None = None,
            expires: date | None = None) -> LicenceCreate:
    issued = issued or days_ago(100)
    return LicenceCreate(kind=kind, number=number, issued_on=issued, expires_on=expires)


def refused(exc_type, call) -> str:
    with pytest.raises(exc_type) as caught:
        call()
    return caught.value.code


def credit_code_failing_inner_check() -> str:
    body = "00000901"
    wrong = next(c for c in "0123456789X" if c != organisation_code_check_character(body))
    return make_credit_code("91370114" + body + wrong)


def test_licence_of_five_years_is_accepted_section_2(session):
    issued = date(2023, 5, 10)
    supplier = make_supplier(session, licences=[licence(issued=issued, expires=date(2028, 5, 10))])
    assert supplier_service.licences_of(session, supplier.id)[0].expires_on == date(2028, 5, 10)


def test_a_term_reaching_past_the_calendar_is_measured_not_a_crash_section_2(client, session):
    # Five years after 9998 is past the last date a calendar holds: that was a 500.
    assert supplier_service.add_years(date(9998, 1, 1), 5) == date.max
    admin = make_user(session, Role.admin)
    supplier = make_supplier(session)
    response = client.post(f"/api/v1/suppliers/{supplier.id}/licences", headers=bearer(session, admin), json={
        "kind": "food_business", "number": "JY13701140000999", "issued_on": "9998-01-01",
        "expires_on": "9999-01-01"})
    assert response.status_code < 500, response.text


def test_licence_longer_than_five_years_is_refused_section_2(session):
    issued = date(2023, 5, 10)
    assert refused(Invalid, lambda: make_supplier(
        session, licences=[licence(issued=issued, expires=date(2028, 5, 11))])) == "licence_term_too_long"


def test_licence_without_an_expiry_date_is_refused_section_2(session):
    assert refused(Invalid, lambda: make_supplier(session, licences=[licence()])) == "licence_expiry_required"


def test_prepackaged_food_filing_has_no_term_and_lets_its_holder_supply_section_2(session):
    supplier = make_supplier(session, licences=[licence("prepackaged_filing", "YB13701140000012")])
    supplier_service.supplier_assert_may_supply(session, supplier, today())


def test_edible_agricultural_seller_supplies_without_a_licence_section_2(session):
    supplier = make_supplier(session, kind="edible_agricultural", licences=[])
    supplier_service.supplier_assert_may_supply(session, supplier, today())


def test_edible_agricultural_seller_is_not_given_a_licence_section_2(session):
    assert refused(Invalid, lambda: make_supplier(session, kind="edible_agricultural")) == "licence_not_required"
    supplier = make_supplier(session, kind="edible_agricultural", licences=[])
    assert refused(Invalid, lambda: supplier_service.licence_add(
        session, actor=system_actor(), supplier_id=supplier.id,
        data=licence(expires=today() + timedelta(days=300)))) == "licence_not_required"


def test_edible_agricultural_seller_may_sell_vegetables_but_not_processed_food_section_2(session):
    supplier = make_supplier(session, kind="edible_agricultural", licences=[])
    supplier_service.supplier_assert_may_sell(supplier, make_product(session, category="蔬菜"))
    assert refused(Conflict, lambda: supplier_service.supplier_assert_may_sell(
        supplier, make_product(session, category="粮食"))) == "supplier_not_licensed_for_product"


def test_licensed_supplier_without_a_valid_licence_may_not_supply_section_2(session):
    supplier = make_supplier(session, licences=[licence(issued=days_ago(800), expires=days_ago(10))])
    assert refused(Conflict, lambda: supplier_service.supplier_assert_may_supply(
        session, supplier, today())) == "supplier_licence_expired"


def test_failed_inner_credit_code_check_is_kept_as_a_warning_section_1_1(session):
    supplier = make_supplier(session, credit_code=credit_code_failing_inner_check())
    warnings = supplier_service.supplier_review_warnings(supplier)
    assert [w["code"] for w in warnings] == ["credit_code_inner_check_failed"]


def test_supplier_record_shows_warnings_area_and_licence_names_section_1_and_2(client, session):
    supplier = make_supplier(session, credit_code=credit_code_failing_inner_check())
    admin = make_user(session, Role.admin)
    body = client.get(f"/api/v1/suppliers/{supplier.id}", headers=bearer(session, admin)).json()
    assert [w["code"] for w in body["review_warnings"]] == ["credit_code_inner_check_failed"]
    assert body["review_warnings"][0]["message"]["zh-CN"]
    assert body["credit_code_info"]["region_zh"] == "山东省济南市章丘区"
    assert body["credit_code_info"]["inner_check_passed"] is False
    assert body["kind_zh"] == "持证食品生产经营者"
    assert body["licences"][0]["kind_zh"] == "食品经营许可证"
    assert body["licences"][0]["category_zh"] == "食品销售经营者"


def test_api_refuses_a_credit_code_with_an_undefined_category_section_1_2(client, session):
    admin = make_user(session, Role.admin)
    first17 = "00370114000001010"
    response = client.post("/api/v1/suppliers", headers=bearer(session, admin), json=SupplierCreate(
        name="示例测试公司", credit_code=make_credit_code(first17), contact="王", phone="0531-1",
    ).model_dump(mode="json"))
    error = assert_refused(response, 422, "invalid_credit_code")
    assert error["details"]["reason"] == "category"
