"""What the online shop needs from storage: one transaction's reads and writes, the number
pool's search, and the request throttle."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from simreg.core.audit import AuditEvent
from simreg.online.domain import OnlineOrder, OrderStatus
from simreg.registration.domain import Registration
from simreg.registration.ports import StoredPhoto


@dataclass(frozen=True)
class PickupHall:
    """An outlet of an active own channel, where online orders are collected (RN-11)."""

    outlet_id: int
    code: str
    name: str
    address: str | None


@dataclass(frozen=True)
class IdentityDetails:
    """What an order submits for the identity step; everything but the masks is sealed."""

    doc_type: str
    doc_index: str
    doc_number_enc: bytes
    doc_masked: str
    name_enc: bytes
    name_masked: str


@dataclass(frozen=True)
class FulfilmentChoice:
    fulfilment: str
    pickup_outlet_id: int | None
    delivery_address_enc: bytes | None
    delivery_address_masked: str | None
    contact_enc: bytes | None
    contact_masked: str | None


@dataclass(frozen=True)
class PendingCheck:
    """An order waiting for the identity authority, with what is needed to ask again."""

    order_id: int
    check_attempts: int
    doc_number_enc: bytes
    name_enc: bytes


@dataclass(frozen=True)
class HandoverRecord:
    order_id: int
    at: datetime
    staff_id: int
    outlet_id: int | None
    method: str
    inspection_method: str
    outcome: str


@dataclass(frozen=True)
class StaffOutlet:
    """The outlet a clerk works at and the channel it belongs to (RN-08 for hand-overs)."""

    outlet_id: int
    outlet_active: bool
    channel_kind: str
    channel_status: str


class ShopTransaction(Protocol):
    """One database transaction; every method runs inside it."""

    # -- the number and the order -----------------------------------------------------------

    def take_pool_line(self, msisdn: str, at: datetime) -> int | None:
        """Move a free, unallocated number to ``reserved``; its line id, or None if taken."""
        ...

    def return_line(self, line_id: int, at: datetime) -> None:
        """A number no longer held by an order goes back to the pool (only if still held)."""
        ...

    def open_line(self, line_id: int, customer_id: int, at: datetime) -> bool: ...

    def add_order(
        self,
        *,
        order_no: str,
        access_index: str,
        line_id: int,
        reserved_until: datetime,
        at: datetime,
    ) -> int: ...

    def order_by_access(self, access_index: str) -> OnlineOrder | None: ...

    def order_by_no(self, order_no: str) -> OnlineOrder | None: ...

    def order_by_id(self, order_id: int) -> OnlineOrder | None: ...

    def ready_order_for_number(self, msisdn: str) -> OnlineOrder | None:
        """The ready order for this number, if one waits (a number has one open order)."""
        ...

    def ready_deliveries(self, now: datetime, limit: int) -> list[tuple[OnlineOrder, bytes, bytes]]:
        """Ready delivery orders not lapsed at ``now``, the soonest to lapse first, each with
        its sealed address and contact number."""
        ...

    def delivery_details(self, order_id: int) -> tuple[bytes, bytes] | None:
        """The sealed address and contact number of a delivery order."""
        ...

    def move_order(
        self, order_id: int, expected: OrderStatus, to: OrderStatus, at: datetime, **values: object
    ) -> bool:
        """Compare-and-set on the order's status; closing states clear ``open_line_id``."""
        ...

    def submit_identity(
        self,
        order_id: int,
        identity: IdentityDetails,
        fulfilment: FulfilmentChoice,
        photos: list[StoredPhoto],
        at: datetime,
    ) -> bool:
        """reserved -> verification_pending with the sealed identity, if still reserved."""
        ...

    def order_photos(self, order_id: int) -> list[StoredPhoto]: ...

    def pending_document(self, order_id: int) -> tuple[str, bytes] | None:
        """The submitted document's type and sealed number, while the order still has them."""
        ...

    def lease_pending_checks(
        self, now: datetime, until: datetime, limit: int
    ) -> list[PendingCheck]:
        """Due orders waiting for the authority, each pushed to ``until`` so that one worker
        asks about it at a time."""
        ...

    def due_reservations(self, now: datetime, limit: int) -> list[int]: ...

    def due_collections(self, now: datetime, limit: int) -> list[int]: ...

    def stale_checks(self, submitted_before: datetime, limit: int) -> list[int]: ...

    # -- RN-05 and the registration --------------------------------------------------------

    def claim_slot(
        self, identity: IdentityDetails, at: datetime, per_id_limit: int
    ) -> int | None: ...

    def release_slot(self, customer_id: int) -> None: ...

    def held_lines(self, doc_index: str) -> int: ...

    def add_registration(
        self, registration: Registration, identity: IdentityDetails, photos: list[StoredPhoto]
    ) -> None: ...

    def get_registration(self, registration_id: str) -> Registration | None: ...

    def save_registration(self, registration: Registration, expected_state: str) -> bool: ...

    # -- hand-over ---------------------------------------------------------------------------

    def staff_outlet(self, outlet_id: int) -> StaffOutlet | None: ...

    def pickup_hall(self, outlet_id: int) -> PickupHall | None: ...

    def switch(self, name: str) -> bool | None:
        """An operator switch's value, or None while nobody set it (the setting applies)."""
        ...

    def set_switch(self, name: str, value: bool, by: int, at: datetime) -> None: ...

    def add_handover(self, record: HandoverRecord) -> None: ...

    def record(self, event: AuditEvent) -> None: ...


class ShopUnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[ShopTransaction]: ...


class ThrottleStore(Protocol):
    def hit(self, bucket: str, window_start: datetime, limit: int) -> bool:
        """Count one request in the bucket's window; False when the window is already full."""
        ...

    def forget_before(self, window_start: datetime) -> int: ...


@dataclass(frozen=True)
class FreeNumber:
    msisdn: str
    kind: str


class NumberPool(Protocol):
    def segments(self) -> list[str]:
        """The 7-digit number segments (号段) that have at least one free number."""
        ...

    def search(
        self,
        *,
        ends_with: str | None,
        contains: str | None,
        segments: list[str] | None,
        kind: str | None,
        after: str | None,
        limit: int,
    ) -> list[FreeNumber]: ...

    def pickup_halls(self) -> list[PickupHall]: ...
