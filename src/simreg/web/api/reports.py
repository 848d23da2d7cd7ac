"""Compliance figures over HTTP (what the dashboards and exports read): every figure as of a
day or over a period, and today's census. The service checks the caller's role."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from simreg.core.errors import InvalidInput
from simreg.reporting.domain import Dimension, Figure, Grain, Period
from simreg.web.auth import App, CurrentActor

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Code = Annotated[str | None, Query(max_length=32, pattern=r"^[^\x00-\x1f\x7f]*$")]
MonthText = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]


def _period(month: str | None, start: date | None, end: date | None) -> Period:
    if month:
        return Period.parse_month(month)
    if start is None or end is None:
        raise InvalidInput(
            "Give a month (YYYY-MM), or a start and an end day.",
            code="REPORT-PERIOD",
            message_zh="请提供月份（YYYY-MM）或起止日期。",
        )
    return Period(start, end)


@router.get("/figures", summary="Every figure as of the end of a day, per dimension row")
def figures(
    app: App,
    actor: CurrentActor,
    as_of: date | None = None,
    dimension: Dimension = Dimension.OVERALL,
    parent: Code = None,
    refresh: bool = False,
) -> dict[str, Any]:
    return app.reports.figures(
        actor, as_of=as_of, dimension=dimension, parent=parent, refresh=refresh
    ).as_dict()


@router.get("/series", summary="One figure per day, ISO week or month over a range")
def series(
    app: App,
    actor: CurrentActor,
    figure: Figure,
    start: date,
    end: date,
    grain: Grain = Grain.MONTH,
    dimension: Dimension = Dimension.OVERALL,
    parent: Code = None,
) -> dict[str, Any]:
    return app.reports.series(
        actor, figure, grain, start, end, dimension=dimension, parent=parent
    ).as_dict()


@router.post("/census", summary="Take (or refresh) today's census of the lines in service")
def take_census(app: App, actor: CurrentActor) -> dict[str, Any]:
    return app.reports.take_census(actor).as_dict()


@router.get("/census/{day}", summary="The census stored for a day, if one was taken")
def census(app: App, actor: CurrentActor, day: date) -> dict[str, Any]:
    found = app.reports.census(actor, day)
    return {"day": day.isoformat(), "census": found.as_dict() if found else None}


@router.get(
    "/review-times",
    summary="Review throughput and waiting times over a period, per dimension row if asked",
)
def review_times(
    app: App,
    actor: CurrentActor,
    month: MonthText = None,
    start: date | None = None,
    end: date | None = None,
    dimension: Dimension | None = None,
    parent: Code = None,
) -> dict[str, Any]:
    return app.reports.review_times(
        actor, _period(month, start, end), dimension=dimension, parent=parent
    ).as_dict()


@router.get(
    "/over-limit",
    summary="RN-14 cases as of a day, open documents masked; per org unit or channel if asked",
)
def over_limit(
    app: App,
    actor: CurrentActor,
    as_of: date | None = None,
    dimension: Dimension | None = None,
    parent: Code = None,
) -> dict[str, Any]:
    return app.reports.over_limit(actor, as_of, dimension=dimension, parent=parent).as_dict()


@router.get("/campaign-funnel", summary="RN-13 funnels as of a day")
def campaign_funnel(app: App, actor: CurrentActor, as_of: date | None = None) -> dict[str, Any]:
    return app.reports.campaign_funnel(actor, as_of).as_dict()


@router.get(
    "/compliance",
    summary="Inspections, violations and penalties over a period, per channel and per "
    "dimension row if asked (org units drill down to channels)",
)
def compliance(
    app: App,
    actor: CurrentActor,
    month: MonthText = None,
    start: date | None = None,
    end: date | None = None,
    dimension: Dimension | None = None,
    parent: Code = None,
) -> dict[str, Any]:
    return app.reports.compliance(
        actor, _period(month, start, end), dimension=dimension, parent=parent
    ).as_dict()
