"""A person changes their own password; an operator sets one or issues a one-time password."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.factories import make_person, make_user
from tests.helpers import TEST_PASSWORD
from trace.accounts import system_actor
from trace.credentials import password_change, password_reset, password_set
from trace.errors import Invalid
from trace.models import CustodyEvent, Role
from trace.passwords import password_matches
from trace.sessions import session_for, session_open

NEW = "Steamed-Buns-At-Six"


def last_event(session, user) -> tuple[str, dict]:
    row = session.execute(select(CustodyEvent).where(CustodyEvent.stream == f"user:{user.id}")
                          .order_by(CustodyEvent.seq.desc())).scalars().first()
    return row.biz_step, json.loads(row.payload)


@pytest.fixture
def person(session):
    return make_person(session, Role.inspector, username="jianguan")


def test_a_person_changes_their_password_with_the_current_one(session, person):
    password_change(session, user=person, current=TEST_PASSWORD, new=NEW, confirm=NEW, client_address="10.0.0.7")

    assert password_matches(person.password_hash, NEW) and not password_matches(person.password_hash, TEST_PASSWORD)
    assert last_event(session, person) == ("password_changing", {"client_address": "10.0.0.7"})


def test_a_wrong_current_password_changes_nothing(session, person):
    with pytest.raises(Invalid) as refused:
        password_change(session, user=person, current="Wrong-Password-9", new=NEW)

    assert refused.value.code == "current_password_wrong"
    assert password_matches(person.password_hash, TEST_PASSWORD)


def test_the_new_password_must_be_typed_the_same_twice(session, person):
    with pytest.raises(Invalid, match="do not match"):
        password_change(session, user=person, current=TEST_PASSWORD, new=NEW, confirm=NEW + "x")


def test_the_new_password_must_differ_from_the_current_one(session, person):
    with pytest.raises(Invalid, match="must differ"):
        password_change(session, user=person, current=TEST_PASSWORD, new=TEST_PASSWORD)


def test_the_new_password_follows_the_rules(session, person):
    with pytest.raises(Invalid) as refused:
        password_change(session, user=person, current=TEST_PASSWORD, new="woaini1314")

    assert refused.value.code == "password_too_common"


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(session, person):
    here = session_open(session, user=person, client_address="a", user_agent="")
    elsewhere = session_open(session, user=person, client_address="b", user_agent="")

    password_change(session, user=person, current=TEST_PASSWORD, new=NEW, keep_session=here.row.id)

    assert session_for(session, here.plain_id) is not None
    assert session_for(session, elsewhere.plain_id) is None


def test_changing_a_one_time_password_lifts_the_must_change_flag(session):
    person = make_person(session, Role.inspector, must_change=True)

    password_change(session, user=person, current=TEST_PASSWORD, new=NEW)

    assert not person.must_change_password


def test_a_reset_issues_a_one_time_password_and_ends_every_session(session, person):
    opened = session_open(session, user=person, client_address="a", user_agent="")

    plain = password_reset(session, actor=system_actor(), user=person)

    assert person.must_change_password and password_matches(person.password_hash, plain)
    assert session_for(session, opened.plain_id) is None
    step, payload = last_event(session, person)
    assert step == "password_resetting" and payload["sessions_ended"] == 1 and plain not in json.dumps(payload)


def test_an_operator_sets_a_password_that_follows_the_rules(session):
    user = make_user(session, Role.admin, username="caozuo")

    password_set(session, actor=system_actor(), user=user, password=NEW)

    assert password_matches(user.password_hash, NEW) and not user.must_change_password
    assert last_event(session, user) == ("password_setting", {"must_change": False})
    with pytest.raises(Invalid):
        password_set(session, actor=system_actor(), user=user, password="caozuo-123456")
