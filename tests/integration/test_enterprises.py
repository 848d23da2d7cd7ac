"""Group customers (RN-12) on SQLite and PostgreSQL, against the identity-authority simulator
over real HTTP: the enterprise's lifecycle, bulk lines, actual users bound, reviewed and
changed, the personal-limit setting, rosters with rejects, and waiting out an outage."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from simreg.adapters.passwords import Argon2Passwords
from simreg.bootstrap import Simreg, bootstrap
from simreg.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolated,
)
from simreg.core.settings import Settings
from simreg.customers.bindings import BindActualUser
from simreg.customers.domain import Agreement, BindingStatus, EnterpriseStatus
from simreg.customers.roster import read_roster
from simreg.customers.services import NewEnterprise
from simreg.db import tables as t
from simreg.db.enterprise_queries import (
    enterprise_bindings,
    enterprise_detail,
    enterprise_lines,
    list_enterprises,
)
from simreg.registration.services import RejectRegistration
from simreg.simulators.identity_authority import AuthorityServer
from tests.support import enterprise as support
from tests.support.enterprise import Group, MovableClock, account_manager, active_group, resident
from tests.support.world import World


@pytest.fixture(scope="module")
def authority() -> Iterator[AuthorityServer]:
    yield from support.authority()


@pytest.fixture(autouse=True)
def healthy_authority(authority: AuthorityServer) -> None:
    authority.authority.configure(failure_rate=0.0, failure_mode="error", latency_ms=0)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, authority: AuthorityServer) -> Settings:
    return support.authority_settings(database_url, tmp_path, authority)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def simreg(settings: Settings, clock: MovableClock) -> Iterator[Simreg]:
    app = bootstrap(settings, clock=clock, passwords=Argon2Passwords(fast_for_tests=True))
    yield app
    app.close()


@pytest.fixture
def group(world: World, authority: AuthorityServer) -> Group:
    manager, _ = account_manager(world)
    return active_group(world.simreg, manager, authority)


def _bind(simreg: Simreg, group: Group, msisdn: str, person: tuple[str, str]) -> BindingStatus:
    outcome = simreg.enterprises.bind(
        group.manager, group.id, BindActualUser(msisdn, "resident_id", person[0], person[1])
    )
    return outcome.status


def _mistyped(number: str) -> str:
    """The number with a wrong check character."""
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def _line(simreg: Simreg, msisdn: str) -> dict[str, object]:
    with simreg.engine.connect() as conn:
        row = conn.execute(select(t.lines).where(t.lines.c.msisdn == msisdn)).one()
    return dict(row._mapping)


def _held(simreg: Simreg, document_number: str) -> int:
    from simreg.identity.documents import document_index, parse_document

    document = parse_document("resident_id", document_number, today=simreg.clock.today())
    with simreg.engine.connect() as conn:
        held = conn.execute(
            select(t.customers.c.held_lines).where(
                t.customers.c.doc_index == document_index(simreg.vault, document)
            )
        ).scalar_one_or_none()
    return int(held or 0)


def _registration_of(simreg: Simreg, msisdn: str, status: str) -> str:
    b = t.actual_user_bindings
    with simreg.engine.connect() as conn:
        found = conn.execute(
            select(b.c.registration_id)
            .join(t.lines, t.lines.c.id == b.c.line_id)
            .where(t.lines.c.msisdn == msisdn, b.c.status == status)
        ).scalar_one()
    return str(found)


def _bindings(simreg: Simreg, msisdn: str) -> list[str]:
    b = t.actual_user_bindings
    with simreg.engine.connect() as conn:
        return [
            str(s)
            for s in conn.execute(
                select(b.c.status)
                .join(t.lines, t.lines.c.id == b.c.line_id)
                .where(t.lines.c.msisdn == msisdn)
                .order_by(b.c.id)
            ).scalars()
        ]


# -- the enterprise -------------------------------------------------------------------------


def test_enterprise_is_active_only_with_an_agreement_and_a_matched_agent(
    world: World, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    manager, _ = account_manager(world)
    number, name = resident(authority, 1)
    enterprise_id = simreg.enterprises.create(
        manager,
        NewEnterprise(
            name="星河物流有限公司",
            # As typed: full-width digits, spaces and a lower-case check letter.
            credit_code="９１１１ ００００ ６０００ ３７３４ １l",
            agent_name=name,
            agent_doc_number=number,
        ),
    )
    with pytest.raises(RuleViolated) as refused:
        simreg.enterprises.activate(manager, enterprise_id)
    assert refused.value.code == "RN-12"
    with pytest.raises(Conflict):
        simreg.enterprises.allocate_lines(manager, enterprise_id, count=1)
    today = simreg.clock.today()
    simreg.enterprises.record_agreement(
        manager, enterprise_id, Agreement("JT-7", today, today + timedelta(days=365))
    )
    active = simreg.enterprises.activate(manager, enterprise_id)
    assert active.status is EnterpriseStatus.ACTIVE
    assert active.credit_code == support.CREDIT_CODE
    assert simreg.enterprises.suspend(manager, enterprise_id).status is EnterpriseStatus.SUSPENDED
    assert simreg.enterprises.reinstate(manager, enterprise_id).status is EnterpriseStatus.ACTIVE
    with simreg.engine.connect() as conn:
        actions = set(
            conn.execute(
                select(t.audit_events.c.action).where(t.audit_events.c.action.like("enterprise.%"))
            ).scalars()
        )
    assert {"enterprise.created", "enterprise.agreement", "enterprise.activate"} <= actions
    with pytest.raises(Conflict) as twice:
        simreg.enterprises.create(
            manager,
            NewEnterprise(
                name="Again",
                credit_code=support.CREDIT_CODE,
                agent_name=name,
                agent_doc_number=number,
            ),
        )
    assert twice.value.code == "ENTERPRISE-EXISTS"


def test_an_agent_the_authority_does_not_know_by_that_name_is_refused(
    world: World, authority: AuthorityServer
) -> None:
    manager, _ = account_manager(world)
    number, _ = resident(authority, 2)
    with pytest.raises(InvalidInput) as refused:
        world.simreg.enterprises.create(
            manager,
            NewEnterprise(
                name="X",
                credit_code=support.CREDIT_CODE,
                agent_name="张冒名",
                agent_doc_number=number,
            ),
        )
    assert refused.value.code == "ID-MISMATCH"
    with pytest.raises(InvalidInput) as bad_code:
        world.simreg.enterprises.create(
            manager,
            NewEnterprise(
                name="X",
                credit_code="91110000600037341A",
                agent_name="张冒名",
                agent_doc_number=number,
            ),
        )
    assert bad_code.value.code == "USCC-CHECKSUM"


def test_an_agent_checked_while_the_authority_is_down_is_checked_again_before_activation(
    world: World, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    manager, _ = account_manager(world)
    number, name = resident(authority, 3)
    today = simreg.clock.today()
    authority.authority.configure(failure_rate=1.0)
    enterprise_id = simreg.enterprises.create(
        manager,
        NewEnterprise(
            name="X",
            credit_code=support.CREDIT_CODE,
            agent_name=name,
            agent_doc_number=number,
            agreement=Agreement("JT-9", today, today + timedelta(days=30)),
        ),
    )
    with pytest.raises(RuleViolated) as refused:
        simreg.enterprises.activate(manager, enterprise_id)
    assert refused.value.details["violations"][0]["data"] == {"missing": "agent_check"}
    authority.authority.configure(failure_rate=0.0)
    assert simreg.enterprises.verify_agent(manager, enterprise_id).value == "match"
    assert simreg.enterprises.activate(manager, enterprise_id).status is EnterpriseStatus.ACTIVE


def test_only_account_managers_and_admins_manage_group_customers(
    world: World, authority: AuthorityServer
) -> None:
    number, name = resident(authority, 1)
    command = NewEnterprise(
        name="X", credit_code=support.CREDIT_CODE, agent_name=name, agent_doc_number=number
    )
    for who in ("clerk_hall", "reviewer", "auditor"):
        with pytest.raises(Forbidden):
            world.simreg.enterprises.create(world.actors[who], command)
    assert world.simreg.enterprises.create(world.actors["admin"], command) > 0


# -- lines ----------------------------------------------------------------------------------


def test_lines_are_allocated_in_bulk_and_no_counter_can_sell_them(
    world: World, group: Group
) -> None:
    simreg = world.simreg
    assert len(group.lines) == 5
    line = _line(simreg, group.lines[0])
    assert line["state"] == "reserved"
    assert line["reserved_until"] is None and line["enterprise_id"] == group.id
    with pytest.raises(Conflict) as taken:
        world.submit(msisdn=group.lines[0])
    assert taken.value.code == "LINE-TAKEN"
    with pytest.raises(Conflict):
        simreg.registrations.reserve_line(world.actors["clerk_hall"], group.lines[1])
    # All or none: asking for more than the pool holds allocates nothing.
    with pytest.raises(Conflict) as short:
        simreg.enterprises.allocate_lines(group.manager, group.id, count=world.pool_size)
    assert short.value.code == "ALLOCATION-SHORT"
    chosen = [f"138{world.pool_size - 2:08d}", f"138{world.pool_size - 1:08d}"]
    assert simreg.enterprises.allocate_lines(group.manager, group.id, msisdns=chosen) == chosen
    with pytest.raises(Conflict):
        simreg.enterprises.allocate_lines(group.manager, group.id, msisdns=[chosen[0]])


def test_once_the_agreement_ends_no_new_line_or_user_comes_under_it(
    world: World, group: Group, clock: MovableClock, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    # An agreement that has already ended is not one to record.
    ended = Agreement(
        "JT-2026-OLD",
        simreg.clock.today() - timedelta(days=400),
        simreg.clock.today() - timedelta(days=35),
    )
    with pytest.raises(InvalidInput) as old:
        simreg.enterprises.record_agreement(group.manager, group.id, ended)
    assert old.value.code == "AGREEMENT-INVALID"
    # A user sent to review while the agreement was in force.
    in_review = resident(authority, 8)
    assert _bind(simreg, group, group.lines[1], in_review) is BindingStatus.PENDING_REVIEW
    # A year and a day on, the one in force has ended: the customer is still active, but
    # gets no lines, binds nobody and opens no line until the renewal is recorded (RN-12).
    clock.offset = timedelta(days=366)
    waiting = _registration_of(simreg, group.lines[1], "pending_review")
    with pytest.raises(RuleViolated) as closed:
        simreg.registrations.approve(world.actors["reviewer"], waiting, open_line=True)
    assert closed.value.code == "RN-12"
    assert _line(simreg, group.lines[1])["state"] == "reserved"
    with pytest.raises(RuleViolated) as lines:
        simreg.enterprises.allocate_lines(group.manager, group.id, count=1)
    assert lines.value.code == "RN-12"
    with pytest.raises(RuleViolated):
        _bind(simreg, group, group.lines[0], resident(authority, 7))
    assert _bindings(simreg, group.lines[0]) == []
    renewed = Agreement(
        "JT-2027-001", simreg.clock.today(), simreg.clock.today() + timedelta(days=365)
    )
    simreg.enterprises.record_agreement(group.manager, group.id, renewed)
    assert len(simreg.enterprises.allocate_lines(group.manager, group.id, count=1)) == 1
    # One number is one agreement however it is typed: another customer cannot take it.
    manager = group.manager
    other = active_group(simreg, manager, authority, credit_code=support.OTHER_CREDIT_CODE)
    typed = Agreement(" ｊｔ-2027-001 ", renewed.signed_on, renewed.valid_until)
    with pytest.raises(Conflict) as taken:
        simreg.enterprises.record_agreement(manager, other.id, typed)
    assert taken.value.code == "AGREEMENT-TAKEN"


# -- actual users ---------------------------------------------------------------------------


def test_a_group_line_opens_only_once_its_user_is_verified_and_reviewed(
    world: World, group: Group, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    user = resident(authority, 10)
    msisdn = group.lines[0]
    assert _bind(simreg, group, msisdn, user) is BindingStatus.PENDING_REVIEW
    # Verified by the authority, but not reviewed: the line is still closed (RN-06).
    assert _line(simreg, msisdn)["state"] == "reserved"
    assert _held(simreg, user[0]) == 1
    registration_id = _registration_of(simreg, msisdn, "pending_review")
    reviewer = world.actors["reviewer"]
    assert simreg.registrations.claim_next(reviewer) == registration_id
    simreg.registrations.approve(reviewer, registration_id, open_line=True)
    line = _line(simreg, msisdn)
    assert line["state"] == "active" and line["real_name_state"] == "verified"
    assert _bindings(simreg, msisdn) == ["active"]
    # The same person again on the line they use: refused, nothing claimed or queued.
    with pytest.raises(Conflict) as same:
        _bind(simreg, group, msisdn, user)
    assert same.value.code == "BINDING-SAME-USER"
    assert _held(simreg, user[0]) == 1 and _bindings(simreg, msisdn) == ["active"]

    # The user leaves the company: the account manager ends the binding. The line closes and
    # stays with the enterprise for the next user; the slot comes back.
    with simreg.engine.connect() as conn:
        binding_id = conn.execute(
            select(t.actual_user_bindings.c.id).where(t.actual_user_bindings.c.status == "active")
        ).scalar_one()
    with pytest.raises(InvalidInput):
        simreg.enterprises.end(group.manager, group.id, binding_id, "  ")
    simreg.enterprises.end(group.manager, group.id, binding_id, "left the company")
    line = _line(simreg, msisdn)
    assert line["state"] == "reserved" and line["enterprise_id"] == group.id
    assert line["customer_id"] is None and _held(simreg, user[0]) == 0
    assert _bindings(simreg, msisdn) == ["ended"]
    assert _registration_of(simreg, msisdn, "ended") == registration_id
    with simreg.engine.connect() as conn:
        state = conn.execute(
            select(t.registrations.c.state).where(t.registrations.c.id == registration_id)
        ).scalar_one()
    assert state == "cancelled"
    with pytest.raises(Conflict) as again:
        simreg.enterprises.end(group.manager, group.id, binding_id, "twice")
    assert again.value.code == "BINDING-STATE"
    # The next user binds as on a fresh line.
    assert _bind(simreg, group, msisdn, resident(authority, 14)) is BindingStatus.PENDING_REVIEW


def test_a_new_actual_user_takes_over_only_when_approved(
    world: World, group: Group, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    reviewer = world.actors["reviewer"]
    first, second, third = resident(authority, 11), resident(authority, 12), resident(authority, 13)
    msisdn = group.lines[1]
    _bind(simreg, group, msisdn, first)
    simreg.registrations.approve(
        reviewer, _registration_of(simreg, msisdn, "pending_review"), open_line=True
    )
    first_customer = _line(simreg, msisdn)["customer_id"]

    # A rejected change leaves the first user in place and frees the candidate's slot.
    _bind(simreg, group, msisdn, third)
    assert _held(simreg, third[0]) == 1
    simreg.registrations.reject(
        reviewer,
        _registration_of(simreg, msisdn, "pending_review"),
        RejectRegistration(("name_mismatch",)),
    )
    assert _held(simreg, third[0]) == 0
    assert _line(simreg, msisdn)["customer_id"] == first_customer

    # A change in review: the first user stays bound and the line stays open meanwhile.
    assert _bind(simreg, group, msisdn, second) is BindingStatus.PENDING_REVIEW
    assert _bindings(simreg, msisdn) == ["active", "rejected", "pending_review"]
    assert _line(simreg, msisdn)["state"] == "active"
    with pytest.raises(Conflict) as busy:
        _bind(simreg, group, msisdn, third)
    assert busy.value.code == "BINDING-PENDING"
    simreg.registrations.approve(
        reviewer, _registration_of(simreg, msisdn, "pending_review"), open_line=True
    )
    assert _bindings(simreg, msisdn) == ["ended", "rejected", "active"]
    line = _line(simreg, msisdn)
    assert line["state"] == "active" and line["customer_id"] != first_customer
    assert _held(simreg, first[0]) == 0 and _held(simreg, second[0]) == 1


def test_group_lines_count_toward_the_personal_limit_when_set(
    world: World, group: Group, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    user = resident(authority, 20)
    limit = simreg.settings.per_id_limit
    extra = simreg.enterprises.allocate_lines(group.manager, group.id, count=limit + 1)
    for msisdn in extra[:limit]:
        assert _bind(simreg, group, msisdn, user) is BindingStatus.PENDING_REVIEW
    with pytest.raises(RuleViolated) as over:
        _bind(simreg, group, extra[limit], user)
    assert over.value.code == "RN-05"
    assert _held(simreg, user[0]) == limit


def test_group_lines_stay_out_of_the_personal_limit_when_the_setting_is_off(
    world: World, group: Group, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    simreg.enterprises.binding = simreg.enterprises.binding.__class__(
        per_id_limit=simreg.settings.per_id_limit,
        enforce_per_id_limit=True,
        count_toward_limit=False,
        retry_seconds=60,
    )
    user = resident(authority, 21)
    extra = simreg.enterprises.allocate_lines(group.manager, group.id, count=6)
    for msisdn in extra:
        assert _bind(simreg, group, msisdn, user) is BindingStatus.PENDING_REVIEW
    assert _held(simreg, user[0]) == 0
    registration_id = _registration_of(simreg, extra[0], "pending_review")
    simreg.registrations.approve(world.actors["reviewer"], registration_id, open_line=True)
    assert _held(simreg, user[0]) == 0
    # A counter registration still has all five personal slots for this person.
    world.submit(
        msisdn=f"138{world.pool_size - 1:08d}", document_number=user[0], customer_name=user[1]
    )
    assert _held(simreg, user[0]) == 1


def test_the_authority_refuses_a_wrong_name_and_frees_the_slot(
    world: World, group: Group, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    number, _ = resident(authority, 30)
    outcome = simreg.enterprises.bind(
        group.manager, group.id, BindActualUser(group.lines[2], "resident_id", number, "李冒名")
    )
    assert outcome.status is BindingStatus.REFUSED and outcome.refusal_code == "ID-MISMATCH"
    assert _held(simreg, number) == 0
    # The line is free for the right person.
    assert _bind(simreg, group, group.lines[2], resident(authority, 30)) is (
        BindingStatus.PENDING_REVIEW
    )


def test_while_the_authority_is_down_bindings_wait_and_are_retried(
    world: World, group: Group, authority: AuthorityServer, clock: MovableClock
) -> None:
    simreg = world.simreg
    user = resident(authority, 40)
    authority.authority.configure(failure_rate=1.0)
    assert _bind(simreg, group, group.lines[3], user) is BindingStatus.VERIFYING
    assert _held(simreg, user[0]) == 1  # the slot is held while the binding waits
    assert simreg.enterprises.retry_pending() == 0  # not due yet
    clock.advance(61)
    assert simreg.enterprises.retry_pending in simreg.pending_check_retriers
    assert simreg.enterprises.retry_pending() == 1
    assert _bindings(simreg, group.lines[3]) == ["verifying"]  # still down: waits longer
    authority.authority.configure(failure_rate=0.0)
    clock.advance(61)
    assert simreg.enterprises.retry_pending() == 0  # the second wait is twice as long
    clock.advance(61)
    assert simreg.enterprises.retry_pending() == 1
    assert _bindings(simreg, group.lines[3]) == ["pending_review"]
    assert _line(simreg, group.lines[3])["state"] == "reserved"


def test_a_roster_binds_good_rows_and_reports_every_reject(
    world: World, group: Group, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    # A header and nothing under it is refused, not reported as a successful import.
    with pytest.raises(InvalidInput) as empty:
        simreg.enterprises.import_roster(group.manager, group.id, read_roster([]))
    assert empty.value.code == "ROSTER-EMPTY"
    good, other = resident(authority, 50), resident(authority, 51)
    wrong_name = resident(authority, 52)[0]
    lines = group.lines
    rows = [
        {"msisdn": lines[0], "doc_type": "resident_id", "doc_number": good[0], "name": good[1]},
        {"msisdn": lines[1], "doc_type": "居民身份证", "doc_number": other[0], "name": other[1]},
        {"msisdn": lines[2], "doc_type": "", "doc_number": wrong_name, "name": "王不符"},
        {
            "msisdn": lines[3],
            "doc_type": "resident_id",
            "doc_number": _mistyped(good[0]),
            "name": "A",
        },
        {"msisdn": lines[0], "doc_type": "resident_id", "doc_number": other[0], "name": other[1]},
        {"msisdn": "13899999999", "doc_type": "resident_id", "doc_number": other[0], "name": "B"},
        {"msisdn": lines[4], "doc_type": "passport", "doc_number": "E12345678", "name": "Li Lei"},
    ]
    report = simreg.enterprises.import_roster(group.manager, group.id, read_roster(rows))
    assert report.in_review == [lines[0], lines[1]]
    rejects = {(r.line, r.code) for r in report.rejected}
    assert rejects == {
        (4, "ID-MISMATCH"),
        (5, "DOC-CHECKSUM"),
        (6, "ROSTER-DUPLICATE"),
        (7, "GROUP-LINE-UNKNOWN"),
        (8, "ACTUAL-USER-DOCUMENT"),
    }
    with simreg.engine.connect() as conn:
        kept = conn.execute(
            select(t.audit_events.c.details).where(t.audit_events.c.id == report.import_id)
        ).scalar_one()
    assert len(kept["rejected"]) == 5 and kept["in_review"] == 2
    assert good[0] not in str(kept) and good[1] not in str(kept)


def test_of_two_bindings_for_one_line_at_once_exactly_one_goes_on(
    world: World, group: Group, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    authority.authority.configure(latency_ms=200)
    people = [resident(authority, 60 + i) for i in range(4)]
    results: list[str] = []
    start = threading.Barrier(len(people))

    def attempt(person: tuple[str, str]) -> None:
        start.wait()
        try:
            results.append(_bind(simreg, group, group.lines[4], person).value)
        except DomainError as refusal:
            results.append(refusal.code)

    threads = [threading.Thread(target=attempt, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["BINDING-PENDING"] * 3 + ["pending_review"]
    assert _bindings(simreg, group.lines[4]) == ["pending_review"]
    assert sum(_held(simreg, p[0]) for p in people) == 1


def test_a_suspended_customer_opens_no_line_and_ends_only_without_users(
    world: World, group: Group, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    reviewer = world.actors["reviewer"]
    msisdn = group.lines[0]
    _bind(simreg, group, msisdn, resident(authority, 70))
    registration_id = _registration_of(simreg, msisdn, "pending_review")
    simreg.enterprises.suspend(group.manager, group.id, "overdue")
    with pytest.raises(Conflict) as closed:
        simreg.registrations.approve(reviewer, registration_id, open_line=True)
    assert closed.value.code == "ENTERPRISE-NOT-ACTIVE"
    assert _line(simreg, msisdn)["state"] == "reserved"
    with pytest.raises(Conflict) as in_use:
        simreg.enterprises.terminate(group.manager, group.id, "contract ended")
    assert in_use.value.code == "ENTERPRISE-LINES-IN-USE"
    simreg.enterprises.reinstate(group.manager, group.id)
    simreg.registrations.approve(reviewer, registration_id, open_line=True)
    assert _line(simreg, msisdn)["state"] == "active"

    simreg.registrations.cancel(reviewer, registration_id, "left the company")
    # The line closes with its user gone, held for the enterprise; the slot comes back.
    assert _line(simreg, msisdn)["state"] == "reserved"
    assert _held(simreg, resident(authority, 70)[0]) == 0
    ended = simreg.enterprises.terminate(group.manager, group.id, "contract ended")
    assert ended.status is EnterpriseStatus.TERMINATED
    line = _line(simreg, group.lines[1])
    assert line["state"] == "available" and line["enterprise_id"] is None


def test_an_account_manager_sees_and_acts_only_on_their_own_group_customers(
    world: World, group: Group, authority: AuthorityServer
) -> None:
    simreg = world.simreg
    other, _ = account_manager(world, "account_mgr2")
    before = _line(simreg, group.lines[0])
    # Another manager's customer is "not found", whatever they try, as if it did not exist.
    attempts = {
        "suspend": lambda: simreg.enterprises.suspend(other, group.id, "not mine"),
        "allocate": lambda: simreg.enterprises.allocate_lines(other, group.id, count=1),
        "bind": lambda: simreg.enterprises.bind(
            other, group.id, BindActualUser(group.lines[0], "resident_id", *resident(authority, 3))
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(NotFound) as hidden:
            attempt()
        assert hidden.value.code == "ENTERPRISE-NOT-FOUND", name
    with simreg.engine.connect() as conn:
        assert list_enterprises(conn, other) == []
        assert [e["id"] for e in list_enterprises(conn, group.manager)] == [group.id]
        for read in (enterprise_detail, enterprise_lines, enterprise_bindings):
            with pytest.raises(NotFound):
                read(conn, other, group.id)
        assert enterprise_detail(conn, world.actors["admin"], group.id)["id"] == group.id
    assert _line(simreg, group.lines[0]) == before  # nothing was changed

    # The manager leaves: an administrator gives the customer to another, who then serves it.
    admin = world.actors["admin"]
    with pytest.raises(Forbidden):
        simreg.enterprises.assign(group.manager, group.id, "account_mgr2")
    with pytest.raises(InvalidInput) as nobody:
        simreg.enterprises.assign(admin, group.id, "reviewer")  # not an account manager
    assert nobody.value.code == "ACCOUNT-MANAGER-UNKNOWN"
    simreg.enterprises.assign(admin, group.id, "account_mgr2")
    with simreg.engine.connect() as conn:
        assert enterprise_detail(conn, other, group.id)["account_manager"] == "account_mgr2"
        assert list_enterprises(conn, group.manager) == []
    assert len(simreg.enterprises.allocate_lines(other, group.id, count=1)) == 1
    assert simreg.enterprises.suspend(world.actors["admin"], group.id, "audit").status.value == (
        "suspended"
    )
