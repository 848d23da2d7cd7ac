"""Group customers (RN-12) in SQL: enterprises, their lines, actual-user bindings, and the
follower that moves a binding, its line and its RN-05 slot with each review decision.

Every write that can race is one conditional statement: allocation takes lines in a single
UPDATE (skipping rows another allocation holds, on PostgreSQL), a binding takes the line's one
pending place through the unique ``pending_line_id`` (ON CONFLICT DO NOTHING ... RETURNING),
and each step of a binding is a compare-and-set on its status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from simreg.core.actors import Role
from simreg.core.audit import AuditEvent
from simreg.core.errors import Conflict, RuleViolated, Violation
from simreg.customers.domain import (
    AUTHORITY_CHECK,
    Agreement,
    BindingStatus,
    Enterprise,
    EnterpriseStatus,
)
from simreg.customers.ports import (
    AgentIdentity,
    BindingRecord,
    GroupLine,
    NewBindingRow,
    NewEnterpriseRow,
)
from simreg.db import tables as t
from simreg.db.repositories import (
    SqlRegistrationTransaction,
    claim_document_slot,
    upsert_insert,
)
from simreg.identity.authority import CheckResult
from simreg.lines.domain import LineState, RealNameState
from simreg.registration.domain import Registration, RegistrationState

_b = t.actual_user_bindings
_e = t.enterprises


class SqlEnterpriseTransaction:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    # -- enterprises ------------------------------------------------------------------------

    def org_unit_id(self, code: str) -> int | None:
        found = self.conn.execute(
            select(t.org_units.c.id).where(t.org_units.c.code == code)
        ).scalar_one_or_none()
        return int(found) if found is not None else None

    def credit_code_taken(self, credit_code: str) -> bool:
        return (
            self.conn.execute(select(_e.c.id).where(_e.c.credit_code == credit_code)).first()
            is not None
        )

    def agreement_taken(self, number: str, enterprise_id: int) -> bool:
        return (
            self.conn.execute(
                select(_e.c.id).where(
                    func.upper(_e.c.agreement_no) == number.upper(), _e.c.id != enterprise_id
                )
            ).first()
            is not None
        )

    def add_enterprise(self, row: NewEnterpriseRow) -> int:
        return int(
            self.conn.execute(
                insert(_e)
                .values(
                    name=row.name,
                    credit_code=row.credit_code,
                    org_unit_id=row.org_unit_id,
                    account_manager_id=row.account_manager_id,
                    agent_doc_type=row.agent_doc_type,
                    agent_doc_index=row.agent_doc_index,
                    agent_doc_number_enc=row.agent_doc_number_enc,
                    agent_doc_masked=row.agent_doc_masked,
                    agent_name_enc=row.agent_name_enc,
                    agent_name_masked=row.agent_name_masked,
                    agent_check_id=row.agent_check_id,
                    status=EnterpriseStatus.DRAFT.value,
                    created_by=row.created_by,
                    created_at=row.at,
                    updated_at=row.at,
                )
                .returning(_e.c.id)
            ).scalar_one()
        )

    def enterprise(self, enterprise_id: int) -> Enterprise | None:
        row = self.conn.execute(
            select(_e, t.identity_checks.c.result.label("agent_result"))
            .outerjoin(t.identity_checks, t.identity_checks.c.id == _e.c.agent_check_id)
            .where(_e.c.id == enterprise_id)
        ).one_or_none()
        if row is None:
            return None
        agreement = None
        if row.agreement_no is not None and row.agreement_signed_on is not None:
            agreement = Agreement(
                row.agreement_no, row.agreement_signed_on, row.agreement_valid_until
            )
        return Enterprise(
            id=row.id,
            name=row.name,
            credit_code=row.credit_code,
            status=EnterpriseStatus(row.status),
            agreement=agreement,
            agent_matched=row.agent_result == CheckResult.MATCH.value,
            account_manager_id=row.account_manager_id,
        )

    def agent_identity(self, enterprise_id: int) -> AgentIdentity | None:
        row = self.conn.execute(
            select(_e.c.agent_doc_type, _e.c.agent_doc_number_enc, _e.c.agent_name_enc).where(
                _e.c.id == enterprise_id
            )
        ).one_or_none()
        if row is None:
            return None
        return AgentIdentity(row.agent_doc_type, row.agent_doc_number_enc, row.agent_name_enc)

    def set_agent_check(self, enterprise_id: int, check_id: int, at: datetime) -> None:
        self.conn.execute(
            update(_e)
            .where(_e.c.id == enterprise_id)
            .values(agent_check_id=check_id, updated_at=at)
        )

    def record_agreement(self, enterprise_id: int, agreement: Agreement, at: datetime) -> None:
        self.conn.execute(
            update(_e)
            .where(_e.c.id == enterprise_id)
            .values(
                agreement_no=agreement.number.strip(),
                agreement_signed_on=agreement.signed_on,
                agreement_valid_until=agreement.valid_until,
                updated_at=at,
            )
        )

    def set_status(
        self, enterprise_id: int, expected: EnterpriseStatus, status: EnterpriseStatus, at: datetime
    ) -> bool:
        result = self.conn.execute(
            update(_e)
            .where(_e.c.id == enterprise_id, _e.c.status == expected.value)
            .values(status=status.value, updated_at=at)
        )
        return result.rowcount == 1

    # -- lines ------------------------------------------------------------------------------

    def _held_for(self, enterprise_id: int, at: datetime) -> dict[str, Any]:
        # Reserved with no expiry and no clerk: no counter can take it (see _takeable).
        return {
            "enterprise_id": enterprise_id,
            "state": LineState.RESERVED.value,
            "reserved_by": None,
            "reserved_until": None,
            "customer_id": None,
            "updated_at": at,
        }

    def allocate_from_pool(self, enterprise_id: int, count: int, at: datetime) -> list[str]:
        free = t.lines.c.state == LineState.AVAILABLE.value
        pick = (
            select(t.lines.c.id)
            .where(free, t.lines.c.enterprise_id.is_(None))
            .order_by(t.lines.c.msisdn)
            .limit(count)
        )
        statement = update(t.lines).values(**self._held_for(enterprise_id, at))
        if self.conn.dialect.name == "postgresql":
            # Two allocations at once take different numbers instead of queueing on the same
            # rows and coming back short. The pick is a CTE so it runs exactly once: as a
            # subquery of the UPDATE it may be run again and skip past the rows it just locked.
            chosen = pick.with_for_update(skip_locked=True).cte("chosen")
            statement = statement.add_cte(chosen).where(t.lines.c.id.in_(select(chosen.c.id)), free)
        else:
            statement = statement.where(t.lines.c.id.in_(pick.scalar_subquery()), free)
        taken = self.conn.execute(statement.returning(t.lines.c.msisdn)).scalars()
        return sorted(str(m) for m in taken)

    def allocate_numbers(self, enterprise_id: int, msisdns: list[str], at: datetime) -> list[str]:
        taken = self.conn.execute(
            update(t.lines)
            .where(
                t.lines.c.msisdn.in_(msisdns),
                t.lines.c.state == LineState.AVAILABLE.value,
                t.lines.c.enterprise_id.is_(None),
            )
            .values(**self._held_for(enterprise_id, at))
            .returning(t.lines.c.msisdn)
        ).scalars()
        return sorted(str(m) for m in taken)

    def group_line(self, msisdn: str) -> GroupLine | None:
        user = (
            select(t.customers.c.doc_index)
            .join(_b, _b.c.customer_id == t.customers.c.id)
            .where(_b.c.active_line_id == t.lines.c.id, _b.c.status == BindingStatus.ACTIVE.value)
            .limit(1)
            .scalar_subquery()
        )
        row = self.conn.execute(
            select(
                t.lines.c.id,
                t.lines.c.msisdn,
                t.lines.c.state,
                t.lines.c.enterprise_id,
                user.label("user_doc_index"),
            ).where(t.lines.c.msisdn == msisdn)
        ).one_or_none()
        if row is None:
            return None
        return GroupLine(
            row.id, row.msisdn, LineState(row.state), row.enterprise_id, row.user_doc_index
        )

    def account_manager_id(self, username: str) -> int | None:
        found = self.conn.execute(
            select(t.staff.c.id).where(
                t.staff.c.username == username,
                t.staff.c.role == Role.ACCOUNT_MANAGER.value,
                t.staff.c.active.is_(True),
            )
        ).scalar_one_or_none()
        return int(found) if found is not None else None

    def assign_manager(self, enterprise_id: int, staff_id: int, at: datetime) -> None:
        self.conn.execute(
            update(_e)
            .where(_e.c.id == enterprise_id)
            .values(account_manager_id=staff_id, updated_at=at)
        )

    def end_binding(self, binding: BindingRecord, at: datetime) -> str | None:
        """An actual user in force leaves (left the company, lost the card): their
        registration is cancelled and the line closes, kept by the enterprise for the next
        user; their RN-05 slot comes back. The registration's id, or None if it was not in
        force any more (someone else ended it first)."""
        registration_id = self.conn.execute(
            select(_b.c.registration_id).where(
                _b.c.id == binding.id, _b.c.status == BindingStatus.ACTIVE.value
            )
        ).scalar_one_or_none()
        if registration_id is None:
            return None
        r = t.registrations
        cancelled = self.conn.execute(
            update(r)
            .where(r.c.id == registration_id, r.c.state == RegistrationState.ACTIVE.value)
            .values(state=RegistrationState.CANCELLED.value, cancelled_at=at)
        ).rowcount
        if cancelled != 1:
            return None
        row = self.conn.execute(
            select(_b.c.id, _b.c.status, _b.c.counts_toward_limit, _b.c.customer_id).where(
                _b.c.id == binding.id
            )
        ).one()
        _end(self.conn, row, binding.line_id, at)
        return str(registration_id)

    def lines_in_use(self, enterprise_id: int) -> int:
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(_b)
                .where(
                    _b.c.enterprise_id == enterprise_id,
                    _b.c.status.in_(
                        [
                            BindingStatus.VERIFYING.value,
                            BindingStatus.PENDING_REVIEW.value,
                            BindingStatus.ACTIVE.value,
                        ]
                    ),
                )
            ).scalar_one()
        )

    def release_unused_lines(self, enterprise_id: int, at: datetime) -> int:
        released = self.conn.execute(
            update(t.lines)
            .where(
                t.lines.c.enterprise_id == enterprise_id,
                t.lines.c.state == LineState.RESERVED.value,
                t.lines.c.reserved_until.is_(None),
                t.lines.c.customer_id.is_(None),
            )
            .values(
                enterprise_id=None,
                state=LineState.AVAILABLE.value,
                real_name_state=None,
                updated_at=at,
            )
            .returning(t.lines.c.id)
        ).all()
        return len(released)

    # -- actual users -----------------------------------------------------------------------

    def claim_slot(
        self,
        *,
        doc_type: str,
        doc_index: str,
        doc_number_enc: bytes,
        doc_masked: str,
        at: datetime,
        per_id_limit: int | None,
    ) -> int | None:
        return claim_document_slot(
            self.conn,
            doc_type=doc_type,
            doc_index=doc_index,
            doc_number_enc=doc_number_enc,
            doc_masked=doc_masked,
            at=at,
            per_id_limit=per_id_limit,
        )

    def held_lines(self, doc_index: str) -> int:
        held = self.conn.execute(
            select(t.customers.c.held_lines).where(t.customers.c.doc_index == doc_index)
        ).scalar_one_or_none()
        return int(held or 0)

    def keep_customer(
        self, *, doc_type: str, doc_index: str, doc_number_enc: bytes, doc_masked: str, at: datetime
    ) -> int:
        statement = upsert_insert(self.conn)(t.customers).values(
            doc_type=doc_type,
            doc_index=doc_index,
            doc_number_enc=doc_number_enc,
            doc_masked=doc_masked,
            held_lines=0,
            created_at=at,
        )
        # A no-op update on conflict so RETURNING hands back the existing row's id too.
        upsert = statement.on_conflict_do_update(
            index_elements=["doc_index"], set_={"doc_index": statement.excluded.doc_index}
        ).returning(t.customers.c.id)
        return int(self.conn.execute(upsert).scalar_one())

    def add_binding(self, row: NewBindingRow) -> int | None:
        statement = (
            upsert_insert(self.conn)(_b)
            .values(
                enterprise_id=row.enterprise_id,
                line_id=row.line_id,
                customer_id=row.customer_id,
                name_enc=row.name_enc,
                name_masked=row.name_masked,
                status=BindingStatus.VERIFYING.value,
                pending_line_id=row.line_id,
                counts_toward_limit=row.counts_toward_limit,
                next_check_at=row.next_check_at,
                check_attempts=0,
                created_by=row.created_by,
                created_at=row.at,
            )
            .on_conflict_do_nothing(index_elements=["pending_line_id"])
            .returning(_b.c.id)
        )
        # RETURNING, not rowcount: drivers report -1 for INSERT ... ON CONFLICT.
        created = self.conn.execute(statement).scalar_one_or_none()
        return int(created) if created is not None else None

    def binding(self, binding_id: int) -> BindingRecord | None:
        row = self.conn.execute(
            select(
                _b,
                t.lines.c.msisdn,
                t.customers.c.doc_index,
                t.customers.c.doc_number_enc,
            )
            .join(t.lines, t.lines.c.id == _b.c.line_id)
            .join(t.customers, t.customers.c.id == _b.c.customer_id)
            .where(_b.c.id == binding_id)
        ).one_or_none()
        if row is None:
            return None
        return BindingRecord(
            id=row.id,
            enterprise_id=row.enterprise_id,
            line_id=row.line_id,
            msisdn=row.msisdn,
            customer_id=row.customer_id,
            doc_index=row.doc_index,
            doc_number_enc=row.doc_number_enc,
            name_enc=row.name_enc,
            name_masked=row.name_masked,
            status=BindingStatus(row.status),
            counts_toward_limit=bool(row.counts_toward_limit),
            check_attempts=int(row.check_attempts),
        )

    def _verifying(self, binding_id: int) -> Any:
        return update(_b).where(_b.c.id == binding_id, _b.c.status == BindingStatus.VERIFYING.value)

    def send_to_review(
        self,
        binding: BindingRecord,
        registration: Registration,
        *,
        name_enc: bytes,
        check_id: int,
        at: datetime,
    ) -> bool:
        moved = self.conn.execute(
            self._verifying(binding.id).values(
                status=BindingStatus.PENDING_REVIEW.value,
                identity_check_id=check_id,
                next_check_at=None,
                check_attempts=_b.c.check_attempts + 1,
            )
        )
        if moved.rowcount != 1:
            return False
        SqlRegistrationTransaction(self.conn).add_registration(
            registration,
            name_enc=name_enc,
            name_masked=binding.name_masked,
            inspection_method=AUTHORITY_CHECK,
            resubmission_of=None,
        )
        # Only now: the binding points at a registration that exists (foreign key).
        self.conn.execute(
            update(_b).where(_b.c.id == binding.id).values(registration_id=registration.id)
        )
        return True

    def wait_for_authority(self, binding_id: int, check_id: int, next_check_at: datetime) -> bool:
        result = self.conn.execute(
            self._verifying(binding_id).values(
                identity_check_id=check_id,
                next_check_at=next_check_at,
                check_attempts=_b.c.check_attempts + 1,
            )
        )
        return result.rowcount == 1

    def refuse(self, binding: BindingRecord, code: str, check_id: int, at: datetime) -> bool:
        result = self.conn.execute(
            self._verifying(binding.id).values(
                status=BindingStatus.REFUSED.value,
                pending_line_id=None,
                refusal_code=code,
                identity_check_id=check_id,
                next_check_at=None,
                check_attempts=_b.c.check_attempts + 1,
                decided_at=at,
            )
        )
        if result.rowcount != 1:
            return False
        if binding.counts_toward_limit:
            release_slot(self.conn, binding.customer_id)
        return True

    def withdraw(self, binding: BindingRecord, at: datetime) -> bool:
        result = self.conn.execute(
            self._verifying(binding.id).values(
                status=BindingStatus.ENDED.value,
                pending_line_id=None,
                next_check_at=None,
                ended_at=at,
            )
        )
        if result.rowcount != 1:
            return False
        if binding.counts_toward_limit:
            release_slot(self.conn, binding.customer_id)
        return True

    def due_for_check(self, now: datetime, limit: int) -> list[int]:
        rows = self.conn.execute(
            select(_b.c.id)
            .where(_b.c.status == BindingStatus.VERIFYING.value, _b.c.next_check_at <= now)
            .order_by(_b.c.next_check_at)
            .limit(limit)
        )
        return [int(r.id) for r in rows]

    # -- audit ------------------------------------------------------------------------------

    def record(self, event: AuditEvent) -> int:
        return int(
            self.conn.execute(
                insert(t.audit_events)
                .values(
                    at=event.at,
                    action=event.action,
                    outcome=event.outcome,
                    actor_staff_id=event.actor_staff_id,
                    registration_id=event.registration_id,
                    msisdn=event.msisdn,
                    doc_index=event.doc_index,
                    codes=",".join(event.codes) or None,
                    details=event.details or None,
                )
                .returning(t.audit_events.c.id)
            ).scalar_one()
        )


def release_slot(conn: Connection, customer_id: int) -> None:
    """Give back one RN-05 slot (never below zero)."""
    conn.execute(
        update(t.customers)
        .where(t.customers.c.id == customer_id, t.customers.c.held_lines > 0)
        .values(held_lines=t.customers.c.held_lines - 1)
    )


def follow_binding_decision(conn: Connection, registration: Registration, at: datetime) -> None:
    """A review decision on an actual user's registration, carried to the binding, the line
    and the RN-05 slot in the reviewer's transaction. A group line is never active without
    an active binding: opening one ends the previous user's binding on that line."""
    binding = conn.execute(
        select(_b.c.id, _b.c.status, _b.c.counts_toward_limit, _b.c.customer_id).where(
            _b.c.registration_id == registration.id
        )
    ).one_or_none()
    if binding is None:
        raise RuntimeError("a group registration without its binding")
    state = registration.state
    if state is RegistrationState.ACTIVE:
        _open_for(conn, binding, registration, at)
    elif state is RegistrationState.REJECTED:
        _close(conn, binding, BindingStatus.REJECTED, at)
    elif state is RegistrationState.CANCELLED:
        _end(conn, binding, registration.line_id, at)
    # APPROVED without opening: the binding stays in review until the line opens.


