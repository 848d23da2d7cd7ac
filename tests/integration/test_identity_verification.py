"""Simreg.identity on SQLite and PostgreSQL, against the simulator over HTTP: every answer is
recorded in identity_checks, a definite answer is reused within the cache time (and recorded
as reused), unavailable is never reused, and without an authority nothing passes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from simreg.adapters.passwords import Argon2Passwords
from simreg.bootstrap import Simreg, bootstrap
from simreg.cli.identity_retry_clock import retry_pending_checks, start_check_retrier
from simreg.core.errors import DomainError
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.identity.authority import CheckPurpose, CheckResult
from simreg.simulators.identity_authority import AuthorityServer, Population, running_authority
from tests.support.sms import MovableClock

CACHE_SECONDS = 600


@pytest.fixture
def authority() -> Iterator[AuthorityServer]:
    with running_authority(Population(seed=21, size=100)) as server:
        yield server


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def checked(
    settings: Settings, authority: AuthorityServer, clock: MovableClock
) -> Iterator[Simreg]:
    """simreg pointed at the simulator, on the test's database and a movable clock."""
    app = bootstrap(
        settings.model_copy(
            update={
                "identity_authority_url": authority.url,
                "identity_check_cache_seconds": CACHE_SECONDS,
                "identity_authority_retries": 0,
            }
        ),
        clock=clock,
        passwords=Argon2Passwords(fast_for_tests=True),
    )
    yield app
    app.close()


def rows(simreg: Simreg) -> list[dict[str, object]]:
    c = t.identity_checks.c
    with simreg.engine.connect() as conn:
        found = conn.execute(select(t.identity_checks).order_by(c.id)).mappings().all()
    return [dict(row) for row in found]


def asked(server: AuthorityServer) -> int:
    return server.authority.stats().requests


def test_answers_are_recorded_with_their_reference_and_no_identity(
    checked: Simreg, authority: AuthorityServer
) -> None:
    resident = authority.authority.population.person(8)
    # Typed as people type: full-width digits and spaces in the number.
    full_width = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    number = resident.document_number
    typed = f"{number[:6]} {number[6:14].translate(full_width)} {number[14:]}"
    match = checked.identity.check(typed, resident.name, CheckPurpose.ONLINE_ORDER)
    mismatch = checked.identity.check(
        resident.document_number, "司马相如", CheckPurpose.ACTUAL_USER
    )
    assert (match.result, match.from_cache) == (CheckResult.MATCH, False)
    assert mismatch.result is CheckResult.MISMATCH
    recorded = rows(checked)
    assert [(r["id"], r["result"], r["purpose"]) for r in recorded] == [
        (match.id, "match", "online_order"),
        (mismatch.id, "mismatch", "actual_user"),
    ]
    assert recorded[0]["reference"] == match.reference
    assert recorded[0]["doc_index"] == recorded[1]["doc_index"]  # the same document
    assert recorded[0]["name_index"] != recorded[1]["name_index"]
    stored = repr(recorded)
    assert resident.document_number not in stored and resident.name not in stored


def test_a_definite_answer_is_reused_within_the_cache_time_only(
    checked: Simreg, authority: AuthorityServer, clock: MovableClock
) -> None:
    resident = authority.authority.population.person(9)
    first = checked.identity.check(
        resident.document_number, resident.name, CheckPurpose.ONLINE_ORDER
    )
    clock.advance(seconds=CACHE_SECONDS - 1)
    again = checked.identity.check(
        resident.document_number, resident.name, CheckPurpose.ACTUAL_USER
    )
    assert asked(authority) == 1  # the authority was not asked twice
    assert (again.result, again.reference, again.from_cache) == (
        CheckResult.MATCH,
        first.reference,
        True,
    )
    assert again.id != first.id  # recorded for its own purpose and time

    clock.advance(seconds=2)  # the first answer is now older than the cache time
    fresh = checked.identity.check(
        resident.document_number, resident.name, CheckPurpose.ACTUAL_USER
    )
    assert asked(authority) == 2
    assert fresh.from_cache is False and fresh.reference != first.reference
    assert [r["from_cache"] for r in rows(checked)] == [False, True, False]


