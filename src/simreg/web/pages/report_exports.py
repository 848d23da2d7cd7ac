"""The regulator's monthly reports in the back office (`/reports/exports`): the current month
and the twelve before it with the census each would read, XLSX and PDF links in either
language, and a form for any earlier month. Downloads go through the same audited service as
`/api/v1/reports/monthly/...`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from simreg.reporting.domain import READERS
from simreg.reporting.monthly import ExportFormat, Language, parse_month
from simreg.web.api.report_exports import download
from simreg.web.pages.rendering import negotiate_language
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site

router = APIRouter(include_in_schema=False)


def _language(request: Request, raw: str | None, preferred: str | None) -> Language:
    """The language asked for, else the page's own."""
    return Language.parse(raw or negotiate_language(request, preferred))


@router.get("/reports/exports")
def exports(request: Request, session: PageSession) -> Response:
    allow(session, *READERS)
    s = site(request)
    months = s.simreg.monthly_reports.months(session.actor)
    return s.render(
        request,
        session,
        "report_exports/list.html",
        months=months,
        today=s.simreg.reports.today(),
        operator=s.simreg.settings.operator_name,
        page_language=negotiate_language(request, session.language),
    )


@router.get("/reports/exports/file")
def export_form(request: Request, session: PageSession) -> Response:
    """The form's month, format and language, sent on to the file's own address."""
    allow(session, *READERS)
    query = request.query_params
    period = parse_month(query.get("month", ""))
    fmt = ExportFormat.parse(query.get("format", "xlsx"))
    language = _language(request, query.get("lang"), session.language)
    target = f"/reports/exports/{period.start:%Y-%m}.{fmt.value}?lang={language.value}"
    return RedirectResponse(target, status_code=303)


@router.get("/reports/exports/{month}.xlsx")
def export_xlsx(request: Request, session: PageSession, month: str) -> Response:
    language = _language(request, request.query_params.get("lang"), session.language)
    s = site(request)
    return download(
        s.simreg.monthly_reports.export(session.actor, month, ExportFormat.XLSX, language)
    )


@router.get("/reports/exports/{month}.pdf")
def export_pdf(request: Request, session: PageSession, month: str) -> Response:
    language = _language(request, request.query_params.get("lang"), session.language)
    s = site(request)
    return download(
        s.simreg.monthly_reports.export(session.actor, month, ExportFormat.PDF, language)
    )
