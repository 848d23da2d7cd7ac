"""Reporting figures against a hand count of a small base (tests/support/report_base.py), on
SQLite and PostgreSQL; the census keeps past days' figures fixed while today's move."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest

from simreg.bootstrap import Simreg
from simreg.cli.census_clock import start_census_clock
from simreg.core.clock import FixedClock
from simreg.core.errors import Forbidden, InvalidInput, NotFound
from simreg.core.settings import Settings
from simreg.reporting.domain import Dimension, Figure, FigureTable, Grain, Period, Ratio
from tests.support.report_base import (
    REPORT_NOW,
    ReportBase,
    add_case,
    at,
    audit_actions,
    build_report_base,
    enrol,
    report_app,
    set_line,
)

RN = Figure.REAL_NAME_RATE
NEW = Figure.NEW_CUSTOMER_RATE
APP = Figure.APP_DEPLOYMENT_RATE
SHARE = Figure.APP_REGISTRATION_SHARE
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


def rows(table: FigureTable) -> dict[str | None, dict[Figure, Ratio]]:
    return {row.key: dict(row.figures) for row in table.rows}


def test_overall_figures_match_the_hand_count(app: Simreg, base: ReportBase) -> None:
    table = app.reports.figures(base.actors["auditor"])
    assert table.as_of == MARCH_15
    assert table.census is not None and table.census.day == MARCH_15
    assert table.census.lines_in_service == 17
    total = table.total
    assert total.figures[RN] == Ratio(10, 17)
    assert total.figures[NEW] == Ratio(10, 11)  # the 23:00 line before the cut-off is old
    assert total.figures[APP] == Ratio(1, 2)  # SOC2's only device was revoked in February
    assert total.figures[SHARE] == Ratio(3, 5)  # A4 and A5 at SOC2 came without the app
    assert total.lines is not None
    assert total.lines.legacy_unverified == 6
    assert total.lines.reverification_pending == 1
    assert total.lines.suspended == 2
    assert "report.census" in audit_actions(app)


def test_drill_down_from_province_to_outlet(app: Simreg, base: ReportBase) -> None:
    auditor = base.actors["auditor"]
    top = app.reports.figures(auditor, dimension=Dimension.ORG_UNIT)
    assert rows(top)["P"][RN] == Ratio(10, 16)
    assert rows(top)[None][RN] == Ratio(0, 1)  # line 19: no channel known
    counties = rows(app.reports.figures(auditor, dimension=Dimension.ORG_UNIT, parent="C1"))
    assert counties["K1"][RN] == Ratio(6, 10)
    assert counties["K2"][RN] == Ratio(4, 6)  # counter lines 17-18 count at SOC2
    assert counties["K1"][NEW] == Ratio(6, 7)
    assert counties["K1"][APP] == Ratio(1, 1)
    assert counties["K2"][APP] == Ratio(0, 1)
    assert counties["K1"][SHARE] == Ratio(3, 3)
    assert counties["K2"][SHARE] == Ratio(0, 2)
    channels = rows(app.reports.figures(auditor, dimension=Dimension.ORG_UNIT, parent="K1"))
    assert set(channels) == {"OWN1", "SOC1"}
    assert channels["OWN1"][RN] == Ratio(4, 6)
    assert channels["SOC1"][RN] == Ratio(2, 4)
    assert channels["SOC1"][NEW] == Ratio(2, 3)
    outlets = app.reports.figures(auditor, dimension=Dimension.ORG_UNIT, parent="SOC1")
    by_outlet = rows(outlets)
    assert by_outlet["O-SOC1A"] == {SHARE: Ratio(3, 3)}  # outlets have registration figures
    assert by_outlet["O-SOC1B"] == {SHARE: Ratio(0, 0)}
    assert outlets.total.figures[SHARE] == Ratio(3, 3)


def test_breakdowns_per_channel_and_per_kind(app: Simreg, base: ReportBase) -> None:
    auditor = base.actors["auditor"]
    channels = rows(app.reports.figures(auditor, dimension=Dimension.CHANNEL))
    assert channels["SOC2"][RN] == Ratio(4, 6)
    assert channels["SOC2"][NEW] == Ratio(4, 4)
    assert channels["OWN1"][APP] == Ratio(0, 0)  # own channels need no app
    by_kind = app.reports.figures(auditor, dimension=Dimension.KIND)
    kinds = rows(by_kind)
    # A line kind has no deployment of its own, but the table's total is the overall figure.
    assert by_kind.total.figures[APP] == Ratio(1, 2)
    assert kinds["data"][RN] == Ratio(1, 2)
    assert kinds["voice"][RN] == Ratio(9, 15)
    assert APP not in kinds["voice"]
    assert kinds["voice"][SHARE] == Ratio(3, 5)
    with pytest.raises(NotFound):
        app.reports.figures(auditor, dimension=Dimension.ORG_UNIT, parent="NOPE")


def test_a_past_day_reads_its_census_while_today_moves(
    app: Simreg, base: ReportBase, clock: FixedClock
) -> None:
    auditor = base.actors["auditor"]
    app.reports.take_census(None)  # the daily clock on 15 March
    clock.at = at("2026-03-16", 4)
    # On the 16th: two legacy lines re-register, one verified line is cancelled, SOC2 gets a
    # device, and a new over-limit document is found.
    set_line(app, base, 4, real_name_state="verified")
    set_line(app, base, 5, real_name_state="verified")
    set_line(app, base, 13, state="cancelled")
    enrol(app, base, "O-SOC2", "DEV-SOC2-NEW", at("2026-03-16", 1))
    add_case(app, base, "110105********0033", at("2026-03-16", 1))

    past = app.reports.figures(auditor, as_of=MARCH_15)
    assert past.census is not None and past.census.day == MARCH_15
    assert past.total.figures[RN] == Ratio(10, 17)
    assert past.total.figures[APP] == Ratio(1, 2)
    assert app.reports.over_limit(auditor, MARCH_15).found == 2

    today = app.reports.figures(auditor)
    assert today.census is not None and today.census.day == date(2026, 3, 16)
    assert today.total.figures[RN] == Ratio(11, 16)
    assert today.total.figures[APP] == Ratio(2, 2)
    assert app.reports.over_limit(auditor).found == 3

    # A day without a census says so and names the nearest earlier one.
    earlier = app.reports.figures(auditor, as_of=date(2026, 3, 14))
    assert earlier.census is None and earlier.nearest_census is None
    assert RN not in earlier.total.figures
    clock.at = at("2026-03-18", 4)
    gap = app.reports.figures(auditor, as_of=date(2026, 3, 17))
    assert gap.census is None and gap.nearest_census == date(2026, 3, 16)
    # Past days are never rewritten.
    with pytest.raises(InvalidInput) as refused:
        app.reports.take_census(auditor, day=MARCH_15)
    assert refused.value.code == "REPORT-CENSUS-DAY"


def test_retaking_todays_census_replaces_it(
    app: Simreg, base: ReportBase, clock: FixedClock
) -> None:
    first = app.reports.take_census(base.actors["admin"])
    set_line(app, base, 19, real_name_state="verified")
    second = app.reports.take_census(None)
    assert second.id == first.id and second.day == first.day
    table = app.reports.figures(base.actors["auditor"], as_of=MARCH_15)
    assert table.total.figures[RN] == Ratio(11, 17)


def test_a_person_asking_again_soon_gets_the_census_just_taken(
    app: Simreg, base: ReportBase, clock: FixedClock
) -> None:
    first = app.reports.take_census(base.actors["admin"])
    set_line(app, base, 19, real_name_state="verified")
    again = app.reports.take_census(base.actors["auditor"])  # a second press, a minute on
    assert (again.id, again.taken_at) == (first.id, first.taken_at)
    refreshed = app.reports.figures(base.actors["auditor"], as_of=MARCH_15, refresh=True)
    assert refreshed.total.figures[RN] == Ratio(10, 17)  # no new scan yet
    assert audit_actions(app).count("report.census") == 1
    clock.at += timedelta(minutes=3)
    later = app.reports.take_census(base.actors["auditor"])
    assert later.id == first.id and later.taken_at > first.taken_at
    table = app.reports.figures(base.actors["auditor"], as_of=MARCH_15)
    assert table.total.figures[RN] == Ratio(11, 17)
    assert audit_actions(app).count("report.census") == 2


def test_the_operator_can_make_every_press_take_a_fresh_census(
    settings: Settings, clock: FixedClock
) -> None:
    # SIMREG_REPORT_CENSUS_REFRESH_SECONDS=0: no census is handed back, however recent.
    eager = settings.model_copy(update={"report_census_refresh_seconds": 0})
    with report_app(eager, clock) as app:
        base = build_report_base(app)
        app.reports.take_census(base.actors["admin"])
        set_line(app, base, 19, real_name_state="verified")
        app.reports.take_census(base.actors["auditor"])  # the same minute
        table = app.reports.figures(base.actors["auditor"], as_of=MARCH_15)
        assert table.total.figures[RN] == Ratio(11, 17)
        assert audit_actions(app).count("report.census") == 2


def test_review_waiting_times_median_and_95th_percentile(app: Simreg, base: ReportBase) -> None:
    times = app.reports.review_times(base.actors["auditor"], Period.parse_month("2026-03"))
    # Decided in March: 10, 20, 30, 40, 50, 60 minutes (A8 was decided in February).
    assert times.overall.decided == 6
    assert times.overall.approved == 5 and times.overall.rejected == 1
    assert times.overall.median_seconds == pytest.approx(35 * 60)
    assert times.overall.p95_seconds == pytest.approx(60 * 60)
    per = {r.reviewer: r.times for r in times.per_reviewer}
    assert per["r_rev1"].median_seconds == pytest.approx(20 * 60)
    assert per["r_rev1"].p95_seconds == pytest.approx(60 * 60)
    assert per["r_rev2"].median_seconds == pytest.approx(40 * 60)
    assert per["r_rev2"].p95_seconds == pytest.approx(50 * 60)
    assert per["r_rev2"].rejected == 1
    assert times.submitted == 7
    assert times.waiting_at_end == 1


def test_over_limit_as_of_a_day_lists_masked_documents(app: Simreg, base: ReportBase) -> None:
    risk = base.actors["risk"]
    before = app.reports.over_limit(risk, date(2026, 3, 9))
    assert (before.found, before.resolved, before.open) == (2, 0, 2)
    after = app.reports.over_limit(risk, MARCH_15)
    assert (after.found, after.resolved, after.open) == (2, 1, 1)
    assert [d.doc_masked for d in after.documents] == ["110105********0022"]
    assert after.resolved_share == Ratio(1, 2)


def test_campaign_funnel_as_of_a_day(app: Simreg, base: ReportBase) -> None:
    early = app.reports.campaign_funnel(base.actors["manager"], date(2026, 3, 5))
    assert dict(early.total.steps) == {
        "targeted": 3,
        "sms_sent": 3,
        "sms_delivered": 2,
        "re_registered_after_sms": 1,
        "called": 0,
        "re_registered_after_call": 0,
        "suspended": 0,
    }
    late = app.reports.campaign_funnel(base.actors["manager"], MARCH_15)
    assert late.total.steps["called"] == 2
    assert late.total.steps["re_registered_after_call"] == 1
    assert late.total.steps["suspended"] == 1
    assert [c.name for c in late.campaigns] == ["March re-registration"]


def test_compliance_over_a_month(app: Simreg, base: ReportBase) -> None:
    report = app.reports.compliance(base.actors["manager"], Period.parse_month("2026-03"))
    total = report.total.counts
    assert total["inspections_done"] == 1 and total["inspections_failed"] == 1
    assert total["violations"] == 2 and total["fines"] == 1 and total["warnings"] == 1
    assert total["fine_yuan"] == 5000 and total["points"] == 4
    per = {r.key: r.counts for r in report.per_channel}
    assert per["SOC1"]["fine_yuan"] == 5000
    assert per["SOC2"]["warnings"] == 1 and per["SOC2"]["suspensions"] == 0


def test_series_per_day_week_and_month(app: Simreg, base: ReportBase, clock: FixedClock) -> None:
    auditor = base.actors["auditor"]
    app.reports.take_census(None)
    clock.at = at("2026-03-16", 4)
    set_line(app, base, 4, real_name_state="verified")
    app.reports.take_census(None)
    daily = app.reports.series(auditor, RN, Grain.DAY, date(2026, 3, 14), date(2026, 3, 16))
    (line,) = daily.lines
    assert [p.value for p in line.points] == [None, Ratio(10, 17), Ratio(11, 17)]
    assert line.points[1].census_day == MARCH_15
    weekly = app.reports.series(auditor, RN, Grain.WEEK, date(2026, 3, 9), date(2026, 3, 16))
    # ISO weeks: 9-15 March ends on the 15th's census; 16 March starts the next week.
    assert [p.value for p in weekly.lines[0].points] == [Ratio(10, 17), Ratio(11, 17)]
    share = app.reports.series(auditor, SHARE, Grain.MONTH, date(2026, 2, 1), date(2026, 3, 16))
    assert [p.value for p in share.lines[0].points] == [Ratio(0, 0), Ratio(3, 5)]
    per_day = app.reports.series(auditor, SHARE, Grain.DAY, date(2026, 3, 4), date(2026, 3, 5))
    assert [p.value for p in per_day.lines[0].points] == [Ratio(1, 1), Ratio(0, 1)]
    deployment = app.reports.series(auditor, APP, Grain.MONTH, date(2026, 1, 1), date(2026, 3, 16))
    # End of January: both social channels had a device; end of February: only SOC1.
    assert [p.value for p in deployment.lines[0].points] == [
        Ratio(2, 2),
        Ratio(1, 2),
        Ratio(1, 2),
    ]
    counties = app.reports.series(
        auditor, RN, Grain.DAY, MARCH_15, MARCH_15, dimension=Dimension.ORG_UNIT, parent="C1"
    )
    assert {ln.key: ln.points[0].value for ln in counties.lines} == {
        "K1": Ratio(6, 10),
        "K2": Ratio(4, 6),
    }
    resolved = app.reports.series(
        auditor, Figure.OVER_LIMIT_RESOLVED, Grain.DAY, date(2026, 3, 9), date(2026, 3, 10)
    )
    assert [p.value for p in resolved.lines[0].points] == [Ratio(0, 2), Ratio(1, 2)]


@pytest.mark.parametrize("who", ["clerk", "rev1", "calls"])
def test_roles_without_reporting_are_refused(app: Simreg, base: ReportBase, who: str) -> None:
    actor = base.actors[who]
    month = Period.parse_month("2026-03")
    for read in (
        lambda: app.reports.figures(actor),
        lambda: app.reports.series(actor, RN, Grain.DAY, MARCH_15, MARCH_15),
        lambda: app.reports.review_times(actor, month),
        lambda: app.reports.over_limit(actor),
        lambda: app.reports.campaign_funnel(actor),
        lambda: app.reports.compliance(actor, month),
        lambda: app.reports.take_census(actor),
    ):
        with pytest.raises(Forbidden):
            read()
    assert "report.census" not in audit_actions(app)


def test_future_days_are_refused(app: Simreg, base: ReportBase) -> None:
    with pytest.raises(InvalidInput) as refused:
        app.reports.figures(base.actors["auditor"], as_of=date(2026, 3, 16))
    assert refused.value.code == "REPORT-FUTURE"


def test_the_clock_beside_the_server_takes_todays_census(app: Simreg, base: ReportBase) -> None:
    stop = start_census_clock(app, every=3600)
    try:
        deadline = time.monotonic() + 30
        while app.reports.census(base.actors["auditor"], MARCH_15) is None:
            assert time.monotonic() < deadline, "no census after 30 s"
            time.sleep(0.2)
    finally:
        stop()
    census = app.reports.census(base.actors["auditor"], MARCH_15)
    assert census is not None and census.lines_in_service == 17


def test_two_census_takers_at_once_leave_one_census(app: Simreg, base: ReportBase) -> None:
    takers = [base.actors["admin"], None, base.actors["auditor"]]
    with ThreadPoolExecutor(len(takers)) as pool:
        taken = list(pool.map(lambda who: app.reports.take_census(who), takers))
    assert len({c.id for c in taken}) == 1
    table = app.reports.figures(base.actors["auditor"], as_of=MARCH_15)
    assert table.census is not None and table.census.lines_in_service == 17
    assert table.total.figures[RN] == Ratio(10, 17)  # no group counted twice
