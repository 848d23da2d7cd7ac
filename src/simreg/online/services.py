"""The shop's use cases for the customer: reserve a number, send the ID, follow and cancel the
order. No login: the secret in the customer's cookie (or API header) is the credential; the
database holds only its keyed hash.

The identity step is two short transactions around one call to the identity authority, which
may wait on the network and so runs outside both (see ``checks.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.crypto import IdentityVault
from simreg.core.errors import Conflict, InvalidInput, NotFound
from simreg.core.photos import CheckedPhoto, PhotoStore
from simreg.identity.documents import DocumentType, document_index, parse_document
from simreg.identity.names import mask_name, validate_person_name
from simreg.lines.domain import parse_msisdn
from simreg.online.checks import IdentityChecks
from simreg.online.closing import close_order
from simreg.online.domain import (
    CHECK_TIMEOUT,
    Fulfilment,
    OnlineOrder,
    OrderStatus,
    delivery_closed,
    new_order_no,
    new_order_secret,
)
from simreg.online.ports import FulfilmentChoice, IdentityDetails, ShopTransaction, ShopUnitOfWork
from simreg.online.throttle import PublicThrottle
from simreg.policy.rules import PhotoKind
from simreg.registration.photos import check_photos, store_photos

REQUIRED_PHOTOS = frozenset({PhotoKind.FRONT, PhotoKind.BACK, PhotoKind.PORTRAIT})
SWEEP_BATCH = 500
CARD_SALES = "online_card_sales"  # the operator switch (RN-11)


@dataclass(frozen=True)
class ShopRules:
    per_id_limit: int
    reservation_minutes: int
    collect_days: int
    card_sales: bool  # RN-11: courier delivery offered only while this is true


@dataclass(frozen=True)
class Reservation:
    order: OnlineOrder
    secret: str


@dataclass(frozen=True)
class SubmitIdentity:
    document_number: str
    customer_name: str
    fulfilment: str
    pickup_outlet_id: int | None = None
    delivery_address: str = ""
    contact: str = ""
    photos: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class SweepResult:
    reservations_expired: int = 0
    collections_lapsed: int = 0
    checks_abandoned: int = 0
    throttle_windows_dropped: int = 0


class OnlineShop:
    def __init__(
        self,
        *,
        uow: ShopUnitOfWork,
        vault: IdentityVault,
        photo_store: PhotoStore,
        check_photo: Callable[[bytes], CheckedPhoto],
        clock: Clock,
        checks: IdentityChecks,
        throttle: PublicThrottle,
        rules: ShopRules,
    ) -> None:
        self.uow = uow
        self.vault = vault
        self.photo_store = photo_store
        self.check_photo = check_photo
        self.clock = clock
        self.checks = checks
        self.throttle = throttle
        self.rules = rules

    def access_index(self, secret: str) -> str:
        return self.vault.tokens.digest("online-order:" + secret)

    # -- RN-11: the operator opens and closes online card sales ------------------------------

    def card_sales_open(self) -> bool:
        """Whether courier delivery is offered now: the operator's last decision, or the
        setting the deployment starts from while nobody decided."""
        with self.uow.begin() as tx:
            decided = tx.switch(CARD_SALES)
        return self.rules.card_sales if decided is None else decided

    def set_card_sales(self, actor: Actor, open_: bool) -> None:
        """RN-11: close online card sales (number selection stays, the card is collected at a
        hall) or open them again, at once and for every server process. Orders already
        taken for delivery keep it; new ones are offered pick-up only."""
        actor.require(Role.ADMIN)
        now = self.clock.now()
        with self.uow.begin() as tx:
            tx.set_switch(CARD_SALES, open_, actor.staff_id, now)
            tx.record(
                AuditEvent(
                    action="online.card_sales_opened" if open_ else "online.card_sales_closed",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    codes=("RN-11",),
                )
            )

    # -- reservation -------------------------------------------------------------------------

    def reserve(self, raw_msisdn: str) -> Reservation:
        """Hold a free number for ``reservation_minutes``. Of two customers reserving the same
        number at once, the conditional update on the line lets exactly one through."""
        msisdn = parse_msisdn(raw_msisdn)
        now = self.clock.now()
        secret = new_order_secret()
        with self.uow.begin() as tx:
            line_id = tx.take_pool_line(msisdn, now)
            if line_id is None:
                raise Conflict(
                    f"Number {msisdn} has just been taken; pick another.",
                    code="LINE-TAKEN",
                    message_zh=f"号码 {msisdn} 刚刚被选走，请重新选号。",
                )
            order_id = tx.add_order(
                order_no=new_order_no(now),
                access_index=self.access_index(secret),
                line_id=line_id,
                reserved_until=now + timedelta(minutes=self.rules.reservation_minutes),
                at=now,
            )
            order = tx.order_by_id(order_id)
            assert order is not None
            tx.record(
                AuditEvent(
                    action="online_order.reserved",
                    outcome="ok",
                    at=now,
                    msisdn=msisdn,
                    details={"order_no": order.order_no},
                )
            )
        return Reservation(order, secret)

    # -- the customer's view -----------------------------------------------------------------

    def order(self, secret: str) -> OnlineOrder:
        """The order behind the secret; a lapsed reservation or collection is closed first."""
        now = self.clock.now()
        with self.uow.begin() as tx:
            order = self._load(tx, secret)
            return _closed_if_lapsed(tx, order, now)

    def cancel(self, secret: str) -> OnlineOrder:
        now = self.clock.now()
        with self.uow.begin() as tx:
            order = _closed_if_lapsed(tx, self._load(tx, secret), now)
            if not order.status.customer_may_cancel:
                order.require(
                    OrderStatus.RESERVED,
                    OrderStatus.VERIFICATION_PENDING,
                    OrderStatus.IN_REVIEW,
                    action="cancelled",
                )
            close_order(tx, order, OrderStatus.CANCELLED, now, action="online_order.cancelled")
            closed = tx.order_by_id(order.id)
            assert closed is not None
            return closed

    def _load(self, tx: ShopTransaction, secret: str) -> OnlineOrder:
        order = tx.order_by_access(self.access_index(secret)) if secret else None
        if order is None:
            raise NotFound(
                "No order is open in this browser.",
                code="ORDER-NOT-FOUND",
                message_zh="此浏览器中没有订单。",
            )
        return order

    # -- the identity step (RN-10, RN-03, RN-07, RN-11) --------------------------------------

    def submit(self, secret: str, command: SubmitIdentity) -> OnlineOrder:
        # Online, only the 2nd-generation resident ID, as a scan (RN-07, RN-10).
        document = parse_document(
            DocumentType.RESIDENT_ID.value, command.document_number, today=self.clock.today()
        )
        name = validate_person_name(command.customer_name)
        choice = self._fulfilment(command)
        photos = check_photos(self.check_photo, command.photos)
        missing = sorted(k.value for k in REQUIRED_PHOTOS - set(photos))
        if missing:
            raise InvalidInput(
                "Upload the front and back of the ID card and a photo of your face.",
                code="RN-03",
                message_zh="请上传身份证正面、背面和本人人像照片。",
                missing=missing,
            )
        doc_index = document_index(self.vault, document)
        # Only a request for a real order counts against the document: else anyone holding a
        # person's ID number could use up that person's tries with made-up orders.
        with self.uow.begin() as tx:
            self._load(tx, secret)
        self.throttle.document(doc_index)
        identity = IdentityDetails(
            doc_type=document.type.value,
            doc_index=doc_index,
            doc_number_enc=self.vault.fields.encrypt_text(
                document.number, "online_order.doc_number"
            ),
            doc_masked=document.masked,
            name_enc=self.vault.fields.encrypt_text(name, "online_order.name"),
            name_masked=mask_name(name),
        )
        now = self.clock.now()
        written: list[str] = []
        try:
            with self.uow.begin() as tx:
                order = _closed_if_lapsed(tx, self._load(tx, secret), now)
                order.require(OrderStatus.RESERVED, action="submitted")
                if choice.pickup_outlet_id is not None and (
                    tx.pickup_hall(choice.pickup_outlet_id) is None
                ):
                    raise _no_such_hall()
                stored = store_photos(self.photo_store, photos, written)
                if not tx.submit_identity(order.id, identity, choice, stored, now):
                    raise Conflict(
                        "The reservation has just expired; pick the number again.",
                        code="ORDER-EXPIRED",
                        message_zh="号码预留已过期，请重新选号。",
                    )
                tx.record(
                    AuditEvent(
                        action="online_order.submitted",
                        outcome="ok",
                        at=now,
                        msisdn=order.msisdn,
                        doc_index=doc_index,
                        details={"order_no": order.order_no, "fulfilment": choice.fulfilment},
                    )
                )
        except BaseException:
            for key in written:
                self.photo_store.delete(key)
            raise
        # The authority is asked only now, outside any transaction; an unavailable answer
        # leaves the order waiting for ``retry_pending``.
        return self.checks.check_and_apply(order.id, document, name)

    def _fulfilment(self, command: SubmitIdentity) -> FulfilmentChoice:
        try:
            fulfilment = Fulfilment(command.fulfilment)
        except ValueError:
            raise InvalidInput(
                "Choose pick-up at a service hall or delivery.",
                code="SHOP-FULFILMENT",
                message_zh="请选择到营业厅领取或快递配送。",
            ) from None
        contact = command.contact.strip()
        contact_number = parse_msisdn(contact) if contact else None
        if fulfilment is Fulfilment.PICKUP:
            if command.pickup_outlet_id is None:
                raise _no_such_hall()
            return FulfilmentChoice(
                fulfilment.value,
                command.pickup_outlet_id,
                None,
                None,
                self._seal(contact_number, "online_order.contact"),
                _mask_phone(contact_number),
            )
        if not self.card_sales_open():
            raise delivery_closed()
        address = " ".join(command.delivery_address.split())
        if not 8 <= len(address) <= 200 or contact_number is None:
            raise InvalidInput(
                "For delivery, give the full address and a mobile number for the courier.",
                code="SHOP-ADDRESS",
                message_zh="快递配送须填写完整地址和收件手机号码。",
            )
        return FulfilmentChoice(
            fulfilment.value,
            None,
            self._seal(address, "online_order.delivery_address"),
            address[:6] + "…" + "*" * 4,
            self._seal(contact_number, "online_order.contact"),
            _mask_phone(contact_number),
        )

    def _seal(self, value: str | None, purpose: str) -> bytes | None:
        return self.vault.fields.encrypt_text(value, purpose) if value else None

    # -- background work --------------------------------------------------------------------

    def retry_pending(self) -> int:
        """Ask the authority again about orders that found it unavailable."""
        return self.checks.retry_pending()

    def sweep(self) -> SweepResult:
        """Expire lapsed reservations, lapse uncollected orders, give up on checks that waited
        longer than the collection time, and drop finished throttle windows."""
        now = self.clock.now()
        with self.uow.begin() as tx:
            reservations = tx.due_reservations(now, SWEEP_BATCH)
            collections = tx.due_collections(now, SWEEP_BATCH)
            stale = tx.stale_checks(now - timedelta(days=self.rules.collect_days), SWEEP_BATCH)
        return SweepResult(
            reservations_expired=self._close_each(reservations, now, "online_order.expired"),
            collections_lapsed=self._close_each(collections, now, "online_order.lapsed"),
            checks_abandoned=self._close_each(
                stale, now, "online_order.check_abandoned", CHECK_TIMEOUT
            ),
            throttle_windows_dropped=self.throttle.forget_old(),
        )

    def _close_each(
        self, order_ids: list[int], now: datetime, action: str, refusal_code: str | None = None
    ) -> int:
        """One short transaction per order: a customer acting on one never waits for all."""
        closed = 0
        for order_id in order_ids:
            with self.uow.begin() as tx:
                order = tx.order_by_id(order_id)
                if order is None or not order.status.is_open:
                    continue
                close_order(
                    tx,
                    order,
                    OrderStatus.REFUSED if refusal_code else OrderStatus.EXPIRED,
                    now,
                    action=action,
                    refusal_code=refusal_code,
                )
                closed += 1
        return closed


def _closed_if_lapsed(tx: ShopTransaction, order: OnlineOrder, now: datetime) -> OnlineOrder:
    """Expiry is checked on every access, not only by the sweep."""
    if order.reservation_lapsed(now):
        close_order(tx, order, OrderStatus.EXPIRED, now, action="online_order.expired")
    elif order.collection_lapsed(now):
        close_order(tx, order, OrderStatus.EXPIRED, now, action="online_order.lapsed")
    else:
        return order
    reloaded = tx.order_by_id(order.id)
    assert reloaded is not None
    return reloaded


def _mask_phone(number: str | None) -> str | None:
    return f"{number[:3]}****{number[-4:]}" if number else None


def _no_such_hall() -> InvalidInput:
    return InvalidInput(
        "Choose one of the listed service halls.",
        code="SHOP-HALL",
        message_zh="请从列表中选择营业厅。",
    )
