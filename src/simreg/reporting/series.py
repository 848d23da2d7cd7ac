"""A figure over time: one point per day, ISO week or month, one line per row of a breakdown.

Every figure is one set-based read for the whole range, whatever the number of periods:
census figures read the stored censuses of the range in one query and take each period's last
one; deployment is evaluated at every period's last instant in one statement (the periods
joined to the intervals in which channel statuses and devices held); the over-limit share
groups cases found and resolved by operator day in one statement and carries the totals
forward; the app share groups the range's registrations by period in one scan (the analytics
engine).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING

from simreg.reporting.breakdown import Breakdown, RowKey
from simreg.reporting.dimensions import check_over_limit
from simreg.reporting.domain import (
    Census,
    Dimension,
    Figure,
    Grain,
    Period,
    Ratio,
    SeriesLine,
    SeriesPoint,
)
from simreg.reporting.ports import (
    DeploymentGroup,
    OverLimitGroup,
    RegistrationGroup,
    ReportTransaction,
)
from simreg.reporting.rollup import Rollup

if TYPE_CHECKING:
    from simreg.reporting.services import ReportService


class SeriesBuilder:
    def __init__(
        self,
        service: ReportService,
        figure: Figure,
        grain: Grain,
        period: Period,
        buckets: list[Period],
    ) -> None:
        self.service = service
        self.figure = figure
        self.grain = grain
        self.period = period
        self.buckets = buckets

    def build(self, tx: ReportTransaction, breakdown: Breakdown) -> tuple[SeriesLine, ...]:
        if self.figure is Figure.OVER_LIMIT_RESOLVED:
            return self._over_limit(tx, breakdown)
        per_bucket: list[tuple[Rollup | None, Census | None]]
        if self.figure.from_census:
            per_bucket = self._census(tx, breakdown)
        elif self.figure is Figure.APP_DEPLOYMENT_RATE:
            per_bucket = self._deployment(tx, breakdown)
        else:
            per_bucket = self._registrations(tx, breakdown)
        return self._lines(breakdown, per_bucket)

    def _lines(
        self, breakdown: Breakdown, per_bucket: list[tuple[Rollup | None, Census | None]]
    ) -> tuple[SeriesLine, ...]:
        keys: list[RowKey] = list(breakdown.candidates())
        for rollup, _census in per_bucket:
            for key in rollup.rows if rollup else ():
                if key not in keys:
                    keys.append(key)
        lines = []
        for key in keys:
            points = []
            for bucket, (rollup, census) in zip(self.buckets, per_bucket, strict=True):
                value = None
                if rollup is not None and key in rollup.rows:
                    value = rollup.rows[key].figures().get(self.figure)
                points.append(SeriesPoint(bucket, value, census.day if census else None))
            lines.append(SeriesLine(key.key, key.label, tuple(points)))
        return tuple(lines)

    def _census(
        self, tx: ReportTransaction, breakdown: Breakdown
    ) -> list[tuple[Rollup | None, Census | None]]:
        censuses = tx.censuses_between(self.period.start, self.period.end)
        last: dict[Period, Census] = {}
        for census in sorted(censuses, key=lambda c: c.day):
            for bucket in self.buckets:
                if bucket.start <= census.day <= bucket.end:
                    last[bucket] = census
        groups = tx.census_groups(
            [c.id for c in last.values()],
            per_channel=breakdown.needs_channels,
            units=breakdown.census_units(),
        )
        out: list[tuple[Rollup | None, Census | None]] = []
        for bucket in self.buckets:
            chosen = last.get(bucket)
            if chosen is None:
                out.append((None, None))
                continue
            rollup = Rollup(breakdown, with_census=True)
            rollup.add_census(groups.get(chosen.id, []))
            out.append((rollup, chosen))
        return out

    def _deployment(
        self, tx: ReportTransaction, breakdown: Breakdown
    ) -> list[tuple[Rollup | None, Census | None]]:
        found = tx.deployment_series(
            [self.service.day_end(bucket.end) for bucket in self.buckets],
            per_channel=breakdown.needs_channels,
            per_unit=breakdown.dimension is Dimension.ORG_UNIT,
        )
        by_bucket: dict[int, list[DeploymentGroup]] = defaultdict(list)
        for group in found:
            by_bucket[group.bucket].append(group)
        out: list[tuple[Rollup | None, Census | None]] = []
        for index in range(len(self.buckets)):
            rollup = Rollup(breakdown, with_census=False)
            rollup.add_deployment_groups(by_bucket.get(index, []))
            out.append((rollup, None))
        return out

    def _registrations(
        self, tx: ReportTransaction, breakdown: Breakdown
    ) -> list[tuple[Rollup | None, Census | None]]:
        channels = {c.id: c for c in tx.directory().channels}
        found = self.service.analytics.registration_buckets(
            self.service.day_start(self.period.start),
            self.service.day_end(self.period.end),
            self.grain,
            self.service.offset_hours(),
        )
        by_bucket: dict[date | None, list[RegistrationGroup]] = defaultdict(list)
        for group in found:
            by_bucket[group.bucket].append(group)
        out: list[tuple[Rollup | None, Census | None]] = []
        for bucket in self.buckets:
            rollup = Rollup(breakdown, with_census=False)
            # The engine labels a period by its calendar start; the first period of a range
            # may start later (a range beginning mid-week or mid-month).
            rollup.add_registrations(by_bucket.get(self.grain.start_of(bucket.start), []), channels)
            out.append((rollup, None))
        return out

    def _over_limit(self, tx: ReportTransaction, breakdown: Breakdown) -> tuple[SeriesLine, ...]:
        """Cases found and resolved per day, added up period by period and carried forward:
        each point is the share resolved of those found by the period's last day."""
        check_over_limit(breakdown)
        overall = breakdown.dimension is Dimension.OVERALL
        groups = tx.over_limit_days(
            self.service.day_start(self.period.start),
            self.service.day_end(self.period.end),
            self.service.offset_hours(),
            per_channel=not overall,
        )
        keys: list[RowKey] = list(breakdown.candidates())
        days: dict[RowKey, list[OverLimitGroup]] = defaultdict(list)
        for group in groups:
            channel = (
                breakdown.channels.get(group.channel_id) if group.channel_id is not None else None
            )
            key = breakdown.row(
                unit_id=channel.org_unit_id if channel else None, channel_id=group.channel_id
            )
            if key is None:
                continue
            if key not in keys:
                keys.append(key)
            days[key].append(group)
        return tuple(
            SeriesLine(key.key, key.label, self._carried(days.get(key, []))) for key in keys
        )

    def _carried(self, groups: list[OverLimitGroup]) -> tuple[SeriesPoint, ...]:
        # Day None: everything before the range, the running totals' starting point.
        ordered = sorted(groups, key=lambda g: g.day or date.min)
        found = resolved = 0
        at = 0
        points = []
        for bucket in self.buckets:
            while at < len(ordered) and (ordered[at].day or date.min) <= bucket.end:
                found += ordered[at].found
                resolved += ordered[at].resolved
                at += 1
            points.append(SeriesPoint(bucket, Ratio(resolved, found)))
        return tuple(points)
