"""Who may act, and which outlets' registrations they may see."""

from __future__ import annotations

import pytest

from simreg.core.actors import Actor, Role
from simreg.core.errors import Forbidden

OWN_OUTLET = 10
OTHER_OUTLET = 11


def actor(role: Role, outlet_id: int | None = None) -> Actor:
    return Actor(staff_id=1, username="someone", role=role, outlet_id=outlet_id)


@pytest.mark.parametrize("role", list(Role))
def test_require_passes_for_a_listed_role(role: Role) -> None:
    actor(role).require(role)
    actor(role).require(Role.ADMIN, role)


def test_require_refuses_with_the_roles_that_would_do() -> None:
    with pytest.raises(Forbidden) as caught:
        actor(Role.CLERK, OWN_OUTLET).require(Role.REVIEWER, Role.ADMIN)
    error = caught.value
    assert error.code == "FORBIDDEN"
    assert error.details == {"required_roles": ["reviewer", "admin"]}
    assert "clerk" in error.message
    assert "reviewer or admin" in error.message
    assert error.message_zh


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_admin_passes_an_admin_only_check(role: Role) -> None:
    with pytest.raises(Forbidden):
        actor(role).require(Role.ADMIN)


def test_a_clerk_sees_only_their_own_outlet() -> None:
    clerk = actor(Role.CLERK, OWN_OUTLET)
    assert clerk.may_see_outlet(OWN_OUTLET)
    assert not clerk.may_see_outlet(OTHER_OUTLET)


def test_a_clerk_without_an_outlet_sees_none() -> None:
    assert not actor(Role.CLERK).may_see_outlet(OWN_OUTLET)


@pytest.mark.parametrize(
    ("role", "sees_all"),
    [
        (Role.ADMIN, True),
        (Role.REVIEWER, True),
        (Role.AUDITOR, True),
        (Role.CHANNEL_MANAGER, True),
        (Role.RISK_ANALYST, True),
        (Role.CALL_CENTRE, False),
    ],
)
def test_back_office_roles_see_every_outlet(role: Role, sees_all: bool) -> None:
    # An outlet bound to a back-office account must not narrow, or widen, what it sees.
    for bound in (None, OWN_OUTLET):
        who = actor(role, bound)
        assert who.may_see_outlet(OWN_OUTLET) is sees_all
        assert who.may_see_outlet(OTHER_OUTLET) is sees_all
