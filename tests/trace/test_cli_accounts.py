"""The CLI gives people passwords: typed (hidden, twice) or one-time, and resets them."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from trace import migrate
from trace.cli import app as cli
from trace.db import make_engine
from trace.models import CustodyEvent, User
from trace.passwords import password_matches
from trace.settings import get_settings

runner = CliRunner()
CHOSEN = "Rice-Barrel-Tuesday-7"


@pytest.fixture
def operator(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    get_settings.cache_clear()
    migrate.upgrade(empty_database_url)
    yield empty_database_url
    get_settings.cache_clear()


def user_named(url: str, username: str) -> SimpleNamespace:
    """The account as stored, with the biz steps of its chain."""
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        steps = [e.biz_step for e in session.execute(
            select(CustodyEvent).where(CustodyEvent.stream == f"user:{user.id}").order_by(CustodyEvent.seq)).scalars()]
    engine.dispose()
    return SimpleNamespace(password_hash=user.password_hash, must_change_password=user.must_change_password,
                           steps=steps)


def test_creating_a_user_with_a_typed_password_asks_twice_and_stores_only_its_hash(operator):
    result = runner.invoke(cli, ["user", "create", "guanli", "admin", "--password"], input=f"{CHOSEN}\n{CHOSEN}\n")

    assert result.exit_code == 0, result.output
    assert CHOSEN not in result.output
    user = user_named(operator, "guanli")
    assert password_matches(user.password_hash, CHOSEN) and not user.must_change_password
    assert user.steps == ["commissioning", "password_setting"]


def test_a_typed_password_that_breaks_a_rule_is_refused_and_no_account_is_made(operator):
    result = runner.invoke(cli, ["user", "create", "guanli", "admin", "--password"], input="woaini1314\nwoaini1314\n")

    assert result.exit_code == 1 and "password" in result.output.lower()
    engine = make_engine(operator)
    with Session(engine) as session:
        assert session.execute(select(User)).first() is None
    engine.dispose()


def test_creating_a_user_with_a_one_time_password_prints_it_once_and_it_must_be_changed(operator):
    result = runner.invoke(cli, ["user", "create", "jianguan", "inspector", "--one-time"])

    assert result.exit_code == 0, result.output
    printed = result.output.strip().splitlines()[-1].split()
    assert printed[0] == "jianguan"
    user = user_named(operator, "jianguan")
    assert password_matches(user.password_hash, printed[1]) and user.must_change_password


def test_password_and_one_time_together_are_refused(operator):
    result = runner.invoke(cli, ["user", "create", "x-user", "admin", "--password", "--one-time"])

    assert result.exit_code == 1


def test_a_user_created_without_a_password_cannot_sign_in_on_the_web(operator):
    assert runner.invoke(cli, ["user", "create", "api-only", "admin"]).exit_code == 0

    assert user_named(operator, "api-only").password_hash is None


def test_resetting_a_password_prints_a_new_one_time_password_and_records_it(operator):
    runner.invoke(cli, ["user", "create", "guanli", "admin", "--password"], input=f"{CHOSEN}\n{CHOSEN}\n")

    result = runner.invoke(cli, ["user", "reset-password", "guanli"])

    assert result.exit_code == 0, result.output
    plain = result.output.strip().splitlines()[-1].split()[1]
    user = user_named(operator, "guanli")
    assert password_matches(user.password_hash, plain) and not password_matches(user.password_hash, CHOSEN)
    assert user.must_change_password and user.steps[-1] == "password_resetting"


def test_resetting_an_unknown_user_says_so(operator):
    result = runner.invoke(cli, ["user", "reset-password", "nobody"])

    assert result.exit_code != 0


def test_a_token_issued_by_the_cli_is_an_event_on_the_account(operator):
    runner.invoke(cli, ["user", "create", "guanli", "admin"])

    assert runner.invoke(cli, ["token", "create", "guanli", "--name", "laptop"]).exit_code == 0

    assert user_named(operator, "guanli").steps[-1] == "token_issuing"
