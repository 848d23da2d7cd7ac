"""Report dashboards (issue 7): the overview as of a day, the drill-down from province to
outlet (and per channel, per line kind), the chart of a figure over time, and each table as
CSV. Everything comes from ``Simreg.reports``; line-state figures from the stored census only,
so a page costs the same on ten million lines as on ten thousand (ADR 12).

A page never takes a census by itself: on millions of lines that is a scan of seconds. When
today has none yet, the page says so and offers the button that takes it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from simreg.core.errors import DomainError, InvalidInput, NotFound
from simreg.db.report_queries import SqlReportTransaction
from simreg.reporting.domain import (
    CENSUS_TAKERS,
    READERS,
    Dimension,
    Figure,
    FigureTable,
    Grain,
    Period,
)
from simreg.staff.services import Session
from simreg.web.pages.rendering import negotiate_language
from simreg.web.pages.reports_tables import csv_download
from simreg.web.pages.reports_views import (
    Labels,
    figure_table,
    rows_chart,
    series_chart,
    series_table,
)
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import Site, site

router = APIRouter(include_in_schema=False)
VIEWS = (Dimension.ORG_UNIT, Dimension.CHANNEL, Dimension.KIND)
SERIES_SPAN = {Grain.DAY: 29, Grain.WEEK: 7 * 12, Grain.MONTH: 365}  # the default range
CODE = re.compile(r"^[\w.\-]{1,32}$")


def labels(request: Request, session: Session) -> Labels:
    language = negotiate_language(request, session.language)
    module = site(request).pages.envs[language].get_template("reports/_labels.html").module
    return Labels.of(module)


def parse_day(raw: str | None, default: date) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            "A day is written YYYY-MM-DD.",
            code="REPORT-DATE",
            message_zh="日期格式为 YYYY-MM-DD。",
        ) from None


def as_of_of(request: Request, s: Site) -> tuple[date, date]:
    """The day the page stands for (default today) and today, in the operator's timezone."""
    today = s.simreg.reports.today()
    return parse_day(request.query_params.get("as_of"), today), today


def figures_as_of(
    s: Site,
    session: Session,
    as_of: date,
    today: date,
    dimension: Dimension = Dimension.OVERALL,
    parent: str | None = None,
) -> FigureTable | None:
    """The figures table, or None when ``as_of`` is today and no census was taken yet (the
    service would take one on the spot; the page offers the button instead)."""
    reports = s.simreg.reports
    if as_of == today and reports.census(session.actor, today) is None:
        return None
    return reports.figures(session.actor, as_of=as_of, dimension=dimension, parent=parent)


@router.get("/reports")
def overview(request: Request, session: PageSession) -> Response:
    allow(session, *READERS)
    s = site(request)
    reports = s.simreg.reports
    actor = session.actor
    as_of, today = as_of_of(request, s)
    table = figures_as_of(s, session, as_of, today)
    month = Period(as_of.replace(day=1), as_of)
    chart, chart_error, points = _series(request, s, session, as_of)
    return s.render(
        request,
        session,
        "reports/overview.html",
        as_of=as_of,
        today=today,
        table=table,
        over_limit=reports.over_limit(actor, as_of, with_documents=False),
        review=reports.review_times(actor, month),
        month=month,
        funnel=reports.campaign_funnel(actor, as_of),
        chart=chart,
        chart_error=chart_error,
        points=points,
        figures=list(Figure),
        grains=list(Grain),
        can_take_census=actor.role in CENSUS_TAKERS,
        done=request.query_params.get("done"),
    )


