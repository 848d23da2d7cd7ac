"""RN-05 and the number pool under real concurrency: many clients at once, against the real
database, must never produce a sixth line for a document or give one number to two people."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from simreg.bootstrap import bootstrap
from simreg.core.actors import Actor
from simreg.core.errors import DomainError
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.registration.services import RejectRegistration, SubmitRegistration
from tests.support.campaign_base import legacy_lines, line_with_a_call_due
from tests.support.world import World

pytestmark = pytest.mark.slow

CLERKS = ["clerk_hall", "clerk_hall2", "clerk_shop", "clerk_shop2"]


def run_together(jobs: list[Callable[[], str]], workers: int) -> list[str]:
    """Start every job at the same moment (a barrier), return each outcome code."""
    barrier = threading.Barrier(min(workers, len(jobs)))

    def go(job: Callable[[], str]) -> str:
        # A short last wave would time out the barrier; it then simply starts late.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(go, jobs))


def attempt(action: Callable[[], object], success: str = "ok") -> Callable[[], str]:
    """A job whose outcome is ``success`` or the refusal's code."""

    def run() -> str:
        try:
            action()
            return success
        except DomainError as error:
            return error.code

    return run


def held_per_document(world: World) -> dict[int, tuple[int, int]]:
    """customer -> (held_lines counter, registrations actually holding a line)."""
    with world.simreg.engine.connect() as conn:
        holding = dict(
            conn.execute(
                select(t.registrations.c.customer_id, func.count())
                .where(t.registrations.c.state.in_(["pending_review", "approved", "active"]))
                .group_by(t.registrations.c.customer_id)
            ).all()
        )
        counters = dict(conn.execute(select(t.customers.c.id, t.customers.c.held_lines)).all())
    return {cid: (counters[cid], holding.get(cid, 0)) for cid in counters}


def test_parallel_clerks_never_give_a_document_a_sixth_line(world: World) -> None:
    documents = [world.resident_id() for _ in range(4)]
    attempts = 12  # per document, from four outlets at once
    submit = world.simreg.registrations.submit
    jobs = [
        attempt(
            partial(
                submit, world.actors[CLERKS[i % len(CLERKS)]], world.command(document_number=doc)
            )
        )
        for i in range(attempts)
        for doc in documents
    ]
    outcomes = Counter(run_together(jobs, workers=24))

    assert outcomes == {"ok": 5 * len(documents), "RN-05": (attempts - 5) * len(documents)}
    state = held_per_document(world)
    assert len(state) == len(documents)
    assert all(counter == holding == 5 for counter, holding in state.values()), state


def test_parallel_clerks_picking_one_number_only_one_gets_it(world: World) -> None:
    msisdn = world.number()
    submit = world.simreg.registrations.submit
    jobs = [
        attempt(partial(submit, world.actors[c], world.command(msisdn=msisdn))) for c in CLERKS * 4
    ]
    outcomes = Counter(run_together(jobs, workers=16))

    assert outcomes == {"ok": 1, "LINE-TAKEN": 15}
    with world.simreg.engine.connect() as conn:
        customers_holding = conn.execute(select(func.sum(t.customers.c.held_lines))).scalar()
    assert customers_holding == 1  # the losers' slot claims were rolled back


def test_parallel_reviewers_one_decision_wins(world: World) -> None:
    registrations = [world.submit() for _ in range(6)]
    service = world.simreg.registrations
    reviewer, reviewer2 = world.actors["reviewer"], world.actors["reviewer2"]
    reason = RejectRegistration(("photo_unreadable",))
    jobs = [
        job
        for r in registrations
        for job in (
            attempt(partial(service.approve, reviewer, r.id), "approved"),
            attempt(partial(service.reject, reviewer2, r.id, reason), "rejected"),
        )
    ]
    outcomes = run_together(jobs, workers=12)

    for i in range(len(registrations)):
        pair = sorted(outcomes[2 * i : 2 * i + 2])
        assert pair in (
            ["REGISTRATION-CHANGED", "approved"],
            ["REGISTRATION-STATE", "approved"],
            ["REGISTRATION-CHANGED", "rejected"],
            ["REGISTRATION-STATE", "rejected"],
        ), pair


