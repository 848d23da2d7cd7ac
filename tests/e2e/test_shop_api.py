"""The online shop over HTTP, end to end against the identity-authority simulator: the public
API (reserve, ID, status), one answer for wrong and unknown identities, the throttle's 429,
the public pages with their CSRF token, and the clerk's hand-over over the staff API and the
pickup page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from simreg.core.errors import RuleViolated
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.simulators.identity_authority import Person
from simreg.web.app import create_app
from tests.support.shop import PHOTOS, ShopWorld, shop_world
from tests.support.world import PASSWORD


@pytest.fixture
def shop(settings: Settings) -> Iterator[ShopWorld]:
    with shop_world(settings) as built:
        yield built


@pytest.fixture
def http(shop: ShopWorld) -> Iterator[TestClient]:
    with TestClient(create_app(shop.simreg), raise_server_exceptions=False) as client:
        yield client


def files() -> dict[str, tuple[str, bytes, str]]:
    return {kind: (f"{kind}.jpg", data, "image/jpeg") for kind, data in PHOTOS.items()}


def reserve(http: TestClient, msisdn: str) -> str:
    made = http.post("/api/v1/shop/orders", json={"msisdn": msisdn})
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "reserved"
    return str(made.json()["access_token"])


def send_identity(http: TestClient, token: str, shop: ShopWorld, person: Person) -> dict:  # type: ignore[type-arg]
    sent = http.post(
        "/api/v1/shop/orders/current/identity",
        headers={"X-Order-Token": token},
        data={
            "document_number": person.document_number,
            "customer_name": person.name,
            "fulfilment": "pickup",
            "pickup_outlet_id": str(shop.world.outlets["hall"]),
        },
        files=files(),
    )
    assert sent.status_code == 200, sent.text
    return dict(sent.json())


def test_an_order_from_search_to_hand_over_over_the_api(http: TestClient, shop: ShopWorld) -> None:
    regions = http.get("/api/v1/shop/regions").json()
    assert {"key": "北京市", "name_zh": "北京市", "name_en": "Beijing"} in regions
    halls = http.get("/api/v1/shop/halls").json()
    assert halls["delivery_offered"] is False
    assert {h["code"] for h in halls["halls"]} == {"HALL", "HALL2"}
    found = http.get("/api/v1/shop/numbers", params={"pattern": "0012", "region": "北京市"})
    [number] = found.json()["items"]
    assert number == {
        "msisdn": "13800000012",
        "kind": "voice",
        "region": "北京市",
        "region_en": "Beijing",
    }

    token = reserve(http, number["msisdn"])
    person = shop.person()
    order = send_identity(http, token, shop, person)
    assert order["status"] == "in_review"
    assert order["pickup_hall"]["name"] == "hall"
    assert "doc_index" not in order and "registration_id" not in order

    reviewer = shop.world.headers("reviewer")
    [waiting] = http.get("/api/v1/review/queue", headers=reviewer).json()["items"]
    approved = http.post(f"/api/v1/registrations/{waiting['id']}/approve", headers=reviewer)
    assert approved.status_code == 200, approved.text
    ready = http.get("/api/v1/shop/orders/current", headers={"X-Order-Token": token}).json()
    assert ready["status"] == "ready" and ready["collect_by"]

    clerk = shop.world.headers("clerk_hall")
    desk = http.get(f"/api/v1/orders/{order['order_no']}", headers=clerk)
    assert desk.status_code == 200 and desk.json()["msisdn"] == "13800000012"
    other = http.get(
        f"/api/v1/orders/{order['order_no']}", headers=shop.world.headers("clerk_hall2")
    )
    assert other.status_code == 404

    wrong = http.post(
        f"/api/v1/orders/{order['order_no']}/handover",
        headers=clerk,
        json={"document_number": shop.person().document_number, "inspection_method": "visual"},
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "RN-10-MISMATCH"
    right = http.post(
        f"/api/v1/orders/{order['order_no']}/handover",
        headers=clerk,
        json={"document_number": person.document_number, "inspection_method": "chip_reader"},
    )
    assert right.status_code == 200, right.text
    assert right.json()["status"] == "completed"
    line = http.get("/api/v1/registrations/" + waiting["id"], headers=reviewer).json()
    assert line["state"] == "active"


def test_a_wrong_name_and_an_unknown_number_look_the_same(
    http: TestClient, shop: ShopWorld
) -> None:
    person = shop.person()
    answers = []
    for attempt in (
        Person(person.document_number, "欧阳不是"),
        Person("11010519491231002X", person.name),
    ):
        token = reserve(http, shop.world.number())
        answers.append(send_identity(http, token, shop, attempt))
    assert [a["status"] for a in answers] == ["refused", "refused"]
    assert answers[0]["refusal"] == answers[1]["refusal"]
    assert answers[0]["refusal"]["code"] == "ONLINE-ID-UNCONFIRMED"


def test_a_customer_is_told_why_the_review_rejected_the_order(
    http: TestClient, shop: ShopWorld
) -> None:
    token = reserve(http, shop.world.number())
    send_identity(http, token, shop, shop.person())
    reviewer = shop.world.headers("reviewer")
    [waiting] = http.get("/api/v1/review/queue", headers=reviewer).json()["items"]
    rejected = http.post(
        f"/api/v1/registrations/{waiting['id']}/reject",
        headers=reviewer,
        json={"reasons": ["photo_unreadable"], "comment": "blurred, internal note"},
    )
    assert rejected.status_code == 200, rejected.text
    order = http.get("/api/v1/shop/orders/current", headers={"X-Order-Token": token}).json()
    assert order["status"] == "refused"
    assert order["refusal"]["reasons"] == [
        {
            "code": "photo_unreadable",
            "message": "Document photo unreadable",
            "message_zh": "证件照片不清晰",
        }
    ]
    assert "internal note" not in str(order)  # the reviewer's comment stays in the back-office


def test_the_public_api_answers_429_with_retry_after_past_the_limit(settings: Settings) -> None:
    with (
        shop_world(settings, public_rate_per_address=3) as shop,
        TestClient(create_app(shop.simreg), raise_server_exceptions=False) as http,
    ):
        for _ in range(3):
            assert http.get("/api/v1/shop/regions").status_code == 200
        refused = http.get("/api/v1/shop/numbers")
        assert refused.status_code == 429
        assert refused.json()["code"] == "TOO-MANY-REQUESTS"
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        page = http.get("/shop")
        assert page.status_code == 429 and "Retry-After" in page.headers
        shop.clock.advance(minutes=11)
        assert http.get("/api/v1/shop/regions").status_code == 200


def test_the_shop_pages_from_reservation_to_the_status_page(
    http: TestClient, shop: ShopWorld
) -> None:
    search = http.get("/shop", params={"pattern": "0021"})
    assert search.status_code == 200 and "13800000021" in search.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', search.text)
    assert csrf

    forged = http.post(
        "/shop/reserve",
        data={"msisdn": "13800000021", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    made = http.post(
        "/shop/reserve",
        data={"msisdn": "13800000021", "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert made.status_code == 303 and made.headers["location"] == "/shop/order"
    page = http.get("/shop/order")
    assert 'id="identity-form"' in page.text and "13800000021" in page.text

    person = shop.person()
    sent = http.post(
        "/shop/order/identity",
        data={
            "csrf_token": csrf.group(1),
            "document_number": person.document_number,
            "customer_name": person.name,
            "fulfilment": "delivery",
            "delivery_address": "北京市海淀区中关村大街 1 号",
            "contact": "13912345678",
        },
        files=files(),
        follow_redirects=False,
    )
    assert sent.status_code == 422 and "RN-11" in sent.text  # pick-up only by default

    sent = http.post(
        "/shop/order/identity",
        data={
            "csrf_token": csrf.group(1),
            "document_number": person.document_number,
            "customer_name": person.name,
            "fulfilment": "pickup",
            "pickup_outlet_id": str(shop.world.outlets["hall"]),
        },
        files=files(),
        follow_redirects=False,
    )
    assert sent.status_code == 303
    status = http.get("/shop/order", headers={"Accept-Language": "en"})
    assert "In review" in status.text and person.document_number not in status.text

    order = shop.simreg.shop.order(http.cookies["simreg_order"])
    shop.approve(order)
    ready = http.get("/shop/order", headers={"Accept-Language": "en"})
    assert "Collect the card at hall" in ready.text

    # A second number from the same browser: the first order is not lost.
    second = http.post(
        "/shop/reserve",
        data={"msisdn": "13800000022", "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert second.status_code == 303
    now_shown = http.get("/shop/order", headers={"Accept-Language": "en"})
    assert "13800000022" in now_shown.text
    others = now_shown.text.split('id="other-orders"', 1)[1]
    assert f'data-order="{order.order_no}"' in others
    back = http.post(
        "/shop/order/switch",
        data={"csrf_token": csrf.group(1), "order_no": order.order_no},
        headers={"Accept-Language": "en"},
    )
    assert "Collect the card at hall" in back.text and "13800000021" in back.text
    assert "13800000022" in back.text.split('id="other-orders"', 1)[1]


def test_the_pickup_page_hands_over_and_refuses_another_id(
    http: TestClient, shop: ShopWorld
) -> None:
    person = shop.person()
    reservation = shop.order_in_review(person)
    order = shop.simreg.shop.order(reservation.secret)
    shop.approve(order)

    logged = http.post(
        "/login", data={"username": "clerk_hall", "password": PASSWORD}, follow_redirects=False
    )
    assert logged.status_code == 303
    desk = http.get(
        "/pickup", params={"order_no": order.order_no}, headers={"Accept-Language": "en"}
    )
    assert desk.status_code == 200 and order.msisdn in desk.text
    # A hall clerk has no courier's round, on the page or after a lookup that finds nothing.
    assert 'id="deliveries"' not in http.get("/pickup").text
    missing = http.get("/pickup", params={"order_no": "NOSUCH"})
    assert missing.status_code == 404 and 'id="deliveries"' not in missing.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', desk.text)
    assert csrf
    form = {"csrf_token": csrf.group(1), "order_no": order.order_no, "document_type": "resident_id"}
    refused = http.post(
        "/pickup/handover",
        data={
            **form,
            "document_number": shop.person().document_number,
            "inspection_method": "visual",
        },
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 422 and "RN-10-MISMATCH" in refused.text
    done = http.post(
        "/pickup/handover",
        data={
            **form,
            "document_number": person.document_number,
            "inspection_method": "chip_reader",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert http.get(done.headers["location"]).status_code == 200
    assert shop.line(order.msisdn)["state"] == "active"


def test_the_review_console_speaks_of_an_online_order_as_one(
    http: TestClient, shop: ShopWorld
) -> None:
    """No clerk is involved and the line opens only at hand-over (RN-10)."""
    shop.order_in_review(shop.person())
    logged = http.post(
        "/login", data={"username": "reviewer", "password": PASSWORD}, follow_redirects=False
    )
    assert logged.status_code == 303
    queue = http.get("/review")
    (registration_id,) = re.findall(r'/review/([0-9a-f]{32})/claim"', queue.text)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', queue.text)
    assert csrf
    item = http.post(
        f"/review/{registration_id}/claim",
        data={"csrf_token": csrf.group(1)},
        headers={"Accept-Language": "en"},
    )
    assert "Comment for the back-office (the customer is not shown it)" in item.text
    assert "Comment for the clerk" not in item.text
    told = http.post(
        f"/review/{registration_id}/approve",
        data={"csrf_token": csrf.group(1)},
        headers={"Accept-Language": "en"},
    )
    assert "the line opens when the customer's ID is checked at hand-over" in told.text
    assert "the clerk sees it" not in told.text


def test_a_courier_gets_the_round_with_addresses_over_the_api(settings: Settings) -> None:
    with shop_world(settings, online_card_sales=True) as shop:
        person = shop.person()
        reservation = shop.order_in_review(
            person,
            fulfilment="delivery",
            pickup_outlet_id=None,
            delivery_address="广州市天河区体育西路 100 号 3 栋",
            contact="13912345678",
        )
        order = shop.simreg.shop.order(reservation.secret)
        shop.approve(order)
        with TestClient(create_app(shop.simreg)) as http:
            headers = shop.world.headers("courier")
            round_ = http.get("/api/v1/orders/deliveries", headers=headers).json()["items"]
            assert [(o["order_no"], o["delivery_address"], o["contact"]) for o in round_] == [
                (order.order_no, "广州市天河区体育西路 100 号 3 栋", "13912345678")
            ]
            one = http.get(f"/api/v1/orders/deliveries/{order.order_no}", headers=headers)
            assert one.json()["contact"] == "13912345678"
            # The desk view stays masked; a hall clerk has no round.
            masked = http.get(f"/api/v1/orders/{order.order_no}", headers=headers).json()
            assert masked["contact"] == "139****5678"
            hall = http.get("/api/v1/orders/deliveries", headers=shop.world.headers("clerk_hall"))
            assert hall.status_code == 403 and hall.json()["code"] == "COURIERS-ONLY"
            # The courier's page lists the round, address in full.
            logged = http.post(
                "/login", data={"username": "courier", "password": "correct-horse-42"}
            )
            assert logged.status_code == 200
            page = http.get("/pickup")
            row = page.text.split(f'data-order="{order.order_no}"', 1)[1].split("</tr>", 1)[0]
            assert "体育西路" in row and "13912345678" in row


def test_a_social_outlets_clerk_opens_the_desk_and_is_told_it_hands_nothing_over(
    http: TestClient, shop: ShopWorld
) -> None:
    # The navigation offers "Online orders" to every clerk: the page opens (no 403), and a
    # lookup says why a reseller hands no card over (RN-11).
    http.post("/login", data={"username": "clerk_shop", "password": PASSWORD})
    desk = http.get("/pickup")
    assert desk.status_code == 200 and 'id="deliveries"' not in desk.text
    tried = http.get("/pickup", params={"order_no": "ANYORDER"})
    assert tried.status_code == 403 and "RN-11" in tried.text


def test_the_operator_closes_and_opens_online_card_sales_at_run_time(
    settings: Settings,
) -> None:
    # RN-11: the deployment starts with sales open; the operator closes them without a
    # restart, and every new order is pick-up only until they are opened again.
    with (
        shop_world(settings, online_card_sales=True) as shop,
        TestClient(create_app(shop.simreg)) as http,
    ):
        admin, auditor = shop.world.headers("admin"), shop.world.headers("auditor")
        assert http.get("/api/v1/online-card-sales", headers=auditor).json() == {"open": True}
        refused = http.put("/api/v1/online-card-sales", json={"open": False}, headers=auditor)
        assert refused.status_code == 403
        closed = http.put("/api/v1/online-card-sales", json={"open": False}, headers=admin)
        assert closed.json() == {"open": False}
        assert http.get("/api/v1/shop/halls").json()["delivery_offered"] is False
        with pytest.raises(RuleViolated) as rn11:
            shop.order_in_review(
                fulfilment="delivery",
                pickup_outlet_id=None,
                delivery_address="广州市天河区体育西路 100 号 3 栋",
                contact="13912345678",
            )
        assert rn11.value.code == "RN-11"
        assert http.put("/api/v1/online-card-sales", json={"open": True}, headers=admin).json() == {
            "open": True
        }
        assert http.get("/api/v1/shop/halls").json()["delivery_offered"] is True
        with shop.simreg.engine.connect() as conn:
            actions = (
                conn.execute(
                    select(t.audit_events.c.action)
                    .where(t.audit_events.c.action.like("online.card_sales%"))
                    .order_by(t.audit_events.c.id)
                )
                .scalars()
                .all()
            )
        assert actions == ["online.card_sales_closed", "online.card_sales_opened"]
        # The same switch on the back-office page, for an administrator.
        http.post("/login", data={"username": "admin", "password": PASSWORD})
        page = http.get("/orders", headers={"Accept-Language": "en"})
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf and 'id="card-sales-switch"' in page.text
        after = http.post(
            "/orders/card-sales",
            data={"csrf_token": csrf.group(1), "open": "0"},
            headers={"Accept-Language": "en"},
        )
        assert "Card sales online closed" in after.text
        assert shop.simreg.shop.card_sales_open() is False
