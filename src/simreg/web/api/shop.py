"""The online shop over HTTP (RN-10, RN-11).

Public, no login (``/api/v1/shop``): search free numbers, reserve one, send the ID, follow
and cancel the order. Reserving returns ``access_token``, the order's only key: send it back
as ``X-Order-Token``. Every public call counts against the client address, and an identity
submission against the document too (429 with Retry-After past the limit).

Staff (``/api/v1/orders``, bearer token): a clerk at the chosen hall, or a courier of the
online channel, looks a ready order up and hands it over against the presented ID.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Header, Path, Query, UploadFile
from pydantic import Field

from simreg.bootstrap import Simreg
from simreg.online.domain import ID_UNCONFIRMED, OnlineOrder, identity_unconfirmed
from simreg.online.handover import DeliverySlip, PresentedId
from simreg.online.numbers import parse_query
from simreg.online.services import SubmitIdentity
from simreg.registration.domain import RejectionReason
from simreg.web.api.body import Body
from simreg.web.auth import App, CurrentActor
from simreg.web.input_guard import checked_text
from simreg.web.public_throttle import throttled

Digits = Annotated[str, Query(max_length=22)]
Typed = Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")]


public = APIRouter(prefix="/api/v1/shop", tags=["online shop"], dependencies=[Depends(throttled)])
staff = APIRouter(prefix="/api/v1/orders", tags=["online shop"])
OrderToken = Annotated[str, Header(alias="X-Order-Token", max_length=100)]


def order_view(order: OnlineOrder) -> dict[str, Any]:
    """What the customer may see of an order: masks only, never an identity or an index."""
    refusal: dict[str, Any] | None = None
    if order.refusal_code == ID_UNCONFIRMED:
        problem = identity_unconfirmed()
        refusal = {
            "code": problem.code,
            "message": problem.message,
            "message_zh": problem.message_zh,
        }
    elif order.refusal_code == "RN-05":
        refusal = {
            "code": "RN-05",
            "message": "This ID card already holds the most numbers allowed; the order was closed.",
            "message_zh": "该身份证名下号码已达上限，订单已关闭。",
        }
    elif order.refusal_code:
        refusal = {
            "code": order.refusal_code,
            "reasons": [
                {
                    "code": x,
                    "message": RejectionReason(x).for_subscriber(chinese=False),
                    "message_zh": RejectionReason(x).for_subscriber(chinese=True),
                }
                for x in order.rejected_for
            ],
        }
    return {
        "order_no": order.order_no,
        "msisdn": order.msisdn,
        "status": order.status.value,
        "reserved_until": order.reserved_until.isoformat(),
        "fulfilment": order.fulfilment.value if order.fulfilment else None,
        "pickup_hall": (
            {"name": order.pickup_outlet_name, "address": order.pickup_outlet_address}
            if order.pickup_outlet_id is not None
            else None
        ),
        "delivery_address": order.delivery_address_masked,
        "contact": order.contact_masked,
        "name": order.name_masked,
        "refusal": refusal,
        "next_check_at": order.next_check_at.isoformat() if order.next_check_at else None,
        "collect_by": order.collect_by.isoformat() if order.collect_by else None,
        "created_at": order.created_at.isoformat(),
        "submitted_at": order.submitted_at.isoformat() if order.submitted_at else None,
        "approved_at": order.approved_at.isoformat() if order.approved_at else None,
        "completed_at": order.completed_at.isoformat() if order.completed_at else None,
        "closed_at": order.closed_at.isoformat() if order.closed_at else None,
    }


@public.get("/numbers", summary="Free numbers by last digits or digits anywhere, and region")
def numbers(
    app: App,
    pattern: Digits = "",
    mode: Literal["ends", "contains"] = "ends",
    region: Annotated[str, Query(max_length=64)] = "",
    kind: Literal["", "voice", "data"] = "",
    after: Annotated[str, Query(max_length=11)] = "",
) -> dict[str, Any]:
    checked_text("region", region)
    page = app.numbers.search(parse_query(pattern, mode, region, kind, after))
    return {
        "items": [
            {
                "msisdn": n.msisdn,
                "kind": n.kind,
                "region": n.region.key if n.region else None,
                "region_en": n.region.name_en if n.region else None,
            }
            for n in page.numbers
        ],
        "next_after": page.next_after,
    }


@public.get("/regions", summary="Home regions that have free numbers")
def regions(app: App) -> list[dict[str, str]]:
    return [
        {"key": r.key, "name_zh": r.name_zh, "name_en": r.name_en} for r in app.numbers.regions()
    ]


@public.get("/halls", summary="Service halls where online orders are collected")
def halls(app: App) -> dict[str, Any]:
    return {
        "halls": [
            {"id": h.outlet_id, "code": h.code, "name": h.name, "address": h.address}
            for h in app.numbers.pickup_halls()
        ],
        # RN-11: courier delivery only while the operator sells cards online.
        "delivery_offered": app.shop.card_sales_open(),
    }


class ReserveNumber(Body):
    msisdn: Annotated[str, Field(max_length=20, pattern=r"^[0-9+ -]*$")]


@public.post("/orders", status_code=201, summary="Reserve a number; returns the order's key")
def reserve(app: App, body: ReserveNumber) -> dict[str, Any]:
    reservation = app.shop.reserve(body.msisdn)
    return {**order_view(reservation.order), "access_token": reservation.secret}


@public.get("/orders/current", summary="The order behind X-Order-Token")
def current(app: App, token: OrderToken) -> dict[str, Any]:
    return order_view(app.shop.order(token))


def read_photos(app: Simreg, uploads: dict[str, UploadFile | None]) -> dict[str, bytes]:
    # One byte past the limit, so an oversized upload is refused without reading it all.
    limit = app.settings.photo_max_bytes + 1
    return {
        kind: upload.file.read(limit)
        for kind, upload in uploads.items()
        if upload is not None and upload.filename
    }


@public.post(
    "/orders/current/identity",
    summary="Send the resident ID (front, back), a portrait and the fulfilment choice",
)
def submit_identity(
    app: App,
    token: OrderToken,
    document_number: Annotated[str, Form(max_length=40)],
    customer_name: Annotated[str, Form(max_length=100)],
    fulfilment: Annotated[str, Form(max_length=16)] = "pickup",
    pickup_outlet_id: Annotated[int | None, Form()] = None,
    delivery_address: Annotated[str, Form(max_length=300)] = "",
    contact: Annotated[str, Form(max_length=20)] = "",
    front: Annotated[UploadFile | None, File()] = None,
    back: Annotated[UploadFile | None, File()] = None,
    portrait: Annotated[UploadFile | None, File()] = None,
) -> dict[str, Any]:
    for field, value in (
        ("document_number", document_number),
        ("customer_name", customer_name),
        ("fulfilment", fulfilment),
        ("delivery_address", delivery_address),
        ("contact", contact),
    ):
        checked_text(field, value)
    order = app.shop.submit(
        token,
        SubmitIdentity(
            document_number=document_number,
            customer_name=customer_name,
            fulfilment=fulfilment,
            pickup_outlet_id=pickup_outlet_id,
            delivery_address=delivery_address,
            contact=contact,
            photos=read_photos(app, {"front": front, "back": back, "portrait": portrait}),
        ),
    )
    return order_view(order)


@public.post("/orders/current/cancel", summary="Withdraw the order before it is approved")
def cancel(app: App, token: OrderToken) -> dict[str, Any]:
    return order_view(app.shop.cancel(token))


# -- staff: hand-over (RN-10) -----------------------------------------------------------------


def desk_view(order: OnlineOrder) -> dict[str, Any]:
    return {
        "order_no": order.order_no,
        "msisdn": order.msisdn,
        "status": order.status.value,
        "fulfilment": order.fulfilment.value if order.fulfilment else None,
        "name": order.name_masked,
        "collect_by": order.collect_by.isoformat() if order.collect_by else None,
        "delivery_address": order.delivery_address_masked,
        "contact": order.contact_masked,
    }


def slip_view(slip: DeliverySlip) -> dict[str, Any]:
    return {**desk_view(slip.order), "delivery_address": slip.address, "contact": slip.contact}


@staff.get("/deliveries", summary="A courier's round: ready delivery orders, address in full")
def deliveries(app: App, actor: CurrentActor) -> dict[str, Any]:
    return {"items": [slip_view(s) for s in app.handovers.deliveries(actor)]}


@staff.get("/deliveries/{order_no}", summary="One ready delivery order, address in full")
def delivery(
    app: App, actor: CurrentActor, order_no: Annotated[str, Path(max_length=32)]
) -> dict[str, Any]:
    return slip_view(app.handovers.delivery_slip(actor, order_no))


@staff.get("/{order_no}", summary="A ready order for this hall (or, for couriers, delivery)")
def ready_order(
    app: App, actor: CurrentActor, order_no: Annotated[str, Path(max_length=32)]
) -> dict[str, Any]:
    return desk_view(app.handovers.ready_order(actor, order_no))


class Presented(Body):
    document_type: Typed = "resident_id"
    document_number: Typed
    inspection_method: Literal["chip_reader", "visual"]


@staff.post(
    "/{order_no}/handover",
    summary="Hand the card over: the presented ID must match the one submitted (RN-10)",
)
def hand_over(
    app: App,
    actor: CurrentActor,
    order_no: Annotated[str, Path(max_length=32)],
    body: Presented,
) -> dict[str, Any]:
    checked_text("order_no", order_no)
    order = app.handovers.hand_over(
        actor,
        PresentedId(order_no, body.document_type, body.document_number, body.inspection_method),
    )
    return desk_view(order)
