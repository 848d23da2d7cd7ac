"""The back-office's view of the online shop and of the identity authority (RN-10, RN-11)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from simreg.db.online_overview import (
    OVERVIEW_READERS,
    authority_summary,
    order_counts,
    order_list,
)
from simreg.web.api.body import Body
from simreg.web.auth import App, CurrentActor

router = APIRouter(prefix="/api/v1", tags=["online shop"])
Status = Literal[
    "",
    "reserved",
    "verification_pending",
    "in_review",
    "ready",
    "completed",
    "refused",
    "expired",
    "cancelled",
]


class CardSales(Body):
    open: bool


@router.get("/online-card-sales", summary="Whether online card sales are open (RN-11)")
def card_sales(app: App, actor: CurrentActor) -> dict[str, bool]:
    actor.require(*OVERVIEW_READERS)
    return {"open": app.shop.card_sales_open()}


@router.put(
    "/online-card-sales",
    summary="Open or close online card sales (RN-11): closed, cards are collected at a hall",
)
def set_card_sales(app: App, actor: CurrentActor, body: CardSales) -> dict[str, bool]:
    app.shop.set_card_sales(actor, body.open)
    return {"open": app.shop.card_sales_open()}


@router.get("/online-orders", summary="Online orders by status, newest first, 50 a page")
def online_orders(
    app: App,
    actor: CurrentActor,
    status: Status = "",
    page: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return {
            "counts": order_counts(conn, actor),
            **order_list(conn, actor, status=status or None, page=page),
        }


@router.get(
    "/identity-authority/summary",
    summary="The authority's answers in the last hour and day, and what waits on it",
)
def identity_authority(app: App, actor: CurrentActor) -> dict[str, Any]:
    with app.engine.connect() as conn:
        summary = authority_summary(conn, actor, app.clock.now())
    return {**summary, "connection": app.identity_connection()}
