"""Monthly regulator report: assembled from `ReportService` reads, rendered by a file-format
adapter, and audited (`report.export`, with the month, format and language) for every file
handed out, in a transaction of its own, since generating one writes nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from simreg.core.actors import Actor
from simreg.core.audit import AuditEvent
from simreg.core.errors import Forbidden, InvalidInput
from simreg.reporting.domain import (
    READERS,
    Census,
    Dimension,
    Figure,
    FigureRow,
    FigureTable,
    Grain,
    Period,
)
from simreg.reporting.monthly import (
    DAILY_FIGURES,
    DailyFigures,
    ExportFormat,
    Language,
    MonthlyReport,
    OverLimitMonth,
    parse_month,
)
from simreg.reporting.monthly_ports import MonthlyRenderer
from simreg.reporting.services import ReportService


@dataclass(frozen=True)
class MonthlyExport:
    filename: str
    media_type: str
    content: bytes
    report: MonthlyReport


@dataclass(frozen=True)
class MonthEntry:
    """A month offered for export, and the census its line-state figures would come from."""

    month: str
    complete: bool
    census_day: date | None
    census_exact: bool


class MonthlyReportService:
    def __init__(
        self,
        *,
        reports: ReportService,
        renderers: Mapping[ExportFormat, MonthlyRenderer],
        operator: str = "",
    ) -> None:
        self.reports = reports
        self.renderers = renderers
        self.operator = operator

    # -- assembling -----------------------------------------------------------------------

    def assemble(self, actor: Actor, month: str) -> MonthlyReport:
        """The month's report: figures as of its last day (today while it runs)."""
        actor.require(*READERS)
        period = parse_month(month)
        today = self.reports.today()
        if period.start > today:
            raise InvalidInput(
                "A monthly report exists for past months and the current one, not for months "
                "to come.",
                code="REPORT-FUTURE",
                message_zh="只能导出过去月份或本月的月报，不能导出未来月份。",
                today=today.isoformat(),
            )
        as_of = min(period.end, today)
        overall = self.reports.figures(actor, as_of=as_of)
        census = overall.census
        if census is None and overall.nearest_census is not None:
            census = self.reports.census(actor, overall.nearest_census)
        read = _Tables(self.reports, actor, as_of, census)
        total, _rows = read.merged(overall)
        return MonthlyReport(
            month=f"{period.start:%Y-%m}",
            period=period,
            as_of=as_of,
            complete=period.end < today,
            cutoff=overall.cutoff,
            census=census,
            census_exact=census is not None and census.day == as_of,
            generated_at=self.reports.clock.now(),
            timezone=self.reports.settings.timezone,
            operator=self.operator,
            overall=total,
            org_units=read.org_units(),
            channels=read.table(Dimension.CHANNEL)[1],
            kinds=read.table(Dimension.KIND)[1],
            daily=self._daily(actor, Period(period.start, as_of)),
            review=self.reports.review_times(actor, Period(period.start, as_of)),
            over_limit=self._over_limit(actor, period.start, as_of),
            funnel=self.reports.campaign_funnel(actor, as_of),
            compliance=self.reports.compliance(actor, Period(period.start, as_of)),
        )

    def _daily(self, actor: Actor, covered: Period) -> tuple[DailyFigures, ...]:
        points = {
            figure: self.reports.series(actor, figure, Grain.DAY, covered.start, covered.end)
            .lines[0]
            .points
            for figure in DAILY_FIGURES
        }
        return tuple(
            DailyFigures(day.start, {figure: points[figure][i].value for figure in DAILY_FIGURES})
            for i, day in enumerate(covered.buckets(Grain.DAY))
        )

    def _over_limit(self, actor: Actor, start: date, as_of: date) -> OverLimitMonth:
        at_end = self.reports.over_limit(actor, as_of)
        eve = start - timedelta(days=1)
        before = self.reports.series(actor, Figure.OVER_LIMIT_RESOLVED, Grain.DAY, eve, eve)
        value = before.lines[0].points[0].value
        found, resolved = (value.denominator, value.numerator) if value else (0, 0)
        return OverLimitMonth(at_end, found_before=found, resolved_before=resolved)

    # -- exporting ------------------------------------------------------------------------

    def export(
        self, actor: Actor, month: str, fmt: ExportFormat, language: Language = Language.ZH
    ) -> MonthlyExport:
        """The month's report as a file; every export handed out leaves an audit row, and so
        does an attempt by a role that may not read reports."""
        details = {"month": month.strip()[:16], "format": fmt.value, "language": language.value}
        try:
            actor.require(*READERS)
        except Forbidden as refused:
            self._audit(actor, "refused", details, codes=(refused.code,))
            raise
        report = self.assemble(actor, month)
        content = self.renderers[fmt].render(report, language)
        self._audit(
            actor,
            "ok",
            {
                **details,
                "month": report.month,
                "as_of": report.as_of.isoformat(),
                "census_day": report.census.day.isoformat() if report.census else None,
                "bytes": len(content),
            },
        )
        return MonthlyExport(f"{report.filename_stem}.{fmt.value}", fmt.media_type, content, report)

    def _audit(
        self, actor: Actor, outcome: str, details: Mapping[str, object], codes: tuple[str, ...] = ()
    ) -> None:
        with self.reports.uow.begin() as tx:
            tx.record(
                AuditEvent(
                    action="report.export",
                    outcome=outcome,
                    at=self.reports.clock.now(),
                    # The command line reads as a staff id of 0, which no staff row has.
                    actor_staff_id=actor.staff_id or None,
                    codes=codes,
                    details={**details, "by": actor.username},
                )
            )

    # -- what to offer --------------------------------------------------------------------

    def months(self, actor: Actor, count: int = 13) -> list[MonthEntry]:
        """The current month and the ``count - 1`` before it, newest first, each with the
        census its line-state figures would be read from."""
        actor.require(*READERS)
        today = self.reports.today()
        firsts = [today.replace(day=1)]
        while len(firsts) < count:
            firsts.append((firsts[-1] - timedelta(days=1)).replace(day=1))
        with self.reports.uow.begin() as tx:
            earlier = tx.census_before(firsts[-1])
            taken = tx.censuses_between(firsts[-1], today)
        days = sorted(c.day for c in taken)
        out = []
        for first in firsts:
            end = min(Period.month(first.year, first.month).end, today)
            upto = [d for d in days if d <= end]
            day = upto[-1] if upto else (earlier.day if earlier else None)
            out.append(MonthEntry(f"{first:%Y-%m}", end < today, day, day == end))
        return out


