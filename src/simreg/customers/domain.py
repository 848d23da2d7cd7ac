"""Group (enterprise) customers (RN-12): the business licence, the handling agent, the
agreement carrying the real-name obligation, and the one-to-one binding of each line to its
actual user (实际使用人).

An enterprise is ``active`` only with a signed agreement in force and a handling agent whom the
identity authority matched; only an active enterprise gets lines and binds users. A binding
goes verifying (the authority is asked) -> pending_review (central review, RN-06) -> active,
or ends refused (the authority said mismatch / not found), rejected (review) or ended (the
line passed to a new user, or the registration was cancelled).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from simreg.core.audit import AuditEvent
from simreg.core.errors import Conflict, InvalidInput, RuleViolated, Violation
from simreg.identity.authority import CheckResult
from simreg.identity.documents import DocumentType, normalise_number


class EnterpriseStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"

    @property
    def label_zh(self) -> str:
        """As a sentence's predicate: 集团客户{label_zh}."""
        return {
            "draft": "尚未生效",
            "active": "已生效",
            "suspended": "已暂停",
            "terminated": "已解约",
        }[self.value]


# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[EnterpriseStatus], EnterpriseStatus]] = {
    "activate": (frozenset({EnterpriseStatus.DRAFT}), EnterpriseStatus.ACTIVE),
    "suspend": (frozenset({EnterpriseStatus.ACTIVE}), EnterpriseStatus.SUSPENDED),
    "reinstate": (frozenset({EnterpriseStatus.SUSPENDED}), EnterpriseStatus.ACTIVE),
    "terminate": (
        frozenset({EnterpriseStatus.DRAFT, EnterpriseStatus.ACTIVE, EnterpriseStatus.SUSPENDED}),
        EnterpriseStatus.TERMINATED,
    ),
}


class BindingStatus(StrEnum):
    VERIFYING = "verifying"  # waiting for the identity authority (asked again later)
    PENDING_REVIEW = "pending_review"  # matched; its registration waits in the review queue
    ACTIVE = "active"  # in force: the line is open for this person
    REFUSED = "refused"  # the authority said the name does not hold this document
    REJECTED = "rejected"  # the back-office rejected the registration
    ENDED = "ended"  # passed to another user, or withdrawn / cancelled

    @property
    def open(self) -> bool:
        return self in (BindingStatus.VERIFYING, BindingStatus.PENDING_REVIEW)


# Actual users and agents are checked with the identity authority, which holds resident ID
# numbers only: a person known to it by another document could never be verified (RN-12).
CHECKABLE_DOCUMENTS = (DocumentType.RESIDENT_ID, DocumentType.TEMPORARY_RESIDENT_ID)
RETRY_CAP_SECONDS = 3600


def next_check_delay(first_wait_seconds: int, attempts: int) -> int:
    """Seconds before an unanswered check is asked again: doubling from the configured first
    wait, at most an hour, so a long outage is not hammered by every waiting binding."""
    return int(min(first_wait_seconds * 2 ** min(attempts, 12), RETRY_CAP_SECONDS))


# The refusal code a binding keeps when the authority answered against it.
REFUSAL_CODES = {
    CheckResult.MISMATCH: "ID-MISMATCH",
    CheckResult.NOT_FOUND: "ID-NOT-FOUND",
}

# registrations.inspection_method for an actual user's registration: no clerk saw the original
# document at a counter; the identity authority confirmed the number belongs to the name, and
# the enterprise vouches for the person under its agreement (RN-12).
AUTHORITY_CHECK = "authority_check"


@dataclass(frozen=True)
class Agreement:
    number: str
    signed_on: date
    valid_until: date | None


@dataclass(frozen=True)
class Enterprise:
    id: int
    name: str
    credit_code: str
    status: EnterpriseStatus
    agreement: Agreement | None
    agent_matched: bool
    account_manager_id: int | None = None

    def require_active(self, today: date) -> None:
        """Active, under an agreement still in force (RN-12): the agreement carries the
        real-name obligation, so once it ends no new line or user comes under it."""
        if self.status is not EnterpriseStatus.ACTIVE:
            raise Conflict(
                f"The group customer is {self.status.value}; only an active one gets lines "
                "and binds users.",
                code="ENTERPRISE-NOT-ACTIVE",
                message_zh=f"该集团客户{self.status.label_zh}，不能分配号码或绑定使用人。",
                status=self.status.value,
            )
        if self.agreement_ended(today):
            assert self.agreement is not None and self.agreement.valid_until is not None
            raise RuleViolated(
                [
                    Violation(
                        "RN-12",
                        f"The group agreement ended on {self.agreement.valid_until}: record "
                        "the renewed agreement before new lines or users.",
                        f"集团协议已于 {self.agreement.valid_until} 到期，请先录入续签协议，"
                        "再分配号码或绑定使用人。",
                        {"valid_until": self.agreement.valid_until.isoformat()},
                    )
                ]
            )

    def agreement_ended(self, today: date) -> bool:
        valid_until = self.agreement.valid_until if self.agreement else None
        return valid_until is not None and valid_until < today


_REGISTRAR_LETTERS = re.compile(r"^(?:[A-Z][0-9A-Z]|[0-9][A-Z])[0-9]{6}")


