"""The registration state machine: review decides, and a line opens only after approval (RN-06)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simreg.core.errors import Conflict, DomainError, InvalidInput, RuleViolated
from simreg.registration.domain import (
    Approval,
    Registration,
    RegistrationState,
    RejectionReason,
    looks_like_registration_id,
    resubmit_message,
)

State = RegistrationState
T0 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=30)
REVIEWER = 42
CJK = re.compile(r"[\u4e00-\u9fff]")


def registration(state: State = State.PENDING_REVIEW, rid: str = "a" * 32) -> Registration:
    return Registration(
        id=rid,
        state=state,
        customer_id=1,
        line_id=2,
        channel_id=3,
        outlet_id=4,
        clerk_id=5,
        device_id=6,
        submitted_at=T0,
    )


def approved(rid: str = "a" * 32) -> tuple[Registration, Approval]:
    return registration(rid=rid).approve(REVIEWER, LATER)


def state_conflict(caught: pytest.ExceptionInfo[Conflict], state: State) -> None:
    assert caught.value.code == "REGISTRATION-STATE"
    assert caught.value.details == {"state": state.value}
    assert caught.value.message.strip()
    assert CJK.search(caught.value.message_zh)


# --- approve


def test_approve_records_reviewer_and_time_and_hands_out_an_approval() -> None:
    reg, approval = approved()
    assert reg.state is State.APPROVED
    assert (reg.reviewer_id, reg.approved_at, reg.decided_at) == (REVIEWER, LATER, LATER)
    assert (approval.registration_id, approval.reviewer_id, approval.at) == (
        reg.id,
        REVIEWER,
        LATER,
    )


def test_approve_leaves_the_original_untouched() -> None:
    pending = registration()
    pending.approve(REVIEWER, LATER)
    assert pending.state is State.PENDING_REVIEW


@pytest.mark.parametrize("state", [s for s in State if s is not State.PENDING_REVIEW])
def test_approve_only_from_pending_review(state: State) -> None:
    with pytest.raises(Conflict) as caught:
        registration(state).approve(REVIEWER, LATER)
    state_conflict(caught, state)


# --- reject


def test_reject_records_reasons_and_trimmed_comment() -> None:
    reasons = (RejectionReason.PHOTO_UNREADABLE, RejectionReason.NAME_MISMATCH)
    reg = registration().reject(REVIEWER, LATER, reasons, "  blurred back side ")
    assert reg.state is State.REJECTED
    assert reg.rejection_reasons == reasons
    assert reg.rejection_comment == "blurred back side"
    assert (reg.reviewer_id, reg.decided_at, reg.approved_at) == (REVIEWER, LATER, None)


@pytest.mark.parametrize("comment", [None, "", "   "])
def test_reject_without_a_comment_is_fine_for_a_named_reason(comment: str | None) -> None:
    reg = registration().reject(REVIEWER, LATER, (RejectionReason.NOT_ORIGINAL,), comment)
    assert reg.rejection_comment is None


def test_reject_needs_at_least_one_reason() -> None:
    with pytest.raises(InvalidInput) as caught:
        registration().reject(REVIEWER, LATER, (), "looks wrong")
    assert caught.value.code == "REJECT-REASON"
    assert CJK.search(caught.value.message_zh)


@pytest.mark.parametrize("comment", [None, "", " \t "])
@pytest.mark.parametrize(
    "reasons",
    [(RejectionReason.OTHER,), (RejectionReason.PHOTO_UNREADABLE, RejectionReason.OTHER)],
)
def test_reject_for_other_needs_a_comment(
    reasons: tuple[RejectionReason, ...], comment: str | None
) -> None:
    with pytest.raises(InvalidInput) as caught:
        registration().reject(REVIEWER, LATER, reasons, comment)
    assert caught.value.code == "REJECT-COMMENT"


def test_reject_for_other_with_a_comment_is_accepted() -> None:
    reg = registration().reject(REVIEWER, LATER, (RejectionReason.OTHER,), "ID reported lost")
    assert reg.state is State.REJECTED
    assert reg.rejection_comment == "ID reported lost"


@pytest.mark.parametrize("state", [s for s in State if s is not State.PENDING_REVIEW])
def test_reject_only_from_pending_review(state: State) -> None:
    with pytest.raises(Conflict) as caught:
        registration(state).reject(REVIEWER, LATER, (RejectionReason.SUSPECTED_FRAUD,), None)
    state_conflict(caught, state)


# --- activate (RN-06)


def test_activate_with_its_approval_opens_the_line() -> None:
    reg, approval = approved()
    active = reg.activate(approval, LATER)
    assert active.state is State.ACTIVE
    assert active.activated_at == LATER


def test_an_approval_cannot_be_constructed_directly() -> None:
    with pytest.raises(TypeError):
        Approval("a" * 32, REVIEWER, LATER, object())


def test_a_stored_approved_registration_rebuilds_its_approval() -> None:
    reg, original = approved()
    # As loaded from storage: same fields, no Approval object in hand.
    loaded = replace(reg)
    rebuilt = loaded.approval()
    assert rebuilt == original
    assert loaded.activate(rebuilt, LATER).state is State.ACTIVE


@pytest.mark.parametrize("state", [State.PENDING_REVIEW, State.REJECTED])
def test_approval_is_refused_unless_approved(state: State) -> None:
    with pytest.raises(RuleViolated) as caught:
        registration(state).approval()
    assert caught.value.code == "RN-06"
    assert caught.value.details["violations"][0]["data"] == {"state": state.value}


@pytest.mark.parametrize("state", [State.CANCELLED, State.ACTIVE])
def test_an_open_or_cancelled_registration_is_a_state_conflict_not_rn06(state: State) -> None:
    """It was approved once: RN-06 ("not approved by the back-office") would be untrue."""
    with pytest.raises(Conflict) as caught:
        registration(state).approval()
    assert caught.value.code == "REGISTRATION-STATE"
    assert caught.value.details == {"state": state.value}


def test_activate_with_another_registrations_approval_is_refused() -> None:
    reg, _ = approved("a" * 32)
    _, other_approval = approved("b" * 32)
    with pytest.raises(Conflict, match="another registration") as refused:
        reg.activate(other_approval, LATER)
    assert refused.value.code == "RN-06"


@pytest.mark.parametrize("state", [State.ACTIVE, State.CANCELLED])
def test_an_old_approval_does_not_reopen_a_line(state: State) -> None:
    reg, approval = approved()
    moved_on = reg.activate(approval, LATER) if state is State.ACTIVE else reg.cancel(LATER)
    with pytest.raises(Conflict) as caught:
        moved_on.activate(approval, LATER)
    state_conflict(caught, state)


# --- cancel


@pytest.mark.parametrize("state", [State.PENDING_REVIEW, State.APPROVED, State.ACTIVE])
def test_cancel_from_an_open_state(state: State) -> None:
    cancelled = registration(state).cancel(LATER)
    assert cancelled.state is State.CANCELLED
    assert cancelled.cancelled_at == LATER


@pytest.mark.parametrize("state", [State.REJECTED, State.CANCELLED])
def test_cancel_refused_once_closed(state: State) -> None:
    with pytest.raises(Conflict) as caught:
        registration(state).cancel(LATER)
    state_conflict(caught, state)


# --- states and reasons as people see them


@pytest.mark.parametrize(
    ("state", "holds"),
    [
        (State.PENDING_REVIEW, True),
        (State.APPROVED, True),
        (State.ACTIVE, True),
        (State.REJECTED, False),
        (State.CANCELLED, False),
    ],
)
def test_which_states_count_towards_the_per_id_limit(state: State, holds: bool) -> None:
    assert state.holds_a_line is holds


@pytest.mark.parametrize("reason", list(RejectionReason))
def test_every_rejection_reason_has_labels_in_both_languages(reason: RejectionReason) -> None:
    assert reason.label_en.strip()
    assert not CJK.search(reason.label_en)
    assert CJK.search(reason.label_zh)


def test_rejection_reason_labels_are_distinct() -> None:
    assert len({r.label_en for r in RejectionReason}) == len(RejectionReason)
    assert len({r.label_zh for r in RejectionReason}) == len(RejectionReason)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("0123456789abcdef0123456789abcdef", True),
        ("0123456789ABCDEF0123456789ABCDEF", False),
        ("0123456789abcdef0123456789abcde", False),
        ("0123456789abcdef-0123456789abcdef", False),
        ("", False),
    ],
)
def test_looks_like_registration_id(value: str, ok: bool) -> None:
    assert looks_like_registration_id(value) is ok


# --- property: no path reaches ACTIVE without passing APPROVED

OPERATIONS = st.lists(
    st.sampled_from(
        [
            "approve",
            "reject",
            "reject_other_blank",
            "reject_no_reason",
            "activate_held",
            "activate_rebuilt",
            "activate_foreign",
            "cancel",
        ]
    ),
    max_size=12,
)


@given(OPERATIONS)
def test_no_sequence_of_operations_reaches_active_without_approval(ops: list[str]) -> None:
    reg = registration()
    _, foreign_approval = approved("f" * 32)
    held: Approval | None = None
    seen = [reg.state]
    for op in ops:
        try:
            if op == "approve":
                reg, held = reg.approve(REVIEWER, LATER)
            elif op == "reject":
                reg = reg.reject(REVIEWER, LATER, (RejectionReason.DOCUMENT_EXPIRED,), None)
            elif op == "reject_other_blank":
                reg = reg.reject(REVIEWER, LATER, (RejectionReason.OTHER,), " ")
            elif op == "reject_no_reason":
                reg = reg.reject(REVIEWER, LATER, (), None)
            elif op == "activate_held" and held is not None:
                reg = reg.activate(held, LATER)
            elif op == "activate_rebuilt":
                reg = reg.activate(reg.approval(), LATER)
            elif op == "activate_foreign":
                reg = reg.activate(foreign_approval, LATER)
            elif op == "cancel":
                reg = reg.cancel(LATER)
        except DomainError:
            pass
        seen.append(reg.state)

    if State.ACTIVE in seen:
        first_active = seen.index(State.ACTIVE)
        assert State.APPROVED in seen[:first_active]
        assert reg.reviewer_id == REVIEWER
        assert reg.approved_at is not None
    # Closed states are final.
    for closed in (State.REJECTED, State.CANCELLED):
        if closed in seen:
            assert set(seen[seen.index(closed) :]) == {closed}


def test_the_resubmit_sms_gives_reasons_a_subscriber_can_act_on() -> None:
    text = resubmit_message((RejectionReason.PHOTO_UNREADABLE, RejectionReason.OTHER))
    assert "证件照片不清晰" in text and "其他原因，可到营业厅咨询" in text
    assert "见备注" not in text  # the reviewer's comment never reaches the subscriber
    assert "{link}" in text
