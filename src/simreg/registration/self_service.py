"""Self-service re-registration (RN-13): a subscriber reached by a campaign link gives the
identity of a legacy line already in service. It waits in the normal review queue (RN-06);
approval makes the line verified (see ``_open_service`` in services.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from uuid import uuid4

from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.crypto import IdentityVault
from simreg.core.errors import Conflict, DomainError, InvalidInput, RuleViolated
from simreg.core.photos import CheckedPhoto, PhotoStore
from simreg.identity.documents import DocumentType, document_index, parse_document
from simreg.identity.names import mask_name, validate_person_name
from simreg.lines.domain import LineState, RealNameState
from simreg.policy.rules import PhotoKind, per_id_limit_violation
from simreg.registration.domain import Registration, RegistrationSource, RegistrationState
from simreg.registration.photos import check_photos, store_photos
from simreg.registration.ports import LegacyLine, UnitOfWork

# Stored in registrations.inspection_method: the original was seen only as an uploaded scan.
ONLINE_UPLOAD = "online_upload"
REQUIRED_PHOTOS = frozenset({PhotoKind.FRONT, PhotoKind.BACK, PhotoKind.PORTRAIT})
IN_SERVICE = (LineState.ACTIVE, LineState.SUSPENDED_ONE_WAY, LineState.SUSPENDED_TWO_WAY)


def reregistrable(line: LegacyLine | None) -> LegacyLine:
    """A line whose holder may re-register it: in service (suspended too, which approval
    lifts) and without real-name data; not one already verified or waiting for review."""
    if line is None or line.state not in IN_SERVICE:
        raise Conflict(
            "This number is not in service, so there is nothing to re-register.",
            code="REREG-LINE-CLOSED",
            message_zh="该号码不在服务中，无需补登。",
        )
    if line.real_name_state is not RealNameState.LEGACY_UNVERIFIED:
        raise Conflict(
            "This number is already registered or waiting for review.",
            code="REREG-NOT-NEEDED",
            message_zh="该号码已完成登记或正在审核中。",
            real_name_state=line.real_name_state.value if line.real_name_state else None,
        )
    return line


def already_in_review() -> Conflict:
    return Conflict(
        "This number is already waiting for review.",
        code="REREG-NOT-NEEDED",
        message_zh="该号码正在审核中。",
    )


@dataclass(frozen=True)
class Reregister:
    line_id: int
    campaign_target_id: int | None
    document_number: str
    customer_name: str
    photos: Mapping[str, bytes] = field(default_factory=dict)


class SelfServiceReregistration:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        vault: IdentityVault,
        photo_store: PhotoStore,
        check_photo: Callable[[bytes], CheckedPhoto],
        clock: Clock,
        per_id_limit: int,
    ) -> None:
        self.uow = uow
        self.vault = vault
        self.photo_store = photo_store
        self.check_photo = check_photo
        self.clock = clock
        self.per_id_limit = per_id_limit

    def submit(self, command: Reregister) -> Registration:
        # Online, only the 2nd-generation resident ID is accepted, as a scan (RN-10, RN-07).
        document = parse_document(
            DocumentType.RESIDENT_ID.value, command.document_number, today=self.clock.today()
        )
        name = validate_person_name(command.customer_name)
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
        now = self.clock.now()
        written: list[str] = []
        try:
            with self.uow.begin() as tx:
                line = reregistrable(tx.legacy_line(command.line_id))
                customer_id = tx.claim_line_slot(
                    document.type.value,
                    doc_index,
                    self.vault.fields.encrypt_text(document.number, "customer.doc_number"),
                    document.masked,
                    now,
                    self.per_id_limit,
                )
                if customer_id is None:
                    raise RuleViolated(
                        [per_id_limit_violation(tx.held_lines(doc_index), self.per_id_limit)]
                    )
                if not tx.mark_reverification(line.id, customer_id, now):
                    raise already_in_review()
                registration = Registration(
                    id=uuid4().hex,
                    state=RegistrationState.PENDING_REVIEW,
                    customer_id=customer_id,
                    line_id=line.id,
                    channel_id=None,
                    outlet_id=None,
                    clerk_id=None,
                    device_id=None,
                    submitted_at=now,
                    source=RegistrationSource.SELF_SERVICE,
                    campaign_target_id=command.campaign_target_id,
                )
                tx.add_registration(
                    registration,
                    name_enc=self.vault.fields.encrypt_text(name, "registration.name"),
                    name_masked=mask_name(name),
                    inspection_method=ONLINE_UPLOAD,
                    resubmission_of=None,
                )
                tx.add_photos(registration.id, store_photos(self.photo_store, photos, written))
                tx.record(
                    AuditEvent(
                        action="registration.submitted",
                        outcome="ok",
                        at=now,
                        registration_id=registration.id,
                        msisdn=line.msisdn,
                        doc_index=doc_index,
                        details={
                            "source": RegistrationSource.SELF_SERVICE.value,
                            "document_type": document.type.value,
                            "campaign_target_id": command.campaign_target_id,
                        },
                    )
                )
                return registration
        except BaseException as failure:
            for key in written:
                self.photo_store.delete(key)
            if isinstance(failure, DomainError):
                self._record_refusal(failure, doc_index)
            raise

    def _record_refusal(self, refusal: DomainError, doc_index: str) -> None:
        codes = (
            [v.code for v in refusal.violations]
            if isinstance(refusal, RuleViolated)
            else [refusal.code]
        )
        with self.uow.begin() as tx:
            tx.record(
                AuditEvent(
                    action="registration.submit",
                    outcome="refused",
                    at=self.clock.now(),
                    doc_index=doc_index,
                    codes=tuple(codes),
                    details={"source": RegistrationSource.SELF_SERVICE.value},
                )
            )
