"""Argon2id password hashing (argon2-cffi, its recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Passwords:
    def __init__(self, *, fast_for_tests: bool = False) -> None:
        # Tests create many accounts; the low-cost profile keeps them quick, never in service.
        self._hasher = (
            Argon2(time_cost=1, memory_cost=8, parallelism=1) if fast_for_tests else Argon2()
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
