"""Series over about two months against a hand count, day by day, ISO week by week and month
by month in the operator's timezone (Shanghai), on SQLite and PostgreSQL: app deployment
and the over-limit share, each now one statement for the whole range. Every point also equals
the figure asked for its period's last day on its own (the one-moment queries)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from simreg.bootstrap import Simreg
from simreg.core.settings import Settings
from simreg.reporting.domain import Dimension, Figure, Grain, Period, Ratio, Series
from tests.support.report_base import ReportBase, build_report_base, report_app
from tests.support.report_series_base import (
    add_series_events,
    deployment_on,
    over_limit_on,
)

APP = Figure.APP_DEPLOYMENT_RATE
RESOLVED = Figure.OVER_LIMIT_RESOLVED
START, END = date(2026, 1, 10), date(2026, 3, 10)  # 60 days: two month ends, nine ISO weeks


@pytest.fixture
def app(settings: Settings) -> Iterator[Simreg]:
    with report_app(settings) as simreg:
        yield simreg


@pytest.fixture
def base(app: Simreg) -> ReportBase:
    base = build_report_base(app)
    add_series_events(app, base)
    return base


def values(series: Series) -> list[Ratio | None]:
    (line,) = series.lines
    return [p.value for p in line.points]


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def test_daily_deployment_over_sixty_days_matches_the_hand_count(
    app: Simreg, base: ReportBase
) -> None:
    series = app.reports.series(base.actors["auditor"], APP, Grain.DAY, START, END)
    got = values(series)
    assert len(got) == 60
    assert got == [Ratio(*deployment_on(day)) for day in days(START, END)]
    by_day = dict(zip(days(START, END), got, strict=True))
    assert by_day[date(2026, 1, 30)] == Ratio(2, 2)
    assert by_day[date(2026, 1, 31)] == Ratio(2, 3)  # SOC3 created at 23:30
    assert by_day[date(2026, 2, 1)] == Ratio(1, 3)  # SOC2's device revoked that morning
    assert by_day[date(2026, 2, 2)] == Ratio(0, 2)  # SOC1 suspended at 23:59
    assert by_day[date(2026, 2, 9)] == Ratio(0, 2)
    assert by_day[date(2026, 2, 10)] == Ratio(1, 3)  # active again at 00:01
    assert by_day[date(2026, 2, 21)] == Ratio(2, 3)
    assert by_day[date(2026, 3, 1)] == Ratio(1, 3)  # the new device revoked at 23:00


def test_daily_over_limit_share_over_sixty_days_matches_the_hand_count(
    app: Simreg, base: ReportBase
) -> None:
    series = app.reports.series(base.actors["risk"], RESOLVED, Grain.DAY, START, END)
    got = values(series)
    assert got == [Ratio(*over_limit_on(day)) for day in days(START, END)]
    by_day = dict(zip(days(START, END), got, strict=True))
    assert by_day[START] == Ratio(0, 1)  # found on 5 January, before the range
    assert by_day[date(2026, 1, 31)] == Ratio(0, 1)
    assert by_day[date(2026, 2, 1)] == Ratio(1, 1)  # resolved at 00:30 on 1 February
    assert by_day[date(2026, 2, 15)] == Ratio(1, 2)  # 23:59: still the 15th
    assert by_day[date(2026, 2, 16)] == Ratio(1, 3)  # midnight: the 16th's
    assert by_day[date(2026, 3, 2)] == Ratio(2, 4)
    assert by_day[date(2026, 3, 5)] == Ratio(2, 5)
    assert by_day[END] == Ratio(3, 5)


def test_weeks_and_months_take_their_last_day(app: Simreg, base: ReportBase) -> None:
    auditor = base.actors["auditor"]
    for grain in (Grain.WEEK, Grain.MONTH):
        buckets = Period(START, END).buckets(grain)
        deployment = values(app.reports.series(auditor, APP, grain, START, END))
        assert deployment == [Ratio(*deployment_on(b.end)) for b in buckets]
        share = values(app.reports.series(auditor, RESOLVED, grain, START, END))
        assert share == [Ratio(*over_limit_on(b.end)) for b in buckets]
    weekly = app.reports.series(auditor, RESOLVED, Grain.WEEK, START, END)
    # 10 January is a Saturday: the first ISO week is clipped to it and the Sunday.
    first, second = weekly.lines[0].points[:2]
    assert (first.period.start, first.period.end) == (START, date(2026, 1, 11))
    assert (second.period.start, second.period.end) == (date(2026, 1, 12), date(2026, 1, 18))
    monthly = values(app.reports.series(auditor, APP, Grain.MONTH, START, END))
    # End of January: SOC1 and SOC2 (old device); end of February: SOC1 and SOC2 (new one).
    assert monthly == [Ratio(2, 3), Ratio(2, 3), Ratio(1, 3)]


def test_one_statement_equals_the_one_moment_queries(app: Simreg, base: ReportBase) -> None:
    """Every daily point equals what the per-moment queries (the figures table's) say."""
    auditor = base.actors["auditor"]
    deployment = values(app.reports.series(auditor, APP, Grain.DAY, START, END))
    share = values(app.reports.series(auditor, RESOLVED, Grain.DAY, START, END))
    with app.reports.uow.begin() as tx:
        for n, day in enumerate(days(START, END)):
            end = app.reports.day_end(day)
            found = tx.app_deployment(end)
            assert deployment[n] == Ratio(sum(d.deployed for d in found), len(found)), day
            opened, resolved = tx.over_limit_counts(end)
            assert share[n] == Ratio(resolved, opened), day


def test_series_per_org_unit(app: Simreg, base: ReportBase) -> None:
    auditor = base.actors["auditor"]
    deployment = app.reports.series(
        auditor, APP, Grain.MONTH, START, END, dimension=Dimension.ORG_UNIT, parent="C1"
    )
    lines = {ln.key: [p.value for p in ln.points] for ln in deployment.lines}
    # K1: SOC1 (active at the end of every month); K2: SOC2 and, from 31 January, SOC3.
    assert lines == {
        "K1": [Ratio(1, 1), Ratio(1, 1), Ratio(1, 1)],
        "K2": [Ratio(1, 2), Ratio(1, 2), Ratio(0, 2)],
    }
    channels = app.reports.series(
        auditor, APP, Grain.DAY, date(2026, 2, 2), date(2026, 2, 2), dimension=Dimension.CHANNEL
    )
    assert {ln.key: ln.points[0].value for ln in channels.lines} == {
        "OWN1": Ratio(0, 0),
        "SOC1": Ratio(0, 0),  # suspended that day: not counted
        "SOC2": Ratio(0, 1),
        "SOC3": Ratio(0, 1),
    }
