"""Web sessions end when signed out, after 30 minutes unused, or 12 hours after sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_person
from trace.accounts import user_deactivate, user_rebind
from trace.models import Role, WebSession
from trace.sessions import (
    session_for,
    session_hash,
    session_needs_touch,
    session_open,
    session_revoke,
    session_touch,
    sessions_revoke_all,
)

SIGNED_IN = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def person(session):
    user = make_person(session, Role.admin, username="guanli")
    session.commit()
    return user


@pytest.fixture
def opened(session, person):
    opened = session_open(session, user=person, client_address="10.0.0.7", user_agent="pytest", now=SIGNED_IN)
    session.commit()
    return opened


def seen_at(session, opened, at):
    row_id = opened.row.id
    session.commit()  # the touch is a transaction of its own, as in a request
    with session.get_bind().begin() as connection:
        session_touch(connection, row_id, at)
    session.expire_all()


def test_only_the_hash_of_the_cookies_id_is_kept(session, opened):
    assert opened.row.session_hash == session_hash(opened.plain_id) != opened.plain_id
    assert session.execute(select(WebSession).where(WebSession.session_hash == opened.plain_id)).first() is None


def test_the_cookies_id_names_its_session_and_person(session, opened, person):
    row, user = session_for(session, opened.plain_id, SIGNED_IN + timedelta(minutes=1))

    assert row.id == opened.row.id and user.id == person.id


def test_an_unknown_id_names_no_session(session, opened):
    assert session_for(session, "made-up", SIGNED_IN) is None


def test_a_session_unused_for_thirty_minutes_has_ended(session, opened):
    assert session_for(session, opened.plain_id, SIGNED_IN + timedelta(minutes=29, seconds=59)) is not None
    assert session_for(session, opened.plain_id, SIGNED_IN + timedelta(minutes=30)) is None


def test_using_a_session_keeps_it_going(session, opened):
    seen_at(session, opened, SIGNED_IN + timedelta(minutes=25))

    assert session_for(session, opened.plain_id, SIGNED_IN + timedelta(minutes=50)) is not None


def test_a_session_ends_twelve_hours_after_sign_in_however_much_it_is_used(session, opened):
    for minutes in range(20, 12 * 60, 20):
        seen_at(session, opened, SIGNED_IN + timedelta(minutes=minutes))

    assert session_for(session, opened.plain_id, SIGNED_IN + timedelta(hours=11, minutes=59)) is not None
    assert session_for(session, opened.plain_id, SIGNED_IN + timedelta(hours=12)) is None


def test_last_seen_moves_at_most_once_a_minute(session, opened):
    assert not session_needs_touch(opened.row, SIGNED_IN + timedelta(seconds=59))
    assert session_needs_touch(opened.row, SIGNED_IN + timedelta(seconds=60))

    seen_at(session, opened, SIGNED_IN + timedelta(seconds=30))  # too soon: nothing moves
    assert session.get(WebSession, opened.row.id).last_seen_at == SIGNED_IN


def test_last_seen_never_moves_back(session, opened):
    seen_at(session, opened, SIGNED_IN + timedelta(minutes=10))
    seen_at(session, opened, SIGNED_IN + timedelta(minutes=5))

    assert session.get(WebSession, opened.row.id).last_seen_at == SIGNED_IN + timedelta(minutes=10)


def test_a_revoked_session_has_ended(session, opened):
    session_revoke(session, opened.row, SIGNED_IN)
    session.commit()

    assert session_for(session, opened.plain_id, SIGNED_IN) is None


def test_revoking_all_keeps_the_one_asked_for(session, person, opened):
    other = session_open(session, user=person, client_address="10.0.0.8", user_agent="", now=SIGNED_IN)

    assert sessions_revoke_all(session, person.id, SIGNED_IN, keep=opened.row.id) == 1
    session.commit()
    assert session_for(session, opened.plain_id, SIGNED_IN) is not None
    assert session_for(session, other.plain_id, SIGNED_IN) is None


def test_deactivating_an_account_ends_its_sessions(session, person, opened):
    admin = make_person(session, Role.admin)
    from trace.custody import Actor

    user_deactivate(session, actor=Actor.of(admin), user=person)
    session.commit()

    assert session_for(session, opened.plain_id, SIGNED_IN) is None


def test_a_new_role_ends_the_sessions_of_the_old_one(session, person, opened):
    from trace.accounts import system_actor

    user_rebind(session, actor=system_actor(), user=person, role=Role.inspector)
    session.commit()

    assert session_for(session, opened.plain_id, SIGNED_IN) is None
