"""Registration use cases. Each runs in one transaction and writes its audit event inside it.

A refused submission rolls back everything it did; only an audit record of the refusal is
written, in a transaction of its own, so the refusal itself can be investigated later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import uuid4

from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.crypto import IdentityVault
from simreg.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolated,
    Violation,
)
from simreg.core.photos import CheckedPhoto, PhotoStore
from simreg.identity.documents import (
    Document,
    DocumentInvalid,
    DocumentType,
    document_index,
    parse_document,
)
from simreg.identity.names import mask_name, validate_person_name
from simreg.lines.domain import LineState, RealNameState, parse_msisdn
from simreg.policy.rules import (
    InspectionMethod,
    PhotoKind,
    RegistrationRequest,
    check_channel,
    evaluate_registration,
    per_id_limit_violation,
)
from simreg.policy.rules import (
    check_document as check_document_rules,
)
from simreg.registration.domain import (
    Registration,
    RegistrationSource,
    RegistrationState,
    RejectionReason,
    looks_like_registration_id,
    resubmit_message,
)
from simreg.registration.photos import check_photos, store_photos
from simreg.registration.ports import (
    LineRecord,
    RegistrationTransaction,
    UnitOfWork,
)
from simreg.registration.self_service import IN_SERVICE, already_in_review, reregistrable

RESERVATION_MINUTES = 30
CLAIM_FOR = timedelta(minutes=10)  # an unfinished review returns to the queue after this


@dataclass(frozen=True)
class SubmitRegistration:
    msisdn: str
    document_type: str
    document_number: str
    customer_name: str
    original_inspected: bool
    inspection_method: str | None
    photos: Mapping[str, bytes] = field(default_factory=dict)
    resubmission_of: str | None = None
    # The number is a legacy line in service whose holder re-registers it (RN-13, 补登),
    # not a free number from the pool.
    reregistration: bool = False


@dataclass(frozen=True)
class RejectRegistration:
    reasons: tuple[str, ...]
    comment: str | None = None


@dataclass(frozen=True)
class DocumentCheck:
    document: Document
    held_lines: int
    per_id_limit: int


class RegistrationService:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        vault: IdentityVault,
        photo_store: PhotoStore,
        check_photo: Callable[[bytes], CheckedPhoto],
        clock: Clock,
        per_id_limit: int,
        enforce_per_id_limit: bool = True,
    ) -> None:
        self.uow = uow
        self.vault = vault
        self.photo_store = photo_store
        self.check_photo = check_photo
        self.clock = clock
        self.per_id_limit = per_id_limit
        self.enforce_per_id_limit = enforce_per_id_limit

    # -- submission -------------------------------------------------------------------------

    def submit(self, actor: Actor, command: SubmitRegistration) -> Registration:
        actor.require(Role.CLERK)
        if actor.outlet_id is None:
            raise _no_outlet()
        document: Document | None = None
        doc_index: str | None = None
        try:
            msisdn = parse_msisdn(command.msisdn)
            try:
                document = parse_document(
                    command.document_type, command.document_number, today=self.clock.today()
                )
                doc_index = document_index(self.vault, document)
                problem = None
            except DocumentInvalid as exc:
                problem = Violation(exc.code, exc.message, exc.message_zh, dict(exc.details))
            name = validate_person_name(command.customer_name)
            method = _inspection_method(command.inspection_method)
            photos = self._check_photos(command.photos)
            return self._submit(actor, command, msisdn, document, problem, name, method, photos)
        except DomainError as refusal:
            self._record_refusal(actor, "registration.submit", refusal, command.msisdn, doc_index)
            raise

    def _check_photos(self, raw: Mapping[str, bytes]) -> dict[PhotoKind, CheckedPhoto]:
        return check_photos(self.check_photo, raw)

    def _submit(
        self,
        actor: Actor,
        command: SubmitRegistration,
        msisdn: str,
        document: Document | None,
        problem: Violation | None,
        name: str,
        method: InspectionMethod | None,
        photos: dict[PhotoKind, CheckedPhoto],
    ) -> Registration:
        now = self.clock.now()
        written: list[str] = []
        assert actor.outlet_id is not None
        try:
            with self.uow.begin() as tx:
                channel, outlet, device = tx.channel_context(actor.outlet_id, actor.device_id)
                if command.reregistration:
                    line = _legacy_line(tx, msisdn)
                else:
                    line = _available_line(tx, msisdn, actor, now)
                doc_index = document_index(self.vault, document) if document else None
                held = tx.held_lines(doc_index) if doc_index else 0
                violations = evaluate_registration(
                    RegistrationRequest(
                        channel=channel,
                        outlet=outlet,
                        device=device,
                        document=document,
                        document_problem=problem,
                        original_inspected=command.original_inspected,
                        inspection_method=method,
                        photos=frozenset(photos),
                        held_lines=held,
                        per_id_limit=self.per_id_limit,
                        enforce_per_id_limit=self.enforce_per_id_limit,
                        document_type=_chosen_type(command.document_type),
                    )
                )
                if violations:
                    raise RuleViolated(violations)
                assert document is not None and doc_index is not None and method is not None
                if command.resubmission_of:
                    _check_resubmission(tx, command.resubmission_of, actor, command, line.id)
                limit = self.per_id_limit if self.enforce_per_id_limit else None
                customer_id = tx.claim_line_slot(
                    document.type.value,
                    doc_index,
                    self.vault.fields.encrypt_text(document.number, "customer.doc_number"),
                    document.masked,
                    now,
                    limit,
                )
                if customer_id is None:
                    # Another outlet took the last slot between our read and our write.
                    raise RuleViolated(
                        [per_id_limit_violation(tx.held_lines(doc_index), self.per_id_limit)]
                    )
                source, target_id = RegistrationSource.COUNTER, None
                if command.reregistration:
                    # The holder's identity waits for review on the line, which stays in
                    # service; a campaign asking this line is credited when it is approved.
                    if not tx.mark_reverification(line.id, customer_id, now):
                        raise already_in_review()  # another re-registration came first
                    source = RegistrationSource.COUNTER_REREG
                    target_id = tx.open_campaign_target(line.id)
                elif not tx.take_line(line.id, customer_id, actor.staff_id, now):
                    raise _line_taken(msisdn)
                registration = Registration(
                    id=uuid4().hex,
                    state=RegistrationState.PENDING_REVIEW,
                    customer_id=customer_id,
                    line_id=line.id,
                    channel_id=channel.id,
                    outlet_id=outlet.id,
                    clerk_id=actor.staff_id,
                    device_id=device.id if device else None,
                    submitted_at=now,
                    source=source,
                    campaign_target_id=target_id,
                )
                tx.add_registration(
                    registration,
                    name_enc=self.vault.fields.encrypt_text(name, "registration.name"),
                    name_masked=mask_name(name),
                    inspection_method=method.value,
                    resubmission_of=command.resubmission_of,
                )
                tx.add_photos(registration.id, store_photos(self.photo_store, photos, written))
                tx.record(
                    AuditEvent(
                        action="registration.submitted",
                        outcome="ok",
                        at=now,
                        actor_staff_id=actor.staff_id,
                        device_id=registration.device_id,
                        channel_id=channel.id,
                        outlet_id=outlet.id,
                        registration_id=registration.id,
                        msisdn=msisdn,
                        doc_index=doc_index,
                        details={
                            "document_type": document.type.value,
                            "inspection_method": method.value,
                            "line_kind": line.kind.value,
                            "resubmission_of": command.resubmission_of,
                            "source": source.value,
                            "campaign_target_id": target_id,
                        },
                    )
                )
                return registration
        except BaseException:
            # The transaction rolled back; photo files written for it must not linger.
            for key in written:
                self.photo_store.delete(key)
            raise

    def _record_refusal(
        self,
        actor: Actor,
        action: str,
        refusal: DomainError,
        msisdn: str | None,
        doc_index: str | None,
        registration_id: str | None = None,
    ) -> None:
        codes = [v.code for v in refusal.violations] if isinstance(refusal, RuleViolated) else []
        with self.uow.begin() as tx:
            tx.record(
                AuditEvent(
                    action=action,
                    outcome="refused",
                    at=self.clock.now(),
                    actor_staff_id=actor.staff_id,
                    device_id=actor.device_id,
                    outlet_id=actor.outlet_id,
                    registration_id=registration_id,
                    msisdn=msisdn if msisdn and msisdn.isdigit() and len(msisdn) == 11 else None,
                    doc_index=doc_index,
                    codes=tuple(codes or [refusal.code]),
                    details={"message": refusal.message},
                )
            )

    def check_document(self, actor: Actor, document_type: str, number: str) -> DocumentCheck:
        """Live validation for the app: the parsed document, or the reason it is refused, and
        how many lines it already holds (so RN-05 shows before the form is sent)."""
        actor.require(Role.CLERK)
        document = parse_document(document_type, number, today=self.clock.today())
        with self.uow.begin() as tx:
            if actor.outlet_id is not None:
                # What the channel accepts (RN-07: a social outlet, the resident ID only) is
                # said while typing, not after the photos are taken.
                channel, _outlet, _device = tx.channel_context(actor.outlet_id, actor.device_id)
                refused = check_document_rules(channel, document, None)
                if refused:
                    raise RuleViolated(refused)
            held = tx.held_lines(document_index(self.vault, document))
        return DocumentCheck(document, held, self.per_id_limit)

    def check_reregistration(self, actor: Actor, raw_msisdn: str) -> LineRecord:
        """Before the form: whether this outlet may re-register this number now (RN-08,
        RN-09), and whether the number is a legacy line in service without real-name data."""
        actor.require(Role.CLERK)
        if actor.outlet_id is None:
            raise _no_outlet()
        msisdn = parse_msisdn(raw_msisdn)
        with self.uow.begin() as tx:
            barred = check_channel(*tx.channel_context(actor.outlet_id, actor.device_id))
            if barred:
                raise RuleViolated(barred)
            return _legacy_line(tx, msisdn)

    # -- number pool ------------------------------------------------------------------------

    def reserve_line(self, actor: Actor, raw_msisdn: str) -> LineRecord:
        """A clerk holds a number for a customer while the paperwork is done (30 minutes)."""
        actor.require(Role.CLERK)
        if actor.outlet_id is None:
            raise _no_outlet()
        msisdn = parse_msisdn(raw_msisdn)
        now = self.clock.now()
        until = now + timedelta(minutes=RESERVATION_MINUTES)
        try:
            with self.uow.begin() as tx:
                # Whoever may not register (RN-08, RN-09) may not take numbers out of the pool.
                barred = check_channel(*tx.channel_context(actor.outlet_id, actor.device_id))
                if barred:
                    raise RuleViolated(barred)
                line = _available_line(tx, msisdn, actor, now)
                if not tx.reserve_line(line.id, actor.staff_id, until, now):
                    raise _line_taken(msisdn)
                tx.record(
                    AuditEvent(
                        action="line.reserved",
                        outcome="ok",
                        at=now,
                        actor_staff_id=actor.staff_id,
                        device_id=actor.device_id,
                        outlet_id=actor.outlet_id,
                        msisdn=msisdn,
                    )
                )
        except RuleViolated as refusal:
            # Evidence for the channel's inspections (RN-15), as a refused submission is.
            self._record_refusal(actor, "line.reserve", refusal, msisdn, None)
            raise
        return LineRecord(line.id, msisdn, line.kind, LineState.RESERVED, actor.staff_id, until)

    # -- review -----------------------------------------------------------------------------

    def claim_next(self, actor: Actor) -> str | None:
        """Give the reviewer the oldest waiting registration no one else is working on (or the
        one they already hold). None when the queue is empty."""
        actor.require(Role.REVIEWER, Role.ADMIN)
        now = self.clock.now()
        with self.uow.begin() as tx:
            for candidate in tx.claimable(actor.staff_id, now, limit=10):
                if tx.claim(candidate, actor.staff_id, now, now + CLAIM_FOR):
                    return candidate
        return None

    def claim(self, actor: Actor, registration_id: str) -> None:
        actor.require(Role.REVIEWER, Role.ADMIN)
        now = self.clock.now()
        with self.uow.begin() as tx:
            current = _load(tx, registration_id)
            if current.state is not RegistrationState.PENDING_REVIEW:
                return  # nothing left to decide; the page shows the outcome
            if not tx.claim(registration_id, actor.staff_id, now, now + CLAIM_FOR):
                raise _claimed_by_other()

    def release(self, actor: Actor, registration_id: str) -> None:
        actor.require(Role.REVIEWER, Role.ADMIN)
        now = self.clock.now()
        with self.uow.begin() as tx:
            if tx.claim_holder(registration_id, now) == actor.staff_id:
                tx.release_claim(registration_id)

    def approve(
        self, actor: Actor, registration_id: str, *, open_line: bool = False
    ) -> Registration:
        """Approve after review; with ``open_line`` the line is activated in the same
        transaction, as the review console does. A re-registration is always finished: its
        line is in service already, and approval is what verifies it (RN-13)."""
        actor.require(Role.REVIEWER, Role.ADMIN)
        now = self.clock.now()
        with self.uow.begin() as tx:
            current = _load(tx, registration_id)
            _check_claim(tx, actor, registration_id, now)
            approved, approval = current.approve(actor.staff_id, now)
            _save(tx, approved, current)
            tx.record(_event("registration.approved", actor, approved, now))
            tx.release_claim(registration_id)
            if approved.source is RegistrationSource.ONLINE:
                # RN-10: an online order waits for the ID to be checked again at hand-over.
                tx.follow_decision(approved, now)
                return approved
            if not open_line and not approved.is_reregistration:
                return approved
            active = approved.activate(approval, now)
            _save(tx, active, approved)
            _open_service(tx, active, now)
            tx.record(_event(_opened(active), actor, active, now))
            return active

    def reject(
        self, actor: Actor, registration_id: str, command: RejectRegistration
    ) -> Registration:
        actor.require(Role.REVIEWER, Role.ADMIN)
        reasons = _reasons(command.reasons)
        now = self.clock.now()
        with self.uow.begin() as tx:
            current = _load(tx, registration_id)
            _check_claim(tx, actor, registration_id, now)
            rejected = current.reject(actor.staff_id, now, reasons, command.comment)
            _save(tx, rejected, current)
            tx.release_claim(registration_id)
            # The number returns to the pool (a legacy line stays in service, unverified) and
            # the document frees its slot (RN-05).
            if current.source.followed_elsewhere:
                tx.follow_decision(rejected, now)
            elif current.is_reregistration:
                tx.mark_unverified(current.line_id, now)
                tx.release_line_slot(current.customer_id)
                if (
                    current.source is RegistrationSource.SELF_SERVICE
                    and current.campaign_target_id is not None
                ):
                    # The subscriber sent it from a campaign link: tell them why, and how
                    # to send it again (the link's page shows the reasons too). At a counter
                    # the clerk sees the reasons and sends it again.
                    tx.ask_to_resubmit(
                        current.campaign_target_id,
                        current.line_id,
                        key=f"resubmit:{registration_id}",
                        body=resubmit_message(reasons),
                        at=now,
                    )
            else:
                tx.set_line_state(current.line_id, LineState.AVAILABLE, now)
                tx.release_line_slot(current.customer_id)
            tx.record(
                _event(
                    "registration.rejected",
                    actor,
                    rejected,
                    now,
                    reasons=[r.value for r in reasons],
                    comment=rejected.rejection_comment,
                )
            )
            return rejected

    def activate(self, actor: Actor, registration_id: str) -> Registration:
        """Open service on the line. Refused with RN-06 unless the back-office approved it."""
        actor.require(Role.REVIEWER, Role.ADMIN)
        now = self.clock.now()
        try:
            with self.uow.begin() as tx:
                current = _load(tx, registration_id)
                if current.source is RegistrationSource.ONLINE:
                    raise _opens_at_handover()
                active = current.activate(current.approval(), now)
                _save(tx, active, current)
                _open_service(tx, active, now)
                tx.record(_event(_opened(active), actor, active, now))
                return active
        except (RuleViolated, Conflict) as refusal:
            self._record_refusal(
                actor, "registration.activate", refusal, None, None, registration_id
            )
            raise

    def cancel(self, actor: Actor, registration_id: str, reason: str | None = None) -> Registration:
        actor.require(Role.CLERK, Role.REVIEWER, Role.ADMIN)
        now = self.clock.now()
        with self.uow.begin() as tx:
            current = _load(tx, registration_id)
            if not actor.may_see_outlet(current.outlet_id):
                raise NotFound(code="REGISTRATION-NOT-FOUND")
            if actor.role is Role.CLERK and current.state is not RegistrationState.PENDING_REVIEW:
                raise Conflict(
                    "Clerks may withdraw only registrations still waiting for review.",
                    code="REGISTRATION-STATE",
                    message_zh="营业员只能撤回仍在等待审核的登记。",
                    state=current.state.value,
                )
            cancelled = current.cancel(now)
            _save(tx, cancelled, current)
            # An opened number is retired, not resold at once; an unopened one goes back. A
            # legacy line keeps its service and loses the identity it was given.
            was_open = current.state is RegistrationState.ACTIVE
            if current.source.followed_elsewhere:
                tx.follow_decision(cancelled, now)
            elif current.is_reregistration:
                tx.mark_unverified(current.line_id, now)
                tx.release_line_slot(current.customer_id)
                if was_open and current.activated_at is not None:
                    # Campaigns take the line up again: no credit, calls, suspensions back.
                    tx.undo_reregistration(
                        current.campaign_target_id,
                        current.line_id,
                        now,
                        approved_at=current.activated_at,
                    )
            else:
                tx.set_line_state(
                    current.line_id, LineState.CANCELLED if was_open else LineState.AVAILABLE, now
                )
                tx.release_line_slot(current.customer_id)
            tx.record(_event("registration.cancelled", actor, cancelled, now, reason=reason))
            return cancelled


def _open_service(tx: RegistrationTransaction, registration: Registration, now: datetime) -> None:
    """A new line opens; a re-registered legacy line becomes verified, and a campaign
    suspension on it is lifted in the same transaction (RN-13). A group line opens for its
    actual user, or passes to a new one, with the binding (RN-12)."""
    if registration.source.followed_elsewhere:
        tx.follow_decision(registration, now)
        return
    if not registration.is_reregistration:
        tx.set_line_state(registration.line_id, LineState.ACTIVE, now)
        return
    tx.mark_verified(registration.line_id, now)
    tx.record_reregistration(
        registration.campaign_target_id,
        registration.line_id,
        now,
        submitted_at=registration.submitted_at,
    )


def _opened(registration: Registration) -> str:
    """The audit action: a new line opens; a line in service is verified (RN-13)."""
    return "registration.verified" if registration.is_reregistration else "registration.activated"


def _opens_at_handover() -> RuleViolated:
    return RuleViolated(
        [
            Violation(
                "RN-10",
                "An online order opens only when the card is handed over and the ID presented "
                "matches the one submitted online.",
                "网上订单须在交付时核对证件与线上提交一致后方可开通。",
            )
        ]
    )


def _inspection_method(raw: str | None) -> InspectionMethod | None:
    if raw is None or raw == "":
        return None
    try:
        return InspectionMethod(raw)
    except ValueError as exc:
        raise InvalidInput(
            "Inspection method must be chip_reader or visual.",
            code="RN-02",
            message_zh="查验方式须为读卡器（chip_reader）或目视（visual）。",
        ) from exc


def _reasons(raw: tuple[str, ...]) -> tuple[RejectionReason, ...]:
    out: list[RejectionReason] = []
    for code in raw:
        try:
            reason = RejectionReason(code)
        except ValueError as exc:
            raise InvalidInput(
                f"Unknown rejection reason '{code}'.",
                code="REJECT-REASON",
                message_zh="未知的驳回原因。",
                allowed=[r.value for r in RejectionReason],
            ) from exc
        if reason not in out:
            out.append(reason)
    return tuple(out)


def _available_line(
    tx: RegistrationTransaction, msisdn: str, actor: Actor, now: datetime
) -> LineRecord:
    line = tx.find_line(msisdn)
    if line is None:
        raise NotFound(
            f"Number {msisdn} is not in the pool.",
            code="LINE-NOT-FOUND",
            message_zh=f"号码 {msisdn} 不在号码池中。",
        )
    held_by_me = line.state is LineState.RESERVED and line.reserved_by == actor.staff_id
    expired = (
        line.state is LineState.RESERVED
        and line.reserved_until is not None
        and line.reserved_until <= now
    )
    if line.state is not LineState.AVAILABLE and not held_by_me and not expired:
        legacy = tx.legacy_line(line.id)
        if (
            legacy is not None
            and legacy.state in IN_SERVICE
            and (legacy.real_name_state is RealNameState.LEGACY_UNVERIFIED)
        ):
            # Someone's line without real-name data: its holder is re-registered, not sold it.
            raise Conflict(
                f"Number {msisdn} is in service without real-name data: re-register its "
                "holder instead ('Re-register a number in service' in the app; "
                "reregistration=true through the API).",
                code="LINE-IN-SERVICE",
                message_zh=f"号码 {msisdn} 在网但尚无实名信息：请为机主办理补登（在网号码补登）。",
            )
        raise _line_taken(msisdn)
    return line


def _legacy_line(tx: RegistrationTransaction, msisdn: str) -> LineRecord:
    """The line whose holder may re-register it (``reregistrable``), or the refusal."""
    line = tx.find_line(msisdn)
    reregistrable(tx.legacy_line(line.id) if line is not None else None)
    assert line is not None
    return line


def _line_taken(msisdn: str) -> Conflict:
    return Conflict(
        f"Number {msisdn} is no longer available; pick another.",
        code="LINE-TAKEN",
        message_zh=f"号码 {msisdn} 已被占用，请重新选号。",
    )


def _check_resubmission(
    tx: RegistrationTransaction,
    previous_id: str,
    actor: Actor,
    command: SubmitRegistration,
    line_id: int,
) -> None:
    previous = tx.get_registration(previous_id) if looks_like_registration_id(previous_id) else None
    if previous is None or not actor.may_see_outlet(previous.outlet_id):
        raise NotFound(code="REGISTRATION-NOT-FOUND")
    was_reregistration = previous.source is RegistrationSource.COUNTER_REREG
    if was_reregistration != command.reregistration or (
        was_reregistration and previous.line_id != line_id
    ):
        # A re-registration is corrected on its own line, and a sale as a sale.
        raise Conflict(
            "A correction is sent the way the rejected registration was: a re-registration "
            "of the same number, or a new line.",
            code="REGISTRATION-RESUBMISSION-KIND",
            message_zh="重新提交须与被驳回的登记方式一致：同一号码的补登，或新开号码。",
        )
    if (refusal := resubmission_refusal(previous.state, None)) is not None:
        raise refusal
    # Two corrections of one rejection sent at once: the second waits here for the first
    # to commit, and then sees it.
    tx.lock_registration(previous_id)
    if refusal := resubmission_refusal(previous.state, tx.live_resubmission(previous_id)):
        raise refusal


def resubmission_refusal(state: str, corrected_as: str | None) -> Conflict | None:
    """Why a registration cannot be sent again, if it cannot: only a rejection is, and once
    (``corrected_as``: the number of its correction still alive), so that a second number
    does not go under review for it. The clerk's form asks the same before any photo."""
    if state != RegistrationState.REJECTED:
        return Conflict(
            "Only a rejected registration can be submitted again.",
            code="REGISTRATION-STATE",
            message_zh="只有被驳回的登记可以重新提交。",
        )
    if corrected_as is not None:
        return Conflict(
            f"This rejection was already sent again (number {corrected_as}); follow that one.",
            code="REGISTRATION-RESUBMITTED",
            message_zh=f"该驳回的登记已重新提交（号码 {corrected_as}），请跟进那一笔。",
            msisdn=corrected_as,
        )
    return None


