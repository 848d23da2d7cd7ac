"""Errors on pages: redirects to log in, or an error page in the user's language."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from simreg.core.errors import DomainError, TooManyRequests, Unauthenticated
from simreg.web.pages.rendering import negotiate_language
from simreg.web.pages.session import LoginRequired, PasswordChangeRequired
from simreg.web.pages.shared import site


def render_page_error(request: Request, error: DomainError, status_code: int) -> Response:
    if isinstance(error, LoginRequired | Unauthenticated):
        target = "/login"
        if isinstance(error, LoginRequired):
            target += f"?next={error.next_path}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if isinstance(error, PasswordChangeRequired):
        return RedirectResponse("/account/password", status_code=303)
    s = site(request)
    page = s.pages.render(
        request, "error.html", negotiate_language(request), status_code=status_code, error=error
    )
    if isinstance(error, TooManyRequests):
        page.headers["Retry-After"] = str(error.retry_after)
    return page
