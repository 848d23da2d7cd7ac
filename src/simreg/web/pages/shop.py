"""The online shop's public pages (RN-10, RN-11): pick a number, reserve it, send the ID scan
and a portrait, follow the order. No login: the order's secret lives in an HttpOnly cookie.

Public forms carry a CSRF token that must equal the one in a SameSite=Strict cookie the shop
set (double submit): another site can neither read the cookie nor make the browser send it.
Every request counts against the client's address (429 with Retry-After past the limit).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from simreg.core.errors import DomainError, Forbidden, NotFound, TooManyRequests
from simreg.online.domain import ID_UNCONFIRMED, OnlineOrder, identity_unconfirmed
from simreg.online.numbers import NumberQuery, parse_query
from simreg.online.services import SubmitIdentity
from simreg.registration.domain import RejectionReason
from simreg.web.api.shop import read_photos
from simreg.web.errors import status_for
from simreg.web.input_guard import checked_text
from simreg.web.pages.rendering import negotiate_language
from simreg.web.pages.shared import site
from simreg.web.public_throttle import client_address

ORDER_COOKIE = "simreg_order"
# The browser's other orders: reserving a second number must not lose the first (its number,
# its RN-05 slot and its status page). Secrets separated by "." (never in a URL-safe token).
OTHER_ORDERS_COOKIE = "simreg_orders"
MAX_OTHER_ORDERS = 5
CSRF_COOKIE = "simreg_shop_csrf"
CSRF_FIELD = "csrf_token"


async def public_request(request: Request) -> None:
    """Throttle every shop request; on a form post, check the double-submit token."""
    site(request).simreg.shop.throttle.address(client_address(request))
    if request.method in ("GET", "HEAD"):
        return
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    kept = request.cookies.get(CSRF_COOKIE)
    if not (isinstance(sent, str) and kept and hmac.compare_digest(sent, kept)):
        raise Forbidden(
            "The form expired or did not come from the shop; reload the page and try again.",
            code="CSRF",
            message_zh="表单已过期或来源不明，请刷新页面后重试。",
        )


router = APIRouter(include_in_schema=False, dependencies=[Depends(public_request)])


def _render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    s = site(request)
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = s.pages.render(
        request,
        template,
        negotiate_language(request),
        status_code=status_code,
        shop_csrf=token,
        delivery_offered=s.simreg.shop.card_sales_open(),
        reservation_minutes=s.simreg.settings.online_reservation_minutes,
        **context,
    )
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=s.secure_cookies(request),
            path="/shop",
        )
    if isinstance(context.get("error"), TooManyRequests):
        response.headers["Retry-After"] = str(context["error"].retry_after)
    return response


def _search_page(
    request: Request, query: NumberQuery, status_code: int = 200, **extra: Any
) -> Response:
    s = site(request)
    return _render(
        request,
        "shop/search.html",
        status_code=status_code,
        query=query,
        page=s.simreg.numbers.search(query),
        regions=s.simreg.numbers.regions(),
        has_order=bool(request.cookies.get(ORDER_COOKIE)),
        **extra,
    )


@router.get("/shop")
def search_page(request: Request) -> Response:
    params = request.query_params
    try:
        query = parse_query(
            params.get("pattern", "")[:22],
            params.get("mode", "ends"),
            checked_text("region", params.get("region", "")[:64]) or "",
            params.get("kind", ""),
            params.get("after", ""),
        )
    except DomainError as problem:
        return _search_page(request, NumberQuery(), status_code=422, error=problem)
    return _search_page(request, query)


@router.post("/shop/reserve")
def reserve(request: Request, msisdn: Annotated[str, Form(max_length=20)]) -> Response:
    s = site(request)
    try:
        reservation = s.simreg.shop.reserve(msisdn)
    except TooManyRequests:
        raise
    except DomainError as problem:
        return _search_page(request, NumberQuery(), status_code=status_for(problem), error=problem)
    response = RedirectResponse("/shop/order", status_code=303)
    previous = request.cookies.get(ORDER_COOKIE, "")
    _keep_orders(request, response, reservation.secret, [previous, *_other_secrets(request)])
    return response


def _other_secrets(request: Request) -> list[str]:
    raw = request.cookies.get(OTHER_ORDERS_COOKIE, "")
    return [x for x in raw.split(".") if x][:MAX_OTHER_ORDERS]


def _keep_orders(request: Request, response: Response, current: str, others: list[str]) -> None:
    """The order shown, and the browser's other orders still on record."""
    s = site(request)
    secure = s.secure_cookies(request)
    kept: list[str] = []
    for secret in others:
        if secret and secret != current and secret not in kept and _known(request, secret):
            kept.append(secret)
    for name, value in ((ORDER_COOKIE, current), (OTHER_ORDERS_COOKIE, ".".join(kept[:5]))):
        response.set_cookie(
            name,
            value,
            httponly=True,
            samesite="lax",
            secure=secure,
            max_age=90 * 86400,
            path="/shop",
        )


