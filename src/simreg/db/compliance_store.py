"""Inspections, violations, evidence and rejection patterns in SQL (RN-15)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, func, insert, select, update

from simreg.channels.compliance import RejectionPattern
from simreg.db import tables as t
from simreg.db.repositories import aware


class SqlComplianceQueries:
    """Inspection and violation storage, mixed into the channel transaction."""

    conn: Connection

    def active_social_channels(self) -> list[int]:
        return [
            int(x)
            for x in self.conn.execute(
                select(t.channels.c.id)
                .where(t.channels.c.kind == "social", t.channels.c.status == "active")
                .order_by(t.channels.c.id)
            ).scalars()
        ]

    def channels_inspected_in(self, period: str) -> set[int]:
        return {
            int(x)
            for x in self.conn.execute(
                select(t.inspections.c.channel_id).where(t.inspections.c.period == period)
            ).scalars()
        }

    def add_inspection(self, *, channel_id: int, period: str, reason: str, at: datetime) -> int:
        return int(
            self.conn.execute(
                insert(t.inspections)
                .values(
                    channel_id=channel_id,
                    period=period,
                    reason=reason,
                    status="planned",
                    planned_at=at,
                )
                .returning(t.inspections.c.id)
            ).scalar_one()
        )

    def inspection(self, inspection_id: int) -> tuple[int, str] | None:
        row = self.conn.execute(
            select(t.inspections.c.channel_id, t.inspections.c.status).where(
                t.inspections.c.id == inspection_id
            )
        ).one_or_none()
        return (int(row.channel_id), str(row.status)) if row else None

    def complete_inspection(
        self,
        inspection_id: int,
        *,
        inspector_id: int,
        result: str,
        checklist: dict[str, bool],
        notes: str,
        at: datetime,
    ) -> None:
        self.conn.execute(
            update(t.inspections)
            .where(t.inspections.c.id == inspection_id)
            .values(
                status="done",
                inspector_id=inspector_id,
                result=result,
                checklist=checklist,
                notes=notes or None,
                done_at=at,
            )
        )

    def add_evidence(
        self,
        *,
        inspection_id: int,
        store_key: str,
        content_type: str,
        width: int,
        height: int,
        size: int,
        added_by: int,
        at: datetime,
    ) -> int:
        return int(
            self.conn.execute(
                insert(t.inspection_evidence)
                .values(
                    inspection_id=inspection_id,
                    store_key=store_key,
                    content_type=content_type,
                    width=width,
                    height=height,
                    size=size,
                    added_by=added_by,
                    added_at=at,
                )
                .returning(t.inspection_evidence.c.id)
            ).scalar_one()
        )

    def inspector_id(self, username: str) -> int | None:
        found = self.conn.execute(
            select(t.staff.c.id).where(
                t.staff.c.username == username,
                t.staff.c.active.is_(True),
                t.staff.c.role.in_(["channel_manager", "risk_analyst", "admin"]),
            )
        ).scalar_one_or_none()
        return int(found) if found is not None else None

    def assign_inspection(self, inspection_id: int, inspector_id: int) -> None:
        self.conn.execute(
            update(t.inspections)
            .where(t.inspections.c.id == inspection_id)
            .values(inspector_id=inspector_id)
        )

    def violations_since(self, channel_id: int, since: datetime, source: str | None = None) -> int:
        query = select(func.count()).where(
            t.violations.c.channel_id == channel_id, t.violations.c.at >= since
        )
        if source is not None:
            query = query.where(t.violations.c.source == source)
        return int(self.conn.execute(query).scalar_one())

    def add_violation(
        self,
        *,
        channel_id: int,
        rule: str,
        source: str,
        inspection_id: int | None,
        at: datetime,
        recorded_by: int,
        penalty: str,
        notes: str,
        points: int = 0,
        fine_yuan: int = 0,
    ) -> int:
        return int(
            self.conn.execute(
                insert(t.violations)
                .values(
                    points=points,
                    fine_yuan=fine_yuan,
                    channel_id=channel_id,
                    rule=rule,
                    source=source,
                    inspection_id=inspection_id,
                    at=at,
                    recorded_by=recorded_by,
                    penalty=penalty,
                    notes=notes or None,
                )
                .returning(t.violations.c.id)
            ).scalar_one()
        )

    def accountability(self, channel_id: int) -> tuple[str | None, str | None]:
        row = self.conn.execute(
            select(t.channels.c.manager_name, t.org_units.c.name.label("unit"))
            .outerjoin(t.org_units, t.org_units.c.id == t.channels.c.org_unit_id)
            .where(t.channels.c.id == channel_id)
        ).one()
        # None where the channel never had them (an old import): recorded as missing, which
        # the channel list says, rather than a placeholder that reads like a name.
        return (row.unit or None, row.manager_name or None)


def inspection_board(conn: Connection, period: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            t.inspections.c.id,
            t.inspections.c.status,
            t.inspections.c.result,
            t.inspections.c.reason,
            t.channels.c.code,
            t.channels.c.name,
            t.channels.c.status.label("channel_status"),
            t.staff.c.username.label("inspector"),
        )
        .join(t.channels, t.channels.c.id == t.inspections.c.channel_id)
        .outerjoin(t.staff, t.staff.c.id == t.inspections.c.inspector_id)
        .where(t.inspections.c.period == period)
        .order_by(t.inspections.c.status.desc(), t.channels.c.code)
    )
    return [dict(r._mapping) for r in rows]


def recent_violations(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            t.violations.c.at,
            t.violations.c.rule,
            t.violations.c.source,
            t.violations.c.penalty,
            t.violations.c.points,
            t.violations.c.fine_yuan,
            t.violations.c.notes,
            t.channels.c.code,
        )
        .join(t.channels, t.channels.c.id == t.violations.c.channel_id)
        .order_by(t.violations.c.at.desc(), t.violations.c.id.desc())
        .limit(limit)
    )
    # SQLite hands times back without their zone; every time the API gives carries UTC's.
    return [{**r._mapping, "at": aware(r.at)} for r in rows]


def rejection_patterns(conn: Connection, since: datetime) -> list[RejectionPattern]:
    """Per channel: decided registrations, rejections, and the most frequent reason."""
    r = t.registrations
    totals = conn.execute(
        select(
            r.c.channel_id,
            func.count().label("decided"),
            func.sum(func.cast(r.c.state == "rejected", Integer)).label("rejected"),
        )
        .where(r.c.decided_at >= since, r.c.state.in_(["rejected", "approved", "active"]))
        .group_by(r.c.channel_id)
    ).all()
    reasons: dict[int, Counter[str]] = {}
    for row in conn.execute(
        select(r.c.channel_id, r.c.rejection_reasons).where(
            r.c.decided_at >= since, r.c.state == "rejected"
        )
    ):
        reasons.setdefault(row.channel_id, Counter()).update(row.rejection_reasons or [])
    return [
        RejectionPattern(
            row.channel_id,
            int(row.decided),
            int(row.rejected or 0),
            (reasons.get(row.channel_id) or Counter({"other": 1})).most_common(1)[0][0],
        )
        for row in totals
    ]


def evidence_list(conn: Connection, inspection_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            t.inspection_evidence.c.id,
            t.inspection_evidence.c.content_type,
            t.inspection_evidence.c.width,
            t.inspection_evidence.c.height,
            t.inspection_evidence.c.added_at,
        )
        .where(t.inspection_evidence.c.inspection_id == inspection_id)
        .order_by(t.inspection_evidence.c.id)
    )
    return [dict(r._mapping) for r in rows]


def evidence_key(conn: Connection, inspection_id: int, evidence_id: int) -> tuple[str, str] | None:
    row = conn.execute(
        select(t.inspection_evidence.c.store_key, t.inspection_evidence.c.content_type).where(
            t.inspection_evidence.c.id == evidence_id,
            t.inspection_evidence.c.inspection_id == inspection_id,
        )
    ).one_or_none()
    return (row.store_key, row.content_type) if row else None
