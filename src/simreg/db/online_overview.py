"""The back-office's view of the online shop (RN-10, RN-11): orders by status, the ones
waiting on the identity authority, refused hand-overs, and how the authority has been
answering. Read-only, masked identity only, set-based."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from simreg.core.actors import Actor, Role
from simreg.db import tables as t
from simreg.db.repositories import aware

# Who may watch the shop: the back-office, compliance and the auditors. Clerks see only
# their own hall's orders, at the hand-over desk.
OVERVIEW_READERS = (
    Role.ADMIN,
    Role.REVIEWER,
    Role.CHANNEL_MANAGER,
    Role.RISK_ANALYST,
    Role.AUDITOR,
)
ORDER_STATUSES = (
    "reserved",
    "verification_pending",
    "in_review",
    "ready",
    "completed",
    "refused",
    "expired",
    "cancelled",
)
PAGE = 50


def order_counts(conn: Connection, actor: Actor) -> dict[str, int]:
    actor.require(*OVERVIEW_READERS)
    o = t.online_orders
    rows = conn.execute(select(o.c.status, func.count()).group_by(o.c.status))
    found = {str(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in ORDER_STATUSES}


def order_list(
    conn: Connection, actor: Actor, *, status: str | None, page: int = 0
) -> dict[str, Any]:
    """One page of orders, newest first, with their hall and any refused hand-over."""
    actor.require(*OVERVIEW_READERS)
    o = t.online_orders
    mismatches = (
        select(func.count())
        .where(
            t.order_handovers.c.order_id == o.c.id,
            t.order_handovers.c.outcome == "mismatch",
        )
        .scalar_subquery()
    )
    query = (
        select(
            o.c.order_no,
            o.c.status,
            o.c.fulfilment,
            o.c.name_masked,
            o.c.delivery_address_masked,
            o.c.created_at,
            o.c.submitted_at,
            o.c.reserved_until,
            o.c.collect_by,
            o.c.completed_at,
            o.c.refusal_code,
            o.c.check_attempts,
            o.c.next_check_at,
            o.c.registration_id,
            t.lines.c.msisdn,
            t.outlets.c.name.label("hall"),
            mismatches.label("mismatches"),
        )
        .join(t.lines, t.lines.c.id == o.c.line_id)
        .outerjoin(t.outlets, t.outlets.c.id == o.c.pickup_outlet_id)
        .order_by(o.c.created_at.desc(), o.c.id.desc())
        .limit(PAGE + 1)
        .offset(page * PAGE)
    )
    if status:
        query = query.where(o.c.status == status)
    rows = conn.execute(query).all()
    return {
        "items": [_order_row(r) for r in rows[:PAGE]],
        "page": page,
        "more": len(rows) > PAGE,
    }


def _order_row(r: Any) -> dict[str, Any]:
    return {
        "order_no": r.order_no,
        "msisdn": r.msisdn,
        "status": r.status,
        "fulfilment": r.fulfilment,
        "hall": r.hall,
        "delivery_address": r.delivery_address_masked,
        "name": r.name_masked,
        "created_at": _iso(r.created_at),
        "submitted_at": _iso(r.submitted_at),
        "reserved_until": _iso(r.reserved_until),
        "collect_by": _iso(r.collect_by),
        "completed_at": _iso(r.completed_at),
        "refusal_code": r.refusal_code,
        "check_attempts": int(r.check_attempts),
        "next_check_at": _iso(r.next_check_at),
        "registration_id": r.registration_id,
        "refused_handovers": int(r.mismatches),
    }


def authority_summary(conn: Connection, actor: Actor, now: datetime) -> dict[str, Any]:
    """How the identity authority answered in the last hour and day, and what waits on it:
    online orders and group bindings that got no answer and are retried."""
    actor.require(*OVERVIEW_READERS)
    checks = t.identity_checks
    windows: dict[str, dict[str, int]] = {}
    for label, since in (("hour", now - timedelta(hours=1)), ("day", now - timedelta(days=1))):
        rows = conn.execute(
            select(checks.c.result, checks.c.from_cache, func.count())
            .where(checks.c.checked_at >= since)
            .group_by(checks.c.result, checks.c.from_cache)
        )
        counts = {"match": 0, "mismatch": 0, "not_found": 0, "unavailable": 0, "from_cache": 0}
        for result, cached, n in rows:
            counts[str(result)] += int(n)
            if cached:
                counts["from_cache"] += int(n)
        windows[label] = counts
    last_answer = conn.execute(
        select(func.max(checks.c.checked_at)).where(checks.c.result != "unavailable")
    ).scalar()
    o, b = t.online_orders, t.actual_user_bindings
    orders_waiting = conn.execute(
        select(func.count(), func.min(o.c.next_check_at)).where(
            o.c.status == "verification_pending"
        )
    ).one()
    bindings_waiting = conn.execute(
        select(func.count(), func.min(b.c.next_check_at)).where(b.c.status == "verifying")
    ).one()
    next_retry = [v for v in (aware(orders_waiting[1]), aware(bindings_waiting[1])) if v]
    return {
        "windows": windows,
        "last_answer_at": _iso(last_answer),
        "waiting": {"orders": int(orders_waiting[0]), "bindings": int(bindings_waiting[0])},
        "next_retry_at": min(next_retry).isoformat() if next_retry else None,
    }


def _iso(value: datetime | None) -> str | None:
    stamped = aware(value)
    return stamped.isoformat() if stamped else None
