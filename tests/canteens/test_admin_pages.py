"""The administrator's register of schools: each canteen's licence, its validity and the school's staff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import days_ago, make_person, make_school, make_user, today
from tests.helpers import sign_in
from trace.models import Role


@pytest.fixture
def admin(client, session):
    make_person(session, Role.admin, username="guanli")
    session.commit()
    sign_in(client, "guanli")
    return client


def test_each_school_shows_its_town_kind_and_canteen_licence_with_its_validity(admin, session):
    school = make_school(session, name="明水街道示例小学", town="明水街道", canteen_licence="JY33701140000011",
                         canteen_licence_issued=days_ago(1800), canteen_licence_expires=today() - timedelta(days=3))
    session.commit()

    page = admin.get("/admin/schools")

    assert page.status_code == 200
    assert f'href="/admin/schools/{school.id}"' in page.text
    assert "明水街道" in page.text and "小学" in page.text and "JY33701140000011" in page.text
    assert 'class="badge bad">已过期 3 天' in page.text


def test_the_school_record_shows_the_licence_and_the_staff_accounts(admin, session):
    school = make_school(session)
    staff = make_user(session, Role.canteen_staff, username="shitang-wang", school_id=school.id)
    session.commit()

    page = admin.get(f"/admin/schools/{school.id}")

    assert page.status_code == 200
    assert "食品经营许可证" in page.text and "单位食堂" in page.text
    assert f'href="/admin/accounts/{staff.id}"' in page.text and "shitang-wang" in page.text


def test_a_canteen_licence_that_is_not_for_a_unit_canteen_is_shown_for_review(admin, session):
    school = make_school(session, canteen_licence="JY23701140000019")  # 主体业态 2: not a 单位食堂
    session.commit()

    page = admin.get(f"/admin/schools/{school.id}")

    assert "需人工复核" in page.text and "请人工复核" in page.text


def test_a_school_without_staff_accounts_says_so(admin, session):
    school = make_school(session)
    session.commit()

    assert "该学校还没有食堂人员账号" in admin.get(f"/admin/schools/{school.id}").text


def test_an_unknown_school_is_not_found(admin):
    assert admin.get("/admin/schools/999999").status_code == 404
