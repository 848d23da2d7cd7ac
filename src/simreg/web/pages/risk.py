"""The risk analyst's home: black-card signals other staff saw, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simreg.db.risk_signals import SIGNAL_READERS, fraud_signals
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site

router = APIRouter(include_in_schema=False)
PERIODS = (7, 30, 90)


@router.get("/risk")
def signals_page(request: Request, session: PageSession) -> Response:
    allow(session, *SIGNAL_READERS)
    s = site(request)
    raw = request.query_params.get("days", "30")
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else 30
    with s.simreg.engine.connect() as conn:
        found = fraud_signals(conn, session.actor, now=s.simreg.clock.now(), days=days)
    return s.render(request, session, "risk/signals.html", signals=found, days=days)
