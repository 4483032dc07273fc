"""Signing in: the password check, the failures counted per account and per address, the
slow-down and the lock-out, and the events on the account's chain."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_person
from tests.helpers import TEST_PASSWORD
from trace.models import CustodyEvent, Role, SignInFailure, WebSession
from trace.sign_in import SignedIn, SignInRefused, cosign_record, sign_in_attempt, sign_in_check, sign_out

NOW = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)  # 08:00 in Zhangqiu
WRONG = "Not-The-Password-1"


def attempt(session, username, password=TEST_PASSWORD, *, at=NOW, address="10.0.0.7"):
    result = sign_in_attempt(session, username=username, password=password, client_address=address,
                             user_agent="pytest", now=at)
    session.commit()
    return result


def account_events(session, user) -> list[tuple[str, dict]]:
    rows = session.execute(select(CustodyEvent).where(CustodyEvent.stream == f"user:{user.id}")
                           .order_by(CustodyEvent.seq)).scalars()
    return [(row.biz_step, json.loads(row.payload)) for row in rows]


def fail(session, username, times, *, start=NOW, every=timedelta(seconds=0), address="10.0.0.7"):
    """``times`` wrong passwords, each one at the moment it is accepted (waits honoured)."""
    at, result = start, None
    for _ in range(times):
        result = attempt(session, username, WRONG, at=at, address=address)
        if result.details.get("retry_at"):
            at = datetime.fromisoformat(result.details["retry_at"])
        at += every
    return result, at


@pytest.fixture
def person(session):
    user = make_person(session, Role.inspector, username="jianguan")
    session.commit()
    return user


def test_the_right_password_opens_a_session(session, person):
    result = attempt(session, "jianguan")

    assert isinstance(result, SignedIn)
    assert result.user.id == person.id and len(result.opened.plain_id) >= 40
    assert result.opened.row.session_hash != result.opened.plain_id


def test_signing_in_is_an_event_on_the_accounts_chain_with_the_client_address(session, person):
    attempt(session, "jianguan", address="10.1.2.3")

    step, payload = account_events(session, person)[-1]
    assert step == "signing_in" and payload["client_address"] == "10.1.2.3"


def test_a_wrong_password_is_refused_and_recorded_on_the_accounts_chain(session, person):
    result = attempt(session, "jianguan", WRONG)

    assert isinstance(result, SignInRefused) and result.code == "sign_in_failed"
    assert result.zh == "用户名或密码不正确" and result.en == "The username or password is incorrect"
    step, payload = account_events(session, person)[-1]
    assert step == "sign_in_refused" and payload["reason"] == "wrong_password"


def test_an_unknown_username_gets_the_same_refusal_and_no_account_event(session, person):
    known = attempt(session, "jianguan", WRONG, address="10.0.0.1")
    unknown = attempt(session, "nobody", WRONG, address="10.0.0.2")

    assert (unknown.code, unknown.zh, unknown.en, unknown.status) == (known.code, known.zh, known.en, known.status)
    assert session.execute(select(CustodyEvent).where(CustodyEvent.payload.contains("nobody"))).first() is None


def test_an_unknown_username_takes_as_long_as_a_wrong_password(session, person, monkeypatch):
    import trace.sign_in as sign_in_module

    verified = []
    monkeypatch.setattr(sign_in_module, "spend_verify_time", lambda password: verified.append(password))
    attempt(session, "nobody", WRONG)

    assert verified == [WRONG]


def test_an_account_without_a_password_cannot_sign_in(session):
    from tests.factories import make_user

    make_user(session, Role.admin, username="api-only")
    session.commit()

    assert isinstance(attempt(session, "api-only", ""), SignInRefused)


def test_a_deactivated_account_cannot_sign_in(session, person):
    person.active = False
    session.add(person)
    session.commit()

    assert isinstance(attempt(session, "jianguan"), SignInRefused)


def test_the_third_failure_makes_the_next_try_wait_and_says_until_when(session, person):
    result, _ = fail(session, "jianguan", 3)

    assert result.code == "sign_in_failed" and result.details["retry_after_seconds"] == 2
    assert "08:00:02" in result.zh and "08:00:02" in result.en


def test_a_try_during_the_wait_is_refused_unchecked_even_with_the_right_password(session, person):
    fail(session, "jianguan", 3)

    result = attempt(session, "jianguan", at=NOW + timedelta(seconds=1))

    assert isinstance(result, SignInRefused) and result.code == "sign_in_slowed" and result.status == 429
    assert session.execute(select(SignInFailure).where(SignInFailure.scope == "account")).all().__len__() == 3


def test_the_right_password_after_the_wait_signs_in_and_clears_the_accounts_count(session, person):
    _, after = fail(session, "jianguan", 3)

    assert isinstance(attempt(session, "jianguan", at=after), SignedIn)
    assert session.execute(select(SignInFailure).where(SignInFailure.scope == "account")).all() == []


def test_ten_failures_lock_the_account_for_fifteen_minutes(session, person):
    result, _ = fail(session, "jianguan", 10)

    assert result.code == "sign_in_locked" and result.status == 429
    locked_at = datetime.fromisoformat(result.details["retry_at"])
    assert isinstance(attempt(session, "jianguan", at=locked_at - timedelta(seconds=1)), SignInRefused)
    assert isinstance(attempt(session, "jianguan", at=locked_at), SignedIn)


def test_the_lock_out_is_an_event_on_the_accounts_chain(session, person):
    fail(session, "jianguan", 10)

    steps = [step for step, _ in account_events(session, person)]
    assert steps.count("sign_in_refused") == 10 and steps[-1] == "locking_out"


def test_the_lock_out_message_says_when_to_retry_in_both_languages(session, person):
    result, _ = fail(session, "jianguan", 10)

    assert "锁定" in result.zh and "（北京时间）之后再试" in result.zh
    assert "locked" in result.en and "Try again after" in result.en


def test_an_unknown_username_is_locked_out_alike(session, person):
    known, _ = fail(session, "jianguan", 10, address="10.0.0.1")
    unknown, _ = fail(session, "nobody", 10, address="10.0.0.2")

    assert (unknown.code, unknown.status) == (known.code, known.status) == ("sign_in_locked", 429)


def test_a_locked_account_stays_locked_from_another_address(session, person):
    _, at = fail(session, "jianguan", 10, address="10.0.0.1")

    result = attempt(session, "jianguan", at=at - timedelta(minutes=5), address="10.9.9.9")

    assert isinstance(result, SignInRefused) and result.code == "sign_in_locked"


def test_one_address_guessing_many_accounts_is_slowed_then_locked(session, person, monkeypatch):
    from trace.settings import get_settings

    monkeypatch.setattr(get_settings(), "sign_in_address_slow_after", 4)
    monkeypatch.setattr(get_settings(), "sign_in_address_lock_after", 6)
    at = NOW
    for n in range(6):  # one failure per account: no account is slowed, the address is
        result = attempt(session, f"guess-{n}", WRONG, at=at, address="10.6.6.6")
        at = datetime.fromisoformat(result.details["retry_at"]) if result.details.get("retry_at") else at

    assert result.code == "sign_in_locked"
    assert isinstance(attempt(session, "jianguan", at=at - timedelta(seconds=1), address="10.6.6.6"),
                      SignInRefused)
    assert isinstance(attempt(session, "jianguan", at=at - timedelta(seconds=1), address="10.0.0.8"), SignedIn)


def test_signing_in_does_not_clear_the_addresss_count(session, person):
    fail(session, "other-name", 2, address="10.0.0.7")
    attempt(session, "jianguan", address="10.0.0.7")

    remaining = session.execute(select(SignInFailure).where(SignInFailure.scope == "address")).all()
    assert len(remaining) == 2


def test_signing_out_revokes_the_session_and_is_an_event(session, person):
    signed_in = attempt(session, "jianguan")

    sign_out(session, user=person, web_session=signed_in.opened.row, client_address="10.0.0.7", now=NOW)
    session.commit()

    assert signed_in.opened.row.revoked_at is not None
    assert account_events(session, person)[-1][0] == "signing_out"


# --- a second person's credentials on another's device (a receipt's second checker) ----------------


def cosign(session, username, password=TEST_PASSWORD, *, at=NOW, address="10.0.0.7"):
    checked = sign_in_check(session, username=username, password=password, client_address=address, now=at)
    result = cosign_record(session, checked, what="receipt_check:1")
    session.commit()
    return result


def test_a_second_persons_password_confirms_without_opening_a_session_and_is_an_event(session, person):
    assert cosign(session, "jianguan").id == person.id
    assert session.execute(select(WebSession)).scalars().all() == []
    assert account_events(session, person)[-1] == ("cosigning", {"client_address": "10.0.0.7",
                                                                 "what": "receipt_check:1"})


def test_a_wrong_password_of_a_second_person_counts_toward_the_lock_out_as_a_sign_in(session, person):
    fail(session, "jianguan", 10)
    refused = cosign(session, "jianguan", at=NOW + timedelta(minutes=1))
    assert isinstance(refused, SignInRefused) and (refused.code, refused.status) == ("sign_in_locked", 429)
    assert isinstance(cosign(session, "jianguan", WRONG, at=NOW + timedelta(minutes=1)), SignInRefused)
