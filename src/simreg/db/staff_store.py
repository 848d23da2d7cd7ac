"""Staff accounts and web sessions in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from simreg.core.actors import Role
from simreg.core.audit import AuditEvent
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
from simreg.db.directory import revoke_staff_tokens
from simreg.db.repositories import aware
from simreg.staff.domain import StaffAccount


def _account(row: Any) -> StaffAccount:
    return StaffAccount(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        outlet_id=row.outlet_id,
        active=row.active,
        password_hash=row.password_hash,
        must_change_password=row.must_change_password,
        failed_logins=row.failed_logins,
        locked_until=aware(row.locked_until),
        language=row.language,
    )


class SqlStaffTransaction:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def account_by_username(self, username: str) -> StaffAccount | None:
        row = self.conn.execute(select(t.staff).where(t.staff.c.username == username)).one_or_none()
        return _account(row) if row else None

    def account_by_id(self, staff_id: int) -> StaffAccount | None:
        row = self.conn.execute(select(t.staff).where(t.staff.c.id == staff_id)).one_or_none()
        return _account(row) if row else None

    def outlet_by_code(self, code: str) -> tuple[int, bool] | None:
        found = self.conn.execute(
            select(t.outlets.c.id, t.outlets.c.active).where(t.outlets.c.code == code)
        ).one_or_none()
        return (int(found.id), bool(found.active)) if found is not None else None

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
    ) -> int:
        return int(
            self.conn.execute(
                insert(t.staff)
                .values(
                    username=username,
                    display_name=display_name,
                    role=role.value,
                    outlet_id=outlet_id,
                    active=True,
                    created_at=at,
                    password_hash=password_hash,
                    must_change_password=must_change_password,
                )
                .returning(t.staff.c.id)
            ).scalar_one()
        )

    def update_account(self, staff_id: int, **values: object) -> None:
        self.conn.execute(update(t.staff).where(t.staff.c.id == staff_id).values(**values))

    def record_login_failure(self, staff_id: int, lock_until: datetime | None) -> int:
        # Incremented in SQL so parallel guesses cannot lose a count.
        values: dict[str, object] = {"failed_logins": t.staff.c.failed_logins + 1}
        if lock_until is not None:
            values.update(locked_until=lock_until, failed_logins=0)
        self.conn.execute(update(t.staff).where(t.staff.c.id == staff_id).values(**values))
        return int(
            self.conn.execute(
                select(t.staff.c.failed_logins).where(t.staff.c.id == staff_id)
            ).scalar_one()
        )

    def add_session(
        self,
        *,
        token_index: str,
        staff_id: int,
        csrf_token: str,
        at: datetime,
        expires_at: datetime,
    ) -> None:
        self.conn.execute(
            insert(t.web_sessions).values(
                token_index=token_index,
                staff_id=staff_id,
                csrf_token=csrf_token,
                created_at=at,
                expires_at=expires_at,
            )
        )

    def session(self, token_index: str, now: datetime) -> tuple[StaffAccount, str] | None:
        row = self.conn.execute(
            select(t.staff, t.web_sessions.c.csrf_token)
            .join(t.web_sessions, t.web_sessions.c.staff_id == t.staff.c.id)
            .where(
                t.web_sessions.c.token_index == token_index,
                t.web_sessions.c.revoked_at.is_(None),
                t.web_sessions.c.expires_at > now,
                t.staff.c.active.is_(True),
            )
        ).one_or_none()
        return (_account(row), row.csrf_token) if row else None

    def revoke_sessions(
        self,
        *,
        token_index: str | None = None,
        staff_id: int | None = None,
        at: datetime,
        keep_token_index: str | None = None,
    ) -> None:
        query = update(t.web_sessions).where(t.web_sessions.c.revoked_at.is_(None))
        if token_index is not None:
            query = query.where(t.web_sessions.c.token_index == token_index)
        if staff_id is not None:
            query = query.where(t.web_sessions.c.staff_id == staff_id)
        if keep_token_index is not None:
            query = query.where(t.web_sessions.c.token_index != keep_token_index)
        self.conn.execute(query.values(revoked_at=at))

    def revoke_api_tokens(self, staff_id: int, at: datetime) -> int:
        return revoke_staff_tokens(self.conn, staff_id, at)

    def record(self, event: AuditEvent) -> None:
        record_audit(self.conn, event)


def list_staff(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            t.staff.c.id,
            t.staff.c.username,
            t.staff.c.display_name,
            t.staff.c.role,
            t.staff.c.active,
            t.staff.c.locked_until,
            t.staff.c.password_hash.is_not(None).label("can_log_in"),
            t.outlets.c.code.label("outlet"),
        )
        .outerjoin(t.outlets, t.outlets.c.id == t.staff.c.outlet_id)
        .order_by(t.staff.c.role, t.staff.c.username)
    )
    return [dict(row._mapping) for row in rows]


def outlet_codes(conn: Connection) -> list[str]:
    """The outlets a clerk can be placed at: open ones only (a closed outlet registers no one)."""
    return list(
        conn.execute(
            select(t.outlets.c.code).where(t.outlets.c.active.is_(True)).order_by(t.outlets.c.code)
        ).scalars()
    )
