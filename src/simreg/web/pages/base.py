"""Legacy base pages: the real-name figures with drill-down through the org tree, and the
RN-14 worklist where risk analysts resolve documents holding too many lines."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from simreg.core.errors import DomainError, NotFound
from simreg.db.base_figures import CLASSES, org_unit_exists, real_name_figures
from simreg.db.over_limit_store import case_detail, list_cases
from simreg.identity.documents import DocumentType
from simreg.legacy.over_limit import READERS, RESOLVERS, LineAction, ProposedDecision
from simreg.staff.services import Session
from simreg.web.errors import status_for
from simreg.web.input_guard import checked_text
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site

router = APIRouter(include_in_schema=False)
SORTABLE = ("name", "rate", *CLASSES)
CHANNEL_ROWS = 200  # the worst first: a province has thousands of channels


def _sorted(rows: list[dict[str, Any]], sort: str, descending: bool) -> list[dict[str, Any]]:
    def key(row: dict[str, Any]) -> tuple[bool, Any]:
        value = row.get(sort) if sort != "name" else (row.get("name") or "")
        return (value is None, value if value is not None else 0)

    ordered = sorted(rows, key=key, reverse=descending)
    # Rows without a value (no lines, so no rate) stay at the end whichever the direction.
    return [r for r in ordered if key(r)[0] is False] + [r for r in ordered if key(r)[0]]


@router.get("/base")
def figures_page(request: Request, session: PageSession) -> Response:
    allow(session, *READERS)
    s = site(request)
    raw_unit = request.query_params.get("unit", "")
    unit = int(raw_unit) if raw_unit.isdigit() else None
    sort = request.query_params.get("sort", "rate")
    sort = sort if sort in SORTABLE else "rate"
    descending = request.query_params.get("dir", "asc" if sort in ("rate", "name") else "desc")
    descending_flag = descending == "desc"
    with s.simreg.engine.connect() as conn:
        if unit is not None and not org_unit_exists(conn, unit):
            # Not the whole network's figures under a unit that does not exist.
            raise NotFound(
                "No such organisation unit.",
                code="ORG-UNIT-NOT-FOUND",
                message_zh="组织单元不存在。",
            )
        figures = real_name_figures(
            conn, session.actor, per_id_limit=s.simreg.settings.per_id_limit, org_unit_id=unit
        )
    units = {u["org_unit_id"]: u for u in figures["per_org_unit"]}
    if unit is not None and unit not in units:
        unit = None
    trail: list[dict[str, Any]] = []
    at = unit
    while at is not None and at in units and len(trail) < 5:
        trail.insert(0, units[at])
        at = units[at]["parent_id"]
    children = [
        u
        for u in figures["per_org_unit"]
        if (u["parent_id"] == unit and u["org_unit_id"] is not None)
        or (unit is None and u["org_unit_id"] is None)
    ]
    channels = _sorted(figures["per_channel"], sort, descending_flag)
    return s.render(
        request,
        session,
        "base_lines/figures.html",
        figures=figures,
        scope=units.get(unit) if unit is not None else None,
        trail=trail,
        children=_sorted(children, sort, descending_flag),
        channels=channels[:CHANNEL_ROWS],
        channel_count=len(channels),
        sort=sort,
        descending=descending_flag,
        unit=unit,
        can_resolve=session.actor.role in RESOLVERS,
    )


@router.get("/base/over-limit")
def worklist(request: Request, session: PageSession) -> Response:
    allow(session, *READERS)
    s = site(request)
    status = "resolved" if request.query_params.get("status") == "resolved" else "open"
    with s.simreg.engine.connect() as conn:
        cases = list_cases(conn, session.actor, status=status)
        other = list_cases(
            conn, session.actor, status="open" if status == "resolved" else "resolved", limit=1
        )
    found = request.query_params.get("found")
    return s.render(
        request,
        session,
        "base_lines/worklist.html",
        cases=cases,
        other_total=other["total"],
        found=int(found) if found and found.isdigit() else None,
        per_id_limit=s.simreg.settings.per_id_limit,
        can_resolve=session.actor.role in RESOLVERS,
    )


@router.post("/base/over-limit/find")
def find(request: Request, session: PageSession) -> Response:
    allow(session, *RESOLVERS)
    opened = site(request).simreg.over_limit.find(session.actor)
    return RedirectResponse(f"/base/over-limit?found={opened}", status_code=303)


def _case_page(
    request: Request,
    session: Session,
    case_id: int,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    s = site(request)
    with s.simreg.engine.connect() as conn:
        case = case_detail(conn, session.actor, case_id)
    return s.render(
        request,
        session,
        "base_lines/case.html",
        status_code=status_code,
        case=case,
        form=form or {},
        actions=list(LineAction),
        doc_types=[d for d in DocumentType if d.is_personal],
        per_id_limit=s.simreg.settings.per_id_limit,
        can_resolve=session.actor.role in RESOLVERS and case["status"] == "open",
        done=request.query_params.get("done"),
        **extra,
    )


@router.get("/base/over-limit/{case_id}")
def case_page(request: Request, session: PageSession, case_id: int) -> Response:
    allow(session, *READERS)
    return _case_page(request, session, case_id)


@router.get("/base/over-limit/{case_id}/receiver/{line_id}")
def receiver_fields(request: Request, session: PageSession, case_id: int, line_id: int) -> Response:
    """The htmx fragment under a line: receiver fields when the choice is transfer."""
    allow(session, *RESOLVERS)
    transfer = request.query_params.get(f"action_{line_id}") == LineAction.TRANSFER.value
    return site(request).render(
        request,
        session,
        "base_lines/_receiver.html",
        line_id=line_id,
        transfer=transfer,
        form={},
        doc_types=[d for d in DocumentType if d.is_personal],
    )


@router.post("/base/over-limit/{case_id}/document")
def reveal_document(request: Request, session: PageSession, case_id: int) -> Response:
    allow(session, *RESOLVERS)
    number = site(request).simreg.over_limit.reveal_document(session.actor, case_id)
    return _case_page(request, session, case_id, full_number=number)


@router.post("/base/over-limit/{case_id}/resolve")
async def resolve(request: Request, session: PageSession, case_id: int) -> Response:
    allow(session, *RESOLVERS)
    s = site(request)
    submitted = await request.form()
    form = {k: v for k, v in submitted.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        for name, value in form.items():
            checked_text(name, value)
        line_ids = sorted(
            int(k.removeprefix("action_"))
            for k in form
            if k.startswith("action_") and k.removeprefix("action_").isdigit()
        )
        proposed = [
            ProposedDecision(
                line_id,
                form.get(f"action_{line_id}", ""),
                form.get(f"doc_type_{line_id}", ""),
                form.get(f"doc_number_{line_id}", ""),
                form.get(f"name_{line_id}", ""),
            )
            for line_id in line_ids
            if form.get(f"action_{line_id}")
        ]
        s.simreg.over_limit.resolve(session.actor, case_id, proposed, notes=form.get("notes"))
    except DomainError as problem:
        return _case_page(
            request, session, case_id, status_code=status_for(problem), form=form, error=problem
        )
    return RedirectResponse(f"/base/over-limit/{case_id}?done=resolved", status_code=303)
