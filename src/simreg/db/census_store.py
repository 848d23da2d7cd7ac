"""The stored daily census (ADR 12): one row per day, its group counts beside it. Re-taking
today's census replaces today's rows in one transaction; other days are never written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from simreg.db import tables as t
from simreg.db.repositories import aware, upsert_insert
from simreg.reporting.domain import Census, CensusGroup, LineCounts

rc = t.report_censuses
counts = t.report_census_counts


class SqlCensusStore:
    """Census storage, mixed into the report transaction."""

    conn: Connection

    def census_on(self, day: date) -> Census | None:
        row = self.conn.execute(select(rc).where(rc.c.day == day)).one_or_none()
        return _census(row) if row is not None else None

    def census_before(self, day: date) -> Census | None:
        row = self.conn.execute(
            select(rc).where(rc.c.day < day).order_by(rc.c.day.desc()).limit(1)
        ).one_or_none()
        return _census(row) if row is not None else None

    def census_from(self, day: date) -> Census | None:
        row = self.conn.execute(
            select(rc).where(rc.c.day >= day).order_by(rc.c.day).limit(1)
        ).one_or_none()
        return _census(row) if row is not None else None

    def censuses_between(self, start: date, end: date) -> list[Census]:
        rows = self.conn.execute(
            select(rc).where(rc.c.day >= start, rc.c.day <= end).order_by(rc.c.day)
        )
        return [_census(r) for r in rows]

    def census_groups(
        self,
        census_ids: Sequence[int],
        *,
        per_channel: bool = True,
        units: Sequence[int] | None = None,
    ) -> dict[int, list[CensusGroup]]:
        out: dict[int, list[CensusGroup]] = {cid: [] for cid in census_ids}
        if not census_ids:
            return out
        sums = [
            func.sum(counts.c[name]).label(name)
            for name in (
                "in_service",
                "verified",
                "legacy_unverified",
                "reverification_pending",
                "suspended",
            )
        ]
        keys = [counts.c.census_id, counts.c.org_unit_id, counts.c.kind, counts.c.since_cutoff]
        if per_channel:
            keys.append(counts.c.channel_id)
        query = select(*keys, *sums).where(counts.c.census_id.in_(list(census_ids)))
        if units is not None:
            query = query.where(counts.c.org_unit_id.in_(list(units)))
        for r in self.conn.execute(query.group_by(*keys)):
            out[int(r.census_id)].append(
                CensusGroup(
                    org_unit_id=r.org_unit_id,
                    channel_id=r.channel_id if per_channel else None,
                    kind=r.kind,
                    since_cutoff=bool(r.since_cutoff),
                    counts=LineCounts(
                        int(r.in_service),
                        int(r.verified),
                        int(r.legacy_unverified),
                        int(r.reverification_pending),
                        int(r.suspended),
                    ),
                )
            )
        return out

    def store_census(
        self,
        *,
        day: date,
        cutoff: date,
        taken_at: datetime,
        elapsed_ms: int,
        taken_by: int | None,
        groups: Sequence[CensusGroup],
    ) -> Census:
        values: dict[str, Any] = {
            "cutoff": cutoff,
            "taken_at": taken_at,
            "elapsed_ms": elapsed_ms,
            "lines_in_service": sum(g.counts.in_service for g in groups),
            "taken_by": taken_by,
        }
        # One row per day: a second taker the same day updates it (RETURNING, since psycopg
        # reports no row count for ON CONFLICT), then its counts replace the first's.
        statement = (
            upsert_insert(self.conn)(rc)
            .values(day=day, **values)
            .on_conflict_do_update(index_elements=["day"], set_=values)
            .returning(rc.c.id)
        )
        census_id = int(self.conn.execute(statement).scalar_one())
        self.conn.execute(delete(counts).where(counts.c.census_id == census_id))
        if groups:
            self.conn.execute(
                insert(counts),
                [
                    {
                        "census_id": census_id,
                        "org_unit_id": g.org_unit_id,
                        "channel_id": g.channel_id,
                        "kind": g.kind,
                        "since_cutoff": g.since_cutoff,
                        **g.counts.as_dict(),
                    }
                    for g in groups
                ],
            )
        found = self.census_on(day)
        assert found is not None
        return found


def _census(row: Any) -> Census:
    taken_at = aware(row.taken_at)
    assert taken_at is not None
    return Census(
        id=int(row.id),
        day=row.day,
        cutoff=row.cutoff,
        taken_at=taken_at,
        elapsed_ms=int(row.elapsed_ms),
        lines_in_service=int(row.lines_in_service),
    )