def _process_worker(
    settings: dict[str, Any], actor: Actor, commands: list[SubmitRegistration], start: Any
) -> list[str]:
    """One outlet's terminal in its own process, with its own connection pool."""
    app = bootstrap(Settings(**settings), migrate=False)
    start.wait(timeout=60)
    codes = []

    def one(command: SubmitRegistration) -> str:
        try:
            app.registrations.submit(actor, command)
            return "ok"
        except DomainError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(one, commands))
    app.close()
    return codes


def test_parallel_processes_at_different_outlets_respect_the_limit(world: World) -> None:
    documents = [world.resident_id() for _ in range(3)]
    settings = world.simreg.settings.model_dump()
    per_outlet = {
        clerk: [world.command(document_number=doc) for doc in documents for _ in range(3)]
        for clerk in CLERKS
    }
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Event()
        with ProcessPoolExecutor(max_workers=len(CLERKS), mp_context=context) as pool:
            futures = [
                pool.submit(_process_worker, settings, world.actors[clerk], commands, start)
                for clerk, commands in per_outlet.items()
            ]
            start.set()
            outcomes = Counter(code for f in futures for code in f.result(timeout=240))

    assert outcomes == {"ok": 15, "RN-05": 21}
    assert all(c == h == 5 for c, h in held_per_document(world).values())


def test_parallel_corrections_of_one_rejection_only_one_goes_to_review(world: World) -> None:
    """Two clerks (or a clerk and a script) send the same rejected registration again at the
    same moment, each with a number: one correction waits for review, never two."""
    rejected = world.submit()
    world.simreg.registrations.reject(
        world.actors["reviewer"], rejected.id, RejectRegistration(("photo_unreadable",))
    )
    submit, clerk = world.simreg.registrations.submit, world.actors["clerk_hall"]
    jobs = [
        attempt(partial(submit, clerk, world.command(resubmission_of=rejected.id)))
        for _ in range(4)
    ]
    outcomes = Counter(run_together(jobs, workers=4))
    assert outcomes == {"ok": 1, "REGISTRATION-RESUBMITTED": 3}
    with world.simreg.engine.connect() as conn:
        corrections = conn.execute(
            select(func.count())
            .select_from(t.registrations)
            .where(t.registrations.c.resubmission_of == rejected.id)
        ).scalar_one()
    assert corrections == 1  # the refused ones left nothing behind


def test_parallel_counters_re_registering_one_legacy_line_only_one_goes_to_review(
    world: World,
) -> None:
    (msisdn,) = legacy_lines(world.simreg, 1)
    submit = world.simreg.registrations.submit
    jobs = [
        attempt(
            partial(
                submit,
                world.actors[c],
                world.command(msisdn=msisdn, reregistration=True),
            )
        )
        for c in CLERKS * 4
    ]
    outcomes = Counter(run_together(jobs, workers=16))

    assert outcomes == {"ok": 1, "REREG-NOT-NEEDED": 15}
    with world.simreg.engine.connect() as conn:
        customers_holding = conn.execute(select(func.sum(t.customers.c.held_lines))).scalar()
        pending = conn.execute(
            select(func.count()).where(t.registrations.c.source == "counter_rereg")
        ).scalar()
    assert customers_holding == 1 and pending == 1  # the losers' slot claims rolled back


def test_one_call_sent_from_many_screens_at_once_is_recorded_once(world: World) -> None:
    """Agents' double clicks and retries at the same moment: the form carries the count of
    calls the screen showed, and only the first submission with it is recorded."""
    simreg = world.simreg
    _, task_id = line_with_a_call_due(simreg, world.actors["manager"])

    record = partial(
        simreg.calls.record,
        world.actors["call_centre"],
        task_id,
        outcome="no_answer",
        attempts_seen=0,
    )
    outcomes = Counter(run_together([attempt(record) for _ in range(8)], workers=8))

    assert outcomes == {"ok": 1, "CALL-ALREADY-RECORDED": 7}
    with simreg.engine.connect() as conn:
        attempts = conn.execute(select(t.call_tasks.c.attempts)).scalar_one()
        rows = conn.execute(select(func.count()).select_from(t.call_attempts)).scalar_one()
    assert attempts == 1 and rows == 1
