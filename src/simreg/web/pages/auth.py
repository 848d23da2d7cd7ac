"""Log in, log out, change password, switch language."""

from __future__ import annotations

import contextlib
from typing import Annotated
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from simreg.core.errors import InvalidInput, TooManyRequests, Unauthenticated
from simreg.web.pages.rendering import LANG_COOKIE, LANGUAGES, negotiate_language
from simreg.web.pages.session import HOME, SESSION_COOKIE, PageSession, SameSiteForm
from simreg.web.pages.shared import Site, site
from simreg.web.public_throttle import client_address

router = APIRouter(include_in_schema=False)


def _safe_next(raw: str | None) -> str | None:
    """Only same-site paths: a login link must not bounce anyone to another site."""
    if not raw:
        return None
    target = unquote(raw)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _own_path(request: Request, back: str) -> str:
    """A full address of this site (the page a posted form came from) as a path; anything
    else as given, for _safe_next to judge."""
    parts = urlsplit(back)
    if parts.scheme in ("http", "https") and parts.netloc == request.headers.get("host"):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return back


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    s = site(request)
    return s.pages.render(request, "login.html", negotiate_language(request), next=next or "")


@router.post("/login", dependencies=[SameSiteForm])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "",
) -> Response:
    s = site(request)
    language = negotiate_language(request)
    try:
        s.simreg.shop.throttle.login(client_address(request))
        session = s.simreg.staff.login(username, password)
    except (Unauthenticated, TooManyRequests) as refusal:
        page = s.pages.render(
            request,
            "login.html",
            language,
            status_code=429 if isinstance(refusal, TooManyRequests) else 401,
            error=refusal,
            next=next,
            username=username,
        )
        if isinstance(refusal, TooManyRequests):
            page.headers["Retry-After"] = str(refusal.retry_after)
        return page
    target = (
        "/account/password"
        if session.must_change_password
        else (_safe_next(next) or HOME.get(session.actor.role, "/"))
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="lax",
        secure=s.secure_cookies(request),
        max_age=12 * 3600,
        path="/",
    )
    if session.language in LANGUAGES and not request.cookies.get(LANG_COOKIE):
        response.set_cookie(
            LANG_COOKIE, session.language, samesite="lax", max_age=365 * 86400, path="/"
        )
    return response


@router.post("/logout")
def logout(request: Request, session: PageSession) -> Response:
    site(request).simreg.staff.logout(session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request, session: PageSession) -> Response:
    target = HOME.get(session.actor.role)
    if target and target != "/":
        return RedirectResponse(target, status_code=303)
    s = site(request)
    return s.render(request, session, "home.html")


@router.get("/account/password")
def password_page(request: Request, session: PageSession) -> Response:
    return site(request).render(request, session, "password.html")


@router.post("/account/password")
def change_password(
    request: Request,
    session: PageSession,
    current: Annotated[str, Form(max_length=256)],
    new: Annotated[str, Form(max_length=256)],
    repeat: Annotated[str, Form(max_length=256)],
) -> Response:
    s: Site = site(request)
    try:
        if new != repeat:
            raise InvalidInput(
                "The two new passwords differ.",
                code="PASSWORD-MISMATCH",
                message_zh="两次输入的新密码不一致。",
            )
        s.simreg.staff.change_password(
            session.actor, current, new, session_token=request.cookies.get(SESSION_COOKIE)
        )
    except InvalidInput as problem:
        return s.render(request, session, "password.html", status_code=422, error=problem)
    return RedirectResponse(HOME.get(session.actor.role, "/") + "?changed=1", status_code=303)


@router.post("/language", dependencies=[SameSiteForm])
def switch_language(
    request: Request, language: Annotated[str, Form()], back: Annotated[str, Form()] = "/"
) -> Response:
    chosen = language if language in LANGUAGES else "zh"
    response = RedirectResponse(_safe_next(_own_path(request, back)) or "/", status_code=303)
    response.set_cookie(LANG_COOKIE, chosen, samesite="lax", max_age=365 * 86400, path="/")
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        s = site(request)
        with contextlib.suppress(Unauthenticated):
            s.simreg.staff.set_language(s.simreg.staff.session(token).actor, chosen)
    return response
