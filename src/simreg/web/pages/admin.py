"""Staff administration: create accounts, assign roles and outlets, reset passwords."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from simreg.core.actors import Role
from simreg.core.errors import DomainError, InvalidInput
from simreg.db.repositories import aware
from simreg.db.staff_store import list_staff, outlet_codes
from simreg.staff.services import Session
from simreg.web.input_guard import checked_text
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site

router = APIRouter(include_in_schema=False)


def _page(request: Request, session: Session, status_code: int = 200, **extra: Any) -> Response:
    s = site(request)
    with s.simreg.engine.connect() as conn:
        staff = list_staff(conn)
        outlets = outlet_codes(conn)
    now = s.simreg.clock.now()
    for person in staff:
        until = aware(person["locked_until"])
        person["locked"] = until is not None and until > now
    return s.render(
        request,
        session,
        "admin/staff.html",
        status_code=status_code,
        staff=staff,
        outlets=outlets,
        roles=list(Role),
        now=s.simreg.clock.now(),
        **extra,
    )


@router.get("/admin/staff")
def staff_page(request: Request, session: PageSession) -> Response:
    allow(session, Role.ADMIN)
    return _page(request, session, done=request.query_params.get("done"))


@router.post("/admin/staff")
def create_staff(
    request: Request,
    session: PageSession,
    username: Annotated[str, Form(max_length=64)],
    display_name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form()],
    password: Annotated[str, Form(max_length=256)],
    outlet: Annotated[str, Form()] = "",
) -> Response:
    allow(session, Role.ADMIN)
    try:
        checked_text("display_name", display_name)
        chosen = _role(role)
        site(request).simreg.staff.create_account(
            session.actor,
            username=username,
            display_name=display_name,
            role=chosen,
            outlet_code=outlet or None,
            password=password,
        )
    except DomainError as problem:
        return _page(
            request,
            session,
            status_code=422,
            error=problem,
            form={
                "username": username,
                "display_name": display_name,
                "role": role,
                "outlet": outlet,
            },
        )
    return RedirectResponse(f"/admin/staff?done=created:{username}", status_code=303)


@router.post("/admin/staff/{staff_id}")
def update_staff(
    request: Request,
    session: PageSession,
    staff_id: int,
    role: Annotated[str, Form()],
    outlet: Annotated[str, Form()] = "",
    active: Annotated[bool, Form()] = False,
) -> Response:
    allow(session, Role.ADMIN)
    try:
        site(request).simreg.staff.update_account(
            session.actor, staff_id, role=_role(role), outlet_code=outlet or None, active=active
        )
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return RedirectResponse("/admin/staff?done=updated", status_code=303)


@router.post("/admin/staff/{staff_id}/password")
def reset_password(
    request: Request,
    session: PageSession,
    staff_id: int,
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    allow(session, Role.ADMIN)
    try:
        site(request).simreg.staff.reset_password(session.actor, staff_id, password)
    except DomainError as problem:
        return _page(request, session, status_code=422, error=problem)
    return RedirectResponse("/admin/staff?done=reset", status_code=303)


def _role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise InvalidInput("Unknown role.", code="ROLE", message_zh="未知角色。") from None
