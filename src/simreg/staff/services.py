"""Staff use cases: log in (with lockout), sessions, passwords, and account administration.

Every outcome, including a refused login, leaves an audit row; a failed login never says
whether the username exists.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.crypto import BlindIndex
from simreg.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from simreg.staff.domain import (
    LOCKOUT_AFTER_FAILURES,
    LOCKOUT_FOR,
    SESSION_LIFETIME,
    StaffAccount,
    check_password,
    check_username,
    temporary_password,
)
from simreg.staff.ports import PasswordHasher, StaffTransaction, StaffUnitOfWork

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Session:
    token: str  # goes into the cookie; only its keyed hash is stored
    csrf_token: str
    actor: Actor
    display_name: str
    must_change_password: bool
    language: str | None


class LoginRefused(Unauthenticated):
    code = "LOGIN-FAILED"
    default_message = "Wrong username or password."
    default_message_zh = "用户名或密码错误。"


def _actor(account: StaffAccount) -> Actor:
    return Actor(account.id, account.username, account.role, account.outlet_id)


class StaffService:
    def __init__(
        self, *, uow: StaffUnitOfWork, hasher: PasswordHasher, index: BlindIndex, clock: Clock
    ) -> None:
        self.uow = uow
        self.hasher = hasher
        self.index = index
        self.clock = clock

    # -- logging in -------------------------------------------------------------------------

    def login(self, username: str, password: str) -> Session:
        now = self.clock.now()
        with self.uow.begin() as tx:
            account = tx.account_by_username(username.strip().lower())
            if account is None or not account.active or account.password_hash is None:
                # Spend the same time as a real check so response timing reveals nothing.
                self.hasher.verify(_DUMMY_HASH.get(self.hasher), password)
                tx.record(_login_event(None, "refused", now, "LOGIN-FAILED"))
                refusal: Unauthenticated = LoginRefused()
            elif account.locked_at(now):
                # Only the right password learns of the lock: a wrong one gets the answer
                # (and the time) an unknown name gets, so the lock tells an outsider
                # nothing about which usernames exist.
                right = self.hasher.verify(account.password_hash, password)
                tx.record(_login_event(account.id, "refused", now, "LOGIN-LOCKED"))
                refusal = _locked(account) if right else LoginRefused()
            elif not self.hasher.verify(account.password_hash, password):
                failures = account.failed_logins + 1
                lock = now + LOCKOUT_FOR if failures >= LOCKOUT_AFTER_FAILURES else None
                tx.record_login_failure(account.id, lock)
                tx.record(_login_event(account.id, "refused", now, "LOGIN-FAILED"))
                refusal = LoginRefused()
            else:
                updates: dict[str, object] = {"failed_logins": 0, "locked_until": None}
                if self.hasher.needs_rehash(account.password_hash):
                    updates["password_hash"] = self.hasher.hash(password)
                tx.update_account(account.id, **updates)
                token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                tx.add_session(
                    token_index=self.index.digest(token),
                    staff_id=account.id,
                    csrf_token=csrf,
                    at=now,
                    expires_at=now + SESSION_LIFETIME,
                )
                tx.record(_login_event(account.id, "ok", now, None))
                return Session(
                    token,
                    csrf,
                    _actor(account),
                    account.display_name,
                    account.must_change_password,
                    account.language,
                )
        # Raised after the block so the failure counter and audit row are committed.
        raise refusal

    def session(self, token: str) -> Session:
        now = self.clock.now()
        with self.uow.begin() as tx:
            found = tx.session(self.index.digest(token), now)
        if found is None:
            raise Unauthenticated(
                "Your session has ended; log in again.",
                code="SESSION-EXPIRED",
                message_zh="会话已过期，请重新登录。",
            )
        account, csrf = found
        return Session(
            token,
            csrf,
            _actor(account),
            account.display_name,
            account.must_change_password,
            account.language,
        )

    def logout(self, token: str) -> None:
        now = self.clock.now()
        with self.uow.begin() as tx:
            tx.revoke_sessions(token_index=self.index.digest(token), at=now)

    # -- own account ------------------------------------------------------------------------

    def change_password(
        self, actor: Actor, current: str, new: str, *, session_token: str | None = None
    ) -> None:
        """Every other session of the account ends (someone who learnt the old password and
        logged in elsewhere is logged out); ``session_token``, the one asking, stays."""
        now = self.clock.now()
        with self.uow.begin() as tx:
            account = _account(tx, actor.staff_id)
            if account.password_hash is None or not self.hasher.verify(
                account.password_hash, current
            ):
                raise InvalidInput(
                    "The current password is wrong.",
                    code="PASSWORD-WRONG",
                    message_zh="当前密码错误。",
                )
            check_password(new, username=account.username)
            if self.hasher.verify(account.password_hash, new):
                raise InvalidInput(
                    "Choose a password different from the current one.",
                    code="PASSWORD-REUSED",
                    message_zh="新密码不能与当前密码相同。",
                )
            tx.update_account(
                account.id, password_hash=self.hasher.hash(new), must_change_password=False
            )
            tx.revoke_sessions(
                staff_id=account.id,
                at=now,
                keep_token_index=self.index.digest(session_token) if session_token else None,
            )
            tx.record(
                AuditEvent(
                    action="staff.password_changed",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                )
            )

    def set_language(self, actor: Actor, language: str) -> None:
        if language not in LANGUAGES:
            raise InvalidInput("Unsupported language.", code="LANGUAGE", allowed=list(LANGUAGES))
        with self.uow.begin() as tx:
            tx.update_account(actor.staff_id, language=language)

    # -- administration ---------------------------------------------------------------------

    def create_account(
        self,
        admin: Actor,
        *,
        username: str,
        display_name: str,
        role: Role,
        outlet_code: str | None,
        password: str,
    ) -> int:
        admin.require(Role.ADMIN)
        with self.uow.begin() as tx:
            return create_account_in(
                tx,
                self.hasher,
                at=self.clock.now(),
                by=admin.staff_id,
                username=username,
                display_name=display_name,
                role=role,
                outlet_code=outlet_code,
                password=password,
            )

    def update_account(
        self,
        admin: Actor,
        staff_id: int,
        *,
        role: Role,
        outlet_code: str | None,
        active: bool,
    ) -> None:
        admin.require(Role.ADMIN)
        now = self.clock.now()
        with self.uow.begin() as tx:
            account = _account(tx, staff_id)
            if account.id == admin.staff_id and (role is not Role.ADMIN or not active):
                raise Forbidden(
                    "You cannot remove your own administrator access.", code="SELF-LOCKOUT"
                )
            outlet_id = _outlet_for(tx, role, outlet_code, current=account.outlet_id)
            tx.update_account(staff_id, role=role.value, outlet_id=outlet_id, active=active)
            if not active or role is not account.role or outlet_id != account.outlet_id:
                tx.revoke_sessions(staff_id=staff_id, at=now)  # new rights take effect now
            if not active:
                # Enabling the account again must not bring back the tokens it had.
                tx.revoke_api_tokens(staff_id, now)
            tx.record(
                AuditEvent(
                    action="staff.updated",
                    outcome="ok",
                    at=now,
                    actor_staff_id=admin.staff_id,
                    outlet_id=outlet_id,
                    details={"username": account.username, "role": role.value, "active": active},
                )
            )

    def reset_password(self, admin: Actor, staff_id: int, new_password: str) -> None:
        """Set a temporary password, unlock the account, and end its sessions and API
        tokens: a reset is what an administrator does for an account thought compromised, and
        a token left working would keep the intruder in."""
        admin.require(Role.ADMIN)
        now = self.clock.now()
        with self.uow.begin() as tx:
            account = _account(tx, staff_id)
            check_password(new_password, username=account.username)
            tx.update_account(
                staff_id,
                password_hash=self.hasher.hash(new_password),
                must_change_password=True,
                failed_logins=0,
                locked_until=None,
            )
            tx.revoke_sessions(staff_id=staff_id, at=now)
            revoked = tx.revoke_api_tokens(staff_id, now)
            tx.record(
                AuditEvent(
                    action="staff.password_reset",
                    outcome="ok",
                    at=now,
                    actor_staff_id=admin.staff_id,
                    details={"username": account.username, "api_tokens_revoked": revoked},
                )
            )

    def set_temporary_password(self, username: str) -> str:
        """From the operator's console (`simreg staff password`), which is trusted like the
        database itself, so no administrator acts: a generated password, shown once and
        changed at first login; the account is unlocked and its sessions and API tokens end.
        This is how the first administrator of a new deployment gets into the pages."""
        password = temporary_password(username)
        now = self.clock.now()
        with self.uow.begin() as tx:
            account = tx.account_by_username(username.strip().lower())
            if account is None or not account.active:
                raise NotFound(
                    f"No active staff member {username}.",
                    code="STAFF-UNKNOWN",
                    message_zh=f"没有在岗的员工 {username}。",
                )
            tx.update_account(
                account.id,
                password_hash=self.hasher.hash(password),
                must_change_password=True,
                failed_logins=0,
                locked_until=None,
            )
            tx.revoke_sessions(staff_id=account.id, at=now)
            revoked = tx.revoke_api_tokens(account.id, now)
            tx.record(
                AuditEvent(
                    action="staff.password_reset",
                    outcome="ok",
                    at=now,
                    details={
                        "username": account.username,
                        "by": "simreg staff password",
                        "api_tokens_revoked": revoked,
                    },
                )
            )
        return password


def create_account_in(
    tx: StaffTransaction,
    hasher: PasswordHasher,
    *,
    at: datetime,
    by: int | None,
    username: str,
    display_name: str,
    role: Role,
    outlet_code: str | None,
    password: str,
) -> int:
    """A new account with a temporary password, changed at first login, in the caller's
    transaction: an administrator's on /admin/staff, or ``simreg staff add`` (``by`` None)."""
    name = check_username(username)
    check_password(password, username=name)
    if tx.account_by_username(name) is not None:
        raise Conflict(
            f"The username {name} is taken.",
            code="USERNAME-TAKEN",
            message_zh=f"用户名 {name} 已存在。",
        )
    outlet_id = _outlet_for(tx, role, outlet_code)
    staff_id = tx.add_account(
        username=name,
        display_name=display_name.strip() or name,
        role=role,
        outlet_id=outlet_id,
        password_hash=hasher.hash(password),
        must_change_password=True,
        at=at,
    )
    tx.record(
        AuditEvent(
            action="staff.created",
            outcome="ok",
            at=at,
            actor_staff_id=by,
            outlet_id=outlet_id,
            details={"username": name, "role": role.value}
            | ({} if by is not None else {"by": "simreg staff add"}),
        )
    )
    return staff_id


