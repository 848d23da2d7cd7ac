"""Page sessions: the session cookie, CSRF checks, and who may open which page."""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from simreg.bootstrap import Simreg
from simreg.core.actors import Role
from simreg.core.errors import DomainError, Forbidden, Unauthenticated
from simreg.staff.services import Session

SESSION_COOKIE = "simreg_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


class LoginRequired(DomainError):
    """Raised by page dependencies; the page error handler turns it into a redirect."""

    code = "LOGIN-REQUIRED"

    def __init__(self, next_path: str) -> None:
        super().__init__("Log in to continue.", message_zh="请先登录。")
        self.next_path = next_path


class PasswordChangeRequired(DomainError):
    code = "PASSWORD-CHANGE-REQUIRED"


def _simreg(request: Request) -> Simreg:
    simreg: Simreg = request.app.state.simreg
    return simreg


async def page_session(request: Request) -> Session:
    token = request.cookies.get(SESSION_COOKIE)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise LoginRequired(quote(here))
    try:
        session = _simreg(request).staff.session(token)
    except Unauthenticated:
        raise LoginRequired(quote(here)) from None
    if session.must_change_password and request.url.path != "/account/password":
        raise PasswordChangeRequired()
    if request.method not in ("GET", "HEAD"):
        await _check_csrf(request, session)
    return session


async def _check_csrf(request: Request, session: Session) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, session.csrf_token):
        raise _csrf_refusal()


PageSession = Annotated[Session, Depends(page_session)]


# Browsers say where a request comes from: "none" is typed or bookmarked.
_OWN_FETCH_SITES = ("same-origin", "none")


def refuse_cross_site(request: Request) -> None:
    """For forms posted before there is a session (logging in, the language switch), where
    no session's CSRF token can be asked for: refuse a post another site's page made, by the
    Sec-Fetch-Site header browsers send, or else by the Origin header. Otherwise a foreign
    page could log a clerk into an account of its choosing. Clients that send neither (curl,
    scripts) are not browsers another site can drive."""
    fetch_site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if fetch_site is not None:
        foreign = fetch_site not in _OWN_FETCH_SITES
    elif origin is not None:
        foreign = urlsplit(origin).netloc != request.headers.get("host", "")
    else:
        foreign = False
    if foreign:
        raise _csrf_refusal()


def _csrf_refusal() -> Forbidden:
    return Forbidden(
        "The form expired or did not come from simreg; reload the page and try again.",
        code="CSRF",
        message_zh="表单已过期或来源不明，请刷新页面后重试。",
    )


SameSiteForm = Depends(refuse_cross_site)


def allow(session: Session, *roles: Role) -> None:
    session.actor.require(*roles)


HOME = {
    Role.CLERK: "/app",
    Role.REVIEWER: "/review",
    Role.ADMIN: "/review",
    Role.AUDITOR: "/audit",
    Role.CHANNEL_MANAGER: "/channels",
    Role.RISK_ANALYST: "/risk",
    Role.CALL_CENTRE: "/calls",
    Role.ACCOUNT_MANAGER: "/enterprises",
}
