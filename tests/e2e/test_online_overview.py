"""The back-office's view of the online shop: orders by status with refused hand-overs, and
the identity authority's recent answers with what waits on it; staff of the shop floor and
the public see none of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from simreg.core.settings import Settings
from simreg.online.handover import PresentedId
from simreg.web.app import create_app
from tests.support.shop import ShopWorld, shop_world
from tests.support.world import PASSWORD


@pytest.fixture
def shop(settings: Settings) -> Iterator[ShopWorld]:
    with shop_world(settings) as built:
        yield built


@pytest.fixture
def http(shop: ShopWorld) -> Iterator[TestClient]:
    with TestClient(create_app(shop.simreg), raise_server_exceptions=False) as client:
        yield client


def orders_in_every_state(shop: ShopWorld) -> dict[str, str]:
    """One order waiting for review, one ready with a refused hand-over, one waiting for the
    authority (made while the simulator answers nothing); their order numbers by state."""
    app = shop.simreg
    in_review = app.shop.order(shop.order_in_review().secret)
    ready = app.shop.order(shop.order_in_review().secret)
    shop.approve(ready)
    with pytest.raises(Exception, match="RN-10"):
        app.handovers.hand_over(
            shop.world.actors["clerk_hall"],
            PresentedId(ready.order_no, "resident_id", "11010519491231002X", "chip_reader"),
        )
    shop.authority.authority.configure(failure_rate=1.0)
    waiting = app.shop.submit(shop.reserve().secret, shop.identity(shop.person()))
    shop.authority.authority.configure(failure_rate=0.0)
    assert waiting.status.value == "verification_pending"
    return {"in_review": in_review.order_no, "ready": ready.order_no, "waiting": waiting.order_no}


def test_the_back_office_sees_orders_and_the_authority(http: TestClient, shop: ShopWorld) -> None:
    made = orders_in_every_state(shop)
    admin = shop.world.headers("admin")

    listed = http.get("/api/v1/online-orders", headers=admin)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["counts"]["in_review"] == 1 and body["counts"]["ready"] == 1
    assert body["counts"]["verification_pending"] == 1
    by_no = {o["order_no"]: o for o in body["items"]}
    assert by_no[made["ready"]]["refused_handovers"] == 1
    assert by_no[made["waiting"]]["status"] == "verification_pending"
    assert by_no[made["waiting"]]["next_check_at"] is not None
    # Masked names only: no full name or document number leaves the server.
    assert all("*" in (o["name"] or "*") for o in body["items"])

    ready_only = http.get("/api/v1/online-orders?status=ready", headers=admin).json()
    assert [o["order_no"] for o in ready_only["items"]] == [made["ready"]]
    assert http.get("/api/v1/online-orders?status=bogus", headers=admin).status_code == 422

    summary = http.get("/api/v1/identity-authority/summary", headers=admin).json()
    assert summary["waiting"] == {"orders": 1, "bindings": 0}
    assert summary["windows"]["hour"]["match"] >= 2
    assert summary["windows"]["hour"]["unavailable"] >= 1
    assert summary["connection"] == "closed"
    assert summary["last_answer_at"] is not None


def test_the_page_lists_orders_in_both_languages(http: TestClient, shop: ShopWorld) -> None:
    made = orders_in_every_state(shop)
    http.post("/login", data={"username": "reviewer", "password": PASSWORD})
    english = {"Accept-Language": "en"}
    page = http.get("/orders", headers=english)
    assert page.status_code == 200
    assert made["ready"] in page.text and "Hand-overs refused: 1" in page.text
    assert 'id="authority-waiting">1 online orders, 0 group users' in page.text
    waiting = http.get("/orders?status=verification_pending", headers=english)
    assert made["waiting"] in waiting.text and made["ready"] not in waiting.text
    chinese = http.get("/orders", headers={"Accept-Language": "zh-CN"})
    assert "网上营业厅" in chinese.text and "交付被拒 1 次" in chinese.text


@pytest.mark.parametrize("who", ["clerk_hall", "anonymous"])
def test_shop_floor_and_public_do_not_see_it(http: TestClient, shop: ShopWorld, who: str) -> None:
    headers = {} if who == "anonymous" else shop.world.headers(who)
    assert http.get("/api/v1/online-orders", headers=headers).status_code in (401, 403)
    assert http.get("/api/v1/identity-authority/summary", headers=headers).status_code in (
        401,
        403,
    )