class _DummyHash:
    """One hash per hasher, made lazily, to verify against when the user does not exist."""

    def __init__(self) -> None:
        self._value: str | None = None

    def get(self, hasher: PasswordHasher) -> str:
        if self._value is None:
            self._value = hasher.hash(secrets.token_urlsafe(16))
        return self._value


_DUMMY_HASH = _DummyHash()


def _account(tx: StaffTransaction, staff_id: int) -> StaffAccount:
    account = tx.account_by_id(staff_id)
    if account is None:
        raise NotFound("No such staff member.", code="STAFF-NOT-FOUND", message_zh="员工不存在。")
    return account


def _outlet_for(
    tx: StaffTransaction, role: Role, outlet_code: str | None, current: int | None = None
) -> int | None:
    """The outlet a clerk is placed at: an open one, or the one they are at already (an
    account at a closed outlet can still be edited, or moved)."""
    if role is not Role.CLERK:
        return None
    found = tx.outlet_by_code(outlet_code or "")
    if found is None:
        raise InvalidInput(
            "A clerk must be bound to an existing outlet.",
            code="STAFF-OUTLET",
            message_zh="营业员必须绑定到一个已存在的网点。",
        )
    outlet_id, open_ = found
    if not open_ and outlet_id != current:
        raise InvalidInput(
            f"Outlet {outlet_code} is closed; a clerk is placed at an open outlet.",
            code="STAFF-OUTLET-CLOSED",
            message_zh=f"网点 {outlet_code} 已关闭，营业员只能绑定到营业中的网点。",
        )
    return outlet_id


def _locked(account: StaffAccount) -> Unauthenticated:
    assert account.locked_until is not None
    return Unauthenticated(
        "Too many wrong passwords: the account is locked for 15 minutes, or until an "
        "administrator resets it.",
        code="LOGIN-LOCKED",
        message_zh="密码错误次数过多，账号已锁定 15 分钟，或请管理员重置。",
        locked_until=account.locked_until.isoformat(),
    )


def _login_event(staff_id: int | None, outcome: str, at: datetime, code: str | None) -> AuditEvent:
    return AuditEvent(
        action="staff.login",
        outcome=outcome,
        at=at,
        actor_staff_id=staff_id,
        codes=(code,) if code else (),
    )
