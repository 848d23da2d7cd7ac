"""The online shop's storage (RN-10, RN-11): orders, their photos, hand-overs, and the
decision follower that moves an order with each review decision.

Every move of an order is a compare-and-set on its status; ``open_line_id`` (unique) is set
while the order is open, so one number has at most one open order on every database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, insert, select, update

from simreg.core.audit import AuditEvent
from simreg.core.errors import Conflict
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
from simreg.db.repositories import (
    SqlRegistrationTransaction,
    aware,
    claim_document_slot,
)
from simreg.lines.domain import LineState, RealNameState
from simreg.online.closing import close_order
from simreg.online.domain import (
    ONLINE_UPLOAD,
    REVIEW_REJECTED,
    Fulfilment,
    OnlineOrder,
    OrderStatus,
)
from simreg.online.ports import (
    FulfilmentChoice,
    HandoverRecord,
    IdentityDetails,
    PendingCheck,
    PickupHall,
    StaffOutlet,
)
from simreg.registration.domain import Registration, RegistrationState
from simreg.registration.ports import StoredPhoto

o = t.online_orders


class SqlShopTransaction:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection
        # Registrations are read and written exactly as the review service does.
        self.registrations = SqlRegistrationTransaction(connection)

    # -- lines ------------------------------------------------------------------------------

    def take_pool_line(self, msisdn: str, at: datetime) -> int | None:
        # No reserved_by / reserved_until: a clerk's expired-reservation takeover never
        # matches a number an online order holds; the order's own clock governs it.
        taken = self.conn.execute(
            update(t.lines)
            .where(
                t.lines.c.msisdn == msisdn,
                t.lines.c.state == LineState.AVAILABLE.value,
                t.lines.c.enterprise_id.is_(None),
            )
            .values(
                state=LineState.RESERVED.value,
                reserved_by=None,
                reserved_until=None,
                updated_at=at,
            )
            .returning(t.lines.c.id)
        ).scalar_one_or_none()
        return int(taken) if taken is not None else None

    def return_line(self, line_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.lines)
            .where(t.lines.c.id == line_id, t.lines.c.state == LineState.RESERVED.value)
            .values(
                state=LineState.AVAILABLE.value,
                customer_id=None,
                reserved_by=None,
                reserved_until=None,
                updated_at=at,
            )
        )

    def open_line(self, line_id: int, customer_id: int, at: datetime) -> bool:
        opened = self.conn.execute(
            update(t.lines)
            .where(t.lines.c.id == line_id, t.lines.c.state == LineState.RESERVED.value)
            .values(
                state=LineState.ACTIVE.value,
                customer_id=customer_id,
                real_name_state=RealNameState.VERIFIED.value,
                opened_at=at,
                updated_at=at,
            )
        )
        return opened.rowcount == 1

    # -- orders -----------------------------------------------------------------------------

    def add_order(
        self,
        *,
        order_no: str,
        access_index: str,
        line_id: int,
        reserved_until: datetime,
        at: datetime,
    ) -> int:
        return int(
            self.conn.execute(
                o.insert()
                .values(
                    order_no=order_no,
                    access_index=access_index,
                    line_id=line_id,
                    open_line_id=line_id,
                    status=OrderStatus.RESERVED.value,
                    reserved_until=reserved_until,
                    created_at=at,
                )
                .returning(o.c.id)
            ).scalar_one()
        )

    def _one(self, *where: Any) -> OnlineOrder | None:
        row = self.conn.execute(_orders().where(*where)).one_or_none()
        return _order(row) if row is not None else None

    def order_by_access(self, access_index: str) -> OnlineOrder | None:
        return self._one(o.c.access_index == access_index)

    def order_by_no(self, order_no: str) -> OnlineOrder | None:
        return self._one(o.c.order_no == order_no)

    def order_by_id(self, order_id: int) -> OnlineOrder | None:
        return self._one(o.c.id == order_id)

    def ready_order_for_number(self, msisdn: str) -> OnlineOrder | None:
        line = select(t.lines.c.id).where(t.lines.c.msisdn == msisdn).scalar_subquery()
        return self._one(o.c.line_id == line, o.c.status == OrderStatus.READY.value)

    def ready_deliveries(self, now: datetime, limit: int) -> list[tuple[OnlineOrder, bytes, bytes]]:
        rows = self.conn.execute(
            _orders()
            .where(
                o.c.status == OrderStatus.READY.value,
                o.c.fulfilment == Fulfilment.DELIVERY.value,
                o.c.collect_by > now,
            )
            .order_by(o.c.collect_by, o.c.id)
            .limit(limit)
        )
        return [(_order(r), r.delivery_address_enc, r.contact_enc) for r in rows]

    def delivery_details(self, order_id: int) -> tuple[bytes, bytes] | None:
        row = self.conn.execute(
            select(o.c.delivery_address_enc, o.c.contact_enc).where(o.c.id == order_id)
        ).one_or_none()
        if row is None or row.delivery_address_enc is None or row.contact_enc is None:
            return None
        return row.delivery_address_enc, row.contact_enc

    def move_order(
        self, order_id: int, expected: OrderStatus, to: OrderStatus, at: datetime, **values: object
    ) -> bool:
        if not to.is_open:
            values.setdefault("open_line_id", None)
            values.setdefault("closed_at", at)
            values.setdefault("next_check_at", None)
        moved = self.conn.execute(
            update(o)
            .where(o.c.id == order_id, o.c.status == expected.value)
            .values(status=to.value, **values)
        )
        return moved.rowcount == 1

    def submit_identity(
        self,
        order_id: int,
        identity: IdentityDetails,
        fulfilment: FulfilmentChoice,
        photos: list[StoredPhoto],
        at: datetime,
    ) -> bool:
        moved = self.conn.execute(
            update(o)
            .where(
                o.c.id == order_id,
                o.c.status == OrderStatus.RESERVED.value,
                o.c.reserved_until > at,
            )
            .values(
                status=OrderStatus.VERIFICATION_PENDING.value,
                doc_index=identity.doc_index,
                doc_number_enc=identity.doc_number_enc,
                name_enc=identity.name_enc,
                name_masked=identity.name_masked,
                fulfilment=fulfilment.fulfilment,
                pickup_outlet_id=fulfilment.pickup_outlet_id,
                delivery_address_enc=fulfilment.delivery_address_enc,
                delivery_address_masked=fulfilment.delivery_address_masked,
                contact_enc=fulfilment.contact_enc,
                contact_masked=fulfilment.contact_masked,
                submitted_at=at,
                next_check_at=at,  # asked at once; a crash before the answer leaves it due
            )
        )
        if moved.rowcount != 1:
            return False
        if photos:
            self.conn.execute(
                t.online_order_photos.insert(),
                [
                    {
                        "order_id": order_id,
                        "kind": p.kind,
                        "store_key": p.store_key,
                        "content_type": p.content_type,
                        "width": p.width,
                        "height": p.height,
                        "size": p.size,
                        "sha256": p.sha256,
                        "phash": p.phash or None,
                    }
                    for p in photos
                ],
            )
        return True

    def order_photos(self, order_id: int) -> list[StoredPhoto]:
        p = t.online_order_photos
        rows = self.conn.execute(select(p).where(p.c.order_id == order_id).order_by(p.c.id))
        return [
            StoredPhoto(
                r.kind,
                r.store_key,
                r.content_type,
                r.width,
                r.height,
                r.size,
                r.sha256,
                r.phash or "",
            )
            for r in rows
        ]

    def pending_document(self, order_id: int) -> tuple[str, bytes] | None:
        row = self.conn.execute(select(o.c.doc_number_enc).where(o.c.id == order_id)).one_or_none()
        return ("resident_id", row.doc_number_enc) if row and row.doc_number_enc else None

    def lease_pending_checks(
        self, now: datetime, until: datetime, limit: int
    ) -> list[PendingCheck]:
        due = self.conn.execute(
            select(o.c.id, o.c.check_attempts, o.c.doc_number_enc, o.c.name_enc)
            .where(
                o.c.status == OrderStatus.VERIFICATION_PENDING.value,
                o.c.next_check_at <= now,
            )
            .order_by(o.c.next_check_at)
            .limit(limit)
        ).all()
        leased = []
        for row in due:
            # Of two workers, the one whose update still finds the order due takes it.
            won = self.conn.execute(
                update(o)
                .where(
                    o.c.id == row.id,
                    o.c.status == OrderStatus.VERIFICATION_PENDING.value,
                    o.c.next_check_at <= now,
                )
                .values(next_check_at=until)
            )
            if won.rowcount == 1 and row.doc_number_enc and row.name_enc:
                leased.append(
                    PendingCheck(row.id, row.check_attempts, row.doc_number_enc, row.name_enc)
                )
        return leased

    def due_reservations(self, now: datetime, limit: int) -> list[int]:
        return self._ids(
            and_(o.c.status == OrderStatus.RESERVED.value, o.c.reserved_until <= now), limit
        )

    def due_collections(self, now: datetime, limit: int) -> list[int]:
        return self._ids(and_(o.c.status == OrderStatus.READY.value, o.c.collect_by <= now), limit)

    def stale_checks(self, submitted_before: datetime, limit: int) -> list[int]:
        return self._ids(
            and_(
                o.c.status == OrderStatus.VERIFICATION_PENDING.value,
                o.c.submitted_at <= submitted_before,
            ),
            limit,
        )

    def _ids(self, where: Any, limit: int) -> list[int]:
        return [
            int(i) for i in self.conn.execute(select(o.c.id).where(where).limit(limit)).scalars()
        ]

    # -- RN-05 and the registration ---------------------------------------------------------

    def claim_slot(self, identity: IdentityDetails, at: datetime, per_id_limit: int) -> int | None:
        return claim_document_slot(
            self.conn,
            doc_type=identity.doc_type,
            doc_index=identity.doc_index,
            doc_number_enc=identity.doc_number_enc,
            doc_masked=identity.doc_masked,
            at=at,
            per_id_limit=per_id_limit,
        )

    def release_slot(self, customer_id: int) -> None:
        self.registrations.release_line_slot(customer_id)

    def held_lines(self, doc_index: str) -> int:
        return self.registrations.held_lines(doc_index)

    def add_registration(
        self, registration: Registration, identity: IdentityDetails, photos: list[StoredPhoto]
    ) -> None:
        self.registrations.add_registration(
            registration,
            name_enc=identity.name_enc,
            name_masked=identity.name_masked,
            inspection_method=ONLINE_UPLOAD,
            resubmission_of=None,
        )
        self.registrations.add_photos(registration.id, photos)

    def get_registration(self, registration_id: str) -> Registration | None:
        return self.registrations.get_registration(registration_id)

    def save_registration(self, registration: Registration, expected_state: str) -> bool:
        return self.registrations.save_registration(registration, expected_state)

    # -- hand-over --------------------------------------------------------------------------

    def staff_outlet(self, outlet_id: int) -> StaffOutlet | None:
        row = self.conn.execute(
            select(t.outlets.c.id, t.outlets.c.active, t.channels.c.kind, t.channels.c.status)
            .join(t.channels, t.channels.c.id == t.outlets.c.channel_id)
            .where(t.outlets.c.id == outlet_id)
        ).one_or_none()
        return StaffOutlet(row.id, row.active, row.kind, row.status) if row else None

    def pickup_hall(self, outlet_id: int) -> PickupHall | None:
        row = self.conn.execute(_halls().where(t.outlets.c.id == outlet_id)).one_or_none()
        return PickupHall(row.id, row.code, row.name, row.address) if row else None

    def switch(self, name: str) -> bool | None:
        value = self.conn.execute(
            select(t.operator_switches.c.value).where(t.operator_switches.c.name == name)
        ).scalar_one_or_none()
        return None if value is None else bool(value)

    def set_switch(self, name: str, value: bool, by: int, at: datetime) -> None:
        switches = t.operator_switches
        changed = self.conn.execute(
            update(switches)
            .where(switches.c.name == name)
            .values(value=value, changed_at=at, changed_by=by)
        ).rowcount
        if not changed:
            self.conn.execute(
                insert(switches).values(name=name, value=value, changed_at=at, changed_by=by)
            )

    def add_handover(self, record: HandoverRecord) -> None:
        self.conn.execute(
            t.order_handovers.insert().values(
                order_id=record.order_id,
                at=record.at,
                staff_id=record.staff_id,
                outlet_id=record.outlet_id,
                method=record.method,
                inspection_method=record.inspection_method,
                outcome=record.outcome,
            )
        )

    def record(self, event: AuditEvent) -> None:
        record_audit(self.conn, event)


def _halls() -> Any:
    """Outlets of active own channels (RN-11: the card is collected in a hall)."""
    return (
        select(t.outlets.c.id, t.outlets.c.code, t.outlets.c.name, t.outlets.c.address)
        .join(t.channels, t.channels.c.id == t.outlets.c.channel_id)
        .where(
            t.outlets.c.active.is_(True),
            t.channels.c.kind == "own",
            t.channels.c.status == "active",
        )
    )


def pickup_halls(conn: Connection) -> list[PickupHall]:
    rows = conn.execute(_halls().order_by(t.outlets.c.name, t.outlets.c.id))
    return [PickupHall(r.id, r.code, r.name, r.address) for r in rows]


def _orders() -> Select[Any]:
    """Orders as ``_order`` reads them: the number, the pick-up hall, the review's reasons."""
    return (
        select(
            o,
            t.lines.c.msisdn,
            t.outlets.c.name.label("outlet_name"),
            t.outlets.c.address.label("outlet_address"),
            t.registrations.c.rejection_reasons,
        )
        .join(t.lines, t.lines.c.id == o.c.line_id)
        .outerjoin(t.outlets, t.outlets.c.id == o.c.pickup_outlet_id)
        .outerjoin(t.registrations, t.registrations.c.id == o.c.registration_id)
    )


