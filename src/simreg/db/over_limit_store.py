"""RN-14 cases in SQL: found in one set-based statement, resolved with conditional writes, and
read for the worklist. Every change is a single conditional statement whose row count says
whether it won, so it holds under READ COMMITTED (PostgreSQL) and BEGIN IMMEDIATE (SQLite)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, literal, select, update

from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.errors import NotFound
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
from simreg.db.repositories import aware, upsert_insert
from simreg.legacy.over_limit import EXEMPT_DOCUMENT_TYPES, READERS, CaseLine
from simreg.legacy.over_limit_services import OpenCase
from simreg.lines.domain import LineState

cases = t.over_limit_cases
NOT_HELD = (LineState.CANCELLED.value, LineState.AVAILABLE.value, LineState.RESERVED.value)


def over_limit(per_id_limit: int) -> Any:
    """The customers RN-14 is about: personal documents holding more than the limit."""
    return and_(
        t.customers.c.held_lines > per_id_limit,
        t.customers.c.doc_type.not_in(EXEMPT_DOCUMENT_TYPES),
    )


class SqlOverLimitTransaction:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def open_cases_for_documents_over(self, per_id_limit: int, at: datetime) -> int:
        c = t.customers
        candidates = select(
            c.c.id,
            c.c.id.label("open_customer_id"),
            literal("open"),
            c.c.held_lines,
            literal(at, type_=t.Ts),
        ).where(
            over_limit(per_id_limit),
            ~exists().where(cases.c.open_customer_id == c.c.id),
        )
        # ON CONFLICT: a finder running at the same moment may open the same case first; the
        # unique open_customer_id keeps one, and this run counts only the ones it opened.
        statement = (
            upsert_insert(self.conn)(cases)
            .from_select(
                ["customer_id", "open_customer_id", "status", "held_when_found", "found_at"],
                candidates,
            )
            .on_conflict_do_nothing(index_elements=["open_customer_id"])
            .returning(cases.c.id)
        )
        return len(self.conn.execute(statement).all())

    def case(self, case_id: int) -> OpenCase | None:
        """The case, locked for this transaction (PostgreSQL; SQLite serialises writers): a
        second resolver waits here and then finds it resolved, rather than reading the lines
        the first one is changing."""
        row = self.conn.execute(
            select(cases.c.id, cases.c.customer_id, cases.c.status, t.customers.c.doc_index)
            .join(t.customers, t.customers.c.id == cases.c.customer_id)
            .where(cases.c.id == case_id)
            .with_for_update(of=cases)
        ).one_or_none()
        if row is None:
            return None
        return OpenCase(int(row.id), int(row.customer_id), str(row.status), str(row.doc_index))

    def case_lines(self, customer_id: int) -> list[CaseLine]:
        rows = self.conn.execute(
            select(t.lines.c.id, t.lines.c.msisdn, t.lines.c.state, t.lines.c.real_name_state)
            .where(t.lines.c.customer_id == customer_id, t.lines.c.state.not_in(NOT_HELD))
            .order_by(t.lines.c.msisdn)
        )
        return [CaseLine(int(r.id), r.msisdn, r.state, r.real_name_state) for r in rows]

    def case_document(self, case_id: int) -> tuple[bytes, str] | None:
        row = self.conn.execute(
            select(t.customers.c.doc_number_enc, t.customers.c.doc_index)
            .join(cases, cases.c.customer_id == t.customers.c.id)
            .where(cases.c.id == case_id)
        ).one_or_none()
        return (bytes(row.doc_number_enc), str(row.doc_index)) if row else None

    def close_case(
        self, case_id: int, *, by: int, at: datetime, decision: dict[str, Any], notes: str | None
    ) -> bool:
        result = self.conn.execute(
            update(cases)
            .where(cases.c.id == case_id, cases.c.status == "open")
            .values(
                status="resolved",
                open_customer_id=None,
                resolved_at=at,
                resolved_by=by,
                decision=decision,
                notes=notes,
            )
        )
        return result.rowcount == 1

    def cancel_line(self, line_id: int, customer_id: int, state: str, at: datetime) -> bool:
        result = self.conn.execute(
            update(t.lines)
            .where(
                t.lines.c.id == line_id,
                t.lines.c.customer_id == customer_id,
                t.lines.c.state == state,
            )
            .values(state=LineState.CANCELLED.value, updated_at=at)
        )
        return result.rowcount == 1

    def held_lines(self, doc_index: str) -> int:
        held = self.conn.execute(
            select(t.customers.c.held_lines).where(t.customers.c.doc_index == doc_index)
        ).scalar_one_or_none()
        return int(held or 0)

    def move_line(
        self,
        line_id: int,
        *,
        from_customer: int,
        state: str,
        holder_name_enc: bytes,
        holder_name_masked: str,
        named_doc_index: str,
        at: datetime,
    ) -> bool:
        result = self.conn.execute(
            update(t.lines)
            .where(
                t.lines.c.id == line_id,
                t.lines.c.customer_id == from_customer,
                t.lines.c.state == state,
            )
            .values(
                customer_id=None,
                holder_name_enc=holder_name_enc,
                holder_name_masked=holder_name_masked,
                named_doc_index=named_doc_index,
                # The receiver was named, not verified: nobody has seen their document. The
                # line waits for them to re-register (a campaign link, or a hall), held by no
                # document, like any legacy line without real-name data (RN-01, RN-13).
                real_name_state="legacy_unverified",
                identity_issue=None,
                updated_at=at,
            )
        )
        return result.rowcount == 1

    def release_slots(self, customer_id: int, count: int) -> None:
        # Legacy counts may be off; never below zero (the CHECK would refuse the whole case).
        self.conn.execute(
            update(t.customers)
            .where(t.customers.c.id == customer_id)
            .values(
                held_lines=func.max(t.customers.c.held_lines - count, 0)
                if self.conn.dialect.name == "sqlite"
                else func.greatest(t.customers.c.held_lines - count, 0)
            )
        )

    def record(self, event: AuditEvent) -> None:
        record_audit(self.conn, event)


# -- reads for the worklist and the case page -----------------------------------------------


def _channel_name() -> Any:
    """The line's opening channel: the imported one, else the channel of its registration."""
    registered = (
        select(func.max(t.registrations.c.channel_id))
        .where(t.registrations.c.line_id == t.lines.c.id)
        .scalar_subquery()
    )
    return (
        select(t.channels.c.name)
        .where(t.channels.c.id == func.coalesce(t.lines.c.channel_id, registered))
        .scalar_subquery()
    )


