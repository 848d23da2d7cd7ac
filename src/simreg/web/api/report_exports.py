"""The regulator's monthly report over HTTP: the XLSX or PDF of a month as a download. The
service checks the caller's role and audits every file handed out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from simreg.reporting.monthly import ExportFormat, Language
from simreg.reporting.monthly_service import MonthlyExport
from simreg.web.auth import App, CurrentActor

router = APIRouter(prefix="/api/v1/reports/monthly", tags=["reports"])
MonthPath = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]
Lang = Annotated[Language, Query(description="zh (default) or en")]


def download(export: MonthlyExport) -> Response:
    """The file as an attachment; never cached, since it carries identity data (masked) and
    a later export of the running month differs."""
    return Response(
        content=export.content,
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/{month}.xlsx",
    summary="The monthly report of a past or the current month as an Excel workbook",
    response_class=Response,
    responses={200: {"content": {ExportFormat.XLSX.media_type: {}}}},
)
def monthly_xlsx(
    app: App, actor: CurrentActor, month: MonthPath, lang: Lang = Language.ZH
) -> Response:
    return download(app.monthly_reports.export(actor, month, ExportFormat.XLSX, lang))


@router.get(
    "/{month}.pdf",
    summary="The monthly report of a past or the current month as an A4 PDF",
    response_class=Response,
    responses={200: {"content": {ExportFormat.PDF.media_type: {}}}},
)
def monthly_pdf(
    app: App, actor: CurrentActor, month: MonthPath, lang: Lang = Language.ZH
) -> Response:
    return download(app.monthly_reports.export(actor, month, ExportFormat.PDF, lang))
