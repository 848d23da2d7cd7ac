"""Review claims: no two reviewers get the same item, and unfinished claims expire."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from simreg.core.clock import FixedClock
from simreg.core.errors import Conflict
from simreg.registration.domain import RegistrationState
from tests.support.world import World


def test_next_item_is_the_oldest_and_claims_are_exclusive(world: World) -> None:
    first, second = world.submit(), world.submit()
    service = world.simreg.registrations

    assert service.claim_next(world.actors["reviewer"]) == first.id
    assert service.claim_next(world.actors["reviewer2"]) == second.id
    assert service.claim_next(world.actors["reviewer"]) == first.id  # resumes its own
    with pytest.raises(Conflict) as taken:
        service.approve(world.actors["reviewer2"], first.id)
    assert taken.value.code == "REVIEW-CLAIMED"


def test_parallel_reviewers_never_get_the_same_item(world: World) -> None:
    registrations = {world.submit().id for _ in range(8)}
    service = world.simreg.registrations
    reviewers = [world.actors["reviewer"], world.actors["reviewer2"], world.actors["admin"]]

    with ThreadPoolExecutor(max_workers=3) as pool:
        got = list(pool.map(service.claim_next, reviewers))

    assert len(set(got)) == 3
    assert set(got) <= registrations
    assert Counter(got).most_common(1)[0][1] == 1


def test_unfinished_claim_expires_and_returns_to_the_queue(world: World) -> None:
    registration = world.submit()
    service = world.simreg.registrations
    assert service.claim_next(world.actors["reviewer"]) == registration.id
    assert service.claim_next(world.actors["reviewer2"]) is None

    service.clock = FixedClock(world.simreg.clock.now() + timedelta(minutes=11))
    assert service.claim_next(world.actors["reviewer2"]) == registration.id


def test_console_approval_opens_the_line_and_releases_the_claim(world: World) -> None:
    registration = world.submit()
    service = world.simreg.registrations
    service.claim_next(world.actors["reviewer"])

    opened = service.approve(world.actors["reviewer"], registration.id, open_line=True)

    assert opened.state is RegistrationState.ACTIVE
    assert service.claim_next(world.actors["reviewer2"]) is None  # nothing left waiting


def test_released_claim_is_free_for_others(world: World) -> None:
    registration = world.submit()
    service = world.simreg.registrations
    service.claim(world.actors["reviewer"], registration.id)
    with pytest.raises(Conflict):
        service.claim(world.actors["reviewer2"], registration.id)
    service.release(world.actors["reviewer"], registration.id)
    service.claim(world.actors["reviewer2"], registration.id)
