"""The registration lifecycle on a real database: submit, review, activate, reject, cancel."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from simreg.core.errors import Conflict, Forbidden, NotFound, RuleViolated
from simreg.db import tables as t
from simreg.registration.domain import RegistrationState
from simreg.registration.services import RejectRegistration
from tests.support.world import World


def line_of(engine: Engine, msisdn: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(t.lines).where(t.lines.c.msisdn == msisdn)).one()


def audit_trail(engine: Engine, registration_id: str) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(t.audit_events)
                .where(t.audit_events.c.registration_id == registration_id)
                .order_by(t.audit_events.c.id)
            )
        )


def held(engine: Engine, registration_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(t.customers.c.held_lines)
                .join(t.registrations, t.registrations.c.customer_id == t.customers.c.id)
                .where(t.registrations.c.id == registration_id)
            ).scalar_one()
        )


def test_submitted_registration_waits_for_review_and_the_line_is_not_open(world: World) -> None:
    msisdn = world.number()
    registration = world.submit(msisdn=msisdn)

    assert registration.state is RegistrationState.PENDING_REVIEW
    line = line_of(world.simreg.engine, msisdn)
    assert line.state == "pending_review"
    assert line.opened_at is None
    assert held(world.simreg.engine, registration.id) == 1


def test_approval_then_activation_opens_the_line_with_verified_real_name(world: World) -> None:
    msisdn = world.number()
    registration = world.submit(msisdn=msisdn)
    reviewer = world.actors["reviewer"]

    world.simreg.registrations.approve(reviewer, registration.id)
    assert line_of(world.simreg.engine, msisdn).state == "pending_review"
    active = world.simreg.registrations.activate(reviewer, registration.id)

    assert active.state is RegistrationState.ACTIVE
    line = line_of(world.simreg.engine, msisdn)
    assert (line.state, line.real_name_state) == ("active", "verified")
    assert line.opened_at is not None


def test_every_transition_is_audited_with_who_where_and_which_device(world: World) -> None:
    registration = world.submit("clerk_shop")
    reviewer = world.actors["reviewer"]
    world.simreg.registrations.approve(reviewer, registration.id)
    world.simreg.registrations.activate(reviewer, registration.id)

    trail = audit_trail(world.simreg.engine, registration.id)
    assert [e.action for e in trail] == [
        "registration.submitted",
        "registration.approved",
        "registration.activated",
    ]
    submitted = trail[0]
    clerk = world.actors["clerk_shop"]
    assert submitted.actor_staff_id == clerk.staff_id
    assert submitted.outlet_id == world.outlets["shop"]
    assert submitted.device_id == clerk.device_id
    assert submitted.channel_id is not None
    assert submitted.doc_index and len(submitted.doc_index) == 64
    assert trail[1].actor_staff_id == reviewer.staff_id
    assert all(e.outcome == "ok" and e.at is not None for e in trail)


def test_activation_before_approval_is_refused_with_rn06_and_changes_nothing(
    world: World,
) -> None:
    msisdn = world.number()
    registration = world.submit(msisdn=msisdn)

    with pytest.raises(RuleViolated) as refused:
        world.simreg.registrations.activate(world.actors["reviewer"], registration.id)

    assert refused.value.code == "RN-06"
    assert line_of(world.simreg.engine, msisdn).state == "pending_review"
    refusals = [
        e for e in audit_trail(world.simreg.engine, registration.id) if e.outcome == "refused"
    ]
    assert [(e.action, e.codes) for e in refusals] == [("registration.activate", "RN-06")]


def test_rejection_returns_the_number_to_the_pool_and_frees_the_documents_slot(
    world: World,
) -> None:
    msisdn = world.number()
    registration = world.submit(msisdn=msisdn)

    rejected = world.simreg.registrations.reject(
        world.actors["reviewer"],
        registration.id,
        RejectRegistration(("photo_unreadable", "name_mismatch"), "blurred"),
    )

    assert rejected.state is RegistrationState.REJECTED
    assert [r.value for r in rejected.rejection_reasons] == ["photo_unreadable", "name_mismatch"]
    line = line_of(world.simreg.engine, msisdn)
    assert (line.state, line.customer_id) == ("available", None)
    assert held(world.simreg.engine, registration.id) == 0
    with pytest.raises(RuleViolated) as refused:
        world.simreg.registrations.activate(world.actors["reviewer"], registration.id)
    assert refused.value.code == "RN-06"


def test_a_rejected_registration_can_be_submitted_again(world: World) -> None:
    number = world.resident_id()
    first = world.submit(document_number=number)
    world.simreg.registrations.reject(
        world.actors["reviewer"], first.id, RejectRegistration(("photo_unreadable",))
    )

    second = world.submit(document_number=number, resubmission_of=first.id)

    assert second.state is RegistrationState.PENDING_REVIEW
    assert second.customer_id == first.customer_id
    with pytest.raises(Conflict):  # only rejected registrations are resubmitted
        world.submit(document_number=number, resubmission_of=second.id)
    # One correction per rejection, while that one is alive; once it is withdrawn, another.
    with pytest.raises(Conflict) as twice:
        world.submit(document_number=world.resident_id(), resubmission_of=first.id)
    assert twice.value.code == "REGISTRATION-RESUBMITTED"
    world.simreg.registrations.cancel(world.actors["clerk_hall"], second.id)
    third = world.submit(document_number=number, resubmission_of=first.id)
    assert third.state is RegistrationState.PENDING_REVIEW


def test_two_reviewers_deciding_the_same_registration_cannot_both_win(world: World) -> None:
    registration = world.submit()
    world.simreg.registrations.approve(world.actors["reviewer"], registration.id)

    with pytest.raises(Conflict):
        world.simreg.registrations.reject(
            world.actors["reviewer2"], registration.id, RejectRegistration(("other",), "late")
        )


def test_clerk_withdraws_pending_registration_but_not_an_active_one(world: World) -> None:
    msisdn = world.number()
    pending = world.submit(msisdn=msisdn)
    cancelled = world.simreg.registrations.cancel(world.actors["clerk_hall"], pending.id)
    assert cancelled.state is RegistrationState.CANCELLED
    assert line_of(world.simreg.engine, msisdn).state == "available"

    active = world.submit()
    world.simreg.registrations.approve(world.actors["reviewer"], active.id)
    world.simreg.registrations.activate(world.actors["reviewer"], active.id)
    with pytest.raises(Conflict) as refused:
        world.simreg.registrations.cancel(world.actors["clerk_hall"], active.id)
    assert refused.value.code == "REGISTRATION-STATE"
    assert refused.value.message_zh == "营业员只能撤回仍在等待审核的登记。"
    # Opening it again is a state conflict, not RN-06: it was approved, and is open.
    with pytest.raises(Conflict) as again:
        world.simreg.registrations.activate(world.actors["reviewer"], active.id)
    assert again.value.code == "REGISTRATION-STATE" and "已开通" in again.value.message_zh
    with pytest.raises(NotFound):  # another outlet's clerk cannot even see it
        world.simreg.registrations.cancel(world.actors["clerk_hall2"], active.id)


def test_cancelling_an_open_line_retires_the_number(world: World) -> None:
    msisdn = world.number()
    registration = world.submit(msisdn=msisdn)
    world.simreg.registrations.approve(world.actors["reviewer"], registration.id)
    world.simreg.registrations.activate(world.actors["reviewer"], registration.id)

    world.simreg.registrations.cancel(world.actors["admin"], registration.id, "customer left")

    assert line_of(world.simreg.engine, msisdn).state == "cancelled"
    assert held(world.simreg.engine, registration.id) == 0


def test_only_reviewers_decide(world: World) -> None:
    registration = world.submit()
    for who in ("clerk_hall", "auditor", "call_centre"):
        with pytest.raises(Forbidden):
            world.simreg.registrations.approve(world.actors[who], registration.id)


def test_reserved_number_is_held_for_its_clerk_only(world: World) -> None:
    msisdn = world.number()
    world.simreg.registrations.reserve_line(world.actors["clerk_hall"], msisdn)

    with pytest.raises(Conflict) as taken:
        world.submit("clerk_hall2", msisdn=msisdn)
    assert taken.value.code == "LINE-TAKEN"
    registration = world.submit("clerk_hall", msisdn=msisdn)
    assert registration.state is RegistrationState.PENDING_REVIEW
