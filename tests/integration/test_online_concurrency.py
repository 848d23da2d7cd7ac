"""Two customers reserving one number at the same moment: exactly one order gets it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from simreg.core.errors import Conflict
from simreg.core.settings import Settings
from simreg.db import tables as t
from tests.support.shop import ShopWorld, shop_world

CLIENTS = 8


@pytest.fixture
def shop(settings: Settings) -> Iterator[ShopWorld]:
    with shop_world(settings) as built:
        yield built


def test_parallel_reservations_of_one_number_let_exactly_one_through(shop: ShopWorld) -> None:
    msisdn = shop.world.number()
    start = threading.Barrier(CLIENTS)
    won: list[str] = []
    lost: list[str] = []

    def customer() -> None:
        start.wait()
        try:
            won.append(shop.simreg.shop.reserve(msisdn).order.order_no)
        except Conflict as taken:
            lost.append(taken.code)

    threads = [threading.Thread(target=customer) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(won) == 1
    assert lost == ["LINE-TAKEN"] * (CLIENTS - 1)
    with shop.simreg.engine.connect() as conn:
        open_orders = conn.execute(
            select(func.count()).where(t.online_orders.c.open_line_id.is_not(None))
        ).scalar_one()
    assert open_orders == 1
    assert shop.line(msisdn)["state"] == "reserved"
