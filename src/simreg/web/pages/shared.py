"""What every page handler needs: the application, the renderer, the language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from simreg.bootstrap import Simreg
from simreg.core.actors import Role
from simreg.db.queries import outlet_channel_kind
from simreg.legacy.over_limit import READERS
from simreg.reporting.domain import READERS as REPORT_READERS
from simreg.staff.services import Session
from simreg.web.pages.rendering import Pages, negotiate_language

NAV = [
    ("/app", "Registrations", (Role.CLERK,)),
    ("/review", "Review queue", (Role.REVIEWER, Role.ADMIN)),
    ("/risk", "Fraud signals", (Role.RISK_ANALYST, Role.ADMIN, Role.AUDITOR)),
    (
        "/audit",
        "Audit",
        (Role.ADMIN, Role.AUDITOR, Role.REVIEWER, Role.CHANNEL_MANAGER, Role.RISK_ANALYST),
    ),
    ("/channels", "Channels", (Role.CHANNEL_MANAGER, Role.ADMIN, Role.AUDITOR, Role.RISK_ANALYST)),
    (
        "/campaigns",
        "Campaigns",
        (Role.CHANNEL_MANAGER, Role.ADMIN, Role.AUDITOR, Role.RISK_ANALYST, Role.CALL_CENTRE),
    ),
    ("/base", "Real-name base", READERS),
    ("/reports", "Reports", REPORT_READERS),
    ("/calls", "Call tasks", (Role.CALL_CENTRE, Role.ADMIN)),
    ("/enterprises", "Group customers", (Role.ACCOUNT_MANAGER, Role.ADMIN, Role.AUDITOR)),
    ("/admin/staff", "Staff", (Role.ADMIN,)),
    ("/pickup", "Online orders", (Role.CLERK,)),
    (
        "/orders",
        "Online shop",
        (Role.ADMIN, Role.REVIEWER, Role.CHANNEL_MANAGER, Role.RISK_ANALYST, Role.AUDITOR),
    ),
    ("/app/device", "This device", (Role.CLERK,)),
]


@dataclass
class Site:
    simreg: Simreg
    pages: Pages

    def secure_cookies(self, request: Request) -> bool:
        if self.simreg.settings.secure_cookies is not None:
            return self.simreg.settings.secure_cookies
        # Plain HTTP only on loopback (the demo); anywhere else cookies require HTTPS.
        host = request.url.hostname or ""
        return request.url.scheme == "https" or host not in ("127.0.0.1", "localhost", "testserver")

    def _social_outlet(self, session: Session) -> bool:
        with self.simreg.engine.connect() as conn:
            return outlet_channel_kind(conn, session.actor.outlet_id) == "social"

    def render(
        self,
        request: Request,
        session: Session,
        template: str,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        language = negotiate_language(request, session.language)
        nav = [(path, label) for path, label, roles in NAV if session.actor.role in roles]
        if session.actor.role is Role.CLERK and not self._social_outlet(session):
            # Only a social outlet registers through an enrolled app device (RN-09).
            nav = [(path, label) for path, label in nav if path != "/app/device"]
        return self.pages.render(
            request,
            template,
            language,
            status_code=status_code,
            session=session,
            csrf=session.csrf_token,
            nav=nav,
            **context,
        )


def site(request: Request) -> Site:
    found: Site = request.app.state.site
    return found
