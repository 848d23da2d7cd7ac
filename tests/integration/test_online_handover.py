"""Hand-over of an online order (RN-10) on SQLite and PostgreSQL: the ID presented at the hall
or at the door must be the one submitted online; a match opens the line, a mismatch is
refused and recorded, and couriers only confirm delivery while card sales are open (RN-11)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from simreg.core.errors import Conflict, Forbidden, NotFound, RuleViolated
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.online.handover import PresentedId
from simreg.simulators.identity_authority import Person
from tests.support.shop import ShopWorld, shop_world


@pytest.fixture
def shop(settings: Settings) -> Iterator[ShopWorld]:
    with shop_world(settings) as built:
        yield built


def ready_order(shop: ShopWorld, person: Person, **overrides: object) -> str:
    reservation = shop.order_in_review(person, **overrides)
    shop.approve(shop.simreg.shop.order(reservation.secret))
    return reservation.secret


def presented(order_no: str, person: Person, method: str = "chip_reader") -> PresentedId:
    return PresentedId(order_no, "resident_id", person.document_number, method)


def audit_rows(shop: ShopWorld, action: str) -> list[dict[str, object]]:
    with shop.simreg.engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_events).where(t.audit_events.c.action == action)
        ).mappings()
        return [dict(r) for r in rows]


def test_the_matching_id_at_the_chosen_hall_opens_the_line(shop: ShopWorld) -> None:
    person = shop.person()
    secret = ready_order(shop, person)
    order = shop.simreg.shop.order(secret)
    clerk = shop.world.actors["clerk_hall"]
    assert shop.simreg.handovers.ready_order(clerk, order.order_no.lower()).id == order.id
    # The customer who remembers only the number bought is found by it too.
    assert shop.simreg.handovers.ready_order(clerk, order.msisdn).id == order.id
    typed = "+86 " + order.msisdn.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert shop.simreg.handovers.ready_order(clerk, typed).id == order.id

    done = shop.simreg.handovers.hand_over(clerk, presented(order.order_no, person))
    assert done.status.value == "completed"
    line = shop.line(order.msisdn)
    assert (line["state"], line["real_name_state"]) == ("active", "verified")
    assert line["customer_id"] == done.customer_id
    with shop.simreg.engine.connect() as conn:
        registration = conn.execute(
            select(t.registrations.c.state, t.registrations.c.activated_at).where(
                t.registrations.c.id == done.registration_id
            )
        ).one()
        handovers = conn.execute(select(t.order_handovers)).mappings().all()
    assert registration.state == "active" and registration.activated_at is not None
    assert [(h["method"], h["inspection_method"], h["outcome"]) for h in handovers] == [
        ("pickup", "chip_reader", "match")
    ]
    assert len(audit_rows(shop, "online_order.handed_over")) == 1
    assert shop.held_lines(person) == 1


def test_another_persons_id_is_refused_recorded_and_the_order_still_waits(
    shop: ShopWorld,
) -> None:
    person, stranger = shop.person(), shop.person()
    secret = ready_order(shop, person)
    order = shop.simreg.shop.order(secret)
    clerk = shop.world.actors["clerk_hall"]
    with pytest.raises(RuleViolated) as refused:
        shop.simreg.handovers.hand_over(clerk, presented(order.order_no, stranger, "visual"))
    assert refused.value.code == "RN-10-MISMATCH"

    assert shop.simreg.shop.order(secret).status.value == "ready"
    assert shop.line(order.msisdn)["state"] == "reserved"
    with shop.simreg.engine.connect() as conn:
        outcomes = conn.execute(select(t.order_handovers.c.outcome)).scalars().all()
    assert outcomes == ["mismatch"]
    [audit] = audit_rows(shop, "online_order.handover")
    assert (audit["outcome"], audit["codes"]) == ("refused", "RN-10-MISMATCH")

    # The right person can still collect it.
    done = shop.simreg.handovers.hand_over(clerk, presented(order.order_no, person))
    assert done.status.value == "completed"


def test_another_hall_does_not_see_the_order(shop: ShopWorld) -> None:
    person = shop.person()
    order = shop.simreg.shop.order(ready_order(shop, person))
    with pytest.raises(NotFound):
        shop.simreg.handovers.hand_over(
            shop.world.actors["clerk_hall2"], presented(order.order_no, person)
        )
    with pytest.raises(Forbidden):  # a social outlet never hands online orders over
        shop.simreg.handovers.ready_order(shop.world.actors["clerk_shop"], order.order_no)
    with pytest.raises(Forbidden):
        shop.simreg.handovers.ready_order(shop.world.actors["reviewer"], order.order_no)


def test_an_order_still_in_review_cannot_be_handed_over(shop: ShopWorld) -> None:
    person = shop.person()
    order = shop.simreg.shop.order(shop.order_in_review(person).secret)
    with pytest.raises(Conflict) as refused:
        shop.simreg.handovers.hand_over(
            shop.world.actors["clerk_hall"], presented(order.order_no, person)
        )
    assert refused.value.code == "ORDER-STATE"
    assert shop.line(order.msisdn)["state"] == "reserved"


def test_delivery_when_card_sales_are_open_is_confirmed_by_the_courier(
    settings: Settings,
) -> None:
    with shop_world(settings, online_card_sales=True) as shop:
        person = shop.person()
        secret = ready_order(
            shop,
            person,
            fulfilment="delivery",
            pickup_outlet_id=None,
            delivery_address="浙江省杭州市西湖区文三路 100 号 3 单元",
            contact="13912345678",
        )
        order = shop.simreg.shop.order(secret)
        assert order.delivery_address_masked is not None
        assert "文三路" not in order.delivery_address_masked
        assert order.contact_masked == "139****5678"
        with pytest.raises(NotFound):  # a hall clerk does not deliver
            shop.simreg.handovers.hand_over(
                shop.world.actors["clerk_hall"], presented(order.order_no, person)
            )
        # The courier's round lists it with the address and the number to call in full; a
        # hall clerk has no round, and each look is audited.
        (slip,) = shop.simreg.handovers.deliveries(shop.courier)
        assert slip.order.order_no == order.order_no
        assert (slip.address, slip.contact) == (
            "浙江省杭州市西湖区文三路 100 号 3 单元",
            "13912345678",
        )
        at_door = shop.simreg.handovers.delivery_slip(shop.courier, order.order_no.lower())
        assert at_door.address == slip.address
        with pytest.raises(Forbidden) as hall:
            shop.simreg.handovers.deliveries(shop.world.actors["clerk_hall"])
        assert hall.value.code == "COURIERS-ONLY"
        with shop.simreg.engine.connect() as conn:
            looked = (
                conn.execute(
                    select(t.audit_events.c.action)
                    .where(t.audit_events.c.action.like("online_order.deliver%"))
                    .order_by(t.audit_events.c.id)
                )
                .scalars()
                .all()
            )
        assert looked == ["online_order.deliveries_listed", "online_order.delivery_viewed"]
        with pytest.raises(RuleViolated):
            shop.simreg.handovers.hand_over(
                shop.courier, presented(order.order_no, shop.person(), "visual")
            )
        done = shop.simreg.handovers.hand_over(shop.courier, presented(order.order_no, person))
        assert done.status.value == "completed"
        with shop.simreg.engine.connect() as conn:
            methods = conn.execute(
                select(t.order_handovers.c.method, t.order_handovers.c.outcome).order_by(
                    t.order_handovers.c.id
                )
            ).all()
        assert [tuple(m) for m in methods] == [("delivery", "mismatch"), ("delivery", "match")]
        assert shop.line(order.msisdn)["state"] == "active"


def test_cancelling_a_handed_over_registration_retires_the_line(shop: ShopWorld) -> None:
    person = shop.person()
    order = shop.simreg.shop.order(ready_order(shop, person))
    done = shop.simreg.handovers.hand_over(
        shop.world.actors["clerk_hall"], presented(order.order_no, person)
    )
    assert done.registration_id is not None
    shop.simreg.registrations.cancel(
        shop.world.actors["admin"], done.registration_id, reason="customer reported it lost"
    )
    assert shop.line(order.msisdn)["state"] == "cancelled"
    assert shop.held_lines(person) == 0
