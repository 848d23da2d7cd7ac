"""RN-14 on SQLite and PostgreSQL: documents over the limit become cases once, and a case is
resolved line by line (keep, cancel, transfer with RN-05 on the receiver) or not at all."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from simreg.bootstrap import Simreg
from simreg.campaigns.domain import CampaignPlan, parse_filters
from simreg.core.errors import Conflict, DomainError, Forbidden, RuleViolated
from simreg.db import tables as t
from simreg.db.audit_queries import AuditFilter, search_audit
from simreg.db.over_limit_store import case_detail, list_cases
from simreg.identity.documents import mask_number
from simreg.legacy.over_limit import ProposedDecision
from simreg.legacy.staging import HOLDER_NAME_PURPOSE
from simreg.lines.domain import LineState, RealNameState
from tests.support.over_limit_base import Holder, document_holding, new_document_number
from tests.support.shop import PHOTOS as REREGISTRATION_PHOTOS
from tests.support.world import World

BUSINESS_LICENCE = "91350100M000100Y43"


def snapshot(simreg: Simreg) -> dict[str, Any]:
    """Everything a resolution may change."""
    with simreg.engine.connect() as conn:
        return {
            "lines": conn.execute(
                select(
                    t.lines.c.id,
                    t.lines.c.state,
                    t.lines.c.customer_id,
                    t.lines.c.real_name_state,
                    t.lines.c.holder_name_masked,
                ).order_by(t.lines.c.id)
            ).all(),
            "customers": conn.execute(
                select(t.customers.c.id, t.customers.c.held_lines).order_by(t.customers.c.id)
            ).all(),
            "cases": conn.execute(
                select(t.over_limit_cases.c.id, t.over_limit_cases.c.status)
            ).all(),
            "audit": conn.execute(select(func.count()).select_from(t.audit_events)).scalar(),
        }


def open_case(simreg: Simreg, holder: Holder) -> int:
    with simreg.engine.connect() as conn:
        return int(
            conn.execute(
                select(t.over_limit_cases.c.id).where(
                    t.over_limit_cases.c.open_customer_id == holder.customer_id
                )
            ).scalar_one()
        )


def keep_all_but(holder: Holder, **actions: Any) -> list[ProposedDecision]:
    """Keep every line except those named by position (l0=("cancel",), ...); an empty
    tuple leaves that line without a decision."""
    out = []
    for position, line_id in enumerate(holder.line_ids):
        action = actions.get(f"l{position}", ("keep",))
        if action:
            out.append(ProposedDecision(line_id, *action))
    return out


def test_find_opens_one_case_per_document_over_the_limit_and_is_idempotent(
    world: World,
) -> None:
    app, risk = world.simreg, world.actors["risk"]
    over = document_holding(app, 7)
    also_over = document_holding(app, 6)
    document_holding(app, 5)  # at the limit: fine
    document_holding(app, 9, doc_type="business_licence", doc_number=BUSINESS_LICENCE)

    assert app.over_limit.find(risk) == 2
    assert app.over_limit.find(risk) == 0
    with app.engine.connect() as conn:
        listed = list_cases(conn, risk)
    assert listed["total"] == 2
    assert [c["held_when_found"] for c in listed["items"]] == [7, 6]
    assert {c["doc_masked"] for c in listed["items"]} == {
        over.doc_number[:4] + "*" * 10 + over.doc_number[-4:],
        also_over.doc_number[:4] + "*" * 10 + also_over.doc_number[-4:],
    }
    assert all(over.doc_number not in str(c) for c in listed["items"])


def test_keep_cancel_and_transfer_in_one_resolution(world: World) -> None:
    app, risk = world.simreg, world.actors["risk"]
    holder = document_holding(app, 7)
    app.over_limit.find(risk)
    case_id = open_case(app, holder)
    receiver = new_document_number()
    decisions = keep_all_but(
        holder,
        l5=("cancel",),
        l6=("transfer", "resident_id", receiver, "王小明"),
    )

    outcome = app.over_limit.resolve(risk, case_id, decisions, notes="holder called in")

    assert (outcome.kept, outcome.cancelled, outcome.transferred) == (5, 1, 1)
    with app.engine.connect() as conn:
        lines = {
            r.id: r for r in conn.execute(select(t.lines).where(t.lines.c.id.in_(holder.line_ids)))
        }
        held = conn.execute(
            select(t.customers.c.held_lines).where(t.customers.c.id == holder.customer_id)
        ).scalar_one()
        case = conn.execute(
            select(t.over_limit_cases).where(t.over_limit_cases.c.id == case_id)
        ).one()
        audit = conn.execute(
            select(t.audit_events).where(t.audit_events.c.action == "over_limit.resolved")
        ).all()
    assert held == 5
    assert lines[holder.line_ids[5]].state == LineState.CANCELLED.value
    moved = lines[holder.line_ids[6]]
    # Named, not verified: the line leaves the holder's document and waits, held by none, for
    # the receiver to re-register with theirs (RN-05 is claimed then).
    assert moved.customer_id is None
    assert moved.real_name_state == RealNameState.LEGACY_UNVERIFIED.value
    assert moved.holder_name_masked == "王**"
    assert app.vault.fields.decrypt_text(moved.holder_name_enc, HOLDER_NAME_PURPOSE) == "王小明"
    assert case.status == "resolved" and case.open_customer_id is None
    assert case.resolved_by == risk.staff_id and case.notes == "holder called in"
    decision = case.decision
    assert decision["kept"] == 5 and decision["by_username"] == "risk"
    assert decision["lines"][6]["receiver"]["doc_masked"] == mask_number(receiver)
    assert receiver not in str(decision) and "王小明" not in str(decision)
    assert len(audit) == 1 and audit[0].doc_index == holder.doc_index
    # Each line that left has its own row: a search by its number says who and which case.
    with app.engine.connect() as conn:
        for line_id, action in ((5, "line.cancelled"), (6, "line.transferred")):
            number = lines[holder.line_ids[line_id]].msisdn
            found = search_audit(conn, world.actors["auditor"], AuditFilter(msisdn=number), 10)
            assert [(e["action"], e["staff"], e["details"]) for e in found] == [
                (action, "risk", {"case_id": case_id})
            ]
    # Resolved and back at the limit: a new search opens nothing.
    assert app.over_limit.find(risk) == 0


def test_a_transferred_line_waits_for_its_receiver_to_re_register(world: World) -> None:
    app, risk = world.simreg, world.actors["risk"]
    holder = document_holding(app, 6)
    receiver = document_holding(app, 4)
    app.over_limit.find(risk)
    decisions = keep_all_but(holder, l0=("transfer", "resident_id", receiver.doc_number, "李雷"))
    case_id = open_case(app, holder)
    app.over_limit.resolve(risk, case_id, decisions)

    def transferred_now() -> dict[str, Any]:
        """Where the resolved case says the transferred line stands now."""
        with app.engine.connect() as conn:
            decided = case_detail(conn, risk, case_id)["decision"]["lines"]
        (line,) = [d for d in decided if d["action"] == "transfer"]
        return dict(line["now"])

    def held_and_holder() -> tuple[int, int | None]:
        with app.engine.connect() as conn:
            held = conn.execute(
                select(t.customers.c.held_lines).where(t.customers.c.id == receiver.customer_id)
            ).scalar_one()
            on = conn.execute(
                select(t.lines.c.customer_id).where(t.lines.c.id == holder.line_ids[0])
            ).scalar_one()
        return int(held), on

    assert held_and_holder() == (4, None)  # not theirs until they show their document
    assert transferred_now() == {
        "state": "active",
        "real_name_state": "legacy_unverified",
        "held": "none",
    }
    # They re-register it through a campaign link; approval makes it theirs and verified.
    manager = world.actors["manager"]
    campaign_id = app.campaigns.create(
        manager, CampaignPlan("RN-14 transfers", parse_filters(), "补登请点击 {link}")
    )
    app.campaigns.start(manager, campaign_id)
    with app.engine.connect() as conn:
        target = conn.execute(
            select(t.sms_outbox.c.target_id, t.sms_outbox.c.body).where(
                t.sms_outbox.c.msisdn == holder.msisdns[0]
            )
        ).one()
    text = app.campaigns.personalise(campaign_id, target.target_id, target.body)
    token = text.split("/r/", 1)[1].split()[0]
    app.campaigns.reregister(token, receiver.doc_number, "李雷", REREGISTRATION_PHOTOS)
    reviewer = world.actors["reviewer"]
    registration_id = app.registrations.claim_next(reviewer)
    assert registration_id is not None
    app.registrations.approve(reviewer, registration_id, open_line=True)
    assert held_and_holder() == (5, receiver.customer_id)
    assert transferred_now() == {"state": "active", "real_name_state": "verified", "held": "other"}


@pytest.mark.parametrize(
    ("actions", "code"),
    [
        ({"l6": ()}, "OVER-LIMIT-UNDECIDED"),  # one line without a decision
        ({}, "RN-14"),  # keeps all seven
        ({"l0": ("cancel",), "l1": ("transfer", "resident_id", "", "")}, "OVER-LIMIT-RECEIVER"),
        (
            {"l0": ("cancel",), "l1": ("transfer", "resident_id", "110105194912310021", "张三")},
            "DOC-CHECKSUM",
        ),
        ({"l0": ("cancel",), "l1": ("sell",)}, "OVER-LIMIT-ACTION"),
    ],
)
def test_refused_resolutions_change_nothing(
    world: World, actions: dict[str, tuple[str, ...]], code: str
) -> None:
    app, risk = world.simreg, world.actors["risk"]
    holder = document_holding(app, 7)
    app.over_limit.find(risk)
    case_id = open_case(app, holder)
    decisions = keep_all_but(holder, **actions)
    before = snapshot(app)
    with pytest.raises(RuleViolated) as refused:
        app.over_limit.resolve(risk, case_id, decisions)
    codes = [v["code"] for v in refused.value.details["violations"]]
    assert code in codes
    if code in ("OVER-LIMIT-RECEIVER", "DOC-CHECKSUM"):
        assert codes == [code]  # the transfer was chosen: not "undecided" as well
    assert snapshot(app) == before


def test_the_receivers_limit_refuses_the_whole_resolution(world: World) -> None:
    app, risk = world.simreg, world.actors["risk"]
    holder = document_holding(app, 7)
    full = document_holding(app, 4)
    app.over_limit.find(risk)
    case_id = open_case(app, holder)
    to_full = ("transfer", "resident_id", full.doc_number, "韩梅梅")
    # The receiver holds 4: the first transfer fits, the second would be their sixth.
    decisions = keep_all_but(holder, l0=("cancel",), l1=to_full, l2=to_full)
    before = snapshot(app)
    with pytest.raises(RuleViolated) as refused:
        app.over_limit.resolve(risk, case_id, decisions)
    assert refused.value.code == "RN-05"
    (violation,) = refused.value.details["violations"]
    assert violation["message"].endswith(
        "the receiver's document would hold 6 lines (4 now and 2 transferred); the limit is 5 "
        "per document."
    )
    assert "将登记 6 个号码（现有 4 个，转入 2 个）" in violation["message_zh"]
    assert snapshot(app) == before


def test_roles(world: World) -> None:
    app = world.simreg
    holder = document_holding(app, 6)
    for who in ("auditor", "manager", "reviewer", "clerk_hall", "call_centre"):
        with pytest.raises(Forbidden):
            app.over_limit.find(world.actors[who])
    app.over_limit.find(world.actors["admin"])
    case_id = open_case(app, holder)
    with app.engine.connect() as conn:
        for who in ("auditor", "manager"):
            assert case_detail(conn, world.actors[who], case_id)["held_lines"] == 6
        with pytest.raises(Forbidden):
            case_detail(conn, world.actors["reviewer"], case_id)
    with pytest.raises(Forbidden):
        app.over_limit.resolve(world.actors["auditor"], case_id, keep_all_but(holder))


def test_two_resolvers_at_once_exactly_one_wins(world: World) -> None:
    app = world.simreg
    holder = document_holding(app, 6)
    app.over_limit.find(world.actors["risk"])
    case_id = open_case(app, holder)
    start = threading.Barrier(2)
    results: dict[str, Any] = {}

    def resolve(who: str, cancel: int) -> None:
        start.wait()
        try:
            results[who] = app.over_limit.resolve(
                world.actors[who], case_id, keep_all_but(holder, **{f"l{cancel}": ("cancel",)})
            )
        except DomainError as error:
            results[who] = error

    threads = [
        threading.Thread(target=resolve, args=("risk", 0)),
        threading.Thread(target=resolve, args=("admin", 1)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    conflicts = [r for r in results.values() if isinstance(r, Conflict)]
    assert len(results) == 2 and len(conflicts) == 1, results
    assert conflicts[0].code == "OVER-LIMIT-RESOLVED"
    with app.engine.connect() as conn:
        cancelled = conn.execute(
            select(func.count())
            .select_from(t.lines)
            .where(t.lines.c.customer_id == holder.customer_id, t.lines.c.state == "cancelled")
        ).scalar_one()
        held = conn.execute(
            select(t.customers.c.held_lines).where(t.customers.c.id == holder.customer_id)
        ).scalar_one()
    assert (cancelled, held) == (1, 5)


def test_a_line_under_review_can_only_be_kept(world: World) -> None:
    app, risk = world.simreg, world.actors["risk"]
    holder = document_holding(app, 6)
    with app.engine.begin() as conn:
        conn.execute(
            t.lines.update()
            .where(t.lines.c.id == holder.line_ids[0])
            .values(real_name_state=RealNameState.REVERIFICATION_PENDING.value)
        )
    app.over_limit.find(risk)
    with pytest.raises(RuleViolated) as refused:
        app.over_limit.resolve(risk, open_case(app, holder), keep_all_but(holder, l0=("cancel",)))
    assert refused.value.code == "OVER-LIMIT-UNDER-REVIEW"
    outcome = app.over_limit.resolve(
        risk, open_case(app, holder), keep_all_but(holder, l1=("cancel",))
    )
    assert outcome.cancelled == 1


def test_resolving_a_resolved_case_is_a_conflict(world: World) -> None:
    app, risk = world.simreg, world.actors["risk"]
    holder = document_holding(app, 6)
    app.over_limit.find(risk)
    case_id = open_case(app, holder)
    decisions = keep_all_but(holder, l0=("cancel",))
    app.over_limit.resolve(risk, case_id, decisions)
    with pytest.raises(Conflict):
        app.over_limit.resolve(risk, case_id, decisions)
    with app.engine.connect() as conn:
        resolved = list_cases(conn, risk, status="resolved")
        detail = case_detail(conn, risk, case_id)
    assert resolved["total"] == 1 and resolved["items"][0]["resolved_by"] == "risk"
    assert detail["decision"]["cancelled"] == 1 and len(detail["lines"]) == 5


def test_every_problem_of_a_resolution_is_reported_at_once(world: World) -> None:
    app, risk = world.simreg, world.actors["risk"]
    holder = document_holding(app, 7)
    full = document_holding(app, 5)
    app.over_limit.find(risk)
    case_id = open_case(app, holder)
    decisions = keep_all_but(
        holder,
        l0=("transfer", "resident_id", full.doc_number, "韩梅梅"),  # a sixth for them
        l1=("transfer", "resident_id", "110105194912310021", "张三"),  # a wrong check digit
    )
    with pytest.raises(RuleViolated) as refused:
        app.over_limit.resolve(risk, case_id, decisions)
    codes = sorted(v["code"] for v in refused.value.details["violations"])
    assert codes == ["DOC-CHECKSUM", "RN-05"]
