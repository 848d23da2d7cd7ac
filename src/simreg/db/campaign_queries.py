"""Read models for the campaign pages and API: the funnel of DOMAIN.md, per campaign, per org
unit and per day, and the call-centre worklist. Every figure is one grouped query."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Integer, case, func, literal_column, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from simreg.campaigns.calls import CallOutcome
from simreg.core.actors import Actor, Role
from simreg.core.errors import NotFound
from simreg.db import tables as t
from simreg.db.repositories import aware
from simreg.lines.domain import RealNameState

ct = t.campaign_targets
READ = (
    Role.ADMIN,
    Role.CHANNEL_MANAGER,
    Role.AUDITOR,
    Role.RISK_ANALYST,
    Role.CALL_CENTRE,
)
FUNNEL = (
    "targeted",
    "sms_sent",
    "sms_delivered",
    "re_registered_after_sms",
    "called",
    "re_registered_after_call",
    "suspended",
)


def _funnel_columns() -> list[Any]:
    def after(step: str) -> Any:
        return func.sum(case((ct.c.re_registered_after == step, 1), else_=0))

    return [
        func.count().label("targeted"),
        func.count(ct.c.sms_sent_at).label("sms_sent"),
        func.count(ct.c.sms_delivered_at).label("sms_delivered"),
        func.count(ct.c.sms_failed_at).label("sms_failed"),
        after("sms").label("re_registered_after_sms"),
        func.count(ct.c.call_task_at).label("call_tasks"),
        func.count(ct.c.called_at).label("called"),
        after("call").label("re_registered_after_call"),
        func.count(ct.c.suspended_one_way_at).label("suspended"),
        func.count(ct.c.suspended_two_way_at).label("suspended_two_way"),
        func.count(ct.c.restored_at).label("restored"),
    ]


def _funnel(row: Any) -> dict[str, int]:
    keys = (
        *FUNNEL,
        "sms_failed",
        "call_tasks",
        "suspended_two_way",
        "restored",
    )
    out = {key: int(getattr(row, key) or 0) for key in keys}
    out["re_registered"] = out["re_registered_after_sms"] + out["re_registered_after_call"]
    return out


def list_campaigns(conn: Connection, actor: Actor) -> list[dict[str, Any]]:
    actor.require(*READ)
    counts = (
        select(
            ct.c.campaign_id,
            func.count().label("targeted"),
            func.count(ct.c.re_registered_at).label("re_registered"),
        )
        .group_by(ct.c.campaign_id)
        .subquery()
    )
    rows = conn.execute(
        select(t.campaigns, counts.c.targeted, counts.c.re_registered)
        .outerjoin(counts, counts.c.campaign_id == t.campaigns.c.id)
        .order_by(t.campaigns.c.id.desc())
    )
    return [
        {
            "id": r.id,
            "name": r.name,
            "status": r.status,
            "deadline": r.deadline.isoformat() if r.deadline else None,
            "created_at": _iso(r.created_at),
            "started_at": _iso(r.started_at),
            "closed_at": _iso(r.closed_at),
            "targeted": int(r.targeted or 0),
            "re_registered": int(r.re_registered or 0),
        }
        for r in rows
    ]


def campaign_detail(conn: Connection, actor: Actor, campaign_id: int) -> dict[str, Any]:
    actor.require(*READ)
    row = conn.execute(
        select(t.campaigns, t.staff.c.username.label("created_by_name"))
        .join(t.staff, t.staff.c.id == t.campaigns.c.created_by)
        .where(t.campaigns.c.id == campaign_id)
    ).one_or_none()
    if row is None:
        raise NotFound(
            "No such campaign.", code="CAMPAIGN-NOT-FOUND", message_zh="补登活动不存在。"
        )
    funnel = conn.execute(select(*_funnel_columns()).where(ct.c.campaign_id == campaign_id)).one()
    outbox: dict[str, int] = {
        str(status): int(count)
        for status, count in conn.execute(
            select(t.sms_outbox.c.status, func.count())
            .where(t.sms_outbox.c.campaign_id == campaign_id)
            .group_by(t.sms_outbox.c.status)
        )
    }
    open_calls = conn.execute(
        select(func.count()).where(
            t.call_tasks.c.campaign_id == campaign_id, t.call_tasks.c.status == "open"
        )
    ).scalar_one()
    pending_review = conn.execute(
        select(func.count())
        .select_from(ct)
        .join(t.lines, t.lines.c.id == ct.c.line_id)
        .where(
            ct.c.campaign_id == campaign_id,
            t.lines.c.real_name_state == "reverification_pending",
        )
    ).scalar_one()
    return {
        "id": row.id,
        "name": row.name,
        "status": row.status,
        "filters": row.filters,
        "sms_template": row.sms_template,
        "call_after_days": row.call_after_days,
        "link_valid_days": row.link_valid_days,
        "deadline": row.deadline.isoformat() if row.deadline else None,
        "two_way_after_days": row.two_way_after_days,
        "created_by": row.created_by_name,
        "created_at": _iso(row.created_at),
        "started_at": _iso(row.started_at),
        "closed_at": _iso(row.closed_at),
        "funnel": _funnel(funnel),
        "outbox": outbox,
        "open_call_tasks": int(open_calls),
        "pending_review": int(pending_review),
    }


def funnel_by_org_unit(conn: Connection, actor: Actor, campaign_id: int) -> list[dict[str, Any]]:
    """The funnel per org unit the lines belonged to when targeted, rolled up the tree so a
    city shows its counties' totals and the province shows everything."""
    actor.require(*READ)
    rows = conn.execute(
        select(ct.c.org_unit_id, *_funnel_columns())
        .where(ct.c.campaign_id == campaign_id)
        .group_by(ct.c.org_unit_id)
    ).all()
    units = {u.id: u for u in conn.execute(select(t.org_units))}
    totals: dict[int | None, dict[str, int]] = {}
    for row in rows:
        counts = _funnel(row)
        unit_id = row.org_unit_id
        seen: set[int] = set()
        chain: list[int | None] = []
        while unit_id is not None and unit_id in units and unit_id not in seen:
            seen.add(unit_id)
            chain.append(unit_id)
            unit_id = units[unit_id].parent_id
        for key in chain or [None]:
            bucket = totals.setdefault(key, dict.fromkeys(counts, 0))
            for name, value in counts.items():
                bucket[name] += value
    out: list[dict[str, Any]] = []
    for unit_id, counts in totals.items():
        unit = units.get(unit_id) if unit_id is not None else None
        out.append(
            {
                "org_unit_id": unit_id,
                "code": unit.code if unit else None,
                "name": unit.name if unit else None,
                "level": unit.level if unit else None,
                "parent_id": unit.parent_id if unit else None,
                **counts,
                "re_registered_rate": _rate(counts["re_registered"], counts["targeted"]),
            }
        )
    out.sort(key=lambda u: _tree_path(units, u["org_unit_id"]))
    return out


