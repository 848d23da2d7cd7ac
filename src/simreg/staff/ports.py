"""What staff services need from storage and from the password hasher."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from simreg.core.actors import Role
from simreg.core.audit import AuditEvent
from simreg.staff.domain import StaffAccount


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class StaffTransaction(Protocol):
    def account_by_username(self, username: str) -> StaffAccount | None: ...

    def account_by_id(self, staff_id: int) -> StaffAccount | None: ...

    def outlet_by_code(self, code: str) -> tuple[int, bool] | None:
        """The outlet's id and whether it is open."""
        ...

    def add_account(
        self,
        *,
        username: str,
        display_name: str,
        role: Role,
        outlet_id: int | None,
        password_hash: str | None,
        must_change_password: bool,
        at: datetime,
    ) -> int: ...

    def update_account(self, staff_id: int, **values: object) -> None: ...

    def record_login_failure(self, staff_id: int, lock_until: datetime | None) -> int: ...

    def add_session(
        self,
        *,
        token_index: str,
        staff_id: int,
        csrf_token: str,
        at: datetime,
        expires_at: datetime,
    ) -> None: ...

    def session(self, token_index: str, now: datetime) -> tuple[StaffAccount, str] | None: ...

    def revoke_sessions(
        self,
        *,
        token_index: str | None = None,
        staff_id: int | None = None,
        at: datetime,
        keep_token_index: str | None = None,
    ) -> None: ...

    def revoke_api_tokens(self, staff_id: int, at: datetime) -> int: ...

    def record(self, event: AuditEvent) -> None: ...


class StaffUnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[StaffTransaction]: ...
