"""Channel governance pages for channel managers: lifecycle, devices, deployment."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from simreg.channels.compliance import CHECKLIST, quarter_of
from simreg.channels.inspection_actions import GOVERNORS
from simreg.channels.services import Agreement
from simreg.core.actors import Role
from simreg.core.errors import DomainError, InvalidInput
from simreg.db.channel_store import channel_overview, deployment_figures
from simreg.db.compliance_store import inspection_board, recent_violations, rejection_patterns
from simreg.db.seller_store import REPORTERS
from simreg.staff.services import Session
from simreg.web.input_guard import checked_text, read_csv_upload
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site
from simreg.web.risk import risk_ranking

router = APIRouter(include_in_schema=False)
READERS = (*GOVERNORS, Role.AUDITOR, Role.RISK_ANALYST)


def _page(request: Request, session: Session, status_code: int = 200, **extra: Any) -> Response:
    s = site(request)
    period = (request.query_params.get("period") or quarter_of(s.simreg.clock.today())).upper()
    with s.simreg.engine.connect() as conn:
        channels = channel_overview(conn)
        figures = deployment_figures(conn)
        board = inspection_board(conn, period[:6])
        violations = recent_violations(conn, limit=20)
    ranking = risk_ranking(s.simreg)[:20]
    sellers = s.simreg.sellers.list(session.actor) if session.actor.role in REPORTERS else []
    return s.render(
        request,
        session,
        "channels/list.html",
        status_code=status_code,
        channels=channels,
        figures=figures,
        period=period,
        board=board,
        violations=violations,
        ranking=ranking,
        sellers=sellers,
        can_report=session.actor.role in REPORTERS,
        checklist=CHECKLIST,
        can_govern=session.actor.role in GOVERNORS,
        **extra,
    )


@router.get("/channels")
def channels_page(request: Request, session: PageSession) -> Response:
    allow(session, *READERS)
    return _page(request, session, done=request.query_params.get("done"))


@router.post("/channels/{code}/action")
def channel_action(
    request: Request,
    session: PageSession,
    code: str,
    action: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
    responsible_unit: Annotated[str, Form(max_length=200)] = "",
    responsible_manager: Annotated[str, Form(max_length=200)] = "",
    agreement_no: Annotated[str, Form(max_length=64)] = "",
    signed_on: Annotated[str, Form()] = "",
    valid_until: Annotated[str, Form()] = "",
    manager_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    allow(session, *GOVERNORS)
    service = site(request).simreg.channels
    try:
        for field, text in (
            ("reason", reason),
            ("responsible_unit", responsible_unit),
            ("responsible_manager", responsible_manager),
            ("agreement_no", agreement_no),
            ("manager_name", manager_name),
        ):
            checked_text(field, text)
        if action in ("terminate", "hold_to_account"):
            getattr(service, action)(
                session.actor,
                code,
                reason,
                responsible_unit=responsible_unit,
                responsible_manager=responsible_manager,
            )
        elif action == "admit":
            service.admit(
                session.actor,
                code,
                Agreement(agreement_no, _day(signed_on), _day(valid_until), manager_name),
                reason,
            )
        elif action in ("activate", "suspend", "reinstate"):
            getattr(service, action)(session.actor, code, reason)
        else:
            raise InvalidInput("Unknown action.", code="ACTION", message_zh="未知的操作。")
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return RedirectResponse(f"/channels?done={action}:{code}", status_code=303)


@router.post("/channels/devices")
def enrol_device(
    request: Request,
    session: PageSession,
    outlet: Annotated[str, Form(max_length=32)],
    serial: Annotated[str, Form(max_length=64)],
) -> Response:
    allow(session, *GOVERNORS)
    try:
        checked_text("serial", serial)
        enrolment = site(request).simreg.channels.enrol_device(session.actor, outlet, serial)
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return _page(request, session, enrolment=enrolment)


@router.post("/channels/devices/revoke")
def revoke_device(
    request: Request,
    session: PageSession,
    serial: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    allow(session, *GOVERNORS)
    try:
        checked_text("serial", serial)
        checked_text("reason", reason)
        site(request).simreg.channels.revoke_device(session.actor, serial, reason)
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return RedirectResponse(f"/channels?done=revoked:{serial}", status_code=303)


@router.post("/channels/inspections/plan")
def plan_inspections(
    request: Request,
    session: PageSession,
    period: Annotated[str, Form(max_length=8)],
    extra_draws: Annotated[int, Form(ge=0, le=1000)] = 0,
) -> Response:
    allow(session, *GOVERNORS)
    s = site(request)
    try:
        risk = {item["channel_id"]: item["score"] for item in risk_ranking(s.simreg)}
        planned = s.simreg.channels.plan_inspections(
            session.actor, period, risk=risk, extra_draws=extra_draws
        )
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return RedirectResponse(
        f"/channels?period={period.upper()}&done=planned:{len(planned)}", status_code=303
    )


@router.post("/channels/inspections/{inspection_id}")
def record_inspection(
    request: Request,
    session: PageSession,
    inspection_id: int,
    period: Annotated[str, Form(max_length=8)],
    failed: Annotated[list[str] | None, Form()] = None,
    notes: Annotated[str, Form(max_length=2000)] = "",
    evidence: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    allow(session, *GOVERNORS)
    service = site(request).simreg.channels
    limit = site(request).simreg.settings.photo_max_bytes
    try:
        checked_text("notes", notes)
        # Photos first: a bad picture refuses the whole visit before anything is recorded.
        photos = [f.file.read(limit + 1) for f in evidence or [] if f.filename]
        if service.evidence is not None:
            for data in photos:
                service.evidence.check(data)
        service.record_inspection(session.actor, inspection_id, failed or [], notes)
        for data in photos:
            service.add_evidence(session.actor, inspection_id, data)
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return RedirectResponse(f"/channels?period={period.upper()}&done=inspected", status_code=303)


@router.post("/channels/import")
def import_channels(
    request: Request, session: PageSession, file: Annotated[UploadFile, File()]
) -> Response:
    allow(session, *GOVERNORS)
    try:
        report = site(request).simreg.channels.import_rows(
            session.actor, read_csv_upload(file.file)
        )
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return _page(request, session, import_report=report)


@router.post("/channels/violations")
def record_violation(
    request: Request,
    session: PageSession,
    channel: Annotated[str, Form(max_length=32)],
    rule: Annotated[str, Form(max_length=8)],
    notes: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    allow(session, *GOVERNORS)
    try:
        checked_text("notes", notes)
        site(request).simreg.channels.record_violation(session.actor, channel, rule, notes)
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return RedirectResponse("/channels?done=violation#inspections", status_code=303)


@router.post("/channels/violations/scan")
def scan_rejections(request: Request, session: PageSession) -> Response:
    allow(session, *GOVERNORS)
    s = site(request)
    with s.simreg.engine.connect() as conn:
        patterns = rejection_patterns(conn, s.simreg.clock.now() - timedelta(days=30))
    flagged = s.simreg.channels.flag_rejection_patterns(session.actor, patterns)
    return RedirectResponse(f"/channels?done=scanned:{len(flagged)}#inspections", status_code=303)


@router.post("/channels/inspections/{inspection_id}/assign")
def assign_inspector(
    request: Request,
    session: PageSession,
    inspection_id: int,
    username: Annotated[str, Form(max_length=64)],
    period: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    allow(session, *GOVERNORS)
    try:
        site(request).simreg.channels.assign_inspector(
            session.actor, inspection_id, username.strip().lower()
        )
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return RedirectResponse(
        f"/channels?period={period.upper()}&done=assigned#inspections", status_code=303
    )


@router.post("/channels/sellers")
def report_seller(
    request: Request,
    session: PageSession,
    address: Annotated[str, Form(max_length=500)],
    platform: Annotated[str, Form(max_length=100)],
    evidence: Annotated[str, Form(max_length=4000)],
    observed_on: Annotated[str, Form()],
) -> Response:
    allow(session, *REPORTERS)
    try:
        for field, text in (("address", address), ("platform", platform), ("evidence", evidence)):
            checked_text(field, text)
        site(request).simreg.sellers.report(
            session.actor,
            address=address,
            platform=platform,
            evidence=evidence,
            observed_on=_day(observed_on),
        )
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return RedirectResponse("/channels?done=reported#sellers", status_code=303)


@router.post("/channels/sellers/{report_id}")
def seller_step(
    request: Request,
    session: PageSession,
    report_id: int,
    step: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    allow(session, *REPORTERS)
    try:
        checked_text("note", note)
        site(request).simreg.sellers.advance(session.actor, report_id, step, note)
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return RedirectResponse("/channels?done=seller#sellers", status_code=303)


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            "Dates are YYYY-MM-DD.", code="DATE-FORMAT", message_zh="日期格式为 YYYY-MM-DD。"
        ) from None