def _end(conn: Connection, binding: Any, line_id: int, at: datetime) -> None:
    was_active = binding.status == BindingStatus.ACTIVE.value
    _close(conn, binding, BindingStatus.ENDED, at)
    if was_active:
        # The line loses its user: it stays with the enterprise, closed, until a new actual
        # user is verified and reviewed.
        conn.execute(
            update(t.lines)
            .where(t.lines.c.id == line_id)
            .values(
                state=LineState.RESERVED.value,
                customer_id=None,
                real_name_state=None,
                reserved_by=None,
                reserved_until=None,
                updated_at=at,
            )
        )


def _open_for(conn: Connection, binding: Any, registration: Registration, at: datetime) -> None:
    status, valid_until = conn.execute(
        select(_e.c.status, _e.c.agreement_valid_until)
        .join(_b, _b.c.enterprise_id == _e.c.id)
        .where(_b.c.id == binding.id)
    ).one()
    if valid_until is not None and valid_until < at.date():
        # RN-12: no line opens under an agreement that has ended; the user stays in review
        # until the renewal is recorded (or the registration is rejected or cancelled).
        raise RuleViolated(
            [
                Violation(
                    "RN-12",
                    f"The group agreement ended on {valid_until}: the line opens once the "
                    "renewed agreement is recorded.",
                    f"集团协议已于 {valid_until} 到期，录入续签协议后方可开通。",
                    {"valid_until": valid_until.isoformat()},
                )
            ]
        )
    if status != EnterpriseStatus.ACTIVE.value:
        # The reviewer's transaction rolls back: the user stays in review until the
        # enterprise is reinstated (or the registration is rejected or cancelled).
        raise Conflict(
            "The group customer is not active; its lines do not open now.",
            code="ENTERPRISE-NOT-ACTIVE",
            message_zh="该集团客户未处于生效状态，号码暂不能开通。",
            status=status,
        )
    previous = conn.execute(
        select(
            _b.c.id, _b.c.status, _b.c.counts_toward_limit, _b.c.customer_id, _b.c.registration_id
        ).where(_b.c.active_line_id == registration.line_id, _b.c.id != binding.id)
    ).one_or_none()
    if previous is not None:
        _close(conn, previous, BindingStatus.ENDED, at)
        if previous.registration_id is not None:
            # The previous user's registration no longer stands for this line.
            conn.execute(
                update(t.registrations)
                .where(
                    t.registrations.c.id == previous.registration_id,
                    t.registrations.c.state == RegistrationState.ACTIVE.value,
                )
                .values(state=RegistrationState.CANCELLED.value, cancelled_at=at)
            )
    moved = conn.execute(
        update(_b)
        .where(_b.c.id == binding.id, _b.c.status == BindingStatus.PENDING_REVIEW.value)
        .values(
            status=BindingStatus.ACTIVE.value,
            active_line_id=registration.line_id,
            pending_line_id=None,
            decided_at=at,
        )
    )
    if moved.rowcount != 1:
        raise RuntimeError("the binding of an opened group registration was not in review")
    conn.execute(
        update(t.lines)
        .where(t.lines.c.id == registration.line_id)
        .values(
            state=LineState.ACTIVE.value,
            customer_id=registration.customer_id,
            real_name_state=RealNameState.VERIFIED.value,
            opened_at=func.coalesce(t.lines.c.opened_at, at),
            reserved_by=None,
            reserved_until=None,
            updated_at=at,
        )
    )


def _close(conn: Connection, binding: Any, status: BindingStatus, at: datetime) -> None:
    """End a binding in review or in force; its slot comes back if it took one."""
    ending = status is BindingStatus.ENDED
    result = conn.execute(
        update(_b)
        .where(
            _b.c.id == binding.id,
            _b.c.status.in_([BindingStatus.PENDING_REVIEW.value, BindingStatus.ACTIVE.value]),
        )
        .values(
            status=status.value,
            pending_line_id=None,
            active_line_id=None,
            decided_at=func.coalesce(_b.c.decided_at, at),
            ended_at=at if ending else None,
        )
    )
    if result.rowcount == 1 and binding.counts_toward_limit:
        release_slot(conn, binding.customer_id)
