"""Something that happens at exactly midnight in the operator's timezone belongs to the new
day in every figure, as it does for RN-14 cases: a device enrolled or revoked, a channel
created or suspended, a campaign step. On SQLite and PostgreSQL, through the as-of figures
and through the daily series, which must agree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, update

from simreg.bootstrap import Simreg
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.reporting.domain import Figure, Grain, Ratio
from tests.support.report_base import ReportBase, build_report_base, report_app

APP = Figure.APP_DEPLOYMENT_RATE
# 16:00 UTC is midnight in Shanghai, the first instant of the next day there.
MIDNIGHT_21 = datetime(2026, 2, 20, 16, 0, tzinfo=UTC)  # 2026-02-21 00:00 Shanghai
MIDNIGHT_1 = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)  # 2026-03-01 00:00 Shanghai


@pytest.fixture
def app(settings: Settings) -> Iterator[Simreg]:
    with report_app(settings) as simreg:
        yield simreg


@pytest.fixture
def base(app: Simreg) -> ReportBase:
    base = build_report_base(app)
    with app.engine.begin() as conn:
        # SOC2 (no device since 1 February) gets one from midnight on the 21st to midnight
        # on 1 March.
        conn.execute(
            insert(t.devices).values(
                outlet_id=base.ids["O-SOC2"],
                serial="DEV-SOC2-MIDNIGHT",
                active=False,
                enrolled_at=MIDNIGHT_21,
                revoked_at=MIDNIGHT_1,
            )
        )
    return base


def deployed(app: Simreg, base: ReportBase, day: date) -> int:
    table = app.reports.figures(base.actors["auditor"], as_of=day)
    return table.total.figures[APP].numerator


def test_a_device_enrolled_and_revoked_at_midnight_counts_from_the_new_day(
    app: Simreg, base: ReportBase
) -> None:
    before = deployed(app, base, date(2026, 2, 20))
    assert deployed(app, base, date(2026, 2, 21)) == before + 1
    assert deployed(app, base, date(2026, 2, 28)) == before + 1
    assert deployed(app, base, date(2026, 3, 1)) == before  # revoked as 1 March began
    series = app.reports.series(
        base.actors["auditor"], APP, Grain.DAY, date(2026, 2, 20), date(2026, 3, 1)
    )
    (line,) = series.lines
    points = [p.value for p in line.points]
    assert all(isinstance(p, Ratio) for p in points)
    one_by_one = [
        app.reports.figures(base.actors["auditor"], as_of=p.period.end).total.figures[APP]
        for p in line.points
    ]
    assert points == one_by_one
    assert [p.numerator for p in points if p is not None] == [before] + [before + 1] * 8 + [before]


def test_a_campaign_step_at_midnight_is_the_new_days(app: Simreg, base: ReportBase) -> None:
    auditor = base.actors["auditor"]
    ct = t.campaign_targets
    first = app.reports.campaign_funnel(auditor, date(2026, 3, 14)).total.steps["called"]
    with app.engine.begin() as conn:
        # Every call made so far is moved to the first instant of 15 March.
        conn.execute(
            update(ct)
            .where(ct.c.called_at.is_not(None))
            .values(called_at=datetime(2026, 3, 14, 16, 0, tzinfo=UTC))
        )
    assert first > 0
    assert app.reports.campaign_funnel(auditor, date(2026, 3, 14)).total.steps["called"] == 0
    assert app.reports.campaign_funnel(auditor, date(2026, 3, 15)).total.steps["called"] == first
