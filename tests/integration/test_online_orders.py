"""The online shop on SQLite and PostgreSQL, against the identity-authority simulator over
HTTP: reservation and expiry, the identity step (match, mismatch, not found, unavailable),
and what review decisions do to the order, the number and the RN-05 slot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from simreg.core.errors import Conflict, InvalidInput, NotFound, RuleViolated, TooManyRequests
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.simulators.identity_authority import Person
from tests.support.shop import ShopWorld, shop_world


@pytest.fixture
def shop(settings: Settings) -> Iterator[ShopWorld]:
    with shop_world(settings) as built:
        yield built


def test_a_reserved_number_is_held_for_one_order_and_returns_when_the_time_runs_out(
    shop: ShopWorld,
) -> None:
    msisdn = shop.world.number()
    reservation = shop.reserve(msisdn)
    assert reservation.order.status.value == "reserved"
    assert shop.line(msisdn)["state"] == "reserved"
    with pytest.raises(Conflict) as taken:
        shop.reserve(msisdn)
    assert taken.value.code == "LINE-TAKEN"

    shop.clock.advance(minutes=31)
    seen = shop.simreg.shop.order(reservation.secret)  # expiry is checked on access
    assert seen.status.value == "expired"
    assert shop.line(msisdn)["state"] == "available"
    assert shop.reserve(msisdn).order.status.value == "reserved"


def test_the_sweep_expires_reservations_nobody_looks_at(shop: ShopWorld) -> None:
    first, second = shop.reserve(), shop.reserve()
    shop.clock.advance(minutes=31)
    assert shop.simreg.shop.sweep().reservations_expired == 2
    for reservation in (first, second):
        assert shop.line(reservation.order.msisdn)["state"] == "available"
    assert shop.simreg.shop.sweep().reservations_expired == 0


def test_a_secret_opens_only_its_own_order(shop: ShopWorld) -> None:
    shop.reserve()
    with pytest.raises(NotFound):
        shop.simreg.shop.order("not-the-secret")


def test_a_confirmed_identity_enters_the_review_queue_with_its_photos(shop: ShopWorld) -> None:
    person = shop.person()
    reservation = shop.reserve()
    order = shop.simreg.shop.submit(reservation.secret, shop.identity(person))

    assert order.status.value == "in_review"
    assert order.name_masked and person.name not in order.name_masked
    assert shop.held_lines(person) == 1
    registration = shop.simreg.registrations.claim_next(shop.world.actors["reviewer"])
    assert registration == order.registration_id
    with shop.simreg.engine.connect() as conn:
        row = conn.execute(
            select(t.registrations).where(t.registrations.c.id == registration)
        ).one()
        photos = conn.execute(
            select(func.count()).where(t.registration_photos.c.registration_id == registration)
        ).scalar_one()
        check = conn.execute(
            select(t.identity_checks.c.result, t.identity_checks.c.purpose).where(
                t.identity_checks.c.id
                == select(t.online_orders.c.identity_check_id)
                .where(t.online_orders.c.id == order.id)
                .scalar_subquery()
            )
        ).one()
    assert (row.source, row.state, row.inspection_method) == (
        "online",
        "pending_review",
        "online_upload",
    )
    assert photos == 3
    assert tuple(check) == ("match", "online_order")
    assert shop.line(order.msisdn)["state"] == "reserved"


@pytest.mark.parametrize("wrong", ["name", "number"])
def test_a_wrong_name_and_an_unknown_number_get_the_same_answer(
    shop: ShopWorld, wrong: str
) -> None:
    person = shop.person()
    if wrong == "name":
        attempt = Person(person.document_number, "王小明" if person.name != "王小明" else "李四")
    else:
        attempt = Person("11010519491231002X", person.name)  # valid, but not in the register
    reservation = shop.reserve()
    order = shop.simreg.shop.submit(reservation.secret, shop.identity(attempt))

    assert order.status.value == "refused"
    assert order.refusal_code == "ONLINE-ID-UNCONFIRMED"
    assert shop.line(order.msisdn)["state"] == "available"
    with shop.simreg.engine.connect() as conn:
        customers = conn.execute(select(func.count()).select_from(t.customers)).scalar_one()
    assert customers == 0  # an unconfirmed document never becomes a customer


def test_an_unavailable_authority_leaves_the_order_waiting_until_it_answers(
    shop: ShopWorld,
) -> None:
    person = shop.person()
    reservation = shop.reserve()
    shop.authority.stop()
    order = shop.simreg.shop.submit(reservation.secret, shop.identity(person))
    assert order.status.value == "verification_pending"
    assert order.next_check_at is not None and order.next_check_at > shop.clock.now()
    assert shop.held_lines(person) == 0
    assert shop.simreg.registrations.claim_next(shop.world.actors["reviewer"]) is None

    assert shop.simreg.shop.retry_pending() == 0  # not due yet
    shop.clock.advance(minutes=2)
    assert shop.simreg.shop.retry_pending() == 1  # due, still unavailable: waits longer
    assert shop.simreg.shop.order(reservation.secret).status.value == "verification_pending"

    shop.authority.start()
    shop.clock.advance(minutes=5)
    assert shop.simreg.shop.retry_pending() == 1
    waited = shop.simreg.shop.order(reservation.secret)
    assert waited.status.value == "in_review"
    assert waited.check_attempts == 2
    assert shop.held_lines(person) == 1


def test_approval_makes_the_order_ready_without_opening_the_line(shop: ShopWorld) -> None:
    reservation = shop.order_in_review()
    order = shop.simreg.shop.order(reservation.secret)
    shop.approve(order)
    ready = shop.simreg.shop.order(reservation.secret)
    assert ready.status.value == "ready"
    assert ready.collect_by is not None
    assert (ready.collect_by - shop.clock.now()).days == 7
    assert shop.line(order.msisdn)["state"] == "reserved"
    assert order.registration_id is not None
    with pytest.raises(RuleViolated) as refused:
        shop.simreg.registrations.activate(shop.world.actors["reviewer"], order.registration_id)
    assert refused.value.code == "RN-10"


def test_a_rejected_review_refuses_the_order_and_frees_number_and_slot(shop: ShopWorld) -> None:
    from simreg.registration.services import RejectRegistration

    person = shop.person()
    reservation = shop.order_in_review(person)
    order = shop.simreg.shop.order(reservation.secret)
    assert order.registration_id is not None
    shop.simreg.registrations.reject(
        shop.world.actors["reviewer"],
        order.registration_id,
        RejectRegistration(("portrait_mismatch",)),
    )
    refused = shop.simreg.shop.order(reservation.secret)
    assert (refused.status.value, refused.refusal_code) == ("refused", "REVIEW-REJECTED")
    assert shop.line(order.msisdn)["state"] == "available"
    assert shop.held_lines(person) == 0


def test_the_customer_may_cancel_before_approval_but_not_after(shop: ShopWorld) -> None:
    person = shop.person()
    waiting = shop.order_in_review(person)
    cancelled = shop.simreg.shop.cancel(waiting.secret)
    assert cancelled.status.value == "cancelled"
    assert shop.held_lines(person) == 0
    assert shop.line(cancelled.msisdn)["state"] == "available"
    with shop.simreg.engine.connect() as conn:
        state = conn.execute(
            select(t.registrations.c.state).where(t.registrations.c.id == cancelled.registration_id)
        ).scalar_one()
    assert state == "cancelled"

    approved = shop.order_in_review()
    shop.approve(shop.simreg.shop.order(approved.secret))
    with pytest.raises(Conflict):
        shop.simreg.shop.cancel(approved.secret)


def test_an_uncollected_order_lapses_and_everything_it_held_is_given_back(
    shop: ShopWorld,
) -> None:
    person = shop.person()
    reservation = shop.order_in_review(person)
    shop.approve(shop.simreg.shop.order(reservation.secret))
    shop.clock.advance(days=8)
    assert shop.simreg.shop.sweep().collections_lapsed == 1
    lapsed = shop.simreg.shop.order(reservation.secret)
    assert lapsed.status.value == "expired"
    assert shop.line(lapsed.msisdn)["state"] == "available"
    assert shop.held_lines(person) == 0


def test_rn05_is_told_only_after_the_authority_confirmed_the_identity(shop: ShopWorld) -> None:
    person = shop.person()
    for _ in range(5):
        shop.order_in_review(person)
    reservation = shop.reserve()
    sixth = shop.simreg.shop.submit(reservation.secret, shop.identity(person))
    assert (sixth.status.value, sixth.refusal_code) == ("refused", "RN-05")
    assert shop.held_lines(person) == 5
    assert shop.line(sixth.msisdn)["state"] == "available"


def test_delivery_is_refused_while_online_card_sales_are_closed(shop: ShopWorld) -> None:
    reservation = shop.reserve()
    with pytest.raises(RuleViolated) as closed:
        shop.simreg.shop.submit(
            reservation.secret,
            shop.identity(
                shop.person(),
                fulfilment="delivery",
                pickup_outlet_id=None,
                delivery_address="浙江省杭州市西湖区文三路 100 号",
                contact="13912345678",
            ),
        )
    assert closed.value.code == "RN-11"
    assert shop.simreg.shop.order(reservation.secret).status.value == "reserved"


def test_pickup_only_at_a_hall_of_an_active_own_channel(shop: ShopWorld) -> None:
    reservation = shop.reserve()
    for outlet in ("shop", "closed"):  # a social outlet; an inactive own hall
        with pytest.raises(InvalidInput) as refused:
            shop.simreg.shop.submit(
                reservation.secret,
                shop.identity(shop.person(), pickup_outlet_id=shop.world.outlets[outlet]),
            )
        assert refused.value.code == "SHOP-HALL"


def test_one_document_is_tried_only_so_often(settings: Settings) -> None:
    with shop_world(settings, public_rate_per_document=2) as shop:
        person = shop.person()
        for _ in range(2):
            reservation = shop.reserve()
            shop.simreg.shop.submit(
                reservation.secret, shop.identity(Person(person.document_number, "张三丰"))
            )
        reservation = shop.reserve()
        with pytest.raises(TooManyRequests) as throttled:
            shop.simreg.shop.submit(reservation.secret, shop.identity(person))
        assert throttled.value.retry_after > 0
        assert shop.simreg.shop.order(reservation.secret).status.value == "reserved"


def test_made_up_orders_do_not_use_up_a_documents_tries(settings: Settings) -> None:
    with shop_world(settings, public_rate_per_document=2) as shop:
        victim = shop.person()
        for _ in range(5):  # someone with the victim's number and no order of their own
            with pytest.raises(NotFound) as unknown:
                shop.simreg.shop.submit("no-such-order", shop.identity(victim))
            assert unknown.value.code == "ORDER-NOT-FOUND"
        reservation = shop.reserve()
        shop.simreg.shop.submit(reservation.secret, shop.identity(victim))
        assert shop.simreg.shop.order(reservation.secret).status.value != "reserved"
