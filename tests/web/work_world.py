"""A world with one person per role who can sign in on the web (for the work pages' tests)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from tests.factories import World, make_person, make_world
from trace.models import Role


@dataclass
class People:
    world: World
    canteen: str = "shitang"
    supplier: str = "gongying"
    inspector: str = "jianguan"
    admin: str = "guanli"


def world_with_people(session: Session, **product_overrides) -> People:  # type: ignore[no-untyped-def]
    world = make_world(session, **product_overrides)
    people = People(world)
    make_person(session, Role.canteen_staff, username=people.canteen, school_id=world.school.id,
                display_name="食堂 王示例")
    make_person(session, Role.supplier, username=people.supplier, supplier_id=world.supplier.id,
                display_name="供应 李示例")
    make_person(session, Role.inspector, username=people.inspector, display_name="监管 张示例")
    make_person(session, Role.admin, username=people.admin, display_name="管理 赵示例")
    session.commit()
    return people
