"""An online order's life (RN-10, RN-11).

reserved -> verification_pending -> in_review -> ready -> completed, with the exits refused
(identity not confirmed, review rejected), expired (reservation or collection time passed)
and cancelled (by the customer before approval, or by the back-office). While an order is
open it holds its number (``online_orders.open_line_id``) in the line state ``reserved``;
the line opens only at hand-over, once the ID presented matches the one submitted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from simreg.core.errors import Conflict, RuleViolated, Violation


class OrderStatus(StrEnum):
    RESERVED = "reserved"  # number held for a while; the customer has not sent the ID yet
    VERIFICATION_PENDING = "verification_pending"  # the identity authority did not answer yet
    IN_REVIEW = "in_review"  # confirmed by the authority, waiting in the central review queue
    READY = "ready"  # approved: the card waits at the hall (or goes out with the courier)
    COMPLETED = "completed"  # handed over with a matching ID; the line is open
    REFUSED = "refused"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """States that hold the number (the table's ``open_marker`` check says the same)."""
        return self in OPEN_STATES

    @property
    def customer_may_cancel(self) -> bool:
        """Before approval the customer may withdraw; after it the card is being prepared."""
        return self in (
            OrderStatus.RESERVED,
            OrderStatus.VERIFICATION_PENDING,
            OrderStatus.IN_REVIEW,
        )


OPEN_STATES = frozenset(
    {
        OrderStatus.RESERVED,
        OrderStatus.VERIFICATION_PENDING,
        OrderStatus.IN_REVIEW,
        OrderStatus.READY,
    }
)


class Fulfilment(StrEnum):
    PICKUP = "pickup"  # collected at a hall of an own channel: always offered
    DELIVERY = "delivery"  # by courier: only while online card sales are open (RN-11)


class HandoverOutcome(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"


# Stored in registrations.inspection_method: online, the original is seen only as a scan
# until hand-over, where the clerk inspects it (RN-02, RN-10).
ONLINE_UPLOAD = "online_upload"

# Why an order was refused, as stored in ``online_orders.refusal_code``.
ID_UNCONFIRMED = "ONLINE-ID-UNCONFIRMED"  # mismatch and not found alike: one answer for both
REVIEW_REJECTED = "REVIEW-REJECTED"
CHECK_TIMEOUT = "ONLINE-CHECK-TIMEOUT"

# Order numbers are read out at a counter: no 0/O or 1/I to confuse.
_ORDER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_order_no(at: datetime) -> str:
    """``YYMMDD`` and six random characters: short enough to read out, unguessable enough
    that a number seen over a shoulder does not name someone else's order by a small step."""
    return at.strftime("%y%m%d") + "".join(secrets.choice(_ORDER_ALPHABET) for _ in range(6))


def normalise_order_no(raw: str) -> str:
    """What a clerk types: spaces, dashes, lower case."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())[:16]


def new_order_secret() -> str:
    """The customer's key to the order (a cookie, or a header for the API)."""
    return secrets.token_urlsafe(32)


def next_check_delay(attempts: int, first_wait_seconds: int) -> timedelta:
    """How long to wait before asking the authority again: doubling from the configured
    first wait, capped at an hour, so a long outage is not met with a flood of calls."""
    return timedelta(seconds=min(first_wait_seconds * 2 ** max(attempts - 1, 0), 3600))


@dataclass(frozen=True)
class OnlineOrder:
    id: int
    order_no: str
    line_id: int
    msisdn: str
    status: OrderStatus
    reserved_until: datetime
    created_at: datetime
    fulfilment: Fulfilment | None = None
    pickup_outlet_id: int | None = None
    pickup_outlet_name: str | None = None
    pickup_outlet_address: str | None = None
    delivery_address_masked: str | None = None
    contact_masked: str | None = None
    name_masked: str | None = None
    doc_index: str | None = None
    customer_id: int | None = None
    registration_id: str | None = None
    refusal_code: str | None = None
    next_check_at: datetime | None = None
    check_attempts: int = 0
    submitted_at: datetime | None = None
    approved_at: datetime | None = None
    collect_by: datetime | None = None
    completed_at: datetime | None = None
    closed_at: datetime | None = None
    # The review's reasons, when it rejected the order's registration (the customer is told
    # them, never the reviewer's comment).
    rejected_for: tuple[str, ...] = ()

    def require(self, *allowed: OrderStatus, action: str) -> None:
        if self.status not in allowed:
            raise order_state_conflict(self.status, action)

    def reservation_lapsed(self, now: datetime) -> bool:
        return self.status is OrderStatus.RESERVED and self.reserved_until <= now

    def collection_lapsed(self, now: datetime) -> bool:
        return (
            self.status is OrderStatus.READY
            and self.collect_by is not None
            and self.collect_by <= now
        )


_STATUS_ZH = {
    OrderStatus.RESERVED: "已预留",
    OrderStatus.VERIFICATION_PENDING: "身份核验中",
    OrderStatus.IN_REVIEW: "审核中",
    OrderStatus.READY: "待领取",
    OrderStatus.COMPLETED: "已完成",
    OrderStatus.REFUSED: "未通过",
    OrderStatus.EXPIRED: "已过期",
    OrderStatus.CANCELLED: "已取消",
}


def order_state_conflict(status: OrderStatus, action: str) -> Conflict:
    return Conflict(
        f"The order is {status.value.replace('_', ' ')}; it cannot be {action} now.",
        code="ORDER-STATE",
        message_zh=f"订单当前状态为“{_STATUS_ZH[status]}”，无法执行此操作。",
        status=status.value,
    )


def identity_unconfirmed() -> RuleViolated:
    """The one answer for a name that is not the document's holder and for a document number
    the authority does not know: nobody can learn from the shop whether a number exists."""
    return RuleViolated(
        [
            Violation(
                ID_UNCONFIRMED,
                "We could not confirm this name and ID card number with the identity "
                "authority, so the order was closed and the number returned. Check the "
                "card and order again, or visit a service hall with your ID card.",
                "未能通过公安身份信息核验（姓名与身份证号码），订单已关闭，号码已释放。"
                "请核对证件后重新下单，或携带身份证到营业厅办理。",
            )
        ]
    )


def delivery_closed() -> RuleViolated:
    return RuleViolated(
        [
            Violation(
                "RN-11",
                "Online card sales are closed: choose a service hall to collect the card.",
                "网上售卡已暂停：请选择到营业厅领取号卡。",
            )
        ]
    )


def handover_mismatch() -> RuleViolated:
    return RuleViolated(
        [
            Violation(
                "RN-10-MISMATCH",
                "The ID presented is not the one submitted with the online order; the card "
                "cannot be handed over. The attempt was recorded.",
                "出示的证件与网上订单提交的证件不一致，不能交付号卡。本次核验已记录。",
            )
        ]
    )
