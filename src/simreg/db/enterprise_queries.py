"""What the group-customer pages and API show (RN-12): enterprises with their line counts, and
one enterprise's lines with their actual user (masked), bindings on the way, and refusals.
Read-only; identity data appears only in masked form."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, select

from simreg.core.actors import Actor, Role
from simreg.core.errors import NotFound
from simreg.customers.domain import BindingStatus
from simreg.customers.services import READERS
from simreg.db import tables as t
from simreg.db.repositories import aware
from simreg.registration.domain import RejectionReason

_b = t.actual_user_bindings
_e = t.enterprises
_checks = t.identity_checks

LINE_FILTERS = ("all", "unbound", "active")
BINDING_FILTERS = ("waiting", "refused")


def _iso(value: datetime | date | None) -> str | None:
    if isinstance(value, datetime):
        stamped = aware(value)
        return stamped.isoformat() if stamped else None
    return value.isoformat() if value is not None else None


def _managed_by(actor: Actor) -> list[ColumnElement[bool]]:
    """An account manager sees the group customers they manage; other readers see all."""
    if actor.role is Role.ACCOUNT_MANAGER:
        return [_e.c.account_manager_id == actor.staff_id]
    return []


def _require_visible(conn: Connection, actor: Actor, enterprise_id: int) -> None:
    found = conn.execute(
        select(_e.c.id).where(_e.c.id == enterprise_id, *_managed_by(actor))
    ).first()
    if found is None:
        raise NotFound(
            "No such group customer.", code="ENTERPRISE-NOT-FOUND", message_zh="集团客户不存在。"
        )


def list_enterprises(conn: Connection, actor: Actor) -> list[dict[str, Any]]:
    actor.require(*READERS)
    lines = (
        select(
            t.lines.c.enterprise_id,
            func.count().label("lines"),
            func.sum(case((t.lines.c.state == "active", 1), else_=0)).label("active"),
        )
        .where(t.lines.c.enterprise_id.is_not(None))
        .group_by(t.lines.c.enterprise_id)
        .subquery()
    )
    bound = (
        select(_b.c.enterprise_id, func.count().label("bound"))
        .where(_b.c.status == BindingStatus.ACTIVE.value)
        .group_by(_b.c.enterprise_id)
        .subquery()
    )
    waiting = (
        select(_b.c.enterprise_id, func.count().label("waiting"))
        .where(_b.c.status.in_([BindingStatus.VERIFYING.value, BindingStatus.PENDING_REVIEW.value]))
        .group_by(_b.c.enterprise_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            _e.c.id,
            _e.c.name,
            _e.c.credit_code,
            _e.c.status,
            _e.c.agreement_no,
            _e.c.agreement_valid_until,
            func.coalesce(lines.c.lines, 0).label("lines"),
            func.coalesce(lines.c.active, 0).label("active"),
            func.coalesce(bound.c.bound, 0).label("bound"),
            func.coalesce(waiting.c.waiting, 0).label("waiting"),
        )
        .outerjoin(lines, lines.c.enterprise_id == _e.c.id)
        .outerjoin(bound, bound.c.enterprise_id == _e.c.id)
        .outerjoin(waiting, waiting.c.enterprise_id == _e.c.id)
        .where(*_managed_by(actor))
        .order_by(_e.c.name)
    )
    return [
        {
            "id": r.id,
            "name": r.name,
            "credit_code": r.credit_code,
            "status": r.status,
            "agreement_no": r.agreement_no,
            "agreement_valid_until": _iso(r.agreement_valid_until),
            "lines": int(r.lines),
            "active_lines": int(r.active),
            "bound": int(r.bound),
            "unbound": int(r.lines) - int(r.bound),
            "waiting": int(r.waiting),
        }
        for r in rows
    ]


def enterprise_detail(conn: Connection, actor: Actor, enterprise_id: int) -> dict[str, Any]:
    actor.require(*READERS)
    row = conn.execute(
        select(
            _e,
            t.org_units.c.code.label("org_unit"),
            _checks.c.result.label("agent_check"),
            _checks.c.reference.label("agent_reference"),
            _checks.c.checked_at.label("agent_checked_at"),
            t.staff.c.username.label("account_manager"),
        )
        .outerjoin(t.org_units, t.org_units.c.id == _e.c.org_unit_id)
        .outerjoin(_checks, _checks.c.id == _e.c.agent_check_id)
        .outerjoin(t.staff, t.staff.c.id == _e.c.account_manager_id)
        .where(_e.c.id == enterprise_id, *_managed_by(actor))
    ).one_or_none()
    if row is None:
        raise NotFound(
            "No such group customer.", code="ENTERPRISE-NOT-FOUND", message_zh="集团客户不存在。"
        )
    summary = next((e for e in list_enterprises(conn, actor) if e["id"] == enterprise_id), {})
    return {
        "id": row.id,
        "name": row.name,
        "credit_code": row.credit_code,
        "org_unit": row.org_unit,
        "status": row.status,
        "account_manager": row.account_manager,
        "agent": {
            "doc_type": row.agent_doc_type,
            "doc_masked": row.agent_doc_masked,
            "name_masked": row.agent_name_masked,
            "check": row.agent_check,
            "reference": row.agent_reference,
            "checked_at": _iso(row.agent_checked_at),
        },
        "agreement": {
            "number": row.agreement_no,
            "signed_on": _iso(row.agreement_signed_on),
            "valid_until": _iso(row.agreement_valid_until),
        },
        "created_at": _iso(row.created_at),
        "counts": {k: summary.get(k, 0) for k in ("lines", "active_lines", "bound", "unbound")}
        | {"waiting": summary.get("waiting", 0)},
    }


def enterprise_lines(
    conn: Connection,
    actor: Actor,
    enterprise_id: int,
    *,
    which: str = "all",
    limit: int = 1000,
    after: str = "",
    number: str = "",
) -> list[dict[str, Any]]:
    """The enterprise's lines with the actual user in force (masked) and any user on the way,
    by number from just after ``after`` (a page at a time), those containing the digits of
    ``number`` if given. ``unbound``: lines with no user in force; ``active``: lines open
    for their user."""
    actor.require(*READERS)
    _require_visible(conn, actor, enterprise_id)
    current = _b.alias("current")
    coming = _b.alias("coming")
    query = (
        select(
            t.lines.c.msisdn,
            t.lines.c.kind,
            t.lines.c.state,
            t.lines.c.opened_at,
            current.c.id.label("binding_id"),
            current.c.name_masked.label("user"),
            t.customers.c.doc_masked.label("user_doc"),
            coming.c.id.label("next_binding_id"),
            coming.c.status.label("next_status"),
            coming.c.name_masked.label("next_user"),
        )
        .outerjoin(current, current.c.active_line_id == t.lines.c.id)
        .outerjoin(t.customers, t.customers.c.id == current.c.customer_id)
        .outerjoin(coming, coming.c.pending_line_id == t.lines.c.id)
        .where(t.lines.c.enterprise_id == enterprise_id, t.lines.c.msisdn > after)
        .order_by(t.lines.c.msisdn)
        .limit(limit)
    )
    digits = "".join(ch for ch in number if ch.isdigit())[:11]
    if digits:
        query = query.where(t.lines.c.msisdn.contains(digits, autoescape=True))
    if which == "unbound":
        query = query.where(current.c.id.is_(None))
    elif which == "active":
        query = query.where(and_(current.c.id.is_not(None), t.lines.c.state == "active"))
    return [
        {
            "msisdn": r.msisdn,
            "kind": r.kind,
            "state": r.state,
            "opened_at": _iso(r.opened_at),
            "user": r.user,
            "binding_id": r.binding_id,
            "user_document": r.user_doc,
            "next": {"binding_id": r.next_binding_id, "status": r.next_status, "user": r.next_user}
            if r.next_binding_id is not None
            else None,
        }
        for r in conn.execute(query)
    ]


def enterprise_bindings(
    conn: Connection, actor: Actor, enterprise_id: int, *, which: str = "waiting", limit: int = 500
) -> list[dict[str, Any]]:
    """Bindings on their way (being verified, in review) or refused and rejected ones."""
    actor.require(*READERS)
    _require_visible(conn, actor, enterprise_id)
    statuses = (
        [BindingStatus.VERIFYING.value, BindingStatus.PENDING_REVIEW.value]
        if which == "waiting"
        else [BindingStatus.REFUSED.value, BindingStatus.REJECTED.value]
    )
    rows = conn.execute(
        select(
            _b.c.id,
            _b.c.status,
            _b.c.name_masked,
            _b.c.counts_toward_limit,
            _b.c.next_check_at,
            _b.c.check_attempts,
            _b.c.registration_id,
            _b.c.refusal_code,
            _b.c.created_at,
            _b.c.decided_at,
            t.lines.c.msisdn,
            t.customers.c.doc_masked,
            _checks.c.result.label("check"),
            _checks.c.reference,
            t.registrations.c.rejection_reasons,
        )
        .join(t.lines, t.lines.c.id == _b.c.line_id)
        .join(t.customers, t.customers.c.id == _b.c.customer_id)
        .outerjoin(_checks, _checks.c.id == _b.c.identity_check_id)
        .outerjoin(t.registrations, t.registrations.c.id == _b.c.registration_id)
        .where(_b.c.enterprise_id == enterprise_id, _b.c.status.in_(statuses))
        .order_by(_b.c.created_at.desc(), _b.c.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": r.id,
            "msisdn": r.msisdn,
            "status": r.status,
            "user": r.name_masked,
            "user_document": r.doc_masked,
            "counts_toward_limit": bool(r.counts_toward_limit),
            "check": r.check,
            "reference": r.reference,
            "check_attempts": int(r.check_attempts),
            "next_check_at": _iso(r.next_check_at),
            "registration_id": r.registration_id,
            "refusal_code": r.refusal_code,
            "rejection_reasons": list(r.rejection_reasons or []),
            "rejection_labels": [
                {"code": x, "en": RejectionReason(x).label_en, "zh": RejectionReason(x).label_zh}
                for x in r.rejection_reasons or []
            ],
            "created_at": _iso(r.created_at),
            "decided_at": _iso(r.decided_at),
        }
        for r in rows
    ]


def roster_rejects(conn: Connection, actor: Actor, enterprise_id: int, import_id: int) -> list[Any]:
    """The reject report kept with a roster import's audit row."""
    actor.require(*READERS)
    _require_visible(conn, actor, enterprise_id)
    details = conn.execute(
        select(t.audit_events.c.details).where(
            t.audit_events.c.id == import_id,
            t.audit_events.c.action == "binding.roster_imported",
        )
    ).scalar_one_or_none()
    if not details or details.get("enterprise_id") != enterprise_id:
        raise NotFound("No such import.", code="IMPORT-NOT-FOUND", message_zh="导入记录不存在。")
    return list(details.get("rejected", []))


def account_managers(conn: Connection) -> list[str]:
    """Active account managers' usernames, for an administrator assigning a customer."""
    return list(
        conn.execute(
            select(t.staff.c.username)
            .where(t.staff.c.role == Role.ACCOUNT_MANAGER.value, t.staff.c.active.is_(True))
            .order_by(t.staff.c.username)
        ).scalars()
    )
