"""Staff accounts: login with lockout, password changes and resets, administration."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simreg.core.actors import Role
from simreg.core.clock import FixedClock
from simreg.core.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from tests.support.world import PASSWORD, World


def test_login_gives_a_session_for_the_role_and_outlet(world: World) -> None:
    session = world.simreg.staff.login("clerk_hall", PASSWORD)
    assert session.actor.role is Role.CLERK
    assert session.actor.outlet_id == world.outlets["hall"]
    assert world.simreg.staff.session(session.token).actor.staff_id == session.actor.staff_id


def test_five_wrong_passwords_lock_for_fifteen_minutes(world: World) -> None:
    staff = world.simreg.staff
    for _ in range(5):
        with pytest.raises(Unauthenticated) as wrong:
            staff.login("reviewer", "not-the-password")
        assert wrong.value.code == "LOGIN-FAILED"
    with pytest.raises(Unauthenticated) as locked:
        staff.login("reviewer", PASSWORD)
    assert locked.value.code == "LOGIN-LOCKED"
    staff.clock = FixedClock(world.simreg.clock.now() + timedelta(minutes=16))
    assert staff.login("reviewer", PASSWORD).actor.username == "reviewer"


def test_admin_creates_a_clerk_who_must_change_the_password(world: World) -> None:
    staff = world.simreg.staff
    staff.create_account(
        world.actors["admin"],
        username="Wang.Li",
        display_name="王丽",
        role=Role.CLERK,
        outlet_code="HALL",
        password="temporary-pass-1",
    )
    session = staff.login("wang.li", "temporary-pass-1")
    assert session.must_change_password
    with pytest.raises(InvalidInput) as weak:
        staff.change_password(session.actor, "temporary-pass-1", "short")
    assert weak.value.code == "PASSWORD-WEAK"
    assert weak.value.message == "Choose a password with at least 10 characters."
    with pytest.raises(InvalidInput) as named:
        staff.change_password(session.actor, "temporary-pass-1", "wang.li")
    assert named.value.message == (
        "Choose a password with at least 10 characters and without the username."
    )
    staff.change_password(session.actor, "temporary-pass-1", "my-own-secret-9")
    assert not staff.login("wang.li", "my-own-secret-9").must_change_password


def test_account_rules(world: World) -> None:
    staff, admin = world.simreg.staff, world.actors["admin"]
    with pytest.raises(Conflict):
        staff.create_account(
            admin,
            username="reviewer",
            display_name="x",
            role=Role.REVIEWER,
            outlet_code=None,
            password="long-enough-pw",
        )
    with pytest.raises(InvalidInput) as no_outlet:
        staff.create_account(
            admin,
            username="lonely",
            display_name="x",
            role=Role.CLERK,
            outlet_code=None,
            password="long-enough-pw",
        )
    assert no_outlet.value.code == "STAFF-OUTLET"
    with pytest.raises(Forbidden):
        staff.create_account(
            world.actors["reviewer"],
            username="sneaky",
            display_name="x",
            role=Role.ADMIN,
            outlet_code=None,
            password="long-enough-pw",
        )
    with pytest.raises(Forbidden):
        staff.update_account(
            admin, admin.staff_id, role=Role.AUDITOR, outlet_code=None, active=True
        )


def test_clerks_are_placed_at_open_outlets(world: World) -> None:
    """A closed outlet registers no one: nobody is newly placed there, while a clerk already
    there can still be edited (and moved)."""
    staff, admin = world.simreg.staff, world.actors["admin"]
    with pytest.raises(InvalidInput) as closed:
        staff.create_account(
            admin,
            username="new.clerk",
            display_name="x",
            role=Role.CLERK,
            outlet_code="CLOSED",
            password="long-enough-pw",
        )
    assert closed.value.code == "STAFF-OUTLET-CLOSED"
    there = world.actors["clerk_closed"].staff_id
    staff.update_account(admin, there, role=Role.CLERK, outlet_code="CLOSED", active=True)
    with pytest.raises(InvalidInput):
        staff.update_account(
            admin,
            world.actors["clerk_hall"].staff_id,
            role=Role.CLERK,
            outlet_code="CLOSED",
            active=True,
        )
    staff.update_account(admin, there, role=Role.CLERK, outlet_code="HALL", active=True)


def test_reset_unlocks_and_ends_sessions(world: World) -> None:
    staff = world.simreg.staff
    session = staff.login("auditor", PASSWORD)
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            staff.login("auditor", "wrong-wrong-wrong")
    staff.reset_password(
        world.actors["admin"], world.actors["auditor"].staff_id, "fresh-start-2026"
    )
    with pytest.raises(Unauthenticated):
        staff.session(session.token)
    assert staff.login("auditor", "fresh-start-2026").must_change_password


def test_disabling_an_account_ends_its_sessions(world: World) -> None:
    staff = world.simreg.staff
    session = staff.login("manager", PASSWORD)
    staff.update_account(
        world.actors["admin"],
        world.actors["manager"].staff_id,
        role=Role.CHANNEL_MANAGER,
        outlet_code=None,
        active=False,
    )
    with pytest.raises(Unauthenticated):
        staff.session(session.token)
    with pytest.raises(Unauthenticated):
        staff.login("manager", PASSWORD)