def test_a_reused_answer_does_not_extend_its_own_life(
    checked: Simreg, authority: AuthorityServer, clock: MovableClock
) -> None:
    resident = authority.authority.population.person(10)
    check = checked.identity.check
    check(resident.document_number, resident.name, CheckPurpose.ONLINE_ORDER)
    clock.advance(seconds=CACHE_SECONDS - 10)
    assert check(resident.document_number, resident.name, CheckPurpose.ONLINE_ORDER).from_cache
    clock.advance(seconds=20)
    assert not check(resident.document_number, resident.name, CheckPurpose.ONLINE_ORDER).from_cache
    assert asked(authority) == 2


def test_unavailable_is_recorded_but_never_reused(
    checked: Simreg, authority: AuthorityServer
) -> None:
    resident = authority.authority.population.person(11)
    authority.authority.configure(failure_rate=1.0)
    down = checked.identity.check(
        resident.document_number, resident.name, CheckPurpose.ONLINE_ORDER
    )
    assert (down.result, down.reference) == (CheckResult.UNAVAILABLE, None)
    authority.authority.configure(failure_rate=0.0)
    back = checked.identity.check(
        resident.document_number, resident.name, CheckPurpose.ONLINE_ORDER
    )
    assert (back.result, back.from_cache) == (CheckResult.MATCH, False)
    assert asked(authority) == 2
    assert [r["result"] for r in rows(checked)] == ["unavailable", "match"]


def test_a_cached_answer_still_serves_while_the_authority_is_down(
    checked: Simreg, authority: AuthorityServer
) -> None:
    resident = authority.authority.population.person(12)
    checked.identity.check(resident.document_number, resident.name, CheckPurpose.ONLINE_ORDER)
    authority.stop()
    reused = checked.identity.check(
        resident.document_number, resident.name, CheckPurpose.ONLINE_ORDER
    )
    assert (reused.result, reused.from_cache) == (CheckResult.MATCH, True)


def test_a_bad_number_or_name_is_refused_before_asking(
    checked: Simreg, authority: AuthorityServer
) -> None:
    with pytest.raises(DomainError) as bad_number:
        checked.identity.check("110105194912310021", "张三", CheckPurpose.ONLINE_ORDER)
    assert bad_number.value.code == "DOC-CHECKSUM"
    with pytest.raises(DomainError) as bad_name:
        checked.identity.check("11010519491231002X", "张3", CheckPurpose.ONLINE_ORDER)
    assert bad_name.value.code == "NAME-INVALID"
    assert asked(authority) == 0
    assert rows(checked) == []


def test_without_an_authority_every_check_is_unavailable(simreg: Simreg) -> None:
    assert simreg.settings.identity_authority_url == ""
    check = simreg.identity.check("11010519491231002X", "张三", CheckPurpose.ENTERPRISE_AGENT)
    assert check.result is CheckResult.UNAVAILABLE
    assert not check.result.is_definite
    assert [r["result"] for r in rows(simreg)] == ["unavailable"]


def test_pending_check_retriers_run_once_each_and_one_failure_spares_the_others(
    simreg: Simreg,
) -> None:
    calls: list[str] = []

    def broken() -> int:
        calls.append("broken")
        raise RuntimeError("a retrier failed")

    def waiting() -> int:
        calls.append("waiting")
        return 3

    simreg.pending_check_retriers.extend([broken, waiting])
    assert retry_pending_checks(simreg) == 3
    assert calls == ["broken", "waiting"]

    stop = start_check_retrier(simreg, every=0.05)
    try:
        deadline = time.monotonic() + 5
        while calls.count("waiting") < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop()
    assert calls.count("waiting") >= 3  # the thread keeps retrying on its own
