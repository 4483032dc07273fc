"""Schools and their canteens' licences, as docs/domain.md §2, §3.2 and §8.2 say."""

from __future__ import annotations

from datetime import date

import pytest

from canteens import service as canteen_service
from canteens.models import SchoolKind
from canteens.schools import school_find
from tests.factories import bearer, make_school, make_user
from trace.errors import Invalid
from trace.models import Role
from trace.settings import get_settings


def test_kindergarten_is_a_school_kind_section_3_2(session):
    school = make_school(session, kind="幼儿园", name="示例测试中心幼儿园", students=320)
    assert school.kind == SchoolKind.kindergarten


def test_nine_year_school_kind_is_written_in_full():
    assert SchoolKind.nine_year.value == "九年一贯制"


def test_canteen_jy_with_another_business_type_is_a_warning_not_a_refusal_section_8_2(session):
    school = make_school(session, canteen_licence="JY23701140000991")
    warnings = canteen_service.canteen_review_warnings(canteen_service.canteen_of(session, school.id))
    assert [w["code"] for w in warnings] == ["canteen_licence_not_unit_canteen"]


def test_unit_canteen_licence_raises_no_warning_section_8_2(session):
    school = make_school(session)
    assert canteen_service.canteen_review_warnings(canteen_service.canteen_of(session, school.id)) == []


def test_canteen_jy_business_type_can_be_made_a_refusal_by_setting_section_8_2(session, monkeypatch):
    monkeypatch.setenv("TRACE_CANTEEN_LICENCE_OTHER_BUSINESS_TYPE", "refuse")
    get_settings.cache_clear()
    try:
        with pytest.raises(Invalid) as refused:
            make_school(session, canteen_licence="JY23701140000992")
        assert refused.value.code == "canteen_licence_not_unit_canteen"
    finally:
        monkeypatch.delenv("TRACE_CANTEEN_LICENCE_OTHER_BUSINESS_TYPE")
        get_settings.cache_clear()


def test_canteen_licence_longer_than_five_years_is_refused_section_2(session):
    with pytest.raises(Invalid) as refused:
        make_school(session, canteen_licence_issued=date(2023, 3, 15), canteen_licence_expires=date(2028, 3, 16))
    assert refused.value.code == "licence_term_too_long"


def test_school_record_shows_the_warning_and_the_licence_names_section_8_2(client, session):
    school = make_school(session, canteen_licence="JY23701140000993")
    admin = make_user(session, Role.admin)
    body = client.get(f"/api/v1/schools/{school.id}", headers=bearer(session, admin)).json()
    assert [w["code"] for w in body["review_warnings"]] == ["canteen_licence_not_unit_canteen"]
    assert body["canteen"]["licence_kind_zh"] == "食品经营许可证"
    assert body["canteen"]["licence_business_type_zh"] == "餐饮服务经营者"
    assert body["canteen"]["licence_region_zh"] == "山东省济南市章丘区"


def test_finding_schools_by_part_of_the_name_or_town_takes_percent_and_underscore_as_typed(session):
    school = make_school(session)
    session.commit()

    assert school in school_find(session, school.name[-3:])
    assert school in school_find(session, school.town)
    assert school_find(session, "%") == [] and school_find(session, "_") == []