def parse_credit_code(raw: str) -> str:
    """A unified social credit code (GB 32100-2015) as people type it: full-width characters,
    spaces, hyphens and lower case are normalised, then length, alphabet and check character
    are validated."""
    number = normalise_number(raw).replace("-", "")
    if not number:
        raise _uscc(
            "USCC-EMPTY", "Enter the unified social credit code.", "请输入统一社会信用代码。"
        )
    try:
        if len(number) == 18 and _REGISTRAR_LETTERS.match(number):
            # GB 32100 lets the registrar and the kind of organisation be letters (Y: others,
            # N: farmers' cooperatives, ...); the library knows digits only there.
            if any(c not in uscc._alphabet for c in number):
                raise ValidationError()
            if number[-1] != uscc.calc_check_digit(number):
                raise InvalidChecksum()
            return number
        return str(uscc.validate(number))
    except InvalidLength:
        raise _uscc(
            "USCC-LENGTH",
            f"The unified social credit code has 18 characters, got {len(number)}.",
            f"统一社会信用代码应为18位，当前为{len(number)}位。",
            length=len(number),
        ) from None
    except InvalidChecksum:
        raise _uscc(
            "USCC-CHECKSUM",
            "The last character of the unified social credit code (the check character) does "
            "not match the others; compare every character with the business licence.",
            "统一社会信用代码最后一位校验码与前面各位不符，请对照营业执照逐位核对。",
        ) from None
    except ValidationError:
        raise _uscc(
            "USCC-FORMAT",
            "The unified social credit code is digits and capital letters other than I, O, S, "
            "V and Z, with the 6-digit region code in places 3 to 8.",
            "统一社会信用代码由数字和大写字母（不含I、O、S、V、Z）组成，第3至8位为6位行政区划代码。",
        ) from None


def _uscc(code: str, message: str, message_zh: str, **data: object) -> InvalidInput:
    return InvalidInput(message, code=code, message_zh=message_zh, field="credit_code", **data)


def check_agreement(agreement: Agreement, today: date) -> Agreement:
    """The agreement as it will be kept, or the refusal. Its number is normalised as people
    type it (full-width characters, spaces, lower case), so one number is one agreement."""
    agreement = replace(
        agreement,
        number=" ".join(unicodedata.normalize("NFKC", agreement.number).split()).upper(),
    )
    if not agreement.number:
        raise InvalidInput(
            "Enter the agreement number.", code="AGREEMENT-INVALID", message_zh="请填写协议编号。"
        )
    if agreement.signed_on > today:
        raise InvalidInput(
            "The agreement cannot be signed in the future.",
            code="AGREEMENT-INVALID",
            message_zh="协议签订日期不能晚于今天。",
        )
    if agreement.valid_until is not None and agreement.valid_until <= agreement.signed_on:
        raise InvalidInput(
            "The agreement must end after it was signed.",
            code="AGREEMENT-INVALID",
            message_zh="协议到期日须晚于签订日。",
        )
    if agreement.valid_until is not None and agreement.valid_until < today:
        raise InvalidInput(
            "This agreement has already ended; record the agreement in force.",
            code="AGREEMENT-INVALID",
            message_zh="该协议已到期，请录入现行有效的协议。",
        )
    return agreement


def activation_refusals(enterprise: Enterprise, today: date) -> list[Violation]:
    """RN-12: every reason the enterprise may not act as a group customer yet."""
    found: list[Violation] = []
    agreement = enterprise.agreement
    if agreement is None:
        found.append(
            Violation(
                "RN-12",
                "Record the signed agreement carrying the real-name obligation first.",
                "请先录入已签订的、载明实名制责任的协议。",
                {"missing": "agreement"},
            )
        )
    elif agreement.valid_until is not None and agreement.valid_until < today:
        found.append(
            Violation(
                "RN-12",
                "The agreement has expired; record the renewed one.",
                "协议已到期，请录入续签的协议。",
                {"valid_until": agreement.valid_until.isoformat()},
            )
        )
    if not enterprise.agent_matched:
        found.append(
            Violation(
                "RN-12",
                "The handling agent's identity has not been confirmed by the identity authority.",
                "经办人身份尚未通过公安身份核验。",
                {"missing": "agent_check"},
            )
        )
    return found


def move(enterprise: Enterprise, action: str, today: date) -> EnterpriseStatus:
    """The state an action leads to, or the refusal."""
    starts, target = TRANSITIONS[action]
    if enterprise.status not in starts:
        raise Conflict(
            f"A {enterprise.status.value} group customer cannot {action}.",
            code="ENTERPRISE-STATE",
            message_zh=f"集团客户{enterprise.status.label_zh}，无法执行此操作。",
            status=enterprise.status.value,
            action=action,
        )
    if target is EnterpriseStatus.ACTIVE:
        refusals = activation_refusals(enterprise, today)
        if refusals:
            raise RuleViolated(refusals)
    return target


def enterprise_event(
    action: str,
    actor_staff_id: int | None,
    at: datetime,
    enterprise_id: int,
    *,
    doc_index: str | None = None,
    msisdn: str | None = None,
    registration_id: str | None = None,
    outcome: str = "ok",
    codes: tuple[str, ...] = (),
    extra: dict[str, object] | None = None,
    **details: object,
) -> AuditEvent:
    """An audit row about a group customer; never carries a document number or a name."""
    return AuditEvent(
        action=action,
        outcome=outcome,
        at=at,
        actor_staff_id=actor_staff_id,
        doc_index=doc_index,
        msisdn=msisdn,
        registration_id=registration_id,
        codes=codes,
        details={"enterprise_id": enterprise_id}
        | {k: v for k, v in {**(extra or {}), **details}.items() if v is not None},
    )