def _known(request: Request, secret: str) -> bool:
    try:
        site(request).simreg.shop.order(secret)
    except NotFound:
        return False
    return True


def _other_orders(request: Request) -> list[OnlineOrder]:
    found = []
    for secret in _other_secrets(request):
        try:
            found.append(site(request).simreg.shop.order(secret))
        except NotFound:
            continue
    return found


@router.post("/shop/order/switch")
def switch_order(request: Request, order_no: Annotated[str, Form(max_length=32)]) -> Response:
    """Show another of the browser's orders (chosen by its number among the browser's own)."""
    others = _other_secrets(request)
    for secret in others:
        try:
            order = site(request).simreg.shop.order(secret)
        except NotFound:
            continue
        if order.order_no == order_no:
            response = RedirectResponse("/shop/order", status_code=303)
            current = request.cookies.get(ORDER_COOKIE, "")
            _keep_orders(request, response, secret, [current, *others])
            return response
    return _no_order(request)


def _order_page(
    request: Request, order: OnlineOrder, status_code: int = 200, **extra: Any
) -> Response:
    s = site(request)
    refusal = identity_unconfirmed() if order.refusal_code == ID_UNCONFIRMED else None
    return _render(
        request,
        "shop/order.html",
        status_code=status_code,
        order=order,
        refusal=refusal,
        halls=s.simreg.numbers.pickup_halls() if order.status.value == "reserved" else [],
        other_orders=_other_orders(request),
        rejected_reasons=[
            RejectionReason(x).for_subscriber(chinese=negotiate_language(request) == "zh")
            for x in order.rejected_for
        ],
        now=s.simreg.clock.now(),
        **extra,
    )


def _no_order(request: Request) -> Response:
    return _render(request, "shop/no_order.html", status_code=404)


@router.get("/shop/order")
def order_page(request: Request) -> Response:
    secret = request.cookies.get(ORDER_COOKIE, "")
    try:
        order = site(request).simreg.shop.order(secret)
    except NotFound:
        return _no_order(request)
    return _order_page(request, order)


@router.post("/shop/order/identity")
def submit_identity(
    request: Request,
    document_number: Annotated[str, Form(max_length=40)] = "",
    customer_name: Annotated[str, Form(max_length=100)] = "",
    fulfilment: Annotated[str, Form(max_length=16)] = "pickup",
    pickup_outlet_id: Annotated[str, Form(max_length=12)] = "",
    delivery_address: Annotated[str, Form(max_length=300)] = "",
    contact: Annotated[str, Form(max_length=20)] = "",
    front: Annotated[UploadFile | None, File()] = None,
    back: Annotated[UploadFile | None, File()] = None,
    portrait: Annotated[UploadFile | None, File()] = None,
) -> Response:
    s = site(request)
    secret = request.cookies.get(ORDER_COOKIE, "")
    values = {
        "customer_name": customer_name,
        "fulfilment": fulfilment,
        "pickup_outlet_id": pickup_outlet_id,
        "delivery_address": delivery_address,
        "contact": contact,
    }
    try:
        for field, value in (("document_number", document_number), *values.items()):
            checked_text(field, value)
        s.simreg.shop.submit(
            secret,
            SubmitIdentity(
                document_number=document_number,
                customer_name=customer_name,
                fulfilment=fulfilment,
                pickup_outlet_id=int(pickup_outlet_id) if pickup_outlet_id.isdigit() else None,
                delivery_address=delivery_address,
                contact=contact,
                photos=read_photos(s.simreg, {"front": front, "back": back, "portrait": portrait}),
            ),
        )
    except NotFound:
        return _no_order(request)
    except DomainError as problem:
        try:
            order = s.simreg.shop.order(secret)
        except NotFound:
            return _no_order(request)
        return _order_page(
            request,
            order,
            status_code=status_for(problem),
            error=problem,
            violations=getattr(problem, "violations", []),
            values=values,
        )
    return RedirectResponse("/shop/order", status_code=303)


@router.post("/shop/order/cancel")
def cancel(request: Request) -> Response:
    s = site(request)
    secret = request.cookies.get(ORDER_COOKIE, "")
    try:
        s.simreg.shop.cancel(secret)
    except NotFound:
        return _no_order(request)
    except TooManyRequests:
        raise
    except DomainError as problem:
        return _order_page(
            request, s.simreg.shop.order(secret), status_code=status_for(problem), error=problem
        )
    return RedirectResponse("/shop/order", status_code=303)
