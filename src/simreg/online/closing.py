"""Closing an open order, whatever closes it (the customer, the sweep, a refusal): the order
leaves its open state by compare-and-set, the number goes back to the pool, the document's
RN-05 slot is given back where one was taken, and a registration still waiting is cancelled.
Everything in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from simreg.core.audit import AuditEvent
from simreg.core.errors import Conflict
from simreg.online.domain import OnlineOrder, OrderStatus
from simreg.online.ports import ShopTransaction
from simreg.registration.domain import RegistrationState


def close_order(
    tx: ShopTransaction,
    order: OnlineOrder,
    to: OrderStatus,
    at: datetime,
    *,
    action: str,
    refusal_code: str | None = None,
    actor_staff_id: int | None = None,
    values: Mapping[str, object] | None = None,
    **details: object,
) -> None:
    """``values``: further columns to set on the order in the same statement."""
    assert not to.is_open and to is not OrderStatus.COMPLETED
    if not tx.move_order(
        order.id, order.status, to, at, refusal_code=refusal_code, **(values or {})
    ):
        raise order_changed()
    if order.registration_id is not None:
        registration = tx.get_registration(order.registration_id)
        if registration is not None and registration.state in (
            RegistrationState.PENDING_REVIEW,
            RegistrationState.APPROVED,
        ):
            cancelled = registration.cancel(at)
            if not tx.save_registration(cancelled, expected_state=registration.state.value):
                raise order_changed()
    tx.return_line(order.line_id, at)
    if order.customer_id is not None:
        tx.release_slot(order.customer_id)
    tx.record(
        AuditEvent(
            action=action,
            outcome="refused" if to is OrderStatus.REFUSED else "ok",
            at=at,
            actor_staff_id=actor_staff_id,
            registration_id=order.registration_id,
            msisdn=order.msisdn,
            doc_index=order.doc_index,
            codes=(refusal_code,) if refusal_code else (),
            details={
                "order_no": order.order_no,
                "from": order.status.value,
                "to": to.value,
                **{k: v for k, v in details.items() if v is not None},
            },
        )
    )


def order_changed() -> Conflict:
    return Conflict(
        "The order changed meanwhile; reload it.",
        code="ORDER-CHANGED",
        message_zh="订单状态已变化，请刷新后重试。",
    )
