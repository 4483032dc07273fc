"""The administrator's registers of suppliers and products: what each row and record says."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from suppliers import service
from suppliers.models import SupplierKind, SupplierStatus
from suppliers.schemas import LicenceCreate, SupplierStanding
from tests.factories import days_ago, make_batch, make_person, make_product, make_supplier, make_user, today
from tests.helpers import sign_in
from trace.accounts import system_actor
from trace.custody import Actor
from trace.models import Role


@pytest.fixture
def admin(client, session):
    make_person(session, Role.admin, username="guanli")
    session.commit()
    sign_in(client, "guanli")
    return client


def row_of(page, name: str) -> str:
    """The table row (a card on a phone) that names ``name``."""
    found = re.search(r"<tr>(?:(?!</tr>).)*" + re.escape(name) + r".*?</tr>", page.text, re.S)
    assert found, f"no row names {name}"
    return found.group(0)


def test_each_supplier_shows_its_standing_in_colour_and_words(admin, session):
    normal, suspended, listed = make_supplier(session), make_supplier(session), make_supplier(session)
    service.supplier_set_standing(session, actor=system_actor(), supplier_id=suspended.id,
                                  data=SupplierStanding(status=SupplierStatus.suspended, note="抽检不合格"))
    service.supplier_set_standing(session, actor=system_actor(), supplier_id=listed.id,
                                  data=SupplierStanding(dishonest=True, note="失信"))
    session.commit()

    page = admin.get("/admin/suppliers")

    assert page.status_code == 200
    assert 'class="badge ok">✓ 正常' in row_of(page, normal.name)
    assert 'class="badge warn">! 暂停供货' in row_of(page, suspended.name)
    assert 'class="badge bad">✕ 列入严重违法失信名单' in row_of(page, listed.name)
    assert normal.credit_code in row_of(page, normal.name)


def test_a_licence_shows_its_expiry_and_the_days_left(admin, session):
    supplier = make_supplier(session, licences=[LicenceCreate(
        kind="food_business", number="JY13701140000777", issued_on=days_ago(1000),
        expires_on=today() + timedelta(days=30))])
    session.commit()

    row = row_of(admin.get("/admin/suppliers"), supplier.name)

    assert "JY13701140000777" in row and 'class="badge warn">剩余 30 天' in row


def test_a_seller_of_edible_agricultural_products_needs_no_licence(admin, session):
    supplier = make_supplier(session, kind=SupplierKind.edible_agricultural, licences=[])
    session.commit()

    assert "无需许可" in row_of(admin.get("/admin/suppliers"), supplier.name)


def test_the_supplier_record_lists_licences_products_supplied_and_accounts(admin, session):
    supplier = make_supplier(session)
    product = make_product(session, name="五常大米")
    user = make_user(session, Role.supplier, username="wuchang-1", supplier_id=supplier.id)
    make_batch(session, supplier, product, Actor.of(user))
    session.commit()

    page = admin.get(f"/admin/suppliers/{supplier.id}")

    assert page.status_code == 200
    assert "今日可以向学校供货" in page.text
    assert "五常大米" in page.text and f'href="/admin/accounts/{user.id}"' in page.text
    assert "食品经营许可证" in page.text


def test_the_record_of_a_suspended_supplier_says_why_it_may_not_supply(admin, session):
    supplier = make_supplier(session)
    service.supplier_set_standing(session, actor=system_actor(), supplier_id=supplier.id,
                                  data=SupplierStanding(status=SupplierStatus.suspended, note="待整改"))
    session.commit()

    page = admin.get(f"/admin/suppliers/{supplier.id}")

    assert "今日不得向学校供货" in page.text and "已被暂停供货" in page.text and "待整改" in page.text


def test_an_unknown_supplier_is_not_found(admin):
    assert admin.get("/admin/suppliers/999999").status_code == 404


def test_the_catalogue_shows_papers_storage_and_the_rapid_test(admin, session):
    make_product(session, name="小油菜", category="蔬菜", storage="ambient", rapid_test="pesticide_enzyme_inhibition",
                 gtin="06970000000123", conversions={})
    make_product(session, name="冷鲜猪肉", category="肉类", storage="chilled", conversions={})
    session.commit()

    page = admin.get("/admin/products")

    greens, pork = row_of(page, "小油菜"), row_of(page, "冷鲜猪肉")
    assert "06970000000123" in greens and "承诺达标合格证或检验报告" in greens
    assert "农药残留快检（酶抑制法）" in greens
    assert "冷藏" in pork and "冷链" in pork and "非洲猪瘟病毒检测合格报告" in pork


def test_empty_registers_say_how_records_are_added(admin):
    assert "POST /api/v1/products" in admin.get("/admin/products").text
