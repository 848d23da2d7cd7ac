"""Back-office page of the online shop: orders by status, refused hand-overs, and the
identity authority's recent answers with what waits on it (RN-10, RN-11)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from simreg.core.actors import Role
from simreg.db.online_overview import (
    ORDER_STATUSES,
    OVERVIEW_READERS,
    authority_summary,
    order_counts,
    order_list,
)
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site

router = APIRouter(include_in_schema=False)


@router.post("/orders/card-sales")
def set_card_sales(
    request: Request, session: PageSession, open_: Annotated[str, Form(alias="open")] = ""
) -> Response:
    allow(session, Role.ADMIN)
    site(request).simreg.shop.set_card_sales(session.actor, open_ == "1")
    return RedirectResponse("/orders", status_code=303)


@router.get("/orders")
def overview(request: Request, session: PageSession) -> Response:
    allow(session, *OVERVIEW_READERS)
    s = site(request)
    status = request.query_params.get("status", "")
    if status not in ORDER_STATUSES:
        status = ""
    raw_page = request.query_params.get("page", "0")
    page = min(int(raw_page), 100_000) if raw_page.isdigit() else 0
    with s.simreg.engine.connect() as conn:
        counts = order_counts(conn, session.actor)
        orders = order_list(conn, session.actor, status=status or None, page=page)
        authority = authority_summary(conn, session.actor, s.simreg.clock.now())
    return s.render(
        request,
        session,
        "orders/overview.html",
        counts=counts,
        orders=orders,
        status=status,
        authority=authority,
        connection=s.simreg.identity_connection(),
        card_sales=s.simreg.shop.card_sales_open(),
        can_switch=session.actor.role is Role.ADMIN,
    )