def _series(
    request: Request, s: Site, session: Session, as_of: date
) -> tuple[dict[str, Any] | None, DomainError | None, Any]:
    """The chart of the chosen figure; a bad range shows its reason beside the chart rather
    than taking the whole page down."""
    query = request.query_params
    names = labels(request, session)
    try:
        figure = Figure(query.get("figure") or Figure.REAL_NAME_RATE.value)
        grain = Grain(query.get("grain") or Grain.DAY.value)
        end = parse_day(query.get("end"), as_of)
        start = parse_day(query.get("start"), end - timedelta(days=SERIES_SPAN[grain]))
        series = s.simreg.reports.series(session.actor, figure, grain, start, end)
    except ValueError:
        error = InvalidInput(
            "Choose a figure and a daily, weekly or monthly grain.",
            code="REPORT-SERIES",
            message_zh="请选择指标以及按日、周或月统计。",
        )
        return None, error, None
    except DomainError as problem:
        return None, problem, None
    chart = series_chart(series, names)
    chart["chosen"] = {
        "figure": figure.value,
        "grain": grain.value,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    return chart, None, series_table(series, names)


@router.get("/reports/series.csv")
def series_csv(request: Request, session: PageSession) -> Response:
    allow(session, *READERS)
    s = site(request)
    as_of, _today = as_of_of(request, s)
    chart, error, points = _series(request, s, session, as_of)
    if error is not None or chart is None:
        raise error or InvalidInput("No series.", code="REPORT-SERIES")
    chosen = chart["chosen"]
    name = f"{chosen['figure']}-{chosen['grain']}-{chosen['start']}-{chosen['end']}.csv"
    return csv_download(points, name)


@router.post("/reports/census")
def take_census(request: Request, session: PageSession) -> Response:
    allow(session, *CENSUS_TAKERS)
    census = site(request).simreg.reports.take_census(session.actor)
    return RedirectResponse(f"/reports?done=census:{census.day.isoformat()}", status_code=303)


# -- drill-down -------------------------------------------------------------------------------


def _breakdown(request: Request, s: Site, session: Session) -> dict[str, Any]:
    query = request.query_params
    try:
        view = Dimension(query.get("view") or Dimension.ORG_UNIT.value)
    except ValueError:
        view = Dimension.ORG_UNIT
    if view not in VIEWS:
        view = Dimension.ORG_UNIT
    parent = query.get("parent") or None
    if parent is not None and (view is Dimension.KIND or not CODE.match(parent)):
        raise NotFound(
            "Nothing to drill into under that code for this breakdown.",
            code="REPORT-PARENT",
            message_zh="找不到可下钻的上级单位或渠道。",
        )
    as_of, today = as_of_of(request, s)
    table = figures_as_of(s, session, as_of, today, view, parent)
    return {"view": view, "parent": parent, "as_of": as_of, "today": today, "table": table}


@router.get("/reports/breakdown")
def breakdown(request: Request, session: PageSession) -> Response:
    allow(session, *READERS)
    s = site(request)
    found = _breakdown(request, s, session)
    table: FigureTable | None = found["table"]
    names = labels(request, session)
    query = {"as_of": found["as_of"].isoformat()}
    return s.render(
        request,
        session,
        "reports/breakdown.html",
        **found,
        views=VIEWS,
        rows=figure_table(table, names, found["view"].value, query) if table else None,
        chart=rows_chart(table, names) if table and table.rows else None,
        trail=_trail(s, found["view"], found["parent"]),
        can_take_census=session.actor.role in CENSUS_TAKERS,
    )


@router.get("/reports/breakdown.csv")
def breakdown_csv(request: Request, session: PageSession) -> Response:
    allow(session, *READERS)
    s = site(request)
    found = _breakdown(request, s, session)
    table: FigureTable | None = found["table"]
    if table is None:
        raise NotFound(
            "No census of today yet: take it on the reports page first.",
            code="REPORT-NO-CENSUS",
            message_zh="今天尚未生成普查，请先在报表页面生成。",
        )
    view = found["view"].value
    rows = figure_table(table, labels(request, session), view, {})
    stem = "-".join(p for p in ("figures", view, found["parent"], str(found["as_of"])) if p)
    return csv_download(rows, f"{re.sub(r'[^A-Za-z0-9_.-]', '_', stem)}.csv")


def _trail(s: Site, view: Dimension, parent: str | None) -> list[tuple[str, str]]:
    """The breadcrumb above ``parent``: (code, label) from the top down, the parent last."""
    if parent is None:
        return []
    with s.simreg.engine.connect() as conn:
        directory = SqlReportTransaction(conn).directory()
    units = {u.id: u for u in directory.units}
    channel = next((c for c in directory.channels if c.code == parent), None)
    unit = next((u for u in directory.units if u.code == parent), None)
    trail: list[tuple[str, str]] = []
    if view is Dimension.ORG_UNIT and unit is not None:
        channel = None
    if channel is not None:
        trail.append((channel.code, channel.name))
        unit = units.get(channel.org_unit_id) if channel.org_unit_id is not None else None
        if view is Dimension.CHANNEL:
            return trail
    seen: set[int] = set()
    while unit is not None and unit.id not in seen:
        seen.add(unit.id)
        trail.insert(0, (unit.code, unit.name))
        unit = units.get(unit.parent_id) if unit.parent_id is not None else None
    return trail
