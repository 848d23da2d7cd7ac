"""Handing the card over (RN-10): the ID presented must be the one submitted online.

Pick-up: a clerk at the hall the customer chose finds the ready order by its number, reads
the presented ID (chip reader or visual inspection, RN-02) and the two blind indexes are
compared. Delivery: the courier does the same at the door. Couriers are clerks of the
operator's own online channel (channel kind ``online``, active): they deliver for the web
shop and nobody else may confirm a delivery.

A match activates the registration (its approval, then ``activate``, compare-and-set on its
state) and opens the line for the customer, in one transaction with the hand-over record and
the audit rows. A mismatch is refused with RN-10-MISMATCH and kept (``order_handovers`` and
an audit row); the order stays ready for the right person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.crypto import IdentityVault
from simreg.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from simreg.identity.documents import document_index, parse_document
from simreg.lines.domain import parse_msisdn
from simreg.online.closing import order_changed
from simreg.online.domain import (
    Fulfilment,
    HandoverOutcome,
    OnlineOrder,
    OrderStatus,
    handover_mismatch,
    normalise_order_no,
)
from simreg.online.ports import HandoverRecord, ShopTransaction, ShopUnitOfWork
from simreg.policy.rules import InspectionMethod


@dataclass(frozen=True)
class DeliverySlip:
    """What a courier needs at the door: where, whom to call, and the order to check the ID
    against. The address and the contact number are shown in full only here."""

    order: OnlineOrder
    address: str
    contact: str


MAX_DELIVERIES = 200


@dataclass(frozen=True)
class PresentedId:
    order_no: str
    document_type: str
    document_number: str
    inspection_method: str


class HandoverDesk:
    def __init__(self, *, uow: ShopUnitOfWork, vault: IdentityVault, clock: Clock) -> None:
        self.uow = uow
        self.vault = vault
        self.clock = clock

    def ready_order(self, actor: Actor, order_no: str) -> OnlineOrder:
        """The order as the clerk sees it before checking the ID: only ready orders for the
        clerk's own hall (or, for a courier, ready delivery orders)."""
        _require_clerk(actor)
        with self.uow.begin() as tx:
            return _ready(tx, actor, order_no, _desk(tx, actor), self.clock.now())

    def deliveries(self, actor: Actor) -> list[DeliverySlip]:
        """A courier's round: every ready delivery order, the soonest to lapse first, with
        the address and the contact number in full. Each look is audited: the addresses are
        personal data, and the courier is the only one who needs them."""
        _require_clerk(actor)
        now = self.clock.now()
        with self.uow.begin() as tx:
            if _desk(tx, actor) is not Fulfilment.DELIVERY:
                raise _couriers_only()
            found = tx.ready_deliveries(now, MAX_DELIVERIES)
            slips = [self._slip(order, address, contact) for order, address, contact in found]
            if slips:
                tx.record(
                    AuditEvent(
                        action="online_order.deliveries_listed",
                        outcome="ok",
                        at=now,
                        actor_staff_id=actor.staff_id,
                        outlet_id=actor.outlet_id,
                        details={"orders": [s.order.order_no for s in slips]},
                    )
                )
            return slips

    def delivery_slip(self, actor: Actor, order_no: str) -> DeliverySlip:
        """One ready delivery order for the courier at the door, address and contact in full
        (audited)."""
        _require_clerk(actor)
        now = self.clock.now()
        with self.uow.begin() as tx:
            if _desk(tx, actor) is not Fulfilment.DELIVERY:
                raise _couriers_only()
            order = _ready(tx, actor, order_no, Fulfilment.DELIVERY, now)
            sealed = tx.delivery_details(order.id)
            if sealed is None:  # a delivery order is submitted with both; never without
                raise NotFound(
                    "This order has no delivery address.",
                    code="ORDER-NOT-FOUND",
                    message_zh="该订单没有配送地址。",
                )
            tx.record(_event("online_order.delivery_viewed", "ok", order, actor, now, {}))
            return self._slip(order, *sealed)

    def _slip(self, order: OnlineOrder, address: bytes, contact: bytes) -> DeliverySlip:
        fields = self.vault.fields
        return DeliverySlip(
            order,
            fields.decrypt_text(address, "online_order.delivery_address"),
            fields.decrypt_text(contact, "online_order.contact"),
        )

    def hand_over(self, actor: Actor, presented: PresentedId) -> OnlineOrder:
        _require_clerk(actor)
        document = parse_document(
            presented.document_type, presented.document_number, today=self.clock.today()
        )
        try:
            inspection = InspectionMethod(presented.inspection_method)
        except ValueError:
            raise _inspection_needed() from None
        presented_index = document_index(self.vault, document)
        now = self.clock.now()
        with self.uow.begin() as tx:
            method = _desk(tx, actor)
            order = _ready(tx, actor, presented.order_no, method, now)
            matched = presented_index == order.doc_index
            tx.add_handover(
                HandoverRecord(
                    order.id,
                    now,
                    actor.staff_id,
                    actor.outlet_id,
                    method.value,
                    inspection.value,
                    (HandoverOutcome.MATCH if matched else HandoverOutcome.MISMATCH).value,
                )
            )
            details = {
                "order_no": order.order_no,
                "method": method.value,
                "inspection_method": inspection.value,
            }
            if matched:
                _open(tx, order, actor, now)
                tx.record(_event("online_order.handed_over", "ok", order, actor, now, details))
                tx.record(
                    _event("registration.activated", "ok", order, actor, now, {"source": "online"})
                )
            else:
                tx.record(
                    _event(
                        "online_order.handover",
                        "refused",
                        order,
                        actor,
                        now,
                        details,
                        codes=("RN-10-MISMATCH",),
                    )
                )
            result = tx.order_by_id(order.id)
            assert result is not None
        # The refusal is committed with its record first, then reported.
        if not matched:
            raise handover_mismatch()
        return result


