"""Event figures in SQL: each is one grouped statement over timestamps that never change once
written (devices enrolled and revoked, channel status changes, registrations submitted and
decided, RN-14 cases found and resolved, campaign steps, inspections and violations), so the
same question about a past moment gives the same answer every time it is asked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, exists, func, or_, select

from simreg.core.audit import AuditEvent
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
from simreg.db.census_store import SqlCensusStore
from simreg.db.report_over_limit import SqlOverLimitFigures
from simreg.db.report_periods import SqlSeriesQueries
from simreg.db.repositories import aware
from simreg.reporting.events import (
    CampaignFunnel,
    OverLimitDocument,
)
from simreg.reporting.ports import (
    ChannelCompliance,
    ChannelRef,
    Deployment,
    Directory,
    OrgUnitRef,
    OutletRef,
    RegistrationGroup,
)

ct = t.campaign_targets
cases = t.over_limit_cases


class SqlReportTransaction(SqlCensusStore, SqlSeriesQueries, SqlOverLimitFigures):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def directory(self) -> Directory:
        u, c, o = t.org_units, t.channels, t.outlets
        return Directory(
            units=[
                OrgUnitRef(r.id, r.code, r.name, r.level, r.parent_id)
                for r in self.conn.execute(
                    select(u.c.id, u.c.code, u.c.name, u.c.level, u.c.parent_id)
                )
            ],
            channels=[
                ChannelRef(r.id, r.code, r.name, r.kind, r.org_unit_id)
                for r in self.conn.execute(
                    select(c.c.id, c.c.code, c.c.name, c.c.kind, c.c.org_unit_id)
                )
            ],
            outlets=[
                OutletRef(r.id, r.code, r.name, r.channel_id)
                for r in self.conn.execute(select(o.c.id, o.c.code, o.c.name, o.c.channel_id))
            ],
        )

    def app_deployment(self, at: datetime) -> list[Deployment]:
        """Social channels that existed before ``at``, with their status then (from the
        channel's events: the last one before ``at``; before the first event, the status it
        left; a channel never changed has its current status) and whether a device was
        enrolled. ``at`` is an exclusive end, the next day's first instant, as in every
        as-of figure: what happens exactly at midnight belongs to the new day."""
        c, e = t.channels, t.channel_events
        last_before = (
            select(e.c.to_status)
            .where(e.c.channel_id == c.c.id, e.c.at < at)
            .order_by(e.c.at.desc(), e.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        first_from = (
            select(func.coalesce(e.c.from_status, "applied"))
            .where(e.c.channel_id == c.c.id)
            .order_by(e.c.at, e.c.id)
            .limit(1)
            .scalar_subquery()
        )
        status_then = func.coalesce(last_before, first_from, c.c.status)
        d, o = t.devices, t.outlets
        deployed = exists().where(
            o.c.id == d.c.outlet_id,
            o.c.channel_id == c.c.id,
            d.c.enrolled_at < at,
            or_(d.c.revoked_at.is_(None), d.c.revoked_at >= at),
        )
        rows = self.conn.execute(
            select(c.c.id, status_then.label("status"), deployed.label("deployed")).where(
                c.c.kind == "social", c.c.created_at < at
            )
        )
        return [Deployment(int(r.id), bool(r.deployed)) for r in rows if r.status == "active"]

    def app_registrations(self, since: datetime, until: datetime) -> list[RegistrationGroup]:
        r, c, ln = t.registrations, t.channels, t.lines
        rows = self.conn.execute(
            select(
                r.c.channel_id,
                r.c.outlet_id,
                ln.c.kind,
                func.count().label("total"),
                func.count(r.c.device_id).label("through_app"),
            )
            .join(c, c.c.id == r.c.channel_id)
            .join(ln, ln.c.id == r.c.line_id)
            # New customers only: a legacy line re-registered at the counter is not one.
            .where(
                c.c.kind == "social",
                r.c.source == "counter",
                r.c.submitted_at >= since,
                r.c.submitted_at < until,
            )
            .group_by(r.c.channel_id, r.c.outlet_id, ln.c.kind)
        )
        return [
            RegistrationGroup(
                int(x.channel_id), x.outlet_id, x.kind, int(x.total), int(x.through_app)
            )
            for x in rows
        ]

    def over_limit_counts(self, at: datetime) -> tuple[int, int]:
        # Before ``at`` (the next day's first instant): a case found at midnight is the new
        # day's, as the per-day series counts it (db/report_over_limit.py).
        row = self.conn.execute(
            select(
                func.count().label("found"),
                func.count(case((cases.c.resolved_at < at, 1))).label("resolved"),
            ).where(cases.c.found_at < at)
        ).one()
        return int(row.found), int(row.resolved)

    def over_limit_open(self, at: datetime, limit: int) -> list[OverLimitDocument]:
        rows = self.conn.execute(
            select(
                cases.c.id,
                cases.c.held_when_found,
                cases.c.found_at,
                t.customers.c.doc_type,
                t.customers.c.doc_masked,
            )
            .join(t.customers, t.customers.c.id == cases.c.customer_id)
            .where(
                cases.c.found_at < at,
                or_(cases.c.resolved_at.is_(None), cases.c.resolved_at >= at),
            )
            .order_by(cases.c.found_at, cases.c.id)
            .limit(limit)
        )
        return [
            OverLimitDocument(
                int(x.id), x.doc_type, x.doc_masked, int(x.held_when_found), _utc(x.found_at)
            )
            for x in rows
        ]

    def funnels(self, at: datetime) -> list[CampaignFunnel]:
        def reached(column: Any, *more: Any) -> Any:
            return func.count(case((and_(column < at, *more), 1)))

        rows = self.conn.execute(
            select(
                t.campaigns.c.id,
                t.campaigns.c.name,
                reached(ct.c.targeted_at).label("targeted"),
                reached(ct.c.sms_sent_at).label("sms_sent"),
                reached(ct.c.sms_delivered_at).label("sms_delivered"),
                reached(ct.c.re_registered_at, ct.c.re_registered_after == "sms").label(
                    "re_registered_after_sms"
                ),
                reached(ct.c.called_at).label("called"),
                reached(ct.c.re_registered_at, ct.c.re_registered_after == "call").label(
                    "re_registered_after_call"
                ),
                reached(ct.c.suspended_one_way_at).label("suspended"),
            )
            .join(ct, ct.c.campaign_id == t.campaigns.c.id)
            .group_by(t.campaigns.c.id, t.campaigns.c.name)
            .order_by(t.campaigns.c.id)
        )
        steps = (
            "targeted",
            "sms_sent",
            "sms_delivered",
            "re_registered_after_sms",
            "called",
            "re_registered_after_call",
            "suspended",
        )
        return [
            CampaignFunnel(int(x.id), x.name, {s: int(getattr(x, s)) for s in steps})
            for x in rows
            if int(x.targeted)
        ]

    def compliance(self, since: datetime, until: datetime) -> list[ChannelCompliance]:
        i, v = t.inspections, t.violations
        found: dict[int, dict[str, int]] = {}
        for x in self.conn.execute(
            select(
                i.c.channel_id,
                func.count().label("inspections_done"),
                func.count(case((i.c.result == "pass", 1))).label("inspections_passed"),
                func.count(case((i.c.result == "fail", 1))).label("inspections_failed"),
            )
            .where(i.c.status == "done", i.c.done_at >= since, i.c.done_at < until)
            .group_by(i.c.channel_id)
        ):
            found.setdefault(int(x.channel_id), {}).update(
                {k: int(x._mapping[k]) for k in x._mapping if k != "channel_id"}
            )

        def penalty(name: str) -> Any:
            return func.count(case((v.c.penalty == name, 1)))

        for x in self.conn.execute(
            select(
                v.c.channel_id,
                func.count().label("violations"),
                penalty("warning").label("warnings"),
                penalty("fine").label("fines"),
                penalty("suspension").label("suspensions"),
                penalty("termination").label("terminations"),
                func.coalesce(func.sum(v.c.fine_yuan), 0).label("fine_yuan"),
                func.coalesce(func.sum(v.c.points), 0).label("points"),
            )
            .where(v.c.at >= since, v.c.at < until)
            .group_by(v.c.channel_id)
        ):
            found.setdefault(int(x.channel_id), {}).update(
                {k: int(x._mapping[k]) for k in x._mapping if k != "channel_id"}
            )
        return [ChannelCompliance(cid, values) for cid, values in found.items()]

    def reviewer_names(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = self.conn.execute(
            select(t.staff.c.id, t.staff.c.username).where(t.staff.c.id.in_(list(ids)))
        )
        return {int(x.id): x.username for x in rows}

    def review_backlog(self, since: datetime, until: datetime) -> tuple[int, int]:
        r = t.registrations
        row = self.conn.execute(
            select(
                func.count(case((r.c.submitted_at >= since, 1))).label("submitted"),
                func.count(
                    case(
                        (
                            and_(
                                or_(r.c.decided_at.is_(None), r.c.decided_at >= until),
                                or_(r.c.cancelled_at.is_(None), r.c.cancelled_at >= until),
                            ),
                            1,
                        )
                    )
                ).label("waiting"),
            ).where(r.c.submitted_at < until)
        ).one()
        return int(row.submitted), int(row.waiting)

    def record(self, event: AuditEvent) -> None:
        record_audit(self.conn, event)


def _utc(value: datetime) -> datetime:
    stamped = aware(value)
    assert stamped is not None
    return stamped
