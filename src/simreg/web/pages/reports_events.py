"""Report pages of event figures: review waiting times per reviewer, the over-limit IDs open
on a day (masked numbers only, RN-14), the re-registration funnel per campaign (RN-13) and
channel compliance (RN-08, RN-15); each table also as CSV."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simreg.identity.documents import DocumentType
from simreg.reporting.domain import READERS, Period
from simreg.staff.services import Session
from simreg.web.pages.rendering import negotiate_language
from simreg.web.pages.reports import as_of_of, labels, parse_day
from simreg.web.pages.reports_tables import ReportTable, csv_download
from simreg.web.pages.reports_views import (
    Labels,
    compliance_table,
    funnel_table,
    over_limit_table,
    review_table,
)
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site

router = APIRouter(include_in_schema=False)
Built = tuple[ReportTable, dict[str, Any]]


def period_of(request: Request, today: date) -> Period:
    """``month=YYYY-MM``, or ``start`` and ``end``; by default this month up to today."""
    query = request.query_params
    if query.get("month"):
        return Period.parse_month(query["month"])
    if query.get("start") or query.get("end"):
        return Period(parse_day(query.get("start"), today), parse_day(query.get("end"), today))
    return Period(today.replace(day=1), today)


def _review(request: Request, session: Session, names: Labels) -> Built:
    s = site(request)
    period = period_of(request, s.simreg.reports.today())
    report = s.simreg.reports.review_times(session.actor, period)
    return review_table(report, names), {"report": report, "period": period}


def _over_limit(request: Request, session: Session, names: Labels) -> Built:
    s = site(request)
    as_of, _today = as_of_of(request, s)
    report = s.simreg.reports.over_limit(session.actor, as_of)
    doc_types = _doc_type_labels(request, session)
    table = over_limit_table(report, names, doc_types, s.pages.localtime)
    return table, {"report": report, "as_of": as_of}


def _funnel(request: Request, session: Session, names: Labels) -> Built:
    s = site(request)
    as_of, _today = as_of_of(request, s)
    report = s.simreg.reports.campaign_funnel(session.actor, as_of)
    return funnel_table(report, names), {"report": report, "as_of": as_of}


def _compliance(request: Request, session: Session, names: Labels) -> Built:
    s = site(request)
    period = period_of(request, s.simreg.reports.today())
    report = s.simreg.reports.compliance(session.actor, period)
    return compliance_table(report, names), {"report": report, "period": period}


def _doc_type_labels(request: Request, session: Session) -> dict[str, str]:
    """Document types in the page's language, from the shared macro of every page."""
    env = site(request).pages.envs[negotiate_language(request, session.language)]
    macro = env.get_template("_macros.html").module.doc_type_label  # type: ignore[attr-defined]
    return {d.value: str(macro(d.value)).strip() for d in DocumentType}


PAGES: dict[str, tuple[Callable[[Request, Session, Labels], Built], str]] = {
    "review-times": (_review, "reports/review_times.html"),
    "over-limit": (_over_limit, "reports/over_limit.html"),
    "funnel": (_funnel, "reports/funnel.html"),
    "compliance": (_compliance, "reports/compliance.html"),
}


def _build(request: Request, session: Session, name: str) -> Built:
    allow(session, *READERS)
    build, _template = PAGES[name]
    return build(request, session, labels(request, session))


def _csv(request: Request, session: Session, name: str) -> Response:
    table, found = _build(request, session, name)
    stamp = found.get("as_of") or found["period"].start
    return csv_download(table, f"{name}-{stamp}.csv")


def _page(request: Request, session: Session, name: str) -> Response:
    table, found = _build(request, session, name)
    query = request.url.query
    return site(request).render(
        request,
        session,
        PAGES[name][1],
        table=table,
        csv_url=f"/reports/{name}.csv" + (f"?{query}" if query else ""),
        today=site(request).simreg.reports.today(),
        **found,
    )


# Fixed paths, never /reports/{name}: other report pages (/reports/exports) live beside these.
def _routes(name: str) -> None:
    def page(request: Request, session: PageSession) -> Response:
        return _page(request, session, name)

    def download(request: Request, session: PageSession) -> Response:
        return _csv(request, session, name)

    router.add_api_route(f"/reports/{name}", page, methods=["GET"])
    router.add_api_route(f"/reports/{name}.csv", download, methods=["GET"])


for _name in PAGES:
    _routes(_name)
