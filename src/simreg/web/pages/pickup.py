"""The hand-over desk (RN-10) for clerks at a hall, and for couriers of the online channel:
find a ready online order by its number, check the original ID against the one submitted
online, hand the card over. A mismatch is refused and recorded."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from simreg.core.actors import Role
from simreg.core.errors import DomainError, Forbidden
from simreg.identity.documents import DocumentType
from simreg.online.domain import Fulfilment, normalise_order_no
from simreg.online.handover import DeliverySlip, PresentedId
from simreg.staff.services import Session
from simreg.web.errors import status_for
from simreg.web.input_guard import checked_text
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site

router = APIRouter(include_in_schema=False)


def _desk(request: Request, session: Session, status_code: int = 200, **context: Any) -> Response:
    if "deliveries" not in context and "order" not in context:
        context["deliveries"] = _round(request, session)
    return site(request).render(
        request,
        session,
        "pickup/desk.html",
        status_code=status_code,
        # The order was checked against a resident ID (RN-10): the same is shown at hand-over.
        doc_types=[DocumentType.RESIDENT_ID],
        **context,
    )


def _round(request: Request, session: Session) -> list[DeliverySlip] | None:
    """A courier's ready deliveries (address and contact in full, audited); None for a
    clerk at a hall."""
    try:
        return site(request).simreg.handovers.deliveries(session.actor)
    except Forbidden:
        return None  # a hall clerk (or an outlet that may not hand over: the form says so)


@router.get("/pickup")
def desk(request: Request, session: PageSession) -> Response:
    allow(session, Role.CLERK)
    raw = request.query_params.get("order_no", "")
    done = normalise_order_no(request.query_params.get("done", ""))
    if not raw:
        return _desk(request, session, done=done)
    handovers = site(request).simreg.handovers
    try:
        order = handovers.ready_order(session.actor, raw)
        delivery = order.fulfilment is Fulfilment.DELIVERY
        slip = handovers.delivery_slip(session.actor, raw) if delivery else None
    except DomainError as problem:
        return _desk(
            request, session, status_code=status_for(problem), error=problem, order_no=raw[:32]
        )
    return _desk(request, session, order=order, order_no=order.order_no, slip=slip)


@router.post("/pickup/handover")
def hand_over(
    request: Request,
    session: PageSession,
    order_no: Annotated[str, Form(max_length=32)],
    document_type: Annotated[str, Form(max_length=40)] = "resident_id",
    document_number: Annotated[str, Form(max_length=40)] = "",
    inspection_method: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    allow(session, Role.CLERK)
    handovers = site(request).simreg.handovers
    try:
        for field, value in (
            ("order_no", order_no),
            ("document_type", document_type),
            ("document_number", document_number),
        ):
            checked_text(field, value)
        done = handovers.hand_over(
            session.actor,
            PresentedId(order_no, document_type, document_number, inspection_method),
        )
    except DomainError as problem:
        try:
            order = handovers.ready_order(session.actor, order_no)
        except DomainError:
            order = None
        return _desk(
            request,
            session,
            status_code=status_for(problem),
            error=problem,
            violations=getattr(problem, "violations", []),
            order=order,
            order_no=order_no,
        )
    return RedirectResponse(f"/pickup?done={done.order_no}", status_code=303)
