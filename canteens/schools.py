"""Schools and their canteens: registration, the canteen licence's review, acting for a school."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlmodel import Session

from canteens.models import Canteen, School
from canteens.schemas import SchoolCreate
from suppliers import service as supplier_service
from suppliers.licence_numbers import parse_licence_number
from trace.custody import Actor, record_event, stream_of
from trace.db import get_kept
from trace.errors import Conflict, Forbidden, Invalid, NotFound
from trace.settings import get_settings


def school_get(session: Session, school_id: int) -> School:
    school = get_kept(session, School, school_id)
    if school is None:
        raise NotFound("school_not_found", f"学校 {school_id} 不存在", f"School {school_id} not found",
                       school_id=school_id)
    return school


def school_list(session: Session) -> list[School]:
    return list(session.execute(select(School).order_by(School.id)).scalars())


def school_find(session: Session, text: str = "", *, limit: int = 200) -> list[School]:
    """Schools by town and name; with ``text``, those whose name or town contains it (as typed:
    ``%`` and ``_`` are letters here, not wildcards)."""
    statement = select(School).order_by(School.town, School.name).limit(limit)
    if text := text.strip():
        statement = statement.where(or_(School.name.contains(text, autoescape=True),
                                        School.town.contains(text, autoescape=True)))
    return list(session.execute(statement).scalars())


def canteen_of(session: Session, school_id: int) -> Canteen | None:
    return session.execute(select(Canteen).where(Canteen.school_id == school_id)).scalar_one_or_none()


def canteen_review_warnings(canteen: Canteen | None) -> list[dict[str, object]]:
    """What a reviewer should check by hand on a school's canteen (never a refusal).

    A school canteen's JY licence should be for a 单位食堂 (主体业态 3); domain.md §8.2 marks
    that unverified and older licences may differ, so another business type is shown here
    (unless ``TRACE_CANTEEN_LICENCE_OTHER_BUSINESS_TYPE=refuse`` refused it at registration).
    """
    if canteen is None:
        return []
    try:
        licence = parse_licence_number(canteen.licence_number, kind="food_business")
    except Invalid as refused:
        # Registered before a rule was tightened: shown for review rather than hidden.
        return [{"code": "canteen_licence_fails_current_rules", "message": {"zh-CN": refused.zh, "en": refused.en},
                 "details": {"licence_number": canteen.licence_number, "reason": str(refused.details.get("reason"))}}]
    if licence.is_unit_canteen:
        return []
    return [{
        "code": "canteen_licence_not_unit_canteen",
        "message": {"zh-CN": f"食堂的食品经营许可证主体业态为“{licence.category_zh}”，学校食堂通常为“单位食堂”"
                             "（JY3…），请人工复核",
                    "en": "The canteen's food business licence is not for a unit canteen (JY3…), as a school "
                          "canteen's usually is; review by hand"},
        "details": {"licence_number": licence.number, "business_type": licence.category_code},
    }]


def school_create(session: Session, *, actor: Actor, data: SchoolCreate) -> School:
    licence = parse_licence_number(data.canteen_licence, kind="food_business")
    if not licence.is_unit_canteen and get_settings().canteen_licence_other_business_type == "refuse":
        raise Invalid("canteen_licence_not_unit_canteen",
                      "学校食堂的食品经营许可证主体业态应为“单位食堂”（JY3…）",
                      "A school canteen's food business licence must be for a unit canteen (JY3…)")
    if data.canteen_licence_expires <= data.canteen_licence_issued:
        raise Invalid("licence_dates_invalid", "食品经营许可证有效期截止日须晚于发证日期",
                      "A licence must expire after it was issued")
    latest = supplier_service.add_years(data.canteen_licence_issued, supplier_service.LICENCE_MAX_TERM_YEARS)
    if data.canteen_licence_expires > latest:
        raise Invalid("licence_term_too_long",
                      f"食品经营许可证有效期不超过 5 年：{data.canteen_licence_issued:%Y年%-m月%-d日}发证的，"
                      f"最迟 {latest:%Y年%-m月%-d日} 到期",
                      f"A licence runs at most five years: issued on {data.canteen_licence_issued.isoformat()}, "
                      f"it expires by {latest.isoformat()} at the latest",
                      issued_on=data.canteen_licence_issued.isoformat(), latest_expiry=latest.isoformat())
    if session.execute(select(School.id).where(School.code == data.code)).first():
        raise Conflict("school_exists", f"学校编码 {data.code} 已存在", f"School code {data.code} exists")
    school = School.model_validate(data.model_dump(include=set(School.model_fields)))
    session.add(school)
    session.flush()
    canteen = Canteen(school_id=school.id, name=data.canteen_name, licence_number=licence.number,
                      licence_issued_on=data.canteen_licence_issued, licence_expires_on=data.canteen_licence_expires)
    session.add(canteen)
    session.flush()
    record_event(
        session, stream=stream_of("school", school.id), biz_step="commissioning", action="ADD", actor=actor,
        subject_type="school", subject_id=school.id, school_id=school.id,
        payload={**data.model_dump(mode="json"),
                 "review_warnings": [w["code"] for w in canteen_review_warnings(canteen)]},
    )
    return school


def assert_acts_for_school(actor: Actor, school_id: int) -> None:
    if actor.role == "canteen_staff" and actor.school_id != school_id:
        raise Forbidden("not_your_school", "只能为本校食堂操作", "You can only act for your own school",
                        school_id=school_id)