def list_cases(
    conn: Connection, actor: Actor, *, status: str = "open", limit: int = 200, offset: int = 0
) -> dict[str, Any]:
    """Cases of one status: open ones oldest first (the worklist), resolved ones newest first."""
    actor.require(*READERS)
    if status not in ("open", "resolved"):
        status = "open"
    total = conn.execute(select(func.count()).where(cases.c.status == status)).scalar_one()
    order = (
        (cases.c.found_at, cases.c.id)
        if status == "open"
        else (cases.c.resolved_at.desc(), cases.c.id.desc())
    )
    rows = conn.execute(
        select(
            cases.c.id,
            cases.c.status,
            cases.c.held_when_found,
            cases.c.found_at,
            cases.c.resolved_at,
            t.customers.c.doc_type,
            t.customers.c.doc_masked,
            t.customers.c.held_lines,
            t.staff.c.username.label("resolved_by"),
        )
        .join(t.customers, t.customers.c.id == cases.c.customer_id)
        .outerjoin(t.staff, t.staff.c.id == cases.c.resolved_by)
        .where(cases.c.status == status)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    return {"status": status, "total": int(total), "items": [_case_row(r) for r in rows]}


def _case_row(r: Any) -> dict[str, Any]:
    return {
        "id": int(r.id),
        "status": r.status,
        "doc_type": r.doc_type,
        "doc_masked": r.doc_masked,
        "held_when_found": int(r.held_when_found),
        "held_lines": int(r.held_lines),
        "found_at": _iso(r.found_at),
        "resolved_at": _iso(r.resolved_at),
        "resolved_by": r.resolved_by,
    }


def case_detail(conn: Connection, actor: Actor, case_id: int) -> dict[str, Any]:
    """A case with the lines its document holds now (open) and the recorded decision."""
    actor.require(*READERS)
    row = conn.execute(
        select(
            cases,
            t.customers.c.doc_type,
            t.customers.c.doc_masked,
            t.customers.c.held_lines,
            t.staff.c.username.label("resolved_by_name"),
        )
        .join(t.customers, t.customers.c.id == cases.c.customer_id)
        .outerjoin(t.staff, t.staff.c.id == cases.c.resolved_by)
        .where(cases.c.id == case_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"No over-limit case {case_id}.", message_zh="该一证多号案件不存在。")
    lines = conn.execute(
        select(
            t.lines.c.id,
            t.lines.c.msisdn,
            t.lines.c.kind,
            t.lines.c.state,
            t.lines.c.opened_at,
            t.lines.c.real_name_state,
            t.lines.c.holder_name_masked,
            _channel_name().label("channel"),
        )
        .where(t.lines.c.customer_id == row.customer_id, t.lines.c.state.not_in(NOT_HELD))
        .order_by(t.lines.c.msisdn)
    )
    decision = row.decision
    if decision:
        decision = {**decision, "lines": _lines_now(conn, decision, int(row.customer_id))}
    return {
        "id": int(row.id),
        "status": row.status,
        "customer_id": int(row.customer_id),
        "doc_type": row.doc_type,
        "doc_masked": row.doc_masked,
        "held_lines": int(row.held_lines),
        "held_when_found": int(row.held_when_found),
        "found_at": _iso(row.found_at),
        "resolved_at": _iso(row.resolved_at),
        "resolved_by": row.resolved_by_name,
        "decision": decision,
        "notes": row.notes,
        "lines": [
            {
                "id": int(r.id),
                "msisdn": r.msisdn,
                "kind": r.kind,
                "state": r.state,
                "opened_at": _iso(r.opened_at),
                "real_name_state": r.real_name_state,
                "holder_name_masked": r.holder_name_masked,
                "channel": r.channel,
            }
            for r in lines
        ],
    }


def _lines_now(conn: Connection, decision: dict[str, Any], customer_id: int) -> list[Any]:
    """The decided lines with where each stands now: its state, its real-name state, and
    whether it is held by the case's document, by another (a receiver who re-registered), or
    by none (a transfer still waiting for its receiver)."""
    decided = decision.get("lines") or []
    ids = [int(d["line_id"]) for d in decided if "line_id" in d]
    found = {
        int(r.id): r
        for r in conn.execute(
            select(
                t.lines.c.id, t.lines.c.state, t.lines.c.real_name_state, t.lines.c.customer_id
            ).where(t.lines.c.id.in_(ids))
        )
    }
    out = []
    for d in decided:
        now = found.get(int(d.get("line_id", 0)))
        if now is None:
            out.append(d)
            continue
        held = (
            "none"
            if now.customer_id is None
            else ("this" if int(now.customer_id) == customer_id else "other")
        )
        out.append(
            {**d, "now": {"state": now.state, "real_name_state": now.real_name_state, "held": held}}
        )
    return out


def case_counts(conn: Connection, per_id_limit: int) -> dict[str, int]:
    """Documents over the limit now, and cases open and resolved (DOMAIN: over-limit IDs, and
    how many were resolved)."""
    over = conn.execute(
        select(func.count()).select_from(t.customers).where(over_limit(per_id_limit))
    ).scalar_one()
    by_status: dict[str, int] = dict(
        conn.execute(select(cases.c.status, func.count()).group_by(cases.c.status)).all()
    )
    return {
        "documents_over_limit": int(over),
        "open_cases": int(by_status.get("open", 0)),
        "resolved_cases": int(by_status.get("resolved", 0)),
    }


def _iso(value: datetime | None) -> str | None:
    stamped = aware(value)
    return stamped.isoformat() if stamped else None


def active_staff(conn: Connection, username: str) -> Actor | None:
    """A staff member the command line acts as (its audit rows name a real person)."""
    row = conn.execute(
        select(t.staff.c.id, t.staff.c.username, t.staff.c.role, t.staff.c.outlet_id).where(
            t.staff.c.username == username, t.staff.c.active.is_(True)
        )
    ).one_or_none()
    if row is None:
        return None
    return Actor(int(row.id), row.username, Role(row.role), row.outlet_id)
