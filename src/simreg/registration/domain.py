"""The registration state machine.

submitted -> pending_review -> approved -> active, or pending_review -> rejected, or
cancelled from any open state. A line opens only through ``activate``, which needs the
``Approval`` that only ``approve`` creates (RN-06, by construction); the database repeats the
rule as a CHECK constraint so no other writer can open a line unapproved either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from simreg.core.errors import Conflict, InvalidInput, RuleViolated
from simreg.policy.rules import activation_refusal

_ID_SHAPE = re.compile(r"[0-9a-f]{32}")


def looks_like_registration_id(value: str) -> bool:
    """Registration ids are uuid4 hex; anything else cannot name one."""
    return _ID_SHAPE.fullmatch(value) is not None


class RegistrationState(StrEnum):
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    ACTIVE = "active"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def holds_a_line(self) -> bool:
        """States that count towards the per-document limit (RN-05)."""
        return self in (
            RegistrationState.PENDING_REVIEW,
            RegistrationState.APPROVED,
            RegistrationState.ACTIVE,
        )


class RegistrationSource(StrEnum):
    COUNTER = "counter"  # a clerk at an outlet
    # A clerk at an outlet re-registers a legacy line already in service (RN-13, 补登): the
    # holder came to the counter, from a campaign SMS, a call, or on their own.
    COUNTER_REREG = "counter_rereg"
    SELF_SERVICE = "self_service"  # a subscriber re-registering a legacy line by link (RN-13)
    ENTERPRISE = "enterprise"  # the actual user of a group customer's line (RN-12)
    ONLINE = "online"  # an order in the online shop (RN-10); the line opens at hand-over

    @property
    def followed_elsewhere(self) -> bool:
        """Sources whose line, slot and own record (binding, order) move with each decision
        in a store of their own (``RegistrationTransaction.follow_decision``)."""
        return self in (RegistrationSource.ENTERPRISE, RegistrationSource.ONLINE)


class RejectionReason(StrEnum):
    """Why the back-office refused a registration; the clerk sees these words."""

    PHOTO_UNREADABLE = "photo_unreadable"
    DOCUMENT_MISMATCH = "document_mismatch"
    NAME_MISMATCH = "name_mismatch"
    NOT_ORIGINAL = "not_original"
    DOCUMENT_EXPIRED = "document_expired"
    PORTRAIT_MISMATCH = "portrait_mismatch"
    SUSPECTED_FRAUD = "suspected_fraud"
    OTHER = "other"

    @property
    def label_en(self) -> str:
        return _REASONS[self][0]

    @property
    def label_zh(self) -> str:
        return _REASONS[self][1]

    def for_subscriber(self, chinese: bool) -> str:
        """As a subscriber reads it, who never sees the reviewer's comment."""
        if self is RejectionReason.OTHER:
            return "其他原因，可到营业厅咨询" if chinese else "another reason: ask at a hall"
        return self.label_zh if chinese else self.label_en


_REASONS = {
    RejectionReason.PHOTO_UNREADABLE: ("Document photo unreadable", "证件照片不清晰"),
    RejectionReason.DOCUMENT_MISMATCH: (
        "Entered number does not match the photo",
        "录入证件号码与照片不符",
    ),
    RejectionReason.NAME_MISMATCH: ("Entered name does not match the photo", "录入姓名与照片不符"),
    RejectionReason.NOT_ORIGINAL: (
        "Photo is of a copy, not the original document (RN-02)",
        "照片非证件原件（RN-02）",
    ),
    RejectionReason.DOCUMENT_EXPIRED: ("Document expired", "证件已过期"),
    RejectionReason.PORTRAIT_MISMATCH: (
        "Customer portrait does not match the document",
        "客户人像与证件照片不符",
    ),
    RejectionReason.SUSPECTED_FRAUD: ("Suspected fraudulent registration", "疑似虚假登记"),
    RejectionReason.OTHER: ("Other (see comment)", "其他（见备注）"),
}


def resubmit_message(reasons: tuple[RejectionReason, ...]) -> str:
    """The SMS to a subscriber whose re-registration through a campaign link was rejected;
    ``{link}`` is their link, filled in as the message is sent."""
    why = "；".join(reason.for_subscriber(chinese=True) for reason in reasons)
    return (
        f"【实名补登】您提交的补登资料未通过审核（{why}）。请点击 {{link}} 重新上传身份证原件照片。"
    )


@dataclass(frozen=True)
class Approval:
    """Proof that a reviewer approved a registration. Only ``Registration.approve`` makes one."""

    registration_id: str
    reviewer_id: int
    at: datetime
    _seal: object

    def __post_init__(self) -> None:
        if self._seal is not _APPROVAL_SEAL:
            raise TypeError("an Approval comes only from Registration.approve")


