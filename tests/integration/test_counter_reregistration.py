"""Re-registration of a legacy line at the counter (RN-13, 补登): the holder brings their
document to an outlet; the clerk registers it on the line already in service; the back-office
reviews it; approval makes the line verified and credits a campaign that asked the line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from simreg.bootstrap import Simreg
from simreg.campaigns.domain import DEFAULT_TEMPLATE_ZH, CampaignPlan, parse_filters
from simreg.core.errors import Conflict, RuleViolated
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.db.review_queries import review_item
from simreg.lines.domain import LineState, RealNameState
from simreg.registration.domain import RegistrationSource, RegistrationState
from simreg.registration.services import RejectRegistration
from tests.integration.test_over_limit import keep_all_but, open_case
from tests.support.campaign_base import (
    MovableClock,
    app_with_clock,
    legacy_lines,
    line_states,
    org_units,
)
from tests.support.over_limit_base import document_holding, new_document_number
from tests.support.world import World, build_world


@pytest.fixture
def app(settings: Settings) -> Iterator[Simreg]:
    simreg = app_with_clock(settings, MovableClock())
    yield simreg
    simreg.close()


@pytest.fixture
def world(app: Simreg) -> World:
    built = build_world(app, pool_size=20)
    org_units(app)
    return built


def approve(world: World, registration_id: str) -> None:
    reviewer = world.actors["reviewer"]
    world.simreg.registrations.claim(reviewer, registration_id)
    world.simreg.registrations.approve(reviewer, registration_id, open_line=True)


def test_a_holder_re_registers_at_the_counter_and_the_line_becomes_verified(
    world: World,
) -> None:
    app = world.simreg
    (msisdn,) = legacy_lines(app, 1)
    manager = world.actors["manager"]
    plan = CampaignPlan(
        name="Q4",
        filters=parse_filters(),
        sms_template=DEFAULT_TEMPLATE_ZH,
        call_after_days=7,
        deadline=date(2026, 12, 31),
    )
    campaign_id = app.campaigns.create(manager, plan)
    app.campaigns.start(manager, campaign_id)

    # A passport is accepted at an own hall (RN-07), which a campaign link never takes.
    registration = world.submit(
        "clerk_hall",
        msisdn=msisdn,
        reregistration=True,
        document_type="passport",
        document_number="E12345678",
    )
    assert registration.source is RegistrationSource.COUNTER_REREG
    assert registration.state is RegistrationState.PENDING_REVIEW
    # The line stays in service while the review runs; a second try is refused.
    assert line_states(app, [msisdn])[msisdn] == ("active", "reverification_pending")
    with pytest.raises(Conflict) as twice:
        world.submit("clerk_hall2", msisdn=msisdn, reregistration=True)
    assert twice.value.code == "REREG-NOT-NEEDED"

    approve(world, registration.id)
    assert line_states(app, [msisdn])[msisdn] == ("active", "verified")
    with app.engine.connect() as conn:
        target = conn.execute(select(t.campaign_targets)).one()
        line = conn.execute(select(t.lines).where(t.lines.c.msisdn == msisdn)).one()
    assert target.re_registered_at is not None and target.re_registered_after == "sms"
    assert line.customer_id == registration.customer_id


def test_what_cannot_be_re_registered_at_the_counter(world: World) -> None:
    app = world.simreg
    (verified,) = legacy_lines(app, 1, real_name=RealNameState.VERIFIED)
    (closed,) = legacy_lines(app, 1, state=LineState.CANCELLED)
    (legacy,) = legacy_lines(app, 1)
    for msisdn, code in (
        (verified, "REREG-NOT-NEEDED"),
        (closed, "REREG-LINE-CLOSED"),
        (world.number(), "REREG-LINE-CLOSED"),  # a free number is sold, not re-registered
        ("13999999999", "REREG-LINE-CLOSED"),  # not the operator's
    ):
        with pytest.raises(Conflict) as refused:
            world.submit("clerk_hall", msisdn=msisdn, reregistration=True)
        assert refused.value.code == code, msisdn
    # The channel's rules hold as for a new line: a reseller takes the resident ID only.
    with pytest.raises(RuleViolated) as social:
        world.submit(
            "clerk_shop",
            msisdn=legacy,
            reregistration=True,
            document_type="passport",
            document_number="E12345678",
        )
    assert "RN-07" in [v["code"] for v in social.value.details["violations"]]
    assert line_states(app, [legacy])[legacy] == ("active", "legacy_unverified")


def test_a_rejected_or_withdrawn_counter_re_registration_leaves_the_line_in_service(
    world: World,
) -> None:
    app = world.simreg
    first, second = legacy_lines(app, 2, state=LineState.SUSPENDED_ONE_WAY)
    registration = world.submit("clerk_hall", msisdn=first, reregistration=True)
    reviewer = world.actors["reviewer"]
    app.registrations.claim(reviewer, registration.id)
    app.registrations.reject(reviewer, registration.id, RejectRegistration(("not_original",)))
    withdrawn = world.submit("clerk_hall", msisdn=second, reregistration=True)
    app.registrations.cancel(world.actors["clerk_hall"], withdrawn.id, "wrong customer")
    states = line_states(app, [first, second])
    assert states == {
        first: ("suspended_one_way", "legacy_unverified"),
        second: ("suspended_one_way", "legacy_unverified"),
    }
    with app.engine.connect() as conn:
        held = conn.execute(select(t.customers.c.held_lines)).scalars().all()
    assert set(held) == {0}  # both slots given back (RN-05)


def test_a_rejected_counter_re_registration_is_sent_again_on_its_own_line(world: World) -> None:
    app = world.simreg
    first, other = legacy_lines(app, 2)
    registration = world.submit("clerk_hall", msisdn=first, reregistration=True)
    reviewer = world.actors["reviewer"]
    app.registrations.claim(reviewer, registration.id)
    app.registrations.reject(reviewer, registration.id, RejectRegistration(("not_original",)))
    for wrong in (
        {"msisdn": other, "reregistration": True},  # another line
        {"reregistration": False},  # a pool number sold instead
    ):
        with pytest.raises(Conflict) as refused:
            world.submit("clerk_hall", resubmission_of=registration.id, **wrong)
        assert refused.value.code == "REGISTRATION-RESUBMISSION-KIND", wrong
    again = world.submit(
        "clerk_hall", msisdn=first, reregistration=True, resubmission_of=registration.id
    )
    assert again.source is RegistrationSource.COUNTER_REREG


def test_a_refused_re_registration_leaves_the_bases_identity_problem_on_record(
    world: World,
) -> None:
    app = world.simreg
    (msisdn,) = legacy_lines(app, 1)
    with app.engine.begin() as conn:
        conn.execute(
            t.lines.update().where(t.lines.c.msisdn == msisdn).values(identity_issue="DOC-LENGTH")
        )

    def issue() -> str | None:
        with app.engine.connect() as conn:
            return conn.execute(
                select(t.lines.c.identity_issue).where(t.lines.c.msisdn == msisdn)
            ).scalar_one()

    reviewer = world.actors["reviewer"]
    refused = world.submit("clerk_hall", msisdn=msisdn, reregistration=True)
    app.registrations.claim(reviewer, refused.id)
    app.registrations.reject(reviewer, refused.id, RejectRegistration(("name_mismatch",)))
    assert issue() == "DOC-LENGTH"  # the base's figure of invalid identities does not move
    approved = world.submit("clerk_hall", msisdn=msisdn, reregistration=True)
    approve(world, approved.id)
    assert line_states(app, [msisdn])[msisdn] == ("active", "verified")
    # Cancelled after approval, the line is as the base had it, its problem included.
    app.registrations.cancel(reviewer, approved.id, "forged document")
    assert issue() == "DOC-LENGTH"


def test_the_reviewer_sees_whether_the_document_is_the_one_an_rn14_transfer_named(
    world: World,
) -> None:
    app, risk = world.simreg, world.actors["risk"]
    holder = document_holding(app, 7)
    app.over_limit.find(risk)
    case_id = open_case(app, holder)
    named, stranger = new_document_number(), new_document_number()
    to_named = ("transfer", "resident_id", named, "钱多")
    decisions = keep_all_but(holder, l0=to_named, l1=to_named)
    app.over_limit.resolve(risk, case_id, decisions)

    # Same name, other document: the name check passes, the document check does not.
    other = world.submit(
        "clerk_hall",
        msisdn=holder.msisdns[0],
        reregistration=True,
        document_number=stranger,
        customer_name="钱多",
    )
    right = world.submit(
        "clerk_hall",
        msisdn=holder.msisdns[1],
        reregistration=True,
        document_number=named,
        customer_name="钱多",
    )
    reviewer = world.actors["reviewer"]
    with app.engine.connect() as conn:
        assert review_item(conn, reviewer, other.id)["named_document_matches"] is False
        assert review_item(conn, reviewer, right.id)["named_document_matches"] is True
    # Approved, then cancelled: the next re-registration is compared with the same document.
    approve(world, right.id)
    app.registrations.cancel(reviewer, right.id, "forged document")
    again = world.submit(
        "clerk_hall",
        msisdn=holder.msisdns[1],
        reregistration=True,
        document_number=stranger,
        customer_name="钱多",
    )
    with app.engine.connect() as conn:
        assert review_item(conn, reviewer, again.id)["named_document_matches"] is False
