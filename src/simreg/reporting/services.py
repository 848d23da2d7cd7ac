"""Reporting use cases: take the daily census, and read every figure as of a day or over a
period. Reads check the actor's role; taking a census writes its audit row in the same
transaction as the census.

Days are the operator's calendar days (``timezone``): "as of 2026-03-31" means up to the end
of that day there, and a period covers its first day's start to its last day's end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from simreg.core.actors import Actor
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock, utc_offset_hours
from simreg.core.errors import InvalidInput
from simreg.reporting.breakdown import Breakdown
from simreg.reporting.census_gap import CensusGap
from simreg.reporting.compliance import compliance_rows
from simreg.reporting.dimensions import (
    check_over_limit,
    compliance_breakdown,
    over_limit_rows,
    review_rows,
    wait_grouping,
)
from simreg.reporting.domain import (
    CENSUS_TAKERS,
    FIRST_DAY,
    LAST_DAY,
    MAX_SERIES_POINTS,
    READERS,
    Census,
    Dimension,
    Figure,
    FigureTable,
    Grain,
    Period,
    Series,
)
from simreg.reporting.events import (
    COMPLIANCE_COUNTS,
    FUNNEL_STEPS,
    CampaignFunnel,
    ComplianceReport,
    ComplianceRow,
    FunnelReport,
    OverLimitReport,
    OverLimitRow,
    ReviewerTimes,
    ReviewTimes,
    RowTimes,
)
from simreg.reporting.ports import Analytics, Directory, ReportTransaction, ReportUnitOfWork
from simreg.reporting.rollup import Rollup
from simreg.reporting.series import SeriesBuilder


@dataclass(frozen=True)
class ReportSettings:
    timezone: str
    cutoff: date  # lines opened since this day count in the new-customer rate
    over_limit_list: int = 10_000  # documents listed in an over-limit report, at most
    # A person asking for a census this soon after the last one gets that one: a census scans
    # every line (seconds on a large base), and a button pressed again must not start another.
    census_refresh_seconds: int = 120


class ReportService:
    def __init__(
        self,
        *,
        uow: ReportUnitOfWork,
        analytics: Analytics,
        clock: Clock,
        settings: ReportSettings,
    ) -> None:
        self.uow = uow
        self.analytics = analytics
        self.clock = clock
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)

    # -- the census -----------------------------------------------------------------------

    def today(self) -> date:
        return self.clock.now().astimezone(self.zone).date()

    def day_start(self, day: date) -> datetime:
        """The UTC instant the operator's calendar day begins. Every read turns its days into
        instants here or in ``day_end``, so a day out of range is refused here (422, not an
        overflow deep in a query)."""
        _in_range(day)
        return datetime.combine(day, clock_time(), self.zone).astimezone(UTC)

    def day_end(self, day: date) -> datetime:
        _in_range(day)
        return datetime.combine(day + timedelta(days=1), clock_time(), self.zone).astimezone(UTC)

    def take_census(self, actor: Actor | None, *, day: date | None = None) -> Census:
        """Count every line in service now and store it as today's census, replacing one
        taken earlier today. ``actor`` None is the system (the daily clock, the operator's
        command line). A census records lines as they are now, so it is refused for any day
        but today: past days are never rewritten. A person (not the system) asking again
        within ``census_refresh_seconds`` of today's census gets that census back."""
        if actor is not None:
            actor.require(*CENSUS_TAKERS)
        today = self.today()
        if day is not None and day != today:
            raise InvalidInput(
                f"A census counts the lines as they are now; it can only be taken for today "
                f"({today.isoformat()}).",
                code="REPORT-CENSUS-DAY",
                message_zh="普查记录的是当前号码状态，只能为今天生成。",
                today=today.isoformat(),
            )
        if actor is not None:
            with self.uow.begin() as tx:
                recent = tx.census_on(today)
            fresh = timedelta(seconds=self.settings.census_refresh_seconds)
            if recent is not None and self.clock.now() - recent.taken_at < fresh:
                return recent
        started = time.perf_counter()
        groups = self.analytics.census_groups(cutoff_at=self.day_start(self.settings.cutoff))
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        now = self.clock.now()
        with self.uow.begin() as tx:
            census = tx.store_census(
                day=today,
                cutoff=self.settings.cutoff,
                taken_at=now,
                elapsed_ms=elapsed_ms,
                taken_by=actor.staff_id if actor else None,
                groups=groups,
            )
            tx.record(
                AuditEvent(
                    action="report.census",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id if actor else None,
                    details={
                        "day": today.isoformat(),
                        "lines_in_service": census.lines_in_service,
                        "groups": len(groups),
                        "elapsed_ms": elapsed_ms,
                    },
                )
            )
        return census

    def census(self, actor: Actor, day: date) -> Census | None:
        actor.require(*READERS)
        with self.uow.begin() as tx:
            return tx.census_on(day)

    # -- figures as of a day --------------------------------------------------------------

    def figures(
        self,
        actor: Actor,
        *,
        as_of: date | None = None,
        dimension: Dimension = Dimension.OVERALL,
        parent: str | None = None,
        refresh: bool = False,
    ) -> FigureTable:
        """Every figure of ``TABLE_FIGURES`` as of the end of ``as_of`` (default today), per
        row of ``dimension`` under ``parent``. Today without a census (or with ``refresh``)
        takes one first; a past day reads the census of that day, never recomputes it."""
        actor.require(*READERS)
        today = self.today()
        as_of = as_of or today
        self._not_future(as_of, today)
        if as_of == today and refresh:
            self.take_census(actor)
        with self.uow.begin() as tx:
            census = tx.census_on(as_of)
        if census is None and as_of == today:
            census = self.take_census(actor)
        end = self.day_end(as_of)
        with self.uow.begin() as tx:
            directory = tx.directory()
            breakdown = Breakdown(directory, dimension, parent)
            rollup = Rollup(breakdown, with_census=census is not None)
            nearest, gap = None, None
            if census is not None:
                groups = tx.census_groups(
                    [census.id],
                    per_channel=breakdown.needs_channels,
                    units=breakdown.census_units(),
                )
                rollup.add_census(groups.get(census.id, []))
            else:
                earlier = tx.census_before(as_of)
                nearest = earlier.day if earlier else None
                first = None if earlier else tx.census_from(as_of)
                gap = CensusGap.for_day(as_of, nearest, first.day if first else None)
            channels = {c.id: c for c in directory.channels}
            rollup.add_deployment(tx.app_deployment(end), channels)
            since = self.day_start(self.settings.cutoff)
            rollup.add_registrations(tx.app_registrations(since, end), channels)
        return FigureTable(
            as_of=as_of,
            dimension=dimension,
            parent=parent,
            cutoff=self.settings.cutoff,
            census=census,
            nearest_census=nearest,
            total=rollup.total_row(parent or "all"),
            rows=rollup.table_rows(),
            census_gap=gap,
        )

    def series(
        self,
        actor: Actor,
        figure: Figure,
        grain: Grain,
        start: date,
        end: date,
        *,
        dimension: Dimension = Dimension.OVERALL,
        parent: str | None = None,
    ) -> Series:
        """One line per row of ``dimension`` (one line overall), one point per day, ISO week or
        month from ``start`` to ``end``. Census figures take each period's last census;
        deployment and the over-limit share are as of each period's last day; the app share
        counts the registrations submitted within each period."""
        actor.require(*READERS)
        period = Period(start, end)
        self._not_future(end, self.today())
        if period.bucket_count(grain) > MAX_SERIES_POINTS:
            raise InvalidInput(
                f"A series has at most {MAX_SERIES_POINTS} points; choose a coarser grain.",
                code="REPORT-SERIES-LONG",
                message_zh="序列点数过多，请选择更粗的粒度。",
            )
        self.day_start(start)  # a start out of range is refused before any query
        buckets = period.buckets(grain)
        builder = SeriesBuilder(self, figure, grain, period, buckets)
        with self.uow.begin() as tx:
            breakdown = Breakdown(tx.directory(), dimension, parent)
            lines = builder.build(tx, breakdown)
        return Series(figure, grain, period, dimension, lines)

    # -- event figures --------------------------------------------------------------------

    def review_times(
        self,
        actor: Actor,
        period: Period,
        *,
        dimension: Dimension | None = None,
        parent: str | None = None,
    ) -> ReviewTimes:
        """Decisions made in the period and how long each registration waited for its
        decision: median and 95th percentile, overall and per reviewer; with ``dimension``,
        also per row of it (org unit or channel of the registration's outlet, the outlets of
        a ``parent`` channel, or the line's kind)."""
        actor.require(*READERS)
        since, until = self.day_start(period.start), self.day_end(period.end)
        # A period still to come has no decisions, and nothing "waiting at its end" yet.
        self._not_future(period.start, self.today())
        overall, per_reviewer = self.analytics.waiting_times(since, until)
        with self.uow.begin() as tx:
            names = tx.reviewer_names([r.reviewer_id for r in per_reviewer])
            submitted, waiting = tx.review_backlog(since, until)
            breakdown = self._breakdown(tx, dimension, parent)
        rows: tuple[RowTimes, ...] = ()
        if breakdown is not None:
            keys, grouping = wait_grouping(breakdown)
            rows = review_rows(
                breakdown, keys, self.analytics.waiting_times_by(since, until, grouping)
            )
        reviewers = sorted(
            (
                ReviewerTimes(names.get(r.reviewer_id, f"#{r.reviewer_id}"), r.times)
                for r in per_reviewer
            ),
            key=lambda r: r.reviewer,
        )
        return ReviewTimes(period, overall, tuple(reviewers), submitted, waiting, dimension, rows)

    def over_limit(
        self,
        actor: Actor,
        as_of: date | None = None,
        *,
        dimension: Dimension | None = None,
        parent: str | None = None,
        with_documents: bool = True,
    ) -> OverLimitReport:
        """RN-14 as of the end of a day: cases found and resolved by then, and the documents
        whose case was open then (masked numbers only; ``with_documents`` False leaves the
        list out, for a reader that shows only the counts); with ``dimension`` (org unit or
        channel), also per row, each case at its home channel (``db/report_over_limit``)."""
        actor.require(*READERS)
        as_of = as_of or self.today()
        self._not_future(as_of, self.today())
        at = self.day_end(as_of)
        rows: tuple[OverLimitRow, ...] = ()
        with self.uow.begin() as tx:
            found, resolved = tx.over_limit_counts(at)
            documents = (
                tx.over_limit_open(at, self.settings.over_limit_list) if with_documents else []
            )
            breakdown = self._breakdown(tx, dimension, parent)
            if breakdown is not None:
                check_over_limit(breakdown)
                rows = over_limit_rows(breakdown, tx.over_limit_by_channel(at))
        return OverLimitReport(as_of, found, resolved, tuple(documents), dimension, rows)

    def campaign_funnel(self, actor: Actor, as_of: date | None = None) -> FunnelReport:
        """RN-13: each campaign's targets and the steps they had reached by the end of a day."""
        actor.require(*READERS)
        as_of = as_of or self.today()
        self._not_future(as_of, self.today())
        with self.uow.begin() as tx:
            campaigns = tx.funnels(self.day_end(as_of))
        total = {step: sum(c.steps.get(step, 0) for c in campaigns) for step in FUNNEL_STEPS}
        return FunnelReport(as_of, CampaignFunnel(None, "all", total), tuple(campaigns))

    def compliance(
        self,
        actor: Actor,
        period: Period,
        *,
        dimension: Dimension | None = None,
        parent: str | None = None,
    ) -> ComplianceReport:
        """RN-08/RN-15: inspections done, violations recorded and penalties given in a period,
        per channel; with ``dimension`` (org unit, drilling down to channels, or channel) also
        every row of that view under ``parent``."""
        actor.require(*READERS)
        since, until = self.day_start(period.start), self.day_end(period.end)
        self._not_future(period.start, self.today())
        with self.uow.begin() as tx:
            per_channel = tx.compliance(since, until)
            directory = tx.directory()
            breakdown = self._breakdown(tx, dimension, parent, directory)
        rows: list[ComplianceRow]
        total, rows = compliance_rows(per_channel, directory)
        view: tuple[ComplianceRow, ...] = ()
        if breakdown is not None:
            units = {u.id: u.code for u in directory.units}
            view = compliance_breakdown(breakdown, per_channel, units)
            if parent is not None:
                total = _sum_rows(parent, view)
        return ComplianceReport(period, total, tuple(rows), dimension, parent, view)

    @staticmethod
    def _breakdown(
        tx: ReportTransaction,
        dimension: Dimension | None,
        parent: str | None,
        directory: Directory | None = None,
    ) -> Breakdown | None:
        """The breakdown of an event report; None when none was asked for (overall only)."""
        if dimension is None or (dimension is Dimension.OVERALL and parent is None):
            return None
        return Breakdown(directory or tx.directory(), dimension, parent)

    def offset_hours(self) -> int:
        return utc_offset_hours(self.settings.timezone, self.clock.now())

    @staticmethod
    def _not_future(day: date, today: date) -> None:
        if day > today:
            raise InvalidInput(
                "Figures exist up to today, not for days to come.",
                code="REPORT-FUTURE",
                message_zh="不能查询未来日期的指标。",
                today=today.isoformat(),
            )


def _in_range(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(
            f"Reports cover days from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}.",
            code="REPORT-DATE-RANGE",
            message_zh=f"报表日期须在 {FIRST_DAY.isoformat()} 至 {LAST_DAY.isoformat()} 之间。",
            first=FIRST_DAY.isoformat(),
            last=LAST_DAY.isoformat(),
        )


def _sum_rows(label: str, rows: tuple[ComplianceRow, ...]) -> ComplianceRow:
    """The total under a drill-down parent: its rows added up."""
    total = dict.fromkeys(COMPLIANCE_COUNTS, 0)
    for row in rows:
        for name in COMPLIANCE_COUNTS:
            total[name] += row.counts[name]
    return ComplianceRow(label, label, None, total)
