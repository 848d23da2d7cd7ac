"""Rules for staff accounts: passwords, lockout, session lifetime."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from simreg.core.actors import Role
from simreg.core.errors import InvalidInput

LOCKOUT_AFTER_FAILURES = 5
LOCKOUT_FOR = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)  # one shift at an outlet or in the back-office
MIN_PASSWORD_LENGTH = 10
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


@dataclass(frozen=True)
class StaffAccount:
    id: int
    username: str
    display_name: str
    role: Role
    outlet_id: int | None
    active: bool
    password_hash: str | None
    must_change_password: bool
    failed_logins: int
    locked_until: datetime | None
    language: str | None

    def locked_at(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def check_password(password: str, *, username: str) -> None:
    """Refuse passwords a colleague could guess; the message says what to change."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
    if len(set(password)) < 4:
        problems.append("at least 4 different characters")
    if username and username.lower() in password.lower():
        problems.append("without the username")
    if problems:
        listed = ", ".join(problems[:-1]) + " and " + problems[-1] if problems[1:] else problems[0]
        raise InvalidInput(
            "Choose a password with " + listed + ".",
            code="PASSWORD-WEAK",
            message_zh=f"密码至少 {MIN_PASSWORD_LENGTH} 位、至少包含 4 种不同字符，"
            "且不能包含用户名。",
            requirements=problems,
        )


def temporary_password(username: str) -> str:
    """A random password to hand over once, changed at first login (must_change_password)."""
    while True:
        password = secrets.token_urlsafe(12)  # 16 characters from 72 bits
        try:
            check_password(password, username=username)
        except InvalidInput:
            continue
        return password


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not (3 <= len(name) <= 64) or not set(name) <= USERNAME_CHARS:
        raise InvalidInput(
            "A username is 3-64 characters: lower-case letters, digits, '.', '_' or '-'.",
            code="USERNAME-INVALID",
            message_zh="用户名为 3-64 位小写字母、数字、“.”、“_”或“-”。",
        )
    return name