def _open(tx: ShopTransaction, order: OnlineOrder, actor: Actor, now: datetime) -> None:
    assert order.registration_id is not None and order.customer_id is not None
    registration = tx.get_registration(order.registration_id)
    if registration is None:
        raise order_changed()
    # RN-06: only the approval the reviewer's decision made opens the line.
    active = registration.activate(registration.approval(), now)
    if not tx.save_registration(active, expected_state=registration.state.value):
        raise order_changed()
    if not tx.open_line(order.line_id, order.customer_id, now):
        raise order_changed()
    if not tx.move_order(
        order.id,
        OrderStatus.READY,
        OrderStatus.COMPLETED,
        now,
        completed_at=now,
        completed_by=actor.staff_id,
    ):
        raise order_changed()


def _event(
    action: str,
    outcome: str,
    order: OnlineOrder,
    actor: Actor,
    now: datetime,
    details: Mapping[str, object],
    codes: tuple[str, ...] = (),
) -> AuditEvent:
    return AuditEvent(
        action=action,
        outcome=outcome,
        at=now,
        actor_staff_id=actor.staff_id,
        outlet_id=actor.outlet_id,
        registration_id=order.registration_id,
        msisdn=order.msisdn,
        # The index of the ID submitted online: the one presented on a mismatch may be
        # someone else's, and is written nowhere.
        doc_index=order.doc_index,
        codes=codes,
        details={"order_no": order.order_no, **details},
    )


def _require_clerk(actor: Actor) -> None:
    actor.require(Role.CLERK)
    if actor.outlet_id is None:
        raise Forbidden("A clerk must be bound to an outlet to hand cards over.")


def _desk(tx: ShopTransaction, actor: Actor) -> Fulfilment:
    """How this clerk hands cards over: at the counter of an own hall, or at the door as a
    courier of the online channel."""
    assert actor.outlet_id is not None
    desk = tx.staff_outlet(actor.outlet_id)
    if desk is None or not desk.outlet_active or desk.channel_status != "active":
        raise Forbidden(
            "Your outlet or channel is not active; it may not hand cards over (RN-08).",
            code="RN-08",
            message_zh="您所在网点或渠道未处于正常状态，不能交付号卡（RN-08）。",
        )
    if desk.channel_kind == "online":
        return Fulfilment.DELIVERY
    if desk.channel_kind != "own":
        raise Forbidden(
            "Online orders are handed over only at the operator's own halls.",
            code="RN-11",
            message_zh="网上订单只能在自有营业厅交付。",
        )
    return Fulfilment.PICKUP


def _ready(
    tx: ShopTransaction, actor: Actor, raw_order_no: str, method: Fulfilment, now: datetime
) -> OnlineOrder:
    number = _phone_number(raw_order_no)
    if number is not None:
        # The customer remembers the number they bought, not the order's: either finds it.
        order = tx.ready_order_for_number(number)
    else:
        order = tx.order_by_no(normalise_order_no(raw_order_no))
    if (
        order is None
        or order.fulfilment is not method
        or (method is Fulfilment.PICKUP and order.pickup_outlet_id != actor.outlet_id)
    ):
        # Orders for other halls are not this clerk's business: the same answer as none.
        raise NotFound(
            "No ready order with this order number or phone number waits here.",
            code="ORDER-NOT-FOUND",
            message_zh="本厅没有该订单号或手机号码的待领取订单。",
        )
    order.require(OrderStatus.READY, action="handed over")
    if order.collection_lapsed(now):
        raise Conflict(
            "The time to collect this order has passed; the number has gone back to the pool.",
            code="ORDER-EXPIRED",
            message_zh="该订单已超过领取期限，号码已释放。",
        )
    return order


def _phone_number(typed: str) -> str | None:
    """The mobile number typed at the desk (full-width digits, +86, spaces), or None when
    what was typed is an order number (which has letters)."""
    try:
        return parse_msisdn(typed)
    except InvalidInput:
        return None


def _couriers_only() -> Forbidden:
    return Forbidden(
        "Only couriers of the online channel deliver orders.",
        code="COURIERS-ONLY",
        message_zh="只有网络渠道的配送员可以配送订单。",
    )


def _inspection_needed() -> InvalidInput:
    return InvalidInput(
        "Record how the original ID was inspected: chip reader or visual (RN-02).",
        code="RN-02",
        message_zh="请记录原件查验方式：读卡器或目视（RN-02）。",
    )
