"""The channel real-name app: pick a number, enter the document, photograph it, submit."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from simreg.channels.domain import ChannelKind
from simreg.core.actors import Role
from simreg.core.errors import (
    DomainError,
    InvalidInput,
    RuleViolated,
    TooManyRequests,
    Violation,
)
from simreg.db import queries
from simreg.db.directory import device_for_token, device_outlet
from simreg.db.repositories import SqlRegistrationTransaction, live_resubmission
from simreg.identity.documents import DocumentInvalid, DocumentType
from simreg.lines.domain import LineKind
from simreg.policy.rules import check_channel
from simreg.registration.domain import RegistrationSource
from simreg.registration.services import SubmitRegistration, resubmission_refusal
from simreg.staff.services import Session
from simreg.web.input_guard import checked_text
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site

router = APIRouter(include_in_schema=False)
DEVICE_COOKIE = "simreg_device"


def _with_device(request: Request, session: Session) -> Session:
    """The app device this browser was enrolled as (RN-09), from its long-lived cookie."""
    token = request.cookies.get(DEVICE_COOKIE)
    if not token:
        return session
    simreg = site(request).simreg
    with simreg.engine.connect() as conn:
        device_id = device_for_token(conn, simreg.vault.tokens, token)
        if device_id is not None and device_outlet(conn, device_id) != session.actor.outlet_id:
            # A cookie left from another outlet (a clerk moved, a shared terminal): not this
            # outlet's device, so not presented. A hall needs none; a social outlet is asked
            # to enrol its own (RN-09), rather than every submission failing on a device the
            # clerk cannot see.
            device_id = None
    return replace(session, actor=replace(session.actor, device_id=device_id))


PAGE_SIZE = 50


@router.get("/app")
def my_registrations(
    request: Request, session: PageSession, state: str | None = None, page: int = 1
) -> Response:
    allow(session, Role.CLERK)
    s = site(request)
    page = max(1, min(page, 10_000))
    with s.simreg.engine.connect() as conn:
        # One more than a page: whether there are older ones to page to.
        items = queries.list_registrations(
            conn,
            session.actor,
            state=state or None,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
    _social, barred = _outlet_standing(request, session)
    return s.render(
        request,
        session,
        "clerk/home.html",
        items=items[:PAGE_SIZE],
        page=page,
        older=len(items) > PAGE_SIZE,
        state=state or "",
        barred=[v for v in barred if v.code == "RN-08"],
        # Only a social outlet needs an enrolled app device (RN-09), and only one that may
        # register at all: a hall, or a sub-agent, is not told to enrol one.
        needs_device=bool(barred) and all(v.code == "RN-09" for v in barred),
    )


def _outlet_standing(request: Request, session: Session) -> tuple[bool, list[Violation]]:
    """Whether the clerk's outlet is a social one, and what stops it registering anyone now
    (RN-08, RN-09), said before a form is filled in: the check a submission and a
    reservation run."""
    actor = _with_device(request, session).actor
    if actor.outlet_id is None:
        return False, []
    with site(request).simreg.engine.connect() as conn:
        channel, outlet, device = SqlRegistrationTransaction(conn).channel_context(
            actor.outlet_id, actor.device_id
        )
    return channel.kind is ChannelKind.SOCIAL, check_channel(channel, outlet, device)


def _form_context(request: Request, session: Session, **extra: Any) -> dict[str, Any]:
    s = site(request)
    with s.simreg.engine.connect() as conn:
        numbers = queries.available_numbers(conn, kind=None, contains=None, limit=12)
    social, barred = _outlet_standing(request, session)
    return {
        "numbers": numbers,
        # RN-07: a social outlet takes the 2nd-generation resident ID only.
        "document_types": [DocumentType.RESIDENT_ID] if social else list(DocumentType),
        "values": {},
        "violations": [],
        "barred": barred,
        **extra,
    }


@router.get("/app/new")
def new_registration(
    request: Request, session: PageSession, resubmit: str | None = None
) -> Response:
    allow(session, Role.CLERK)
    s = site(request)
    values: dict[str, Any] = {}
    previous = None
    extra: dict[str, Any] = {}
    if resubmit:
        with s.simreg.engine.connect() as conn:
            previous = queries.registration_detail(conn, session.actor, resubmit)
            # The customer keeps the number they chose, if no one has taken it since.
            same = queries.available_numbers(conn, kind=None, contains=previous["msisdn"], limit=1)
            corrected = live_resubmission(conn, previous["id"])
        # Said before the form is filled in and the photos taken, not at submission.
        refusal = resubmission_refusal(previous["state"], corrected)
        if refusal is not None:
            return s.render(
                request,
                session,
                "clerk/new.html",
                status_code=409,
                **_form_context(request, session, error=refusal),
            )
        values = {
            "document_type": previous["customer"]["document_type"],
            "resubmission_of": previous["id"],
        }
        if previous["source"] == RegistrationSource.COUNTER_REREG.value:
            # The line is the holder's, in service: it is re-registered again, not sold.
            values.update(msisdn=previous["msisdn"], reregistration=True)
        elif same:
            values["msisdn"] = previous["msisdn"]
            extra["numbers"] = same
    return s.render(
        request,
        session,
        "clerk/new.html",
        **_form_context(request, session, values=values, previous=previous, **extra),
    )


@router.get("/app/reregister")
def reregister_number(request: Request, session: PageSession, msisdn: str = "") -> Response:
    """A legacy line in service re-registered at the counter (RN-13): the number first, then
    the same form as a new registration, with the number fixed."""
    allow(session, Role.CLERK)
    s = site(request)
    actor = _with_device(request, session).actor
    if not msisdn.strip():
        return s.render(request, session, "clerk/reregister.html", violations=[], msisdn="")
    try:
        checked_text("msisdn", msisdn)
        # Whether a number has real-name data is asked one customer at a time, like a document.
        s.simreg.shop.throttle.document_lookup(session.actor.staff_id)
        line = s.simreg.registrations.check_reregistration(actor, msisdn)
    except DomainError as refusal:
        return s.render(
            request,
            session,
            "clerk/reregister.html",
            status_code=429 if isinstance(refusal, TooManyRequests) else 422,
            violations=_as_violations(refusal),
            msisdn=msisdn,
        )
    values = {"msisdn": line.msisdn, "reregistration": True}
    return s.render(
        request, session, "clerk/new.html", **_form_context(request, session, values=values)
    )


def _as_violations(refusal: DomainError) -> list[Violation]:
    if isinstance(refusal, RuleViolated):
        return list(refusal.violations)
    return [Violation(refusal.code, refusal.message, refusal.message_zh)]


@router.get("/app/numbers")
def number_choices(
    request: Request, session: PageSession, contains: str = "", kind: str = ""
) -> Response:
    allow(session, Role.CLERK)
    s = site(request)
    digits = "".join(ch for ch in contains if ch.isdigit())[:11]
    with s.simreg.engine.connect() as conn:
        numbers = queries.available_numbers(
            conn,
            kind=LineKind(kind) if kind in ("voice", "data") else None,
            contains=digits or None,
            limit=12,
        )
    return s.render(request, session, "clerk/_numbers.html", numbers=numbers, selected="")


@router.post("/app/check-document")
def check_document(
    request: Request,
    session: PageSession,
    document_type: Annotated[str, Form()] = "resident_id",
    document_number: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    allow(session, Role.CLERK)
    s = site(request)
    result: dict[str, Any] = {}
    if document_number.strip():
        try:
            checked_text("document_number", document_number)
            check = s.simreg.registrations.check_document(
                session.actor, document_type, document_number
            )
            # Counted only once the number is complete and valid (not at every keystroke),
            # and the count it holds is shown only within the clerk's allowance.
            s.simreg.shop.throttle.document_lookup(session.actor.staff_id)
            result["check"] = check
        except DocumentInvalid as problem:
            result["problem"] = problem
        except (InvalidInput, TooManyRequests, RuleViolated) as problem:
            result["problem"] = problem
    return s.render(request, session, "clerk/_doccheck.html", **result)


@router.post("/app/registrations")
def submit(
    request: Request,
    session: PageSession,
    msisdn: Annotated[str, Form()] = "",
    document_type: Annotated[str, Form()] = "",
    document_number: Annotated[str, Form(max_length=64)] = "",
    customer_name: Annotated[str, Form(max_length=200)] = "",
    original_inspected: Annotated[bool, Form()] = False,
    inspection_method: Annotated[str, Form()] = "",
    resubmission_of: Annotated[str, Form()] = "",
    reregistration: Annotated[bool, Form()] = False,
    photo_front: Annotated[UploadFile | None, File()] = None,
    photo_back: Annotated[UploadFile | None, File()] = None,
    photo_portrait: Annotated[UploadFile | None, File()] = None,
) -> Response:
    allow(session, Role.CLERK)
    s = site(request)
    actor = _with_device(request, session).actor
    limit = s.simreg.settings.photo_max_bytes
    uploads = {"front": photo_front, "back": photo_back, "portrait": photo_portrait}
    photos = {
        kind: data
        for kind, upload in uploads.items()
        if upload is not None and upload.filename and (data := upload.file.read(limit + 1))
    }
    values = {
        "msisdn": msisdn,
        "document_type": document_type,
        # Given back to the clerk who typed it, on a page no one caches, rather than typed
        # again for every refusal.
        "document_number": document_number,
        "customer_name": customer_name,
        "inspection_method": inspection_method,
        "original_inspected": original_inspected,
        "resubmission_of": resubmission_of,
        "reregistration": reregistration,
    }
    try:
        for field, text in values.items():
            if isinstance(text, str):
                checked_text(field, text)
        registration = s.simreg.registrations.submit(
            actor,
            SubmitRegistration(
                msisdn=msisdn,
                document_type=document_type,
                document_number=document_number,
                customer_name=customer_name,
                original_inspected=original_inspected,
                inspection_method=inspection_method or None,
                photos=photos,
                resubmission_of=resubmission_of or None,
                reregistration=reregistration,
            ),
        )
    except DomainError as refusal:
        violations = _as_violations(refusal)
        return s.render(
            request,
            session,
            "clerk/new.html",
            status_code=422,
            **_form_context(request, session, values=values, violations=violations),
        )
    return RedirectResponse(f"/app/registrations/{registration.id}?submitted=1", status_code=303)


@router.get("/app/registrations/{registration_id}")
def registration_page(request: Request, session: PageSession, registration_id: str) -> Response:
    allow(session, Role.CLERK)
    s = site(request)
    with s.simreg.engine.connect() as conn:
        item = queries.registration_detail(conn, session.actor, registration_id)
        corrected = live_resubmission(conn, registration_id) if item["rejection"] else None
    return s.render(
        request,
        session,
        "clerk/detail.html",
        item=item,
        corrected_as=corrected,
        submitted=request.query_params.get("submitted") == "1",
    )


@router.get("/app/device")
def device_page(request: Request, session: PageSession) -> Response:
    allow(session, Role.CLERK)
    enrolled = _with_device(request, session).actor.device_id
    return site(request).render(request, session, "clerk/device.html", enrolled=enrolled)


@router.post("/app/device")
def enrol_this_browser(
    request: Request, session: PageSession, device_token: Annotated[str, Form(max_length=200)]
) -> Response:
    """Store the enrolment token the channel manager issued for this phone (RN-09)."""
    allow(session, Role.CLERK)
    s = site(request)
    with s.simreg.engine.connect() as conn:
        device_id = device_for_token(conn, s.simreg.vault.tokens, device_token.strip())
        outlet_id = device_outlet(conn, device_id) if device_id is not None else None
    if device_id is None:
        return s.render(
            request, session, "clerk/device.html", status_code=422, enrolled=None, error=True
        )
    if outlet_id != session.actor.outlet_id:
        # Another outlet's device: its registrations would be credited to that outlet (RN-09).
        return s.render(
            request,
            session,
            "clerk/device.html",
            status_code=422,
            enrolled=None,
            error="other_outlet",
        )
    response = RedirectResponse("/app", status_code=303)
    response.set_cookie(
        DEVICE_COOKIE,
        device_token.strip(),
        httponly=True,
        samesite="lax",
        secure=s.secure_cookies(request),
        max_age=365 * 86400,
        path="/",
    )
    return response
