"""Group customer pages (RN-12) for account managers (and admins; auditors read): the
enterprises, one enterprise with its agreement, lines and actual users, and roster uploads
with their reject report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from simreg.core.actors import Role
from simreg.core.errors import DomainError, InvalidInput
from simreg.customers.bindings import BINDERS, BindActualUser, RosterReport
from simreg.customers.domain import Agreement
from simreg.customers.roster import read_roster, reject_report_csv
from simreg.customers.services import MANAGERS, READERS, NewEnterprise
from simreg.db.enterprise_queries import (
    LINE_FILTERS,
    account_managers,
    enterprise_bindings,
    enterprise_detail,
    enterprise_lines,
    list_enterprises,
    roster_rejects,
)
from simreg.staff.services import Session
from simreg.web.api.enterprises import csv_response
from simreg.web.input_guard import checked_text, read_csv_upload
from simreg.web.pages.rendering import negotiate_language
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site

router = APIRouter(include_in_schema=False)
ACTIONS = ("activate", "suspend", "reinstate", "terminate", "verify_agent")
LINES_PAGE = 500


def _list_page(
    request: Request, session: Session, status_code: int = 200, **extra: Any
) -> Response:
    s = site(request)
    with s.simreg.engine.connect() as conn:
        enterprises = list_enterprises(conn, session.actor)
    return s.render(
        request,
        session,
        "enterprises/list.html",
        status_code=status_code,
        enterprises=enterprises,
        can_manage=session.actor.role in MANAGERS,
        **extra,
    )


def _detail_page(
    request: Request,
    session: Session,
    enterprise_id: int,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    s = site(request)
    which = request.query_params.get("lines", "all")
    which = which if which in LINE_FILTERS else "all"
    actor = session.actor
    with s.simreg.engine.connect() as conn:
        enterprise = enterprise_detail(conn, actor, enterprise_id)
        after = request.query_params.get("after", "")[:11]
        number = request.query_params.get("number", "")[:20]
        found = enterprise_lines(
            conn,
            actor,
            enterprise_id,
            which=which,
            limit=LINES_PAGE + 1,
            after=after,
            number=number,
        )
        lines, next_after = found[:LINES_PAGE], None
        if len(found) > LINES_PAGE:
            next_after = lines[-1]["msisdn"]
        waiting = enterprise_bindings(conn, actor, enterprise_id, which="waiting")
        managers = account_managers(conn) if actor.role is Role.ADMIN else []
        refused = enterprise_bindings(conn, actor, enterprise_id, which="refused", limit=100)
    return s.render(
        request,
        session,
        "enterprises/detail.html",
        status_code=status_code,
        e=enterprise,
        lines=lines,
        next_after=next_after,
        managers=managers,
        line_number=number,
        which=which,
        waiting=waiting,
        refused=refused,
        can_manage=actor.role in MANAGERS,
        can_bind=actor.role in BINDERS,
        **extra,
    )


@router.get("/enterprises")
def enterprises_page(request: Request, session: PageSession) -> Response:
    allow(session, *READERS)
    return _list_page(request, session)


@router.post("/enterprises")
def create_enterprise(
    request: Request,
    session: PageSession,
    name: Annotated[str, Form(max_length=200)],
    credit_code: Annotated[str, Form(max_length=40)],
    agent_name: Annotated[str, Form(max_length=64)],
    agent_doc_number: Annotated[str, Form(max_length=40)],
    org_unit: Annotated[str, Form(max_length=32)] = "",
    agreement_no: Annotated[str, Form(max_length=64)] = "",
    signed_on: Annotated[str, Form()] = "",
    valid_until: Annotated[str, Form()] = "",
) -> Response:
    allow(session, *MANAGERS)
    form = {"name": name, "credit_code": credit_code, "org_unit": org_unit}
    form |= {"agreement_no": agreement_no, "signed_on": signed_on, "valid_until": valid_until}
    try:
        for field, text in form.items():
            checked_text(field, text)
        enterprise_id = site(request).simreg.enterprises.create(
            session.actor,
            NewEnterprise(
                name=name,
                credit_code=credit_code,
                agent_name=agent_name,
                agent_doc_number=agent_doc_number,
                org_unit=org_unit or None,
                agreement=_agreement(agreement_no, signed_on, valid_until),
            ),
        )
    except DomainError as problem:
        # The agent's identity is not sent back into the form.
        return _list_page(request, session, status_code=422, error=problem, form=form)
    return RedirectResponse(f"/enterprises/{enterprise_id}?done=created", status_code=303)


@router.get("/enterprises/{enterprise_id}")
def enterprise_page(request: Request, session: PageSession, enterprise_id: int) -> Response:
    allow(session, *READERS)
    return _detail_page(request, session, enterprise_id, done=request.query_params.get("done"))


@router.post("/enterprises/{enterprise_id}/account-manager")
def assign_manager(
    request: Request,
    session: PageSession,
    enterprise_id: int,
    username: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    allow(session, Role.ADMIN)
    try:
        checked_text("username", username)
        site(request).simreg.enterprises.assign(session.actor, enterprise_id, username)
    except DomainError as problem:
        return _detail_page(request, session, enterprise_id, status_code=422, error=problem)
    return RedirectResponse(f"/enterprises/{enterprise_id}?done=assigned", status_code=303)


@router.post("/enterprises/{enterprise_id}/agreement")
def record_agreement(
    request: Request,
    session: PageSession,
    enterprise_id: int,
    agreement_no: Annotated[str, Form(max_length=64)],
    signed_on: Annotated[str, Form()],
    valid_until: Annotated[str, Form()] = "",
) -> Response:
    allow(session, *MANAGERS)
    try:
        checked_text("agreement_no", agreement_no)
        agreement = _agreement(agreement_no, signed_on, valid_until)
        if agreement is None:
            raise InvalidInput(
                "Enter the agreement number and the day it was signed.",
                code="AGREEMENT-INVALID",
                message_zh="请填写协议编号和签订日期。",
            )
        site(request).simreg.enterprises.record_agreement(session.actor, enterprise_id, agreement)
    except DomainError as problem:
        return _detail_page(request, session, enterprise_id, status_code=422, error=problem)
    return RedirectResponse(f"/enterprises/{enterprise_id}?done=agreement", status_code=303)


@router.post("/enterprises/{enterprise_id}/action")
def enterprise_action(
    request: Request,
    session: PageSession,
    enterprise_id: int,
    action: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    allow(session, *MANAGERS)
    service = site(request).simreg.enterprises
    try:
        checked_text("reason", reason)
        if action not in ACTIONS:
            raise InvalidInput("Unknown action.", code="ACTION", message_zh="未知操作。")
        if action == "verify_agent":
            service.verify_agent(session.actor, enterprise_id)
        else:
            getattr(service, action)(session.actor, enterprise_id, reason)
    except DomainError as problem:
        return _detail_page(request, session, enterprise_id, status_code=422, error=problem)
    return RedirectResponse(f"/enterprises/{enterprise_id}?done={action}", status_code=303)


@router.post("/enterprises/{enterprise_id}/lines")
def allocate_lines(
    request: Request,
    session: PageSession,
    enterprise_id: int,
    count: Annotated[str, Form(max_length=6)] = "",
    msisdns: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    allow(session, *MANAGERS)
    try:
        checked_text("msisdns", msisdns)
        numbers = [m for m in msisdns.replace(",", " ").split() if m]
        how_many = _count(count) if count.strip() else None
        taken = site(request).simreg.enterprises.allocate_lines(
            session.actor, enterprise_id, count=how_many, msisdns=numbers or None
        )
    except DomainError as problem:
        return _detail_page(request, session, enterprise_id, status_code=422, error=problem)
    return RedirectResponse(
        f"/enterprises/{enterprise_id}?done=allocated:{len(taken)}", status_code=303
    )


@router.post("/enterprises/{enterprise_id}/bindings")
def bind_user(
    request: Request,
    session: PageSession,
    enterprise_id: int,
    msisdn: Annotated[str, Form(max_length=20)],
    doc_number: Annotated[str, Form(max_length=40)],
    name: Annotated[str, Form(max_length=64)],
    doc_type: Annotated[str, Form(max_length=40)] = "resident_id",
) -> Response:
    allow(session, *BINDERS)
    try:
        outcome = site(request).simreg.enterprises.bind(
            session.actor, enterprise_id, BindActualUser(msisdn, doc_type, doc_number, name)
        )
    except DomainError as problem:
        return _detail_page(
            request, session, enterprise_id, status_code=422, error=problem, bind_msisdn=msisdn
        )
    return RedirectResponse(
        f"/enterprises/{enterprise_id}?done=bound:{outcome.status.value}#waiting",
        status_code=303,
    )


@router.post("/enterprises/{enterprise_id}/bindings/{binding_id}/withdraw")
def withdraw_binding(
    request: Request, session: PageSession, enterprise_id: int, binding_id: int
) -> Response:
    allow(session, *BINDERS)
    try:
        site(request).simreg.enterprises.withdraw(session.actor, enterprise_id, binding_id)
    except DomainError as problem:
        return _detail_page(request, session, enterprise_id, status_code=422, error=problem)
    return RedirectResponse(f"/enterprises/{enterprise_id}?done=withdrawn#waiting", status_code=303)


@router.post("/enterprises/{enterprise_id}/bindings/{binding_id}/end")
def end_binding(
    request: Request,
    session: PageSession,
    enterprise_id: int,
    binding_id: int,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    allow(session, *BINDERS)
    try:
        checked_text("reason", reason)
        site(request).simreg.enterprises.end(session.actor, enterprise_id, binding_id, reason)
    except DomainError as problem:
        return _detail_page(request, session, enterprise_id, status_code=422, error=problem)
    return RedirectResponse(f"/enterprises/{enterprise_id}?done=ended#lines", status_code=303)


@router.post("/enterprises/{enterprise_id}/roster")
def upload_roster(
    request: Request,
    session: PageSession,
    enterprise_id: int,
    file: Annotated[UploadFile, File()],
) -> Response:
    allow(session, *BINDERS)
    try:
        rows = read_roster(read_csv_upload(file.file))
        report: RosterReport = site(request).simreg.enterprises.import_roster(
            session.actor, enterprise_id, rows
        )
    except DomainError as problem:
        return _detail_page(request, session, enterprise_id, status_code=422, error=problem)
    return _detail_page(request, session, enterprise_id, report=report)


@router.get("/enterprises/{enterprise_id}/roster")
def roster_page(request: Request, session: PageSession, enterprise_id: int) -> Response:
    # Where the upload's answer stands in the address bar (the language switch comes back here).
    allow(session, *READERS)
    return RedirectResponse(f"/enterprises/{enterprise_id}", status_code=303)


@router.get("/enterprises/{enterprise_id}/roster/{import_id}/rejects.csv")
def download_rejects(
    request: Request, session: PageSession, enterprise_id: int, import_id: int
) -> Response:
    allow(session, *READERS)
    with site(request).simreg.engine.connect() as conn:
        rejects = roster_rejects(conn, session.actor, enterprise_id, import_id)
    language = negotiate_language(request, session.language)
    return csv_response(
        reject_report_csv(rejects, language), f"rejects-{enterprise_id}-{import_id}.csv"
    )


def _agreement(number: str, signed_on: str, valid_until: str) -> Agreement | None:
    if not number.strip() and not signed_on.strip():
        return None
    return Agreement(number, _day(signed_on), _day(valid_until) if valid_until.strip() else None)


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            "Dates are YYYY-MM-DD.", code="DATE-FORMAT", message_zh="日期格式为 YYYY-MM-DD。"
        ) from None


def _count(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise InvalidInput(
            "The number of lines is a whole number.",
            code="ALLOCATION-INPUT",
            message_zh="号码数量须为整数。",
        ) from None
