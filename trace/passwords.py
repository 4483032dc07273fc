"""Passwords for people: argon2id hashes and the rules a new password must meet.

Ground floor: pure rules and hashing, no tables. The hash is argon2-cffi's
``PasswordHasher`` (argon2id, RFC 9106 low-memory profile); a hash made with older
parameters is still accepted and ``needs_rehash`` says when to renew it.
"""

from __future__ import annotations

import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from trace.errors import Invalid
from trace.settings import get_settings

COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
# Readable one-time passwords: no 0/O, 1/l/I to misread when an admin reads one out.
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

_hasher = PasswordHasher()


def password_hash(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` is the one ``stored_hash`` was made from.

    An account without a password (API tokens only) is checked against a dummy hash,
    so the answer takes as long as for a real one and says nothing about which it was.
    """
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def spend_verify_time(password: str) -> None:
    """As long as checking a real password: a username that does not exist answers no faster."""
    password_matches(None, password)


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The vendored list (see trace/data/README.md), lower-cased."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password: str, username: str) -> list[Invalid]:
    """Every rule a proposed password breaks (none: acceptable)."""
    problems: list[Invalid] = []
    minimum = get_settings().password_min_length
    if len(password) < minimum:
        problems.append(Invalid("password_too_short", f"密码至少需要 {minimum} 个字符",
                                f"The password must have at least {minimum} characters", minimum=minimum))
    lowered, name = password.lower(), username.strip().lower()
    if name and name in lowered:
        problems.append(Invalid("password_contains_username", "密码不能包含用户名",
                                "The password must not contain the username"))
    if lowered in common_passwords() or _guessable_pattern(lowered):
        problems.append(Invalid("password_too_common", "这个密码太常见，容易被猜中，请换一个",
                                "This password is too common and easy to guess; choose another"))
    if password != password.strip():
        problems.append(Invalid("password_edge_spaces", "密码首尾不能有空格",
                                "The password must not begin or end with a space"))
    return problems


def _guessable_pattern(password: str) -> bool:
    """One character repeated, or only a date as 8 digits (a birthday: 19861010, 20120601)."""
    if password and len(set(password)) == 1:
        return True
    if len(password) == 8 and password.isdigit():
        try:
            date(int(password[:4]), int(password[4:6]), int(password[6:]))
        except ValueError:
            return False
        return 1900 <= int(password[:4]) <= 2100
    return False


def check_new_password(password: str, username: str) -> None:
    """Raise the first broken rule (services call this before storing a hash)."""
    if problems := password_problems(password, username):
        raise problems[0]


def one_time_password() -> str:
    """An admin-issued password, to be changed at first sign-in: 14 readable characters."""
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(14))
