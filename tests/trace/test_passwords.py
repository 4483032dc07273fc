"""Passwords people choose: argon2id hashes and the rules a new one must meet."""

from __future__ import annotations

import pytest

from trace.errors import Invalid
from trace.passwords import (
    check_new_password,
    common_passwords,
    one_time_password,
    password_hash,
    password_matches,
    password_problems,
)


def codes(password: str, username: str = "zhang.wei") -> set[str]:
    return {problem.code for problem in password_problems(password, username)}


def test_a_hash_is_argon2id_and_matches_only_its_password():
    hashed = password_hash("Kitchen-Ledger-42")

    assert hashed.startswith("$argon2id$")
    assert password_matches(hashed, "Kitchen-Ledger-42")
    assert not password_matches(hashed, "kitchen-ledger-42")


def test_the_same_password_hashes_differently_each_time():
    assert password_hash("Kitchen-Ledger-42") != password_hash("Kitchen-Ledger-42")


def test_an_account_without_a_password_matches_nothing():
    assert not password_matches(None, "")
    assert not password_matches(None, "anything at all")


def test_a_damaged_hash_matches_nothing():
    assert not password_matches("not-a-hash", "Kitchen-Ledger-42")


def test_a_long_unusual_password_is_accepted():
    assert codes("Rice-Barrel-Tuesday-7") == set()


def test_a_password_shorter_than_ten_characters_is_refused():
    assert codes("Rice-7-ok") == {"password_too_short"}


def test_a_password_containing_the_username_is_refused():
    assert "password_contains_username" in codes("my-Zhang.Wei-password", "zhang.wei")


def test_a_password_equal_to_the_username_is_refused():
    assert "password_contains_username" in codes("canteen-staff-01", "canteen-staff-01")


@pytest.mark.parametrize("password", ["a123456789", "woaini1314", "1qaz2wsx3edc", "qwertyuiop", "Password123",
                                      "5201314520", "zhangqiu2025"])
def test_a_common_password_is_refused_whatever_its_case(password):
    assert "password_too_common" in codes(password)


@pytest.mark.parametrize("password", ["19861010", "20120601"])
def test_a_birthday_as_eight_digits_is_refused(password, monkeypatch):
    from trace.settings import get_settings

    monkeypatch.setattr(get_settings(), "password_min_length", 8)
    assert codes(password) == {"password_too_common"}


def test_one_character_repeated_is_refused():
    assert "password_too_common" in codes("zzzzzzzzzzzz")


def test_the_common_list_is_loaded_from_the_vendored_file():
    assert len(common_passwords()) > 8000 and "woaini1314" in common_passwords()


def test_breaking_a_rule_raises_a_refusal_in_both_languages():
    with pytest.raises(Invalid) as refused:
        check_new_password("short", "someone")

    assert refused.value.code == "password_too_short" and "10" in refused.value.zh and "10" in refused.value.en


def test_a_one_time_password_meets_the_rules_and_is_never_the_same():
    issued = {one_time_password() for _ in range(50)}

    assert len(issued) == 50
    assert all(password_problems(p, "someone") == [] for p in issued)
