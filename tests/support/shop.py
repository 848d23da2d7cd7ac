"""The online shop for tests: simreg on the test's database, a movable clock, the identity
authority simulator over real HTTP with its own residents, and an online channel whose clerk
is a courier."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from simreg.adapters.passwords import Argon2Passwords
from simreg.bootstrap import Simreg, bootstrap
from simreg.channels.domain import ChannelKind
from simreg.core.actors import Actor, Role
from simreg.core.settings import Settings
from simreg.db import directory
from simreg.db import tables as t
from simreg.online.domain import OnlineOrder
from simreg.online.services import Reservation, SubmitIdentity
from simreg.simulators.identity_authority import AuthorityServer, Person, Population
from simreg.simulators.identity_authority.server import running_authority
from tests.support.sms import MovableClock
from tests.support.world import BACK, FRONT, World, build_world, jpeg

PORTRAIT = jpeg(colour=(180, 150, 140))
PHOTOS = {"front": FRONT, "back": BACK, "portrait": PORTRAIT}


@dataclass
class ShopWorld:
    simreg: Simreg
    world: World
    authority: AuthorityServer
    clock: MovableClock
    population: Population
    courier: Actor
    _next_person: int = 0

    def person(self) -> Person:
        """A resident the authority knows, a new one each time."""
        found = self.population.person(self._next_person)
        self._next_person += 1
        return found

    def reserve(self, msisdn: str | None = None) -> Reservation:
        return self.simreg.shop.reserve(msisdn or self.world.number())

    def identity(self, person: Person, **overrides: Any) -> SubmitIdentity:
        values: dict[str, Any] = {
            "document_number": person.document_number,
            "customer_name": person.name,
            "fulfilment": "pickup",
            "pickup_outlet_id": self.world.outlets["hall"],
            "photos": PHOTOS,
        }
        values.update(overrides)
        return SubmitIdentity(**values)

    def order_in_review(self, person: Person | None = None, **overrides: Any) -> Reservation:
        reservation = self.reserve()
        order = self.simreg.shop.submit(
            reservation.secret, self.identity(person or self.person(), **overrides)
        )
        assert order.status.value == "in_review", order
        return reservation

    def approve(self, order: OnlineOrder) -> None:
        assert order.registration_id is not None
        self.simreg.registrations.approve(self.world.actors["reviewer"], order.registration_id)

    def line(self, msisdn: str) -> dict[str, Any]:
        with self.simreg.engine.connect() as conn:
            row = conn.execute(select(t.lines).where(t.lines.c.msisdn == msisdn)).mappings().one()
            return dict(row)

    def held_lines(self, person: Person) -> int:
        from simreg.identity.documents import document_index, parse_document

        document = parse_document("resident_id", person.document_number, today=self.clock.today())
        with self.simreg.engine.connect() as conn:
            held = conn.execute(
                select(t.customers.c.held_lines).where(
                    t.customers.c.doc_index == document_index(self.simreg.vault, document)
                )
            ).scalar_one_or_none()
        return int(held or 0)


def shop_settings(settings: Settings, authority_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "identity_authority_url": authority_url,
        "identity_authority_retries": 0,
        "identity_authority_timeout": 2.0,
        "identity_authority_breaker_failures": 1000,
        "public_rate_per_address": 10_000,
        "public_rate_per_document": 1_000,
    }
    values.update(overrides)
    return settings.model_copy(update=values)


@contextmanager
def shop_world(settings: Settings, **overrides: Any) -> Iterator[ShopWorld]:
    population = Population(seed=31, size=300)
    clock = MovableClock()
    with running_authority(population) as authority:
        app = bootstrap(
            shop_settings(settings, authority.url, **overrides),
            clock=clock,
            passwords=Argon2Passwords(fast_for_tests=True),
        )
        try:
            world = build_world(app)
            courier = add_courier(app, world)
            yield ShopWorld(app, world, authority, clock, population, courier)
        finally:
            app.close()


def add_courier(app: Simreg, world: World) -> Actor:
    """The web shop's own channel, its dispatch outlet, and a courier who delivers for it."""
    now = app.clock.now()
    with app.engine.begin() as conn:
        channel = directory.add_channel(
            conn, code="WEB", name="Web shop", kind=ChannelKind.ONLINE, at=now
        )
        outlet = directory.add_outlet(
            conn, channel_id=channel, code="WEB-DISPATCH", name="Web dispatch", at=now
        )
        staff_id = directory.add_staff(
            conn,
            username="courier",
            display_name="courier",
            role=Role.CLERK,
            at=now,
            outlet_id=outlet,
            password_hash=app.staff.hasher.hash("correct-horse-42"),
        )
        world.tokens["courier"] = directory.issue_token(
            conn, app.vault.tokens, at=now, staff_id=staff_id
        )
    world.outlets["web"] = outlet
    actor = Actor(staff_id, "courier", Role.CLERK, outlet)
    world.actors["courier"] = actor
    return actor
