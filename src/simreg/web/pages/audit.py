"""Audit search and CSV export for auditors and the back-office."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from simreg.core.errors import DomainError, InvalidInput
from simreg.core.spreadsheet import formula_safe
from simreg.db.audit_queries import (
    AUDIT_READERS,
    AuditFilter,
    audit_actions,
    record_person_search,
    search_audit,
    stream_audit,
)
from simreg.identity.documents import document_index, parse_document
from simreg.lines.domain import parse_msisdn
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import Site, site

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 200


def _day(raw: str, zone: ZoneInfo, *, end: bool) -> datetime | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            "Dates are YYYY-MM-DD.", code="DATE-FORMAT", message_zh="日期格式为 YYYY-MM-DD。"
        ) from None
    start = datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=zone)
    return start


def _filter(s: Site, params: dict[str, str]) -> AuditFilter:
    zone = s.pages.zone
    doc_index = None
    if params.get("document_number", "").strip():
        document = parse_document(
            params.get("document_type") or "resident_id",
            params["document_number"],
            today=s.simreg.clock.today(),
        )
        doc_index = document_index(s.simreg.vault, document)
    msisdn = parse_msisdn(params["msisdn"]) if params.get("msisdn", "").strip() else None
    return AuditFilter(
        doc_index=doc_index,
        msisdn=msisdn,
        staff=params.get("staff", "").strip().lower() or None,
        channel=params.get("channel", "").strip() or None,
        action=params.get("action", "").strip() or None,
        since=_day(params.get("since", ""), zone, end=False),
        until=_day(params.get("until", ""), zone, end=True),
    )


@router.get("/audit")
def audit_page(request: Request, session: PageSession) -> Response:
    allow(session, *AUDIT_READERS)
    return _search_page(request, session, _address_params(request))


def _address_params(request: Request) -> dict[str, str]:
    """Filters given in the address (links, bookmarks), without a document number: one in
    an address stays in the browser's history and any proxy's log, so it is refused."""
    params = dict(request.query_params)
    if params.get("document_number", "").strip():
        raise InvalidInput(
            "Search by document number with the search form, not in the address.",
            code="AUDIT-DOCUMENT-IN-ADDRESS",
            message_zh="请在查询表单中按证件号码查询，不要放在网址中。",
        )
    return params


# The search form posts: a document number typed into it stays out of the address bar, the
# browser's history, a login redirect's "next" and any proxy's log.
@router.post("/audit")
async def audit_search(request: Request, session: PageSession) -> Response:
    return _search_page(request, session, await _form(request))


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _search_page(request: Request, session: PageSession, params: dict[str, str]) -> Response:
    allow(session, *AUDIT_READERS)
    s = site(request)
    rows: list[dict[str, Any]] = []
    error = None
    try:
        query = _filter(s, params)
        with s.simreg.engine.connect() as conn:
            rows = search_audit(conn, session.actor, query, PAGE_ROWS)
            actions = audit_actions(conn)
        if query.doc_index is not None or query.msisdn is not None:
            with s.simreg.engine.begin() as conn:
                record_person_search(conn, session.actor, query, s.simreg.clock.now(), export=False)
    except DomainError as problem:
        error = problem
        with s.simreg.engine.connect() as conn:
            actions = audit_actions(conn)
    return s.render(
        request,
        session,
        "audit/search.html",
        rows=rows,
        params=params,
        error=error,
        actions=actions,
        page_rows=PAGE_ROWS,
    )


@router.get("/audit.csv")
def audit_csv(request: Request, session: PageSession) -> Response:
    allow(session, *AUDIT_READERS)
    return _csv(request, session, _address_params(request))


@router.post("/audit.csv")
async def audit_csv_posted(request: Request, session: PageSession) -> Response:
    return _csv(request, session, await _form(request))


def _csv(request: Request, session: PageSession, params: dict[str, str]) -> Response:
    allow(session, *AUDIT_READERS)
    s = site(request)
    query = _filter(s, params)
    if query.doc_index is not None or query.msisdn is not None:
        with s.simreg.engine.begin() as conn:
            record_person_search(conn, session.actor, query, s.simreg.clock.now(), export=True)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        buffer.write("\ufeff")  # so spreadsheet programs read the Chinese text as UTF-8
        writer = csv.writer(buffer)
        writer.writerow(
            [
                "at",
                "action",
                "outcome",
                "codes",
                "staff",
                "channel",
                "outlet",
                "device",
                "registration",
                "msisdn",
                "details",
            ]
        )
        yield buffer.getvalue()  # the header even when nothing matches
        buffer.seek(0)
        buffer.truncate()
        with s.simreg.engine.connect() as conn:
            for row in stream_audit(conn, session.actor, query):
                writer.writerow(
                    formula_safe(cell)
                    for cell in [
                        s.pages.localtime(row["at"], "%Y-%m-%d %H:%M:%S"),
                        row["action"],
                        row["outcome"],
                        row["codes"],
                        row["staff"] or "",
                        row["channel"] or "",
                        row["outlet"] or "",
                        row["device"] or "",
                        row["registration_id"] or "",
                        row["msisdn"] or "",
                        json.dumps(row["details"], ensure_ascii=False),
                    ]
                )
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()

    stamp = s.simreg.clock.now().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="simreg-audit-{stamp}.csv"'},
    )
