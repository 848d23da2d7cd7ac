"""Event figures per org unit (drill-down), per channel and per line kind against a hand count
of the report base (tests/support/report_base.py), on SQLite and PostgreSQL: review waiting
times, RN-14 cases at their home channel, channel compliance; and the census gap of a day
before the first census."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from simreg.bootstrap import Simreg
from simreg.core.clock import FixedClock
from simreg.core.errors import InvalidInput
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.reporting.census_gap import BEFORE_FIRST_CENSUS, NO_CENSUS_ON_DAY
from simreg.reporting.domain import Dimension, Figure, Grain, Level, Period
from tests.support.report_base import REPORT_NOW, ReportBase, at, build_report_base, report_app

MARCH = Period.parse_month("2026-03")
MARCH_15 = date(2026, 3, 15)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(REPORT_NOW)


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[Simreg]:
    with report_app(settings, clock) as simreg:
        yield simreg


@pytest.fixture
def base(app: Simreg) -> ReportBase:
    return build_report_base(app)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


# -- review waiting times -------------------------------------------------------------------
# Decided in March (report base): SOC1 at O-SOC1A 10, 20, 30 (rejected) minutes; SOC2 40 and
# 50; OWN1 60. Every one of them is a voice line.


def review(app: Simreg, base: ReportBase, dimension: Dimension, parent: str | None = None) -> Any:
    times = app.reports.review_times(
        base.actors["auditor"], MARCH, dimension=dimension, parent=parent
    )
    return {
        r.key: (r.times.decided, _minutes(r.times.median_seconds), _minutes(r.times.p95_seconds))
        for r in times.rows
    }


def test_review_times_per_org_unit_down_to_outlets(app: Simreg, base: ReportBase) -> None:
    assert review(app, base, Dimension.ORG_UNIT) == {"P": (6, 35, 60)}
    assert review(app, base, Dimension.ORG_UNIT, "C1") == {"K1": (4, 25, 60), "K2": (2, 45, 50)}
    assert review(app, base, Dimension.ORG_UNIT, "K1") == {
        "OWN1": (1, 60, 60),
        "SOC1": (3, 20, 30),
    }
    assert review(app, base, Dimension.ORG_UNIT, "SOC1") == {
        "O-SOC1A": (3, 20, 30),
        "O-SOC1B": (0, None, None),
    }
    assert review(app, base, Dimension.CHANNEL) == {
        "OWN1": (1, 60, 60),
        "SOC1": (3, 20, 30),
        "SOC2": (2, 45, 50),
    }
    times = app.reports.review_times(base.actors["auditor"], MARCH, dimension=Dimension.KIND)
    kinds = {r.key: r.times for r in times.rows}
    assert kinds["voice"].decided == 6 and kinds["voice"].rejected == 1
    assert kinds["data"].decided == 0 and kinds["data"].median_seconds is None
    assert times.overall.decided == 6  # the overall figures are unchanged


def test_review_times_without_a_dimension_have_no_rows(app: Simreg, base: ReportBase) -> None:
    times = app.reports.review_times(base.actors["auditor"], MARCH)
    assert times.rows == () and times.as_dict()["dimension"] is None


# -- RN-14 cases at their home channel --------------------------------------------------------


def give_cases_lines(app: Simreg, base: ReportBase) -> None:
    """Case 1 (resolved 10 March): its decision kept lines 1 and 2 (OWN1) and transferred line
    13 (SOC2) to someone else, so line 13 no longer points at its document. Case 2 (open):
    its document holds lines 14 and 15 (SOC2) and 8 (SOC1) now."""
    with app.engine.begin() as conn:
        decision = {
            "lines": [
                {"line_id": base.line(1), "msisdn": "x", "action": "keep"},
                {"line_id": base.line(2), "msisdn": "x", "action": "cancel"},
                {"line_id": base.line(13), "msisdn": "x", "action": "transfer"},
            ]
        }
        conn.execute(
            update(t.over_limit_cases)
            .where(t.over_limit_cases.c.id == base.ids["case1"])
            .values(decision=decision)
        )
        holder = conn.execute(
            select(t.over_limit_cases.c.customer_id).where(
                t.over_limit_cases.c.id == base.ids["case2"]
            )
        ).scalar_one()
        for number in (8, 14, 15):
            conn.execute(
                update(t.lines).where(t.lines.c.id == base.line(number)).values(customer_id=holder)
            )


def over_limit(
    app: Simreg, base: ReportBase, dimension: Dimension, parent: str | None = None, **kw: Any
) -> dict[str | None, tuple[int, int]]:
    report = app.reports.over_limit(base.actors["risk"], dimension=dimension, parent=parent, **kw)
    return {r.key: (r.found, r.resolved) for r in report.rows}


def test_over_limit_per_org_unit_and_channel(app: Simreg, base: ReportBase) -> None:
    give_cases_lines(app, base)
    assert over_limit(app, base, Dimension.ORG_UNIT) == {"P": (2, 1)}
    assert over_limit(app, base, Dimension.ORG_UNIT, "C1") == {"K1": (1, 1), "K2": (1, 0)}
    assert over_limit(app, base, Dimension.ORG_UNIT, "K1") == {"OWN1": (1, 1), "SOC1": (0, 0)}
    assert over_limit(app, base, Dimension.CHANNEL) == {
        "OWN1": (1, 1),
        "SOC1": (0, 0),
        "SOC2": (1, 0),  # two of its three lines
    }
    # Before case 1 was resolved, and before case 2 was found.
    assert over_limit(app, base, Dimension.CHANNEL, as_of=date(2026, 3, 4)) == {
        "OWN1": (1, 0),
        "SOC1": (0, 0),
        "SOC2": (0, 0),
    }
    report = app.reports.over_limit(base.actors["risk"], dimension=Dimension.ORG_UNIT)
    assert (report.found, report.resolved) == (2, 1)
    (row,) = report.rows
    assert row.level is Level.PROVINCE and row.drillable
    series = app.reports.series(
        base.actors["risk"],
        Figure.OVER_LIMIT_RESOLVED,
        Grain.DAY,
        date(2026, 3, 9),
        date(2026, 3, 10),
        dimension=Dimension.ORG_UNIT,
        parent="C1",
    )
    assert {
        ln.key: [(p.value.numerator, p.value.denominator) for p in ln.points if p.value]
        for ln in series.lines
    } == {"K1": [(0, 1), (1, 1)], "K2": [(0, 1), (0, 1)]}


def test_a_case_without_lines_is_unassigned_and_kinds_are_refused(
    app: Simreg, base: ReportBase
) -> None:
    # No line points at either document, and case 1 has no decision record.
    assert over_limit(app, base, Dimension.ORG_UNIT) == {"P": (0, 0), None: (2, 1)}
    for dimension, parent in ((Dimension.KIND, None), (Dimension.ORG_UNIT, "SOC1")):
        with pytest.raises(InvalidInput) as refused:
            app.reports.over_limit(base.actors["risk"], dimension=dimension, parent=parent)
        assert refused.value.code == "REPORT-DIMENSION"


# -- channel compliance ---------------------------------------------------------------------
# March: SOC1 (K1) failed an inspection and was fined 5,000 yuan (3 points); SOC2 (K2) was
# warned (1 point). SOC2's passed inspection is in February, its suspension in April.


def compliance(
    app: Simreg, base: ReportBase, dimension: Dimension, parent: str | None = None, **kw: Any
) -> dict[str | None, dict[str, int]]:
    period = kw.get("period", MARCH)
    report = app.reports.compliance(
        base.actors["manager"], period, dimension=dimension, parent=parent
    )
    return {r.key: dict(r.counts) for r in report.rows}


def test_compliance_per_org_unit_down_to_channels(app: Simreg, base: ReportBase) -> None:
    top = compliance(app, base, Dimension.ORG_UNIT)
    assert top["P"]["inspections_done"] == 1 and top["P"]["violations"] == 2
    counties = compliance(app, base, Dimension.ORG_UNIT, "C1")
    assert set(counties) == {"K1", "K2"}
    assert counties["K1"]["inspections_failed"] == 1 and counties["K1"]["fine_yuan"] == 5000
    assert counties["K1"]["points"] == 3 and counties["K1"]["warnings"] == 0
    assert counties["K2"]["inspections_done"] == 0 and counties["K2"]["warnings"] == 1
    channels = compliance(app, base, Dimension.ORG_UNIT, "K1")
    assert channels["OWN1"] == dict.fromkeys(channels["OWN1"], 0)  # nothing at OWN1
    assert channels["SOC1"]["fines"] == 1
    quarter = Period(date(2026, 1, 1), date(2026, 3, 31))
    k2 = compliance(app, base, Dimension.ORG_UNIT, "K2", period=quarter)
    assert k2["SOC2"]["inspections_passed"] == 1 and k2["SOC2"]["suspensions"] == 0
    report = app.reports.compliance(
        base.actors["manager"], MARCH, dimension=Dimension.ORG_UNIT, parent="K1"
    )
    assert report.total.counts["violations"] == 1  # the total of the rows shown
    assert not any(r.drillable for r in report.rows)  # no outlet is named by an inspection
    assert [r.org_unit for r in report.rows] == ["K1", "K1"]
    per_channel = compliance(app, base, Dimension.CHANNEL)
    assert per_channel["SOC2"]["warnings"] == 1 and per_channel["OWN1"]["violations"] == 0
    for dimension, parent in ((Dimension.KIND, None), (Dimension.ORG_UNIT, "SOC1")):
        with pytest.raises(InvalidInput) as refused:
            compliance(app, base, dimension, parent)
        assert refused.value.code == "REPORT-DIMENSION"


# -- a day before the first census ----------------------------------------------------------


def test_a_day_before_the_first_census_says_so(
    app: Simreg, base: ReportBase, clock: FixedClock
) -> None:
    auditor = base.actors["auditor"]
    before_any = app.reports.figures(auditor, as_of=date(2026, 3, 1))
    assert before_any.census is None and before_any.census_gap is not None
    assert before_any.census_gap.code == BEFORE_FIRST_CENSUS
    assert before_any.census_gap.first_census is None
    assert Figure.REAL_NAME_RATE not in before_any.total.figures
    assert Figure.APP_DEPLOYMENT_RATE in before_any.total.figures  # event figures still there
    app.reports.take_census(None)
    clock.at = at("2026-03-17", 4)
    app.reports.take_census(None)
    first = app.reports.figures(auditor, as_of=date(2026, 3, 1)).census_gap
    assert first is not None and first.code == BEFORE_FIRST_CENSUS
    assert first.first_census == MARCH_15
    gap = app.reports.figures(auditor, as_of=date(2026, 3, 16)).census_gap
    assert gap is not None and gap.code == NO_CENSUS_ON_DAY and gap.nearest_before == MARCH_15
    assert app.reports.figures(auditor, as_of=MARCH_15).census_gap is None
