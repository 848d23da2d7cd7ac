"""Black-card signals other people saw, brought to the risk analyst: a call-centre agent told
"whoever answered does not hold this line", a reviewer rejecting a registration as suspected
fraud, a hand-over refused because another ID card was shown for an online order (RN-10).

Three grouped queries over a window of days, newest first; each row names the number, when,
who saw it and where, never the person's identity.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, String, cast, select
from sqlalchemy.orm import aliased

from simreg.core.actors import Actor, Role
from simreg.db import tables as t
from simreg.db.repositories import aware

SIGNAL_READERS = (Role.RISK_ANALYST, Role.ADMIN, Role.AUDITOR)
KINDS = {
    "not_holder": ("Call: whoever answered does not hold the line", "外呼：接听人非号码使用人"),
    "suspected_fraud": ("Review: rejected as suspected fraud", "审核：以疑似虚假登记驳回"),
    "handover_mismatch": (
        "Online order: another ID card shown at hand-over (RN-10)",
        "网上订单：交付时出示的证件与提交的不符（RN-10）",
    ),
}


def fraud_signals(
    conn: Connection, actor: Actor, *, now: datetime, days: int = 30, limit: int = 200
) -> list[dict[str, Any]]:
    actor.require(*SIGNAL_READERS)
    since = now - timedelta(days=days)
    staff = aliased(t.staff)
    found: list[dict[str, Any]] = []

    calls = (
        select(
            t.call_attempts.c.at,
            t.lines.c.msisdn,
            staff.c.username,
            t.campaigns.c.name.label("place"),
        )
        .join(t.call_tasks, t.call_tasks.c.id == t.call_attempts.c.task_id)
        .join(t.campaign_targets, t.campaign_targets.c.id == t.call_tasks.c.target_id)
        .join(t.campaigns, t.campaigns.c.id == t.call_tasks.c.campaign_id)
        .join(t.lines, t.lines.c.id == t.campaign_targets.c.line_id)
        .join(staff, staff.c.id == t.call_attempts.c.agent_id)
        .where(t.call_attempts.c.outcome == "not_holder", t.call_attempts.c.at >= since)
        .order_by(t.call_attempts.c.at.desc())
        .limit(limit)
    )
    found += [_row("not_holder", r) for r in conn.execute(calls)]

    r = t.registrations
    rejected = (
        select(
            r.c.decided_at.label("at"),
            t.lines.c.msisdn,
            staff.c.username,
            t.outlets.c.code.label("place"),
        )
        .join(t.lines, t.lines.c.id == r.c.line_id)
        .outerjoin(staff, staff.c.id == r.c.reviewer_id)
        .outerjoin(t.outlets, t.outlets.c.id == r.c.outlet_id)
        .where(
            r.c.state == "rejected",
            r.c.decided_at >= since,
            # The reasons are a JSON list; as text, on either database, it names the code.
            cast(r.c.rejection_reasons, String).like('%"suspected_fraud"%'),
        )
        .order_by(r.c.decided_at.desc())
        .limit(limit)
    )
    found += [_row("suspected_fraud", row) for row in conn.execute(rejected)]

    h = t.order_handovers
    handovers = (
        select(h.c.at, t.lines.c.msisdn, staff.c.username, t.outlets.c.code.label("place"))
        .join(t.online_orders, t.online_orders.c.id == h.c.order_id)
        .join(t.lines, t.lines.c.id == t.online_orders.c.line_id)
        .join(staff, staff.c.id == h.c.staff_id)
        .outerjoin(t.outlets, t.outlets.c.id == h.c.outlet_id)
        .where(h.c.outcome == "mismatch", h.c.at >= since)
        .order_by(h.c.at.desc())
        .limit(limit)
    )
    found += [_row("handover_mismatch", row) for row in conn.execute(handovers)]

    found.sort(key=lambda signal: signal["at"], reverse=True)
    return found[:limit]


def _row(kind: str, row: Any) -> dict[str, Any]:
    at = aware(row.at)
    assert at is not None
    en, zh = KINDS[kind]
    return {
        "kind": kind,
        "label": en,
        "label_zh": zh,
        "at": at,
        "msisdn": row.msisdn,
        "seen_by": row.username,
        "where": row.place,
    }
