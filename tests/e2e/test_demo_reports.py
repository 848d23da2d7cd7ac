"""Issues 5 and 7 as a new user tries the reports on `simreg demo`: the seeded demo has a past,
so last month's regulator report names last month's last day as its census day with a
real-name rate, the daily real-name series has a point every day for 60 days and climbs to
today's census, reviews waited minutes to hours, the app rolled out over the year, and every
census the demo made up is marked as such in the audit trail."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from simreg.bootstrap import Simreg, bootstrap
from simreg.core.actors import Actor, Role
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.demo.census_history import SEEDED_ACTION, census_groups_as_of, history_days
from simreg.reporting.domain import CensusGroup, Figure, Grain, Period
from tests.support.sms import free_port

pytestmark = pytest.mark.slow


def _seed_demo(database_url: str, data_dir: Path) -> Simreg:
    env = {**os.environ, "SIMREG_MASTER_KEY": "", "COLUMNS": "200"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "simreg.cli",
            "demo",
            "--no-serve",
            "--port",
            str(free_port()),
            "--customers",
            "80",
            "--legacy-lines",
            "600",
            "--database-url",
            database_url,
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return bootstrap(Settings(database_url=database_url, data_dir=data_dir, demo=True))


def test_the_demo_has_a_past_the_reports_show(database_url: str, tmp_path: Path) -> None:
    simreg = _seed_demo(database_url, tmp_path / "demo")
    try:
        auditor = Actor(_staff_id(simreg, "auditor"), "auditor", Role.AUDITOR)
        reports = simreg.reports
        today = reports.today()

        # Last month's regulator report reads the census of the month's last day.
        last_day = today.replace(day=1) - timedelta(days=1)
        monthly = simreg.monthly_reports.assemble(auditor, last_day.strftime("%Y-%m"))
        assert monthly.as_of == last_day and monthly.complete
        assert monthly.census is not None and monthly.census.day == last_day
        assert monthly.census_exact
        rate = monthly.overall.figures[Figure.REAL_NAME_RATE].rate
        assert rate is not None and 0.3 < rate < 1

        # The daily series: a census every day for 60 days, ending at today's census.
        series = reports.series(
            auditor, Figure.REAL_NAME_RATE, Grain.DAY, today - timedelta(days=60), today
        )
        (line,) = series.lines
        assert len(line.points) == 61
        assert [p.census_day for p in line.points] == [p.period.start for p in line.points]
        values = [p.value for p in line.points]
        assert all(v is not None and v.denominator > 0 for v in values)
        now = reports.figures(auditor).total.figures[Figure.REAL_NAME_RATE]
        assert values[-1] == now
        # Legacy subscribers re-registered over the year: the rate rose month by month.
        year = reports.series(
            auditor, Figure.REAL_NAME_RATE, Grain.MONTH, today - timedelta(days=365), today
        )
        monthly_rates = [p.value.rate for p in year.lines[0].points if p.value is not None]
        assert len(monthly_rates) == 13
        assert monthly_rates == sorted(monthly_rates) and monthly_rates[0] < monthly_rates[-1]

        # The seeded history counts what the real census counts: as of today's end, the same.
        with simreg.engine.connect() as conn:
            end = reports.day_end(today)
            (as_of_today,) = census_groups_as_of(
                conn, [(today, end)], reports.day_start(reports.settings.cutoff)
            ).values()
        assert _totals(as_of_today) == _totals(_stored_groups(simreg, auditor)), (
            "the demo's as-of count disagrees with the census taken today"
        )

        # Reviews of last month waited minutes to hours, per reviewer.
        review = reports.review_times(auditor, Period(last_day.replace(day=1), last_day))
        assert review.overall.decided > 0
        assert review.overall.median_seconds is not None
        assert 60 <= review.overall.median_seconds < 6 * 3600
        assert review.overall.p95_seconds is not None
        assert review.overall.p95_seconds > review.overall.median_seconds
        assert len(review.per_reviewer) >= 2

        # The app was rolled out over the year; inspections found violations in past quarters.
        year_ago = reports.figures(auditor, as_of=today - timedelta(days=330)).total
        deployed_then = year_ago.figures[Figure.APP_DEPLOYMENT_RATE].rate
        deployed_now = reports.figures(auditor).total.figures[Figure.APP_DEPLOYMENT_RATE].rate
        assert deployed_then is not None and deployed_now is not None
        assert deployed_then < deployed_now
        compliance = reports.compliance(auditor, Period(today - timedelta(days=400), today))
        assert compliance.total.counts["inspections_done"] > 0

        # Every census but today's was seeded by the demo, and the audit trail says so.
        with simreg.engine.connect() as conn:
            census_days = set(conn.execute(select(t.report_censuses.c.day)).scalars())
            marked = [
                row.details["day"]
                for row in conn.execute(
                    select(t.audit_events.c.details).where(t.audit_events.c.action == SEEDED_ACTION)
                )
            ]
        assert census_days == {*history_days(today), today}
        assert sorted(marked) == sorted(d.isoformat() for d in history_days(today))
    finally:
        simreg.close()


def _staff_id(simreg: Simreg, username: str) -> int:
    with simreg.engine.connect() as conn:
        return int(
            conn.execute(select(t.staff.c.id).where(t.staff.c.username == username)).scalar_one()
        )


def _stored_groups(simreg: Simreg, actor: Actor) -> list[CensusGroup]:
    census = simreg.reports.census(actor, simreg.reports.today())
    assert census is not None
    with simreg.reports.uow.begin() as tx:
        return list(tx.census_groups([census.id])[census.id])


def _totals(groups: list[CensusGroup]) -> Counter[tuple[object, ...]]:
    """Counts per channel, line kind and cut-off side, whatever the org-unit split."""
    found: Counter[tuple[object, ...]] = Counter()
    for g in groups:
        for name, value in g.counts.as_dict().items():
            found[(g.channel_id, g.kind, g.since_cutoff, name)] += value
    return found
