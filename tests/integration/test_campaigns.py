"""RN-13 campaigns end to end at the service layer, on SQLite and PostgreSQL: targets, the SMS
step in the outbox, call tasks, staged suspension, and re-registration through the link."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update

from simreg.bootstrap import Simreg
from simreg.campaigns.domain import DEFAULT_TEMPLATE_ZH, CampaignPlan, parse_filters
from simreg.core.actors import Actor, Role
from simreg.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolated
from simreg.core.settings import Settings
from simreg.db import directory
from simreg.db import tables as t
from simreg.db.audit_queries import AuditFilter, search_audit
from simreg.db.campaign_queries import call_history, call_worklist, filter_choices
from simreg.db.repositories import aware
from simreg.demo.synthetic import person_name, resident_id
from simreg.lines.domain import LineKind, RealNameState
from simreg.registration.services import RejectRegistration
from tests.support.campaign_base import (
    MovableClock,
    Units,
    app_with_clock,
    legacy_lines,
    line_states,
    mark_sms_sent,
    org_units,
)
from tests.support.world import BACK, FRONT, World, build_world, jpeg

PORTRAIT = jpeg(colour=(180, 150, 140))
PHOTOS = {"front": FRONT, "back": BACK, "portrait": PORTRAIT}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def app(settings: Settings, clock: MovableClock) -> Iterator[Simreg]:
    simreg = app_with_clock(settings, clock)
    yield simreg
    simreg.close()


@pytest.fixture
def world(app: Simreg) -> World:
    return build_world(app, pool_size=20)


@pytest.fixture
def units(app: Simreg, world: World) -> Units:
    return org_units(app)


def plan(name: str = "Q4 re-registration", **overrides: object) -> CampaignPlan:
    values: dict[str, object] = {
        "name": name,
        "filters": parse_filters(),
        "sms_template": DEFAULT_TEMPLATE_ZH,
        "call_after_days": 7,
        "deadline": date(2026, 12, 31),
    }
    values.update(overrides)
    return CampaignPlan(**values)  # type: ignore[arg-type]


def outbox(app: Simreg) -> list[tuple[str, int, str]]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(t.sms_outbox.c.msisdn, t.sms_outbox.c.target_id, t.sms_outbox.c.body).order_by(
                t.sms_outbox.c.id
            )
        )
        return [(r.msisdn, r.target_id, r.body) for r in rows]


def token_for(app: Simreg, campaign_id: int, target_id: int, body: str) -> str:
    text = app.campaigns.personalise(campaign_id, target_id, body)
    return text.split("/r/", 1)[1].split()[0]


def targets(app: Simreg) -> dict[str, dict[str, object]]:
    ct = t.campaign_targets
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(ct, t.lines.c.msisdn).join(t.lines, t.lines.c.id == ct.c.line_id)
        )
        return {r.msisdn: dict(r._mapping) for r in rows}


def reviewer_approves(app: Simreg, world: World) -> str:
    reviewer = world.actors["reviewer"]
    registration_id = app.registrations.claim_next(reviewer)
    assert registration_id is not None
    app.registrations.approve(reviewer, registration_id, open_line=True)
    return registration_id


def test_start_picks_legacy_lines_by_filter_and_queues_one_sms_each(
    app: Simreg, world: World, units: Units
) -> None:
    own = legacy_lines(app, 3, channel="OWN")
    legacy_lines(app, 2, channel="SOC")
    legacy_lines(app, 2, channel="OWN", kind=LineKind.DATA)
    legacy_lines(app, 2, channel="OWN", real_name=RealNameState.VERIFIED)
    manager = world.actors["manager"]
    filters = parse_filters(org_unit_id=units.county_a, line_kind="voice")
    assert app.campaigns.preview(manager, filters) == 3

    campaign_id = app.campaigns.create(manager, plan(filters=filters))
    started = app.campaigns.start(manager, campaign_id)

    assert (started.targets, started.messages) == (3, 3)
    sent = outbox(app)
    assert sorted(m for m, _, _ in sent) == sorted(own)
    # The deadline is in the text; the personal link is filled in as each message is sent.
    assert all("2026-12-31" in body and "{link}" in body for _, _, body in sent)
    with pytest.raises(Conflict) as again:
        app.campaigns.start(manager, campaign_id)
    assert again.value.code == "CAMPAIGN-STATE"
    assert again.value.message_zh == "活动当前状态为进行中，无法执行此操作。"
    assert len(outbox(app)) == 3


def test_a_line_is_asked_by_one_running_campaign_at_a_time(app: Simreg, world: World) -> None:
    legacy_lines(app, 4)
    manager = world.actors["manager"]
    first = app.campaigns.create(manager, plan("first"))
    assert app.campaigns.start(manager, first).targets == 4
    second = app.campaigns.create(manager, plan("second"))
    with pytest.raises(Conflict) as empty:
        app.campaigns.start(manager, second)
    assert empty.value.code == "CAMPAIGN-EMPTY"
    assert len(outbox(app)) == 4


def test_plans_are_checked_before_anything_is_written(app: Simreg, world: World) -> None:
    manager = world.actors["manager"]
    for bad, code in [
        (plan(sms_template="Please re-register."), "CAMPAIGN-TEMPLATE"),
        (plan(sms_template="Go to {link} by {when}"), "CAMPAIGN-TEMPLATE"),
        (plan(deadline=date(2026, 11, 5)), "CAMPAIGN-DEADLINE"),
        (plan(call_after_days=-1), "CAMPAIGN-CALL-AFTER"),
        (plan(call_after_days=91), "CAMPAIGN-CALL-AFTER"),
        (plan(name="  "), "CAMPAIGN-NAME"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            app.campaigns.create(manager, bad)
        assert refused.value.code == code
    with pytest.raises(Forbidden):
        app.campaigns.create(world.actors["clerk_hall"], plan())
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.campaigns)).scalar_one() == 0


def test_link_reregistration_goes_through_review_and_verifies_the_line(
    app: Simreg, world: World, clock: MovableClock
) -> None:
    (msisdn,) = legacy_lines(app, 1)
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(manager, plan())
    app.campaigns.start(manager, campaign_id)
    _, target_id, body = outbox(app)[0]
    token = token_for(app, campaign_id, target_id, body)
    assert app.campaigns.open_link(token).msisdn == msisdn

    clock.advance(days=2)
    registration = app.campaigns.reregister(
        token, resident_id(random.Random(3)), person_name(random.Random(3)), PHOTOS
    )
    assert line_states(app, [msisdn])[msisdn] == ("active", "reverification_pending")
    with pytest.raises(Conflict) as twice:
        app.campaigns.reregister(token, resident_id(random.Random(4)), "张三", PHOTOS)
    assert twice.value.code == "REREG-NOT-NEEDED"

    assert reviewer_approves(app, world) == registration.id
    assert line_states(app, [msisdn])[msisdn] == ("active", "verified")
    target = targets(app)[msisdn]
    assert target["re_registered_after"] == "sms"
    # Re-registered before the call step: no call task appears later.
    clock.advance(days=10)
    assert app.campaigns.advance()[0].call_tasks == 0


def test_rejected_reregistration_leaves_the_line_in_service_and_unverified(
    app: Simreg, world: World
) -> None:
    (msisdn,) = legacy_lines(app, 1)
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(manager, plan())
    app.campaigns.start(manager, campaign_id)
    _, target_id, body = outbox(app)[0]
    token = token_for(app, campaign_id, target_id, body)
    document = resident_id(random.Random(5))
    app.campaigns.reregister(token, document, "李四", PHOTOS)
    reviewer = world.actors["reviewer"]
    registration_id = app.registrations.claim_next(reviewer)
    assert registration_id is not None
    app.registrations.reject(
        reviewer,
        registration_id,
        RejectRegistration(reasons=("photo_unreadable",)),
    )
    assert line_states(app, [msisdn])[msisdn] == ("active", "legacy_unverified")
    assert (
        app.registrations.check_document(
            world.actors["clerk_hall"], "resident_id", document
        ).held_lines
        == 0
    )
    # The holder can try again with the same link.
    app.campaigns.reregister(token, document, "李四", PHOTOS)
    assert line_states(app, [msisdn])[msisdn] == ("active", "reverification_pending")
    # One SMS told the holder why and brought the link back: one, however often it is read.
    told = [m for m in outbox(app) if "证件照片不清晰" in m[2]]
    assert [(m[0], m[1]) for m in told] == [(msisdn, target_id)]


def test_a_rejection_after_the_campaign_closed_sends_no_sms(app: Simreg, world: World) -> None:
    legacy_lines(app, 1)
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(manager, plan())
    app.campaigns.start(manager, campaign_id)
    _, target_id, body = outbox(app)[0]
    token = token_for(app, campaign_id, target_id, body)
    app.campaigns.reregister(token, resident_id(random.Random(6)), "李四", PHOTOS)
    app.campaigns.close(manager, campaign_id)
    reviewer = world.actors["reviewer"]
    registration_id = app.registrations.claim_next(reviewer)
    assert registration_id is not None
    app.registrations.reject(
        reviewer, registration_id, RejectRegistration(reasons=("photo_unreadable",))
    )
    assert [m for m in outbox(app) if "证件照片不清晰" in m[2]] == []  # its link says "ended"


def test_closing_a_campaign_withdraws_its_sms_not_yet_sent(app: Simreg, world: World) -> None:
    legacy_lines(app, 3)
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(manager, plan())
    app.campaigns.start(manager, campaign_id)
    with app.engine.begin() as conn:  # the gateway has taken the first one
        first = conn.execute(select(func.min(t.sms_outbox.c.id))).scalar_one()
        conn.execute(t.sms_outbox.update().where(t.sms_outbox.c.id == first).values(status="sent"))
    app.campaigns.close(manager, campaign_id)
    with app.engine.connect() as conn:
        left = conn.execute(select(t.sms_outbox.c.id, t.sms_outbox.c.status)).all()
        closed = conn.execute(
            select(t.audit_events.c.details).where(t.audit_events.c.action == "campaign.closed")
        ).scalar_one()
    assert [tuple(row) for row in left] == [(first, "sent")]
    assert closed["sms_withdrawn"] == 2


def test_reregistration_refuses_a_document_at_the_limit(app: Simreg, world: World) -> None:
    (msisdn,) = legacy_lines(app, 1)
    document = world.resident_id()
    for _ in range(5):
        world.submit(document_number=document)
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(manager, plan())
    app.campaigns.start(manager, campaign_id)
    _, target_id, body = outbox(app)[0]
    with pytest.raises(RuleViolated) as refused:
        app.campaigns.reregister(
            token_for(app, campaign_id, target_id, body), document, "王五", PHOTOS
        )
    assert [v.code for v in refused.value.violations] == ["RN-05"]
    assert line_states(app, [msisdn])[msisdn] == ("active", "legacy_unverified")


def test_links_that_were_forged_or_have_expired_are_refused(
    app: Simreg, world: World, clock: MovableClock
) -> None:
    legacy_lines(app, 1)
    manager = world.actors["manager"]
    no_deadline = "补登请点击 {link}"
    quick = plan(link_valid_days=3, deadline=None, sms_template=no_deadline)
    campaign_id = app.campaigns.create(manager, quick)
    app.campaigns.start(manager, campaign_id)
    _, target_id, body = outbox(app)[0]
    token = token_for(app, campaign_id, target_id, body)
    target, expires, mac = token.split(".")
    for forged in [
        f"{int(target) + 1}.{expires}.{mac}",
        f"{target}.{int(expires) + 86400}.{mac}",
        "x",
    ]:
        with pytest.raises(NotFound) as dead:
            app.campaigns.open_link(forged)
        assert dead.value.code == "LINK-INVALID"
    clock.advance(days=4)
    with pytest.raises(NotFound) as late:
        app.campaigns.open_link(token)
    assert late.value.code == "LINK-EXPIRED"


def test_a_link_lasts_until_the_deadline_its_message_announces(
    app: Simreg, world: World, clock: MovableClock
) -> None:
    legacy_lines(app, 1)
    manager = world.actors["manager"]
    deadline = clock.today() + timedelta(days=60)
    campaign_id = app.campaigns.create(manager, plan(link_valid_days=30, deadline=deadline))
    app.campaigns.start(manager, campaign_id)
    _, target_id, body = outbox(app)[0]
    text = app.campaigns.personalise(campaign_id, target_id, body)
    assert f"请在{deadline.isoformat()}前点击" in text
    token = text.split("/r/", 1)[1].split()[0]
    clock.advance(days=59)  # past the 30 days, before the deadline: still good
    assert app.campaigns.open_link(token) is not None
    clock.advance(days=2)  # the deadline's day has ended
    with pytest.raises(NotFound) as late:
        app.campaigns.open_link(token)
    assert late.value.code == "LINK-EXPIRED"


def test_calls_follow_the_sms_and_a_call_can_bring_the_holder_back(
    app: Simreg, world: World, clock: MovableClock
) -> None:
    numbers = legacy_lines(app, 3)
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(manager, plan(call_after_days=7))
    app.campaigns.start(manager, campaign_id)
    # RN-13: first the SMS, then the call. Queued but never sent: nobody is called.
    clock.advance(days=8)
    assert app.campaigns.advance()[0].call_tasks == 0
    mark_sms_sent(app)
    clock.advance(days=6)
    assert app.campaigns.advance()[0].call_tasks == 0
    clock.advance(days=1, hours=1)
    assert app.campaigns.advance()[0].call_tasks == 3
    assert app.campaigns.advance()[0].call_tasks == 0  # idempotent

    tasks = call_tasks_by_number(app)
    agent = world.actors["call_centre"]
    reached = app.calls.record(
        agent, tasks[numbers[0]], outcome="reached_link_sent", notes="will do it tonight"
    )
    assert reached.done and reached.link_sent
    resent = [m for m in outbox(app) if m[0] == numbers[0]]
    assert len(resent) == 2

    _, target_id, body = resent[-1]
    app.campaigns.reregister(
        token_for(app, campaign_id, target_id, body), world.resident_id(), "赵六", PHOTOS
    )
    reviewer_approves(app, world)
    assert targets(app)[numbers[0]]["re_registered_after"] == "call"

    # Three unanswered calls close a task; a callback keeps it open until the agreed time.
    for _ in range(3):
        app.calls.record(agent, tasks[numbers[1]], outcome="no_answer")
    with pytest.raises(Conflict) as finished:
        app.calls.record(agent, tasks[numbers[1]], outcome="no_answer")
    assert finished.value.code == "CALL-TASK-DONE"
    with pytest.raises(InvalidInput) as past:
        app.calls.record(
            agent,
            tasks[numbers[2]],
            outcome="callback",
            callback_at=clock.now() - timedelta(hours=1),
        )
    assert past.value.code == "CALL-CALLBACK-TIME"
    # Typed in the operator's zone: the task comes back at that moment, not 8 hours off.
    agreed = (clock.now() + timedelta(hours=5)).astimezone(ZoneInfo("Asia/Shanghai"))
    later = app.calls.record(agent, tasks[numbers[2]], outcome="callback", callback_at=agreed)
    assert not later.done
    with app.engine.connect() as conn:
        due, callback = conn.execute(
            select(t.call_tasks.c.due_at, t.call_attempts.c.callback_at)
            .join(t.call_attempts, t.call_attempts.c.task_id == t.call_tasks.c.id)
            .where(t.call_tasks.c.id == tasks[numbers[2]])
        ).one()
    assert aware(due) == agreed and aware(callback) == agreed
    # The callback is kept for the agent who agreed it: at the time, it is in their list and
    # not another agent's, until half an hour past it.
    other = world.actors["admin"]
    at_time = agreed + timedelta(minutes=1)
    with app.engine.connect() as conn:
        mine = call_worklist(conn, agent, now=at_time)["items"]
        theirs = call_worklist(conn, other, now=at_time)["items"]
        later_on = call_worklist(conn, other, now=agreed + timedelta(minutes=31))["items"]
    assert tasks[numbers[2]] in {i["id"] for i in mine}
    assert tasks[numbers[2]] not in {i["id"] for i in theirs}
    assert tasks[numbers[2]] in {i["id"] for i in later_on}
    # Another agent cannot record on a task someone holds.
    app.calls.claim(agent, tasks[numbers[2]])
    with pytest.raises(Conflict) as taken:
        app.calls.record(world.actors["admin"], tasks[numbers[2]], outcome="refused")
    assert taken.value.code == "CALL-TASK-TAKEN"
    with pytest.raises(Forbidden):
        app.calls.record(world.actors["clerk_hall"], tasks[numbers[2]], outcome="refused")


def test_after_the_deadline_lines_go_one_way_then_two_way_and_come_back_on_reregistration(
    app: Simreg, world: World, clock: MovableClock
) -> None:
    numbers = legacy_lines(app, 3)
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(
        manager, plan(deadline=date(2026, 11, 20), two_way_after_days=10)
    )
    app.campaigns.start(manager, campaign_id)
    mark_sms_sent(app)
    first = outbox(app)[0]

    # Holder 1 re-registers before the deadline and waits for review.
    app.campaigns.reregister(
        token_for(app, campaign_id, first[1], first[2]), world.resident_id(), "孙七", PHOTOS
    )
    clock.advance(days=18)  # 2026-11-20, still the deadline day in Shanghai
    assert app.campaigns.advance()[0].suspended_one_way == 0
    clock.advance(days=1)
    assert app.campaigns.advance()[0].suspended_one_way == 2
    states = line_states(app, numbers)
    assert states[first[0]] == ("active", "reverification_pending")
    assert sorted(s for s, _ in states.values()) == [
        "active",
        "suspended_one_way",
        "suspended_one_way",
    ]

    clock.advance(days=10)
    assert app.campaigns.advance()[0].suspended_two_way == 2
    late = next(m for m in outbox(app) if m[0] != first[0])
    # Asked "who cut my line?", the audit answers by the number: which campaign, and when.
    trail = line_trail(app, world, late[0])
    assert [(e["action"], e["details"]["state"]) for e in trail] == [
        ("line.suspended", "suspended_two_way"),
        ("line.suspended", "suspended_one_way"),
    ]
    assert {e["details"]["campaign_id"] for e in trail} == {campaign_id}
    assert line_trail(app, world, first[0]) == []
    app.campaigns.reregister(
        token_for(app, campaign_id, late[1], late[2]), world.resident_id(), "周八", PHOTOS
    )
    reviewer_approves(app, world)
    reviewer_approves(app, world)
    states = line_states(app, numbers)
    assert states[late[0]] == ("active", "verified")
    assert states[first[0]] == ("active", "verified")
    assert targets(app)[late[0]]["restored_at"] is not None
    assert line_trail(app, world, late[0])[0]["action"] == "line.restored"

    # Found forged after approval: the suspension approval lifted is back at once.
    with app.engine.connect() as conn:
        late_id = conn.execute(
            select(t.registrations.c.id)
            .join(t.lines, t.lines.c.id == t.registrations.c.line_id)
            .where(t.lines.c.msisdn == late[0])
        ).scalar_one()
    app.registrations.cancel(world.actors["reviewer"], late_id, "forged document")
    assert line_states(app, [late[0]])[late[0]] == ("suspended_two_way", "legacy_unverified")
    again = line_trail(app, world, late[0])[0]
    assert again["action"] == "line.suspended"
    assert again["details"]["reason"] == "re_registration_cancelled"
    assert targets(app)[late[0]]["restored_at"] is None
    assert app.campaigns.advance()[0].suspended_one_way == 0  # nothing left to do


def test_a_call_sent_twice_counts_once_and_no_link_goes_to_a_holder_in_review(
    app: Simreg, world: World, clock: MovableClock
) -> None:
    numbers = legacy_lines(app, 2)
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(manager, plan(call_after_days=7))
    app.campaigns.start(manager, campaign_id)
    mark_sms_sent(app)
    clock.advance(days=8)
    assert app.campaigns.advance()[0].call_tasks == 2
    tasks = call_tasks_by_number(app)
    agent = world.actors["call_centre"]

    # A double click on "No answer": the second form carries the same count and is refused.
    app.calls.record(agent, tasks[numbers[0]], outcome="no_answer", attempts_seen=0)
    with pytest.raises(Conflict) as twice:
        app.calls.record(agent, tasks[numbers[0]], outcome="no_answer", attempts_seen=0)
    assert twice.value.code == "CALL-ALREADY-RECORDED"
    assert [h["outcome"] for h in history_of(app, agent, tasks[numbers[0]])] == ["no_answer"]

    # The holder sent documents through the link meanwhile: no second link goes out.
    sms = next(m for m in outbox(app) if m[0] == numbers[1])
    app.campaigns.reregister(
        token_for(app, campaign_id, sms[1], sms[2]), world.resident_id(), "钱九", PHOTOS
    )
    before = len(outbox(app))
    reached = app.calls.record(agent, tasks[numbers[1]], outcome="reached_link_sent")
    assert reached.done and not reached.link_sent and reached.documents_in_review
    assert len(outbox(app)) == before


def test_a_holder_whose_sms_failed_keeps_service_until_the_call_centre_tries(
    app: Simreg, world: World, clock: MovableClock
) -> None:
    numbers = legacy_lines(app, 2)
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(manager, plan(deadline=date(2026, 11, 20)))
    app.campaigns.start(manager, campaign_id)
    mark_sms_sent(app)
    with app.engine.begin() as conn:  # the SMSC's receipt: undeliverable
        conn.execute(
            update(t.campaign_targets)
            .where(
                t.campaign_targets.c.line_id
                == select(t.lines.c.id).where(t.lines.c.msisdn == numbers[0]).scalar_subquery()
            )
            .values(sms_failed_at=app.clock.now())
        )
    clock.advance(days=19)  # past the deadline
    assert app.campaigns.advance()[0].suspended_one_way == 1
    assert line_states(app, numbers)[numbers[0]] == ("active", "legacy_unverified")
    assert line_states(app, numbers)[numbers[1]][0] == "suspended_one_way"

    # The agent tries the number: now the holder has been asked.
    with app.engine.connect() as conn:
        task_id = conn.execute(
            select(t.call_tasks.c.id)
            .join(t.campaign_targets, t.campaign_targets.c.id == t.call_tasks.c.target_id)
            .join(t.lines, t.lines.c.id == t.campaign_targets.c.line_id)
            .where(t.lines.c.msisdn == numbers[0])
        ).scalar_one()
    app.calls.record(world.actors["call_centre"], task_id, outcome="refused")
    assert app.campaigns.advance()[0].suspended_one_way == 1
    assert line_states(app, numbers)[numbers[0]][0] == "suspended_one_way"


@pytest.mark.slow
def test_parallel_starts_take_each_line_once(app: Simreg, world: World) -> None:
    legacy_lines(app, 40)
    manager = world.actors["manager"]
    same = app.campaigns.create(manager, plan("same"))
    others = [app.campaigns.create(manager, plan(f"other {i}")) for i in range(3)]
    outcomes: list[object] = []

    def start(campaign_id: int) -> None:
        try:
            outcomes.append(app.campaigns.start(manager, campaign_id).targets)
        except Conflict as refused:
            outcomes.append(refused.code)

    threads = [threading.Thread(target=start, args=(c,)) for c in [same, same, *others]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One start wins all 40 lines; every other finds them taken or its campaign started.
    assert outcomes.count(40) == 1
    assert set(outcomes) - {40} <= {"CAMPAIGN-EMPTY", "CAMPAIGN-STATE"}
    with app.engine.connect() as conn:
        per_line = conn.execute(
            select(t.campaign_targets.c.line_id, func.count())
            .group_by(t.campaign_targets.c.line_id)
            .having(func.count() > 1)
        ).all()
        messages = conn.execute(select(func.count()).select_from(t.sms_outbox)).scalar_one()
    assert per_line == [] and messages == 40


@pytest.mark.slow
def test_one_call_task_is_worked_by_one_agent_at_a_time(
    app: Simreg, world: World, clock: MovableClock
) -> None:
    legacy_lines(app, 1)
    manager = world.actors["manager"]
    app.campaigns.start(manager, app.campaigns.create(manager, plan()))
    mark_sms_sent(app)
    clock.advance(days=8)
    app.campaigns.advance()
    with app.engine.begin() as conn:
        task_id = conn.execute(select(t.call_tasks.c.id)).scalar_one()
        agents = [
            Actor(
                directory.add_staff(
                    conn,
                    username=f"agent{i}",
                    display_name=f"agent {i}",
                    role=Role.CALL_CENTRE,
                    at=clock.now(),
                ),
                f"agent{i}",
                Role.CALL_CENTRE,
            )
            for i in range(6)
        ]
    results: list[str] = []

    def call(agent: Actor) -> None:
        try:
            app.calls.record(agent, task_id, outcome="refused")
            results.append("recorded")
        except Conflict as refused:
            results.append(refused.code)

    threads = [threading.Thread(target=call, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("recorded") == 1
    assert set(results) - {"recorded"} <= {"CALL-TASK-TAKEN", "CALL-TASK-DONE"}
    with app.engine.connect() as conn:
        attempts = conn.execute(select(func.count()).select_from(t.call_attempts)).scalar_one()
    assert attempts == 1


def test_the_campaign_forms_org_units_come_in_tree_order(app: Simreg, units: Units) -> None:
    now = app.clock.now()
    with app.engine.begin() as conn:
        # A second province, coded to sort between the first province's units.
        second = conn.execute(
            insert(t.org_units)
            .values(code="B0", name="Province 2", level="province", created_at=now)
            .returning(t.org_units.c.id)
        ).scalar_one()
        conn.execute(
            insert(t.org_units).values(
                code="A0", name="City 2", level="city", parent_id=second, created_at=now
            )
        )
        names = [u["name"] for u in filter_choices(conn)["org_units"]]
    assert names == ["Province 2", "City 2", "Province", "City", "County A", "County B"]


def test_documents_in_review_stop_the_calls_and_count_for_the_sms_until_cancelled(
    app: Simreg, world: World, clock: MovableClock
) -> None:
    numbers = legacy_lines(app, 2)
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(manager, plan(call_after_days=7))
    app.campaigns.start(manager, campaign_id)
    mark_sms_sent(app)
    clock.advance(days=7, hours=1)
    assert app.campaigns.advance()[0].call_tasks == 2

    # The first holder sends documents from the SMS link: agents are not asked to call them.
    _, target_id, body = next(m for m in outbox(app) if m[0] == numbers[0])
    token = token_for(app, campaign_id, target_id, body)
    app.campaigns.reregister(token, world.resident_id(), "赵六", PHOTOS)
    agent = world.actors["call_centre"]
    with app.engine.connect() as conn:
        listed = call_worklist(conn, agent, now=clock.now())
        (found,) = call_worklist(conn, agent, now=clock.now(), number=numbers[0])["items"]
    assert [item["msisdn"] for item in listed["items"]] == [numbers[1]]
    assert found["documents_in_review"] and listed["due"] == 1

    # A call made while the documents wait takes no credit for them.
    clock.advance(hours=1)
    app.calls.record(agent, found["id"], outcome="refused")
    registration_id = reviewer_approves(app, world)
    assert targets(app)[numbers[0]]["re_registered_after"] == "sms"

    # A re-registration cancelled later no longer counts in the funnel.
    app.registrations.cancel(world.actors["reviewer"], registration_id, "not the holder")
    after = targets(app)[numbers[0]]
    assert after["re_registered_at"] is None and after["re_registered_after"] is None

    # The other holder re-registers by link, which closes their call task; cancelled after
    # approval, the running campaign calls them again.
    _, other_target, other_body = next(m for m in outbox(app) if m[0] == numbers[1])
    app.campaigns.reregister(
        token_for(app, campaign_id, other_target, other_body), world.resident_id(), "郑十", PHOTOS
    )
    other = reviewer_approves(app, world)
    with app.engine.connect() as conn:
        assert call_worklist(conn, agent, now=clock.now())["items"] == []
    app.registrations.cancel(world.actors["reviewer"], other, "forged document")
    with app.engine.connect() as conn:
        (back,) = call_worklist(conn, agent, now=clock.now())["items"]
    assert back["msisdn"] == numbers[1]


def test_a_line_suspended_by_a_closed_campaign_comes_back_when_its_holder_re_registers(
    app: Simreg, world: World, clock: MovableClock
) -> None:
    numbers = legacy_lines(app, 2)
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(manager, plan(deadline=date(2026, 11, 20)))
    app.campaigns.start(manager, campaign_id)
    mark_sms_sent(app)
    clock.advance(days=19)
    assert app.campaigns.advance()[0].suspended_one_way == 2
    app.campaigns.close(manager, campaign_id)
    # One holder comes to a hall after the campaign closed; the other is asked again by a
    # new campaign that picks suspended lines, and answers its link.
    at_hall = world.submit("clerk_hall", msisdn=numbers[0], reregistration=True)
    again = app.campaigns.create(
        manager, plan("again", filters=parse_filters(line_states=["suspended_one_way"]))
    )
    app.campaigns.start(manager, again)
    _, target_id, body = [m for m in outbox(app) if m[0] == numbers[1]][-1]
    app.campaigns.reregister(
        token_for(app, again, target_id, body), world.resident_id(), "吴九", PHOTOS
    )
    for _ in range(2):
        reviewer_approves(app, world)
    assert at_hall.campaign_target_id is None
    assert line_states(app, numbers) == {
        numbers[0]: ("active", "verified"),
        numbers[1]: ("active", "verified"),
    }
    # Cancelled after approval, the closed campaign's suspension is back: nothing else would
    # ever suspend the line again.
    app.registrations.cancel(world.actors["reviewer"], at_hall.id, "forged document")
    assert line_states(app, [numbers[0]])[numbers[0]] == ("suspended_one_way", "legacy_unverified")


def test_a_rejected_counter_re_registration_sends_the_holder_no_link(
    app: Simreg, world: World
) -> None:
    (msisdn,) = legacy_lines(app, 1)
    manager = world.actors["manager"]
    app.campaigns.start(manager, app.campaigns.create(manager, plan()))
    sent_before = len(outbox(app))
    registration = world.submit(
        "clerk_hall",
        msisdn=msisdn,
        reregistration=True,
        document_type="passport",
        document_number="E12345678",
    )
    reviewer = world.actors["reviewer"]
    app.registrations.claim(reviewer, registration.id)
    app.registrations.reject(reviewer, registration.id, RejectRegistration(("not_original",)))
    # The clerk sees the reasons; the holder is not told to upload a resident ID by link.
    assert len(outbox(app)) == sent_before
    assert line_states(app, [msisdn])[msisdn] == ("active", "legacy_unverified")


def history_of(app: Simreg, agent: Actor, task_id: int) -> list[dict[str, Any]]:
    with app.engine.connect() as conn:
        return call_history(conn, agent, task_id)


def line_trail(app: Simreg, world: World, msisdn: str) -> list[dict[str, Any]]:
    """The line's own service events, newest first, as an audit search by number shows."""
    with app.engine.connect() as conn:
        found = search_audit(conn, world.actors["auditor"], AuditFilter(msisdn=msisdn), 50)
    return [e for e in found if e["action"].startswith("line.")]


def call_tasks_by_number(app: Simreg) -> dict[str, int]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(t.lines.c.msisdn, t.call_tasks.c.id)
            .join(t.campaign_targets, t.campaign_targets.c.id == t.call_tasks.c.target_id)
            .join(t.lines, t.lines.c.id == t.campaign_targets.c.line_id)
        )
        return {msisdn: task_id for msisdn, task_id in rows}