def _order(row: Row[Any]) -> OnlineOrder:
    reserved_until = aware(row.reserved_until)
    created_at = aware(row.created_at)
    assert reserved_until is not None and created_at is not None
    return OnlineOrder(
        id=row.id,
        order_no=row.order_no,
        line_id=row.line_id,
        msisdn=row.msisdn,
        status=OrderStatus(row.status),
        reserved_until=reserved_until,
        created_at=created_at,
        fulfilment=Fulfilment(row.fulfilment) if row.fulfilment else None,
        pickup_outlet_id=row.pickup_outlet_id,
        pickup_outlet_name=row.outlet_name,
        pickup_outlet_address=row.outlet_address,
        delivery_address_masked=row.delivery_address_masked,
        contact_masked=row.contact_masked,
        name_masked=row.name_masked,
        doc_index=row.doc_index,
        customer_id=row.customer_id,
        registration_id=row.registration_id,
        refusal_code=row.refusal_code,
        next_check_at=aware(row.next_check_at),
        check_attempts=row.check_attempts,
        submitted_at=aware(row.submitted_at),
        approved_at=aware(row.approved_at),
        collect_by=aware(row.collect_by),
        completed_at=aware(row.completed_at),
        closed_at=aware(row.closed_at),
        rejected_for=tuple(row.rejection_reasons or ()),
    )


