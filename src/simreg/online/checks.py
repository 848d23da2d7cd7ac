"""The identity authority's answer applied to an order (RN-10).

- match: the document's RN-05 slot is claimed (one conditional upsert), a registration with
  source ``online`` enters the central review queue with the uploaded photos, order
  ``in_review``. At the limit the order is refused with RN-05: only someone who gave a name
  and number the authority confirmed ever learns how many lines a document holds.
- mismatch or not found: the order is refused with one code and one message for both, and
  the number returns to the pool.
- unavailable: the order waits (``verification_pending``) and is asked about again later,
  with a growing pause; nothing is ever activated unchecked.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.crypto import IdentityVault
from simreg.identity.authority import CheckPurpose, CheckResult, IdentityVerifier, RecordedCheck
from simreg.identity.documents import Document, DocumentInvalid, document_index, parse_document
from simreg.identity.names import mask_name
from simreg.online.closing import close_order, order_changed
from simreg.online.domain import (
    ID_UNCONFIRMED,
    OnlineOrder,
    OrderStatus,
    next_check_delay,
)
from simreg.online.ports import IdentityDetails, ShopUnitOfWork
from simreg.registration.domain import Registration, RegistrationSource, RegistrationState

LEASE = timedelta(minutes=5)  # a worker that dies mid-check gives the order back after this
RETRY_BATCH = 50


class IdentityChecks:
    def __init__(
        self,
        *,
        uow: ShopUnitOfWork,
        verifier: IdentityVerifier,
        vault: IdentityVault,
        clock: Clock,
        per_id_limit: int,
        retry_seconds: int,
    ) -> None:
        self.uow = uow
        self.verifier = verifier
        self.vault = vault
        self.clock = clock
        self.per_id_limit = per_id_limit
        self.retry_seconds = retry_seconds

    def check_and_apply(self, order_id: int, document: Document, name: str) -> OnlineOrder:
        recorded = self.verifier.check(document.number, name, CheckPurpose.ONLINE_ORDER)
        return self._apply(order_id, recorded, document, name)

    def retry_pending(self) -> int:
        now = self.clock.now()
        with self.uow.begin() as tx:
            leased = tx.lease_pending_checks(now, now + LEASE, RETRY_BATCH)
        for pending in leased:
            number = self.vault.fields.decrypt_text(
                pending.doc_number_enc, "online_order.doc_number"
            )
            name = self.vault.fields.decrypt_text(pending.name_enc, "online_order.name")
            try:
                document = parse_document("resident_id", number, today=self.clock.today())
            except DocumentInvalid:  # valid when sent; cannot become invalid, but never loop
                continue
            self.check_and_apply(pending.order_id, document, name)
        return len(leased)

    def _apply(
        self, order_id: int, recorded: RecordedCheck, document: Document, name: str
    ) -> OnlineOrder:
        now = self.clock.now()
        with self.uow.begin() as tx:
            order = tx.order_by_id(order_id)
            if order is None or order.status is not OrderStatus.VERIFICATION_PENDING:
                # Cancelled, or another worker applied an answer first.
                assert order is not None
                return order
            if recorded.result is CheckResult.MATCH:
                identity = IdentityDetails(
                    doc_type=document.type.value,
                    doc_index=document_index(self.vault, document),
                    doc_number_enc=self.vault.fields.encrypt_text(
                        document.number, "customer.doc_number"
                    ),
                    doc_masked=document.masked,
                    name_enc=self.vault.fields.encrypt_text(name, "registration.name"),
                    name_masked=mask_name(name),
                )
                customer_id = tx.claim_slot(identity, now, self.per_id_limit)
                if customer_id is None:
                    close_order(
                        tx,
                        order,
                        OrderStatus.REFUSED,
                        now,
                        action="online_order.refused",
                        refusal_code="RN-05",
                        values={"identity_check_id": recorded.id, "doc_number_enc": None},
                        held=tx.held_lines(identity.doc_index),
                        per_id_limit=self.per_id_limit,
                    )
                else:
                    registration = Registration(
                        id=uuid4().hex,
                        state=RegistrationState.PENDING_REVIEW,
                        customer_id=customer_id,
                        line_id=order.line_id,
                        channel_id=None,
                        outlet_id=None,
                        clerk_id=None,
                        device_id=None,
                        submitted_at=now,
                        source=RegistrationSource.ONLINE,
                    )
                    tx.add_registration(registration, identity, tx.order_photos(order.id))
                    if not tx.move_order(
                        order.id,
                        OrderStatus.VERIFICATION_PENDING,
                        OrderStatus.IN_REVIEW,
                        now,
                        customer_id=customer_id,
                        registration_id=registration.id,
                        identity_check_id=recorded.id,
                        doc_number_enc=None,
                        next_check_at=None,
                    ):
                        raise order_changed()
                    tx.record(
                        AuditEvent(
                            action="registration.submitted",
                            outcome="ok",
                            at=now,
                            registration_id=registration.id,
                            msisdn=order.msisdn,
                            doc_index=identity.doc_index,
                            details={
                                "source": RegistrationSource.ONLINE.value,
                                "order_no": order.order_no,
                                "identity_check": recorded.reference,
                            },
                        )
                    )
            elif recorded.result.is_definite:
                close_order(
                    tx,
                    order,
                    OrderStatus.REFUSED,
                    now,
                    action="online_order.refused",
                    refusal_code=ID_UNCONFIRMED,
                    values={"identity_check_id": recorded.id, "doc_number_enc": None},
                    # Staff may see which answer it was; the customer never does.
                    result=recorded.result.value,
                )
            else:
                attempts = order.check_attempts + 1
                if not tx.move_order(
                    order.id,
                    OrderStatus.VERIFICATION_PENDING,
                    OrderStatus.VERIFICATION_PENDING,
                    now,
                    identity_check_id=recorded.id,
                    check_attempts=attempts,
                    next_check_at=now + next_check_delay(attempts, self.retry_seconds),
                ):
                    raise order_changed()
            updated = tx.order_by_id(order_id)
            assert updated is not None
            return updated