def _tree_path(units: dict[int, Any], unit_id: int | None) -> tuple[int, tuple[str, ...]]:
    """Sorts each unit right below its parent (a county under its own city); lines with no
    unit last."""
    if unit_id is None:
        return (1, ())
    codes: list[str] = []
    seen: set[int] = set()
    while unit_id is not None and unit_id in units and unit_id not in seen:
        seen.add(unit_id)
        codes.append(units[unit_id].code)
        unit_id = units[unit_id].parent_id
    return (0, tuple(reversed(codes)))


def _local_day(conn: Connection, column: Any, offset_hours: int) -> ColumnElement[Any]:
    """The operator's calendar day of a UTC timestamp (fixed offset: no daylight saving)."""
    if conn.dialect.name == "postgresql":
        shifted = func.timezone("UTC", column) + literal_column(
            f"interval '{int(offset_hours)} hours'"
        )
        return func.to_char(shifted, "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column, f"{int(offset_hours):+d} hours")


def daily_series(
    conn: Connection,
    actor: Actor,
    campaign_id: int,
    *,
    offset_hours: int,
    since: date | None = None,
) -> list[dict[str, Any]]:
    """Per operator day: SMS sent, delivered, calls made, re-registrations, suspensions."""
    actor.require(*READ)
    steps = {
        "sms_sent": ct.c.sms_sent_at,
        "sms_delivered": ct.c.sms_delivered_at,
        "called": ct.c.called_at,
        "re_registered": ct.c.re_registered_at,
        "suspended": ct.c.suspended_one_way_at,
    }
    days: dict[str, dict[str, int]] = {}
    for name, column in steps.items():
        day = _local_day(conn, column, offset_hours).label("day")
        query = (
            select(day, func.count())
            .where(ct.c.campaign_id == campaign_id, column.is_not(None))
            .group_by(day)
        )
        if since is not None:
            query = query.where(column >= datetime.combine(since, datetime.min.time()))
        for value, count in conn.execute(query):
            days.setdefault(str(value), dict.fromkeys(steps, 0))[name] = int(count)
    return [{"day": day, **counts} for day, counts in sorted(days.items())]


def call_worklist(
    conn: Connection,
    actor: Actor,
    *,
    now: datetime,
    limit: int = 50,
    campaign_id: int | None = None,
    number: str = "",
) -> dict[str, Any]:
    """Open call tasks due now, callbacks first by time, each with what the agent needs.
    ``campaign_id`` keeps one campaign's; ``number`` (some digits of the MSISDN) finds a
    holder's task whether it is due or not: the holder who calls in about their SMS."""
    actor.require(Role.CALL_CENTRE, Role.ADMIN)
    tasks = t.call_tasks
    digits = "".join(ch for ch in number if ch.isdigit())[:11]
    due: tuple[ColumnElement[bool], ...] = (
        tasks.c.status == "open",
        tasks.c.due_at <= now if not digits else true(),
        or_(
            tasks.c.claimed_until.is_(None),
            tasks.c.claimed_until < now,
            tasks.c.assigned_to == actor.staff_id,
        ),
    )
    if campaign_id is not None:
        due = (*due, tasks.c.campaign_id == campaign_id)
    if not digits:
        # A holder whose documents are with the review is not called meanwhile; a rejection
        # puts the task back in the list. A search by number still finds it.
        state_of_task = (
            select(t.lines.c.real_name_state)
            .join(ct, ct.c.line_id == t.lines.c.id)
            .where(ct.c.id == tasks.c.target_id)
            .scalar_subquery()
        )
        pending = RealNameState.REVERIFICATION_PENDING.value
        due = (*due, state_of_task.is_distinct_from(pending))
    if digits:
        number_of_task = (
            select(t.lines.c.msisdn)
            .join(ct, ct.c.line_id == t.lines.c.id)
            .where(ct.c.id == tasks.c.target_id)
            .scalar_subquery()
        )
        # Looked up per open task (a correlated subquery), never by scanning every line.
        due = (
            *due,
            number_of_task == digits
            if len(digits) == 11
            else number_of_task.contains(digits, autoescape=True),
        )
    total = conn.execute(select(func.count()).where(*due)).scalar_one()
    later_filter = [tasks.c.status == "open", tasks.c.due_at > now]
    if campaign_id is not None:
        later_filter.append(tasks.c.campaign_id == campaign_id)
    later = conn.execute(select(func.count()).where(*later_filter)).scalar_one()
    rows = conn.execute(
        select(
            tasks.c.id,
            tasks.c.due_at,
            tasks.c.attempts,
            tasks.c.last_outcome,
            tasks.c.callback_at,
            tasks.c.assigned_to,
            tasks.c.claimed_until,
            t.campaigns.c.name.label("campaign"),
            t.campaigns.c.deadline,
            t.lines.c.msisdn,
            t.lines.c.kind,
            t.lines.c.state.label("line_state"),
            t.lines.c.real_name_state,
            t.lines.c.holder_name_masked,
            t.lines.c.opened_at,
        )
        .join(t.campaigns, t.campaigns.c.id == tasks.c.campaign_id)
        .join(ct, ct.c.id == tasks.c.target_id)
        .join(t.lines, t.lines.c.id == ct.c.line_id)
        .where(*due)
        .order_by(
            (tasks.c.assigned_to == actor.staff_id).desc(),
            case((tasks.c.callback_at.is_not(None), 0), else_=1),
            tasks.c.due_at,
            tasks.c.id,
        )
        .limit(limit)
    )
    campaigns = conn.execute(
        select(t.campaigns.c.id, t.campaigns.c.name)
        .where(t.campaigns.c.id.in_(select(tasks.c.campaign_id).where(tasks.c.status == "open")))
        .order_by(t.campaigns.c.name)
    ).all()
    return {
        "due": int(total),
        "later": int(later),
        "campaigns": [{"id": c.id, "name": c.name} for c in campaigns],
        "items": [
            {
                "id": r.id,
                "campaign": r.campaign,
                "deadline": r.deadline.isoformat() if r.deadline else None,
                "msisdn": r.msisdn,
                "kind": r.kind,
                "line_state": r.line_state,
                "documents_in_review": r.real_name_state
                == RealNameState.REVERIFICATION_PENDING.value,
                "holder": r.holder_name_masked,
                "opened_at": _iso(r.opened_at),
                "due_at": _iso(r.due_at),
                "attempts": int(r.attempts),
                "last_outcome": r.last_outcome,
                "callback_at": _iso(r.callback_at),
                "mine": r.assigned_to == actor.staff_id and _after(r.claimed_until, now),
            }
            for r in rows
        ],
    }


def call_history(conn: Connection, actor: Actor, task_id: int) -> list[dict[str, Any]]:
    actor.require(Role.CALL_CENTRE, Role.ADMIN, Role.AUDITOR)
    rows = conn.execute(
        select(t.call_attempts, t.staff.c.username)
        .join(t.staff, t.staff.c.id == t.call_attempts.c.agent_id)
        .where(t.call_attempts.c.task_id == task_id)
        .order_by(t.call_attempts.c.at.desc())
    )
    return [
        {
            "at": _iso(r.at),
            "agent": r.username,
            "outcome": r.outcome,
            "outcome_label": CallOutcome(r.outcome).label_en,
            "outcome_label_zh": CallOutcome(r.outcome).label_zh,
            "callback_at": _iso(r.callback_at),
            "notes": r.notes,
        }
        for r in rows
    ]


def real_name_rate(conn: Connection) -> dict[str, Any]:
    """In-service lines and how many carry verified real-name data (the headline figure)."""
    in_service = t.lines.c.state.in_(["active", "suspended_one_way", "suspended_two_way"])
    row = conn.execute(
        select(
            func.count().label("lines"),
            func.sum(func.cast(t.lines.c.real_name_state == "verified", Integer)).label("verified"),
        ).where(in_service)
    ).one()
    lines, verified = int(row.lines or 0), int(row.verified or 0)
    return {"lines": lines, "verified": verified, "rate": _rate(verified, lines)}


def _after(value: datetime | None, now: datetime) -> bool:
    stamped = aware(value)
    return stamped is not None and stamped > now


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _iso(value: datetime | None) -> str | None:
    v = aware(value)
    return v.isoformat() if v else None


def filter_choices(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Org units (in tree order) and channels a campaign can be narrowed to."""
    units = conn.execute(
        select(
            t.org_units.c.id,
            t.org_units.c.name,
            t.org_units.c.level,
            t.org_units.c.code,
            t.org_units.c.parent_id,
        ).order_by(t.org_units.c.code)
    ).all()
    known = {u.id for u in units}
    children: dict[int | None, list[Any]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in known else None
        children.setdefault(parent, []).append(unit)
    ordered: list[Any] = []

    def under(parent: int | None) -> None:
        # Each unit followed by the units under it: a county right below its city.
        for unit in children.get(parent, []):
            ordered.append(unit)
            under(unit.id)

    under(None)
    return {
        "org_units": [{"id": u.id, "name": u.name, "level": u.level} for u in ordered],
        "channels": [
            {"id": c.id, "code": c.code, "name": c.name}
            for c in conn.execute(
                select(t.channels.c.id, t.channels.c.code, t.channels.c.name).order_by(
                    t.channels.c.code
                )
            )
        ],
    }