_APPROVAL_SEAL = object()


@dataclass(frozen=True)
class Registration:
    id: str
    state: RegistrationState
    customer_id: int
    line_id: int
    channel_id: int | None
    outlet_id: int | None
    clerk_id: int | None
    device_id: int | None
    submitted_at: datetime
    reviewer_id: int | None = None
    approved_at: datetime | None = None
    decided_at: datetime | None = None
    activated_at: datetime | None = None
    cancelled_at: datetime | None = None
    rejection_reasons: tuple[RejectionReason, ...] = ()
    rejection_comment: str | None = None
    source: RegistrationSource = RegistrationSource.COUNTER
    campaign_target_id: int | None = None

    @property
    def is_reregistration(self) -> bool:
        """A legacy line already in service gets its holder's identity; no new line opens."""
        return self.source in (RegistrationSource.SELF_SERVICE, RegistrationSource.COUNTER_REREG)

    def _require(self, *allowed: RegistrationState, action: str) -> None:
        if self.state not in allowed:
            raise Conflict(
                f"Cannot {action} a registration that is {self.state.value.replace('_', ' ')}.",
                code="REGISTRATION-STATE",
                message_zh=f"该登记{_STATE_ZH[self.state]}，无法{_ACTION_ZH[action]}。",
                state=self.state.value,
            )

    def approve(self, reviewer_id: int, at: datetime) -> tuple[Registration, Approval]:
        self._require(RegistrationState.PENDING_REVIEW, action="approve")
        approved = replace(
            self,
            state=RegistrationState.APPROVED,
            reviewer_id=reviewer_id,
            approved_at=at,
            decided_at=at,
        )
        return approved, Approval(self.id, reviewer_id, at, _APPROVAL_SEAL)

    def reject(
        self,
        reviewer_id: int,
        at: datetime,
        reasons: tuple[RejectionReason, ...],
        comment: str | None,
    ) -> Registration:
        self._require(RegistrationState.PENDING_REVIEW, action="reject")
        if not reasons:
            raise InvalidInput(
                "Give at least one rejection reason.",
                code="REJECT-REASON",
                message_zh="请至少选择一个驳回原因。",
            )
        if RejectionReason.OTHER in reasons and not (comment and comment.strip()):
            raise InvalidInput(
                "A rejection for 'other' needs a comment the clerk can act on.",
                code="REJECT-COMMENT",
                message_zh="选择“其他”原因时须填写备注。",
            )
        return replace(
            self,
            state=RegistrationState.REJECTED,
            reviewer_id=reviewer_id,
            decided_at=at,
            rejection_reasons=reasons,
            rejection_comment=(comment or "").strip() or None,
        )

    def approval(self) -> Approval:
        """Rebuild the approval of a registration loaded from storage, or refuse: RN-06 when
        the back-office never approved it, a state conflict when it is open or cancelled
        already (citing RN-06 there would say it was never approved)."""
        if self.state in (RegistrationState.ACTIVE, RegistrationState.CANCELLED):
            self._require(RegistrationState.APPROVED, action="activate")
        refusal = activation_refusal(self.state.value)
        if refusal is not None:
            raise RuleViolated([refusal])
        assert self.reviewer_id is not None and self.approved_at is not None
        return Approval(self.id, self.reviewer_id, self.approved_at, _APPROVAL_SEAL)

    def activate(self, approval: Approval, at: datetime) -> Registration:
        if approval.registration_id != self.id:
            raise Conflict(
                "This approval belongs to another registration.",
                code="RN-06",
                message_zh="该审核结果不属于此登记。",
            )
        self._require(RegistrationState.APPROVED, action="activate")
        return replace(self, state=RegistrationState.ACTIVE, activated_at=at)

    def cancel(self, at: datetime) -> Registration:
        self._require(
            RegistrationState.PENDING_REVIEW,
            RegistrationState.APPROVED,
            RegistrationState.ACTIVE,
            action="cancel",
        )
        return replace(self, state=RegistrationState.CANCELLED, cancelled_at=at)


_ACTION_ZH = {"approve": "审核通过", "reject": "驳回", "activate": "开通", "cancel": "撤销"}
_STATE_ZH = {
    RegistrationState.PENDING_REVIEW: "待审核",
    RegistrationState.APPROVED: "已审核通过",
    RegistrationState.ACTIVE: "已开通",
    RegistrationState.REJECTED: "已驳回",
    RegistrationState.CANCELLED: "已撤销",
}