def _check_claim(
    tx: RegistrationTransaction, actor: Actor, registration_id: str, now: datetime
) -> None:
    holder = tx.claim_holder(registration_id, now)
    if holder is not None and holder != actor.staff_id:
        raise _claimed_by_other()


def _claimed_by_other() -> Conflict:
    return Conflict(
        "Another reviewer is working on this registration.",
        code="REVIEW-CLAIMED",
        message_zh="该登记正由其他审核员处理。",
    )


def _load(tx: RegistrationTransaction, registration_id: str) -> Registration:
    registration = (
        tx.get_registration(registration_id)
        if looks_like_registration_id(registration_id)
        else None
    )
    if registration is None:
        raise NotFound(
            "No such registration.", code="REGISTRATION-NOT-FOUND", message_zh="登记不存在。"
        )
    return registration


def _save(tx: RegistrationTransaction, new: Registration, old: Registration) -> None:
    """Compare-and-set on the state: two reviewers deciding at once cannot both win."""
    if not tx.save_registration(new, expected_state=old.state.value):
        raise Conflict(
            "Someone else changed this registration first; reload it.",
            code="REGISTRATION-CHANGED",
            message_zh="该登记已被他人处理，请刷新。",
        )


def _event(
    action: str, actor: Actor, registration: Registration, at: datetime, **details: object
) -> AuditEvent:
    return AuditEvent(
        action=action,
        outcome="ok",
        at=at,
        actor_staff_id=actor.staff_id,
        device_id=actor.device_id,
        channel_id=registration.channel_id,
        outlet_id=registration.outlet_id,
        registration_id=registration.id,
        details={k: v for k, v in details.items() if v is not None},
    )


def _chosen_type(raw: str) -> DocumentType | None:
    try:
        return DocumentType(raw)
    except ValueError:
        return None


def _no_outlet() -> Forbidden:
    return Forbidden(
        "A clerk must be bound to an outlet to register customers.",
        code="STAFF-OUTLET",
        message_zh="营业员须绑定网点才能办理入网。",
    )