class _Tables:
    """Figure tables as of one day, with the census figures read from the census in use when
    that day has none of its own."""

    def __init__(
        self, reports: ReportService, actor: Actor, as_of: date, census: Census | None
    ) -> None:
        self.reports = reports
        self.actor = actor
        self.as_of = as_of
        self.census = census

    def table(
        self, dimension: Dimension, parent: str | None = None
    ) -> tuple[FigureRow, tuple[FigureRow, ...]]:
        found = self.reports.figures(
            self.actor, as_of=self.as_of, dimension=dimension, parent=parent
        )
        return self.merged(found)

    def merged(self, table: FigureTable) -> tuple[FigureRow, tuple[FigureRow, ...]]:
        if table.census is not None or self.census is None:
            return table.total, table.rows
        earlier = self.reports.figures(
            self.actor, as_of=self.census.day, dimension=table.dimension, parent=table.parent
        )
        by_key = {(row.level, row.key): row for row in earlier.rows}
        rows = [_with_census(row, by_key.pop((row.level, row.key), None)) for row in table.rows]
        rows += [_with_census(None, row) for row in by_key.values()]
        return _with_census(table.total, earlier.total), tuple(rows)

    def org_units(self) -> tuple[FigureRow, ...]:
        """The top org units, each followed by the units and channels directly under it."""
        _total, top = self.table(Dimension.ORG_UNIT)
        out: list[FigureRow] = []
        for row in top:
            out.append(row)
            if row.drillable and row.key is not None:
                out.extend(self.table(Dimension.ORG_UNIT, row.key)[1])
        return tuple(out)


def _with_census(row: FigureRow | None, census_row: FigureRow | None) -> FigureRow:
    """``row``'s event figures beside ``census_row``'s line-state figures and line counts."""
    if census_row is None:
        assert row is not None
        return replace(row, lines=None)
    census_figures = {f: r for f, r in census_row.figures.items() if f.from_census}
    if row is None:
        return replace(census_row, figures=census_figures)
    events = {f: r for f, r in row.figures.items() if not f.from_census}
    return replace(row, figures={**census_figures, **events}, lines=census_row.lines)