def follow_order_decision(
    conn: Connection, registration: Registration, at: datetime, *, collect_days: int = 7
) -> None:
    """A review decision on an online registration, carried to its order (bootstrap binds
    ``collect_days`` from settings). Approval makes the order ready for collection (the line
    stays reserved: it opens only at hand-over, RN-10); rejection refuses it and cancellation
    cancels it, the number going back to the pool and the RN-05 slot given back. A completed
    order whose registration is cancelled later retires its open line."""
    tx = SqlShopTransaction(conn)
    order = tx._one(o.c.registration_id == registration.id)
    if order is None:
        raise Conflict(
            "This online registration has no order.",
            code="ORDER-NOT-FOUND",
            message_zh="该网上登记没有对应订单。",
        )
    state = registration.state
    if state is RegistrationState.APPROVED:
        if not tx.move_order(
            order.id,
            OrderStatus.IN_REVIEW,
            OrderStatus.READY,
            at,
            approved_at=at,
            collect_by=at + timedelta(days=collect_days),
        ):
            raise _order_moved(order)
        tx.record(_followed(order, registration, at, OrderStatus.READY))
    elif state is RegistrationState.CANCELLED and order.status is OrderStatus.COMPLETED:
        conn.execute(
            update(t.lines)
            .where(t.lines.c.id == order.line_id)
            .values(state=LineState.CANCELLED.value, updated_at=at)
        )
        tx.release_slot(registration.customer_id)
    elif state in (RegistrationState.REJECTED, RegistrationState.CANCELLED):
        if not order.status.is_open:
            raise _order_moved(order)
        # The registration itself has just been decided by the review service; the order,
        # the number and the slot follow.
        decided = replace(order, registration_id=None)
        close_order(
            tx,
            decided,
            OrderStatus.REFUSED if state is RegistrationState.REJECTED else OrderStatus.CANCELLED,
            at,
            action="online_order."
            + ("refused" if state is RegistrationState.REJECTED else "cancelled"),
            refusal_code=REVIEW_REJECTED if state is RegistrationState.REJECTED else None,
            actor_staff_id=registration.reviewer_id,
            registration=registration.id,
        )
    else:
        raise Conflict(
            "An online registration opens only at hand-over (RN-10).",
            code="RN-10",
            message_zh="网上登记须在交付时开通（RN-10）。",
        )


def _followed(
    order: OnlineOrder, registration: Registration, at: datetime, to: OrderStatus
) -> AuditEvent:
    return AuditEvent(
        action="online_order.ready",
        outcome="ok",
        at=at,
        actor_staff_id=registration.reviewer_id,
        registration_id=registration.id,
        msisdn=order.msisdn,
        doc_index=order.doc_index,
        details={"order_no": order.order_no, "to": to.value},
    )


def _order_moved(order: OnlineOrder) -> Conflict:
    return Conflict(
        "The customer's order changed meanwhile; reload the registration.",
        code="ORDER-CHANGED",
        message_zh="客户订单状态已变化，请刷新。",
        order_status=order.status.value,
    )
