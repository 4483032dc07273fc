"""Accounts and API tokens: deactivation, a new role or binding, tokens listed, revoked and
their use noted; each an event on the account's chain."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_person, make_school, make_supplier, make_user
from tests.helpers import assert_refused
from trace.accounts import (
    token_create,
    token_note_use,
    token_revoke,
    tokens_of,
    user_deactivate,
    user_for_token,
    user_rebind,
)
from trace.custody import Actor
from trace.errors import Conflict, Invalid, NotFound
from trace.models import ApiToken, CustodyEvent, Role


def account_events(session, user) -> list[tuple[str, str, dict]]:
    rows = session.execute(select(CustodyEvent).where(CustodyEvent.stream == f"user:{user.id}")
                           .order_by(CustodyEvent.seq)).scalars()
    return [(row.biz_step, row.action, json.loads(row.payload)) for row in rows]


@pytest.fixture
def admin(session):
    return Actor.of(make_user(session, Role.admin))


def test_a_deactivated_accounts_tokens_stop_working(session, admin):
    user = make_user(session, Role.inspector)
    token = token_create(session, user=user, name="laptop")

    user_deactivate(session, actor=admin, user=user, reason="left the bureau")

    assert user_for_token(session, token) is None
    assert all(t.revoked_at is not None for t in tokens_of(session, user))


def test_deactivation_is_an_event_with_its_reason(session, admin):
    user = make_user(session, Role.inspector)

    user_deactivate(session, actor=admin, user=user, reason="left the bureau")

    step, action, payload = account_events(session, user)[-1]
    assert (step, action, payload["reason"]) == ("decommissioning", "DELETE", "left the bureau")


def test_an_account_is_deactivated_once(session, admin):
    user = make_user(session, Role.inspector)
    user_deactivate(session, actor=admin, user=user)

    with pytest.raises(Conflict, match="already deactivated"):
        user_deactivate(session, actor=admin, user=user)


def test_an_admin_cannot_deactivate_themselves(session):
    user = make_user(session, Role.admin)

    with pytest.raises(Conflict) as refused:
        user_deactivate(session, actor=Actor.of(user), user=user)
    assert refused.value.code == "user_deactivate_self"


def test_rebinding_moves_a_canteen_account_to_another_school_and_records_before_and_after(session, admin):
    first, second = make_school(session), make_school(session)
    user = make_user(session, Role.canteen_staff, school_id=first.id)

    user_rebind(session, actor=admin, user=user, role=Role.canteen_staff, school_id=second.id)

    assert user.school_id == second.id
    step, _, payload = account_events(session, user)[-1]
    assert step == "rebinding"
    assert payload["before"]["school_id"] == first.id and payload["after"]["school_id"] == second.id


def test_rebinding_keeps_the_binding_rules(session, admin):
    user = make_user(session, Role.inspector)

    with pytest.raises(Invalid) as refused:
        user_rebind(session, actor=admin, user=user, role=Role.supplier)
    assert refused.value.code == "user_binding_invalid"


def test_rebinding_to_the_same_role_and_binding_changes_nothing(session, admin):
    supplier = make_supplier(session)
    user = make_user(session, Role.supplier, supplier_id=supplier.id)
    before = len(account_events(session, user))

    user_rebind(session, actor=admin, user=user, role=Role.supplier, supplier_id=supplier.id)

    assert len(account_events(session, user)) == before


def test_issuing_a_token_is_an_event_naming_it_without_the_secret(session, admin):
    user = make_user(session, Role.inspector)

    token = token_create(session, user=user, name="laptop", actor=admin)

    step, action, payload = account_events(session, user)[-1]
    assert (step, action, payload["name"]) == ("token_issuing", "ADD", "laptop")
    assert token not in json.dumps(payload)


def test_a_persons_tokens_are_listed_newest_first_with_revoked_ones(session, admin):
    user = make_user(session, Role.inspector)
    token_create(session, user=user, name="old")
    token_create(session, user=user, name="new")
    token_revoke(session, actor=admin, token_id=tokens_of(session, user)[-1].id)

    listed = tokens_of(session, user)

    assert [t.name for t in listed] == ["new", "old"]
    assert listed[0].revoked_at is None and listed[1].revoked_at is not None


def test_a_revoked_token_no_longer_authenticates_and_the_revocation_is_an_event(session, admin):
    user = make_user(session, Role.inspector)
    token = token_create(session, user=user, name="laptop")
    row = tokens_of(session, user)[0]

    token_revoke(session, actor=admin, token_id=row.id)

    assert user_for_token(session, token) is None
    assert account_events(session, user)[-1][:2] == ("token_revoking", "DELETE")


def test_a_token_is_revoked_once(session, admin):
    user = make_user(session, Role.inspector)
    token_create(session, user=user, name="laptop")
    row = tokens_of(session, user)[0]
    token_revoke(session, actor=admin, token_id=row.id)

    with pytest.raises(Conflict):
        token_revoke(session, actor=admin, token_id=row.id)


def test_another_persons_token_is_not_found_when_revoking_as_theirs(session, admin):
    owner, other = make_user(session, Role.inspector), make_user(session, Role.inspector)
    token_create(session, user=owner, name="laptop")

    with pytest.raises(NotFound):
        token_revoke(session, actor=admin, token_id=tokens_of(session, owner)[0].id, user=other)


def test_a_tokens_first_use_of_the_day_is_an_event_and_later_uses_only_move_its_time(session):
    user = make_user(session, Role.inspector)
    token_create(session, user=user, name="laptop")
    token_id = tokens_of(session, user)[0].id
    morning = datetime(2026, 9, 1, 0, 30, tzinfo=UTC)  # 08:30 local

    assert token_note_use(session, token_id=token_id, now=morning)
    assert not token_note_use(session, token_id=token_id, now=morning + timedelta(seconds=30))
    assert token_note_use(session, token_id=token_id, now=morning + timedelta(hours=2))
    assert token_note_use(session, token_id=token_id, now=morning + timedelta(days=1))

    uses = [step for step, _, _ in account_events(session, user) if step == "token_using"]
    assert len(uses) == 2
    session.expire_all()
    assert session.get(ApiToken, token_id).last_used_at == morning + timedelta(days=1)


def test_the_api_notes_a_tokens_last_use(client, session):
    from tests.factories import bearer

    user = make_user(session, Role.inspector)
    headers = bearer(session, user)

    assert client.get("/api/v1/products", headers=headers).status_code == 200

    session.expire_all()
    assert tokens_of(session, user)[0].last_used_at is not None
    assert account_events(session, user)[-1][0] == "token_using"


def test_a_person_with_a_password_signs_in_and_the_api_knows_them(client, session):
    from tests.helpers import sign_in

    person = make_person(session, Role.inspector, username="jianguan-api")
    session.commit()
    sign_in(client, "jianguan-api")

    assert client.get("/api/v1/me").json()["user_id"] == person.id


def test_the_api_refuses_a_revoked_token(client, session):
    from tests.factories import bearer

    user = make_user(session, Role.inspector)
    headers = bearer(session, user)
    token_revoke(session, actor=Actor.of(user), token_id=tokens_of(session, user)[0].id)
    session.commit()

    assert_refused(client.get("/api/v1/products", headers=headers), 401, "invalid_token")
