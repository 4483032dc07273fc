"""Every demo account signs in with the documented demo password, without changing it."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from seeds.loader import DEMO_PASSWORD, seed_reference
from tests.helpers import sign_in
from trace.models import User
from trace.passwords import password_matches, password_problems


def test_the_demo_password_meets_the_rules_for_every_demo_account(session: Session) -> None:
    seed_reference(session)

    usernames = session.execute(select(User.username)).scalars().all()
    assert usernames and all(password_problems(DEMO_PASSWORD, name) == [] for name in usernames)


def test_every_demo_account_has_the_demo_password_and_need_not_change_it(session: Session) -> None:
    seed_reference(session)

    users = session.execute(select(User)).scalars().all()
    assert all(password_matches(u.password_hash, DEMO_PASSWORD) and not u.must_change_password for u in users)


def test_the_readme_names_the_demo_password(session: Session) -> None:
    from trace.settings import PROJECT_ROOT

    assert f"`{DEMO_PASSWORD}`" in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_each_demo_role_signs_in_and_lands_on_its_work(client, session: Session) -> None:
    seed_reference(session)
    session.commit()
    landings = {}
    for username in ("admin", "inspector", "supplier-1", "staff-zq-s01-1"):
        client.cookies.clear()
        landings[username] = sign_in(client, username, DEMO_PASSWORD).headers["location"]

    assert landings == {"admin": "/admin/accounts", "inspector": "/inspect/search",
                        "supplier-1": "/supplier/orders", "staff-zq-s01-1": "/canteen/deliveries"}
