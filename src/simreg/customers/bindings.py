"""Binding a group line to its actual user (RN-12), one by one or from a roster.

A binding is written first (``verifying``): it takes the line's one pending place, so of two
bindings for a line at once exactly one goes on, and it claims the user's RN-05 slot when group
lines count toward the personal limit. Then the identity authority is asked, outside any
transaction. A match sends a registration (source ``enterprise``) into the normal review
queue; no answer leaves the binding verifying, asked again by ``retry_pending``; a mismatch or
an unknown number refuses it and frees the slot. Review decisions move the binding, the line
and the slot together (``db/enterprise_store.follow_binding_decision``).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import uuid4

from simreg.core.actors import Actor, Role
from simreg.core.clock import Clock
from simreg.core.crypto import IdentityVault
from simreg.core.errors import Conflict, DomainError, InvalidInput, NotFound, RuleViolated
from simreg.customers.domain import (
    AUTHORITY_CHECK,
    CHECKABLE_DOCUMENTS,
    REFUSAL_CODES,
    BindingStatus,
    enterprise_event,
    next_check_delay,
)
from simreg.customers.ports import (
    BindingRecord,
    EnterpriseTransaction,
    EnterpriseUnitOfWork,
    NewBindingRow,
    load_enterprise,
)
from simreg.customers.roster import RosterRow
from simreg.identity.authority import CheckPurpose, CheckResult, IdentityVerifier, RecordedCheck
from simreg.identity.documents import document_index, parse_document
from simreg.identity.names import mask_name, validate_person_name
from simreg.lines.domain import LineState, parse_msisdn
from simreg.policy.rules import per_id_limit_violation
from simreg.registration.domain import Registration, RegistrationSource, RegistrationState

BINDERS = (Role.ACCOUNT_MANAGER, Role.ADMIN)
# A group line takes a user while held for the enterprise, or in service (a change of user).
BINDABLE = (LineState.RESERVED, LineState.ACTIVE)
ROSTER_WORKERS = 4


@dataclass(frozen=True)
class BindingSettings:
    per_id_limit: int
    enforce_per_id_limit: bool
    count_toward_limit: bool  # settings.group_lines_count_toward_limit
    retry_seconds: int  # settings.identity_retry_seconds


@dataclass(frozen=True)
class BindActualUser:
    msisdn: str
    doc_type: str
    doc_number: str
    name: str


@dataclass(frozen=True)
class BindingOutcome:
    binding_id: int
    msisdn: str
    status: BindingStatus
    registration_id: str | None = None
    refusal_code: str | None = None


@dataclass(frozen=True)
class RosterReject:
    line: int
    msisdn: str
    code: str
    reason: str
    reason_zh: str


@dataclass
class RosterReport:
    in_review: list[str] = field(default_factory=list)
    verifying: list[str] = field(default_factory=list)
    rejected: list[RosterReject] = field(default_factory=list)
    import_id: int | None = None  # the audit row that keeps the reject report


class ActualUserActions:
    uow: EnterpriseUnitOfWork
    vault: IdentityVault
    clock: Clock
    verifier: IdentityVerifier
    binding: BindingSettings

    def bind(self, actor: Actor, enterprise_id: int, command: BindActualUser) -> BindingOutcome:
        """Bind one line to its actual user, or pass it on to a new one (a new review; the
        current user stays bound until the new one is approved)."""
        actor.require(*BINDERS)
        msisdn = parse_msisdn(command.msisdn)
        document = parse_document(command.doc_type, command.doc_number, today=self.clock.today())
        if document.type not in CHECKABLE_DOCUMENTS:
            # Every actual user is verified with the identity authority, which knows resident
            # ID numbers only; other documents are registered at a hall in person instead.
            raise InvalidInput(
                "An actual user is verified by resident ID card; register holders of other "
                "documents at a service hall.",
                code="ACTUAL-USER-DOCUMENT",
                message_zh="实际使用人须以居民身份证核验；持其他证件者请到营业厅办理。",
                document_type=document.type.value,
            )
        name = validate_person_name(command.name)
        doc_index = document_index(self.vault, document)
        now = self.clock.now()
        counts = self.binding.count_toward_limit
        with self.uow.begin() as tx:
            load_enterprise(tx, enterprise_id, actor).require_active(self.clock.today())
            line = tx.group_line(msisdn)
            if line is None or line.enterprise_id != enterprise_id:
                raise NotFound(
                    f"Number {msisdn} is not one of this group customer's lines.",
                    code="GROUP-LINE-UNKNOWN",
                    message_zh=f"号码 {msisdn} 不属于该集团客户。",
                )
            if line.state not in BINDABLE:
                raise Conflict(
                    f"Number {msisdn} is {line.state.value.replace('_', ' ')}; it cannot take "
                    "an actual user now.",
                    code="GROUP-LINE-STATE",
                    message_zh=f"号码 {msisdn} 当前状态不能绑定实际使用人。",
                    state=line.state.value,
                )
            if line.user_doc_index == doc_index:
                raise Conflict(
                    f"This person is already the actual user of {msisdn}.",
                    code="BINDING-SAME-USER",
                    message_zh=f"此人已是号码 {msisdn} 的实际使用人，无需重新绑定。",
                )
            number_enc = self.vault.fields.encrypt_text(document.number, "customer.doc_number")
            if counts:
                limit = self.binding.per_id_limit if self.binding.enforce_per_id_limit else None
                customer_id = tx.claim_slot(
                    doc_type=document.type.value,
                    doc_index=doc_index,
                    doc_number_enc=number_enc,
                    doc_masked=document.masked,
                    at=now,
                    per_id_limit=limit,
                )
                if customer_id is None:
                    raise RuleViolated(
                        [
                            per_id_limit_violation(
                                tx.held_lines(doc_index), self.binding.per_id_limit
                            )
                        ]
                    )
            else:
                customer_id = tx.keep_customer(
                    doc_type=document.type.value,
                    doc_index=doc_index,
                    doc_number_enc=number_enc,
                    doc_masked=document.masked,
                    at=now,
                )
            binding_id = tx.add_binding(
                NewBindingRow(
                    enterprise_id=enterprise_id,
                    line_id=line.id,
                    customer_id=customer_id,
                    name_enc=self.vault.fields.encrypt_text(name, "binding.name"),
                    name_masked=mask_name(name),
                    counts_toward_limit=counts,
                    created_by=actor.staff_id,
                    # Until the answer below is applied: a crash in between leaves the binding
                    # to the retrier, and the retrier leaves this one alone meanwhile.
                    at=now,
                    next_check_at=now + timedelta(seconds=self.binding.retry_seconds),
                )
            )
            if binding_id is None:
                raise Conflict(
                    f"Number {msisdn} already has an actual user on the way (being verified or "
                    "in review).",
                    code="BINDING-PENDING",
                    message_zh=f"号码 {msisdn} 已有正在核验或审核中的实际使用人。",
                )
            tx.record(
                enterprise_event(
                    "binding.created",
                    actor.staff_id,
                    now,
                    enterprise_id,
                    doc_index=doc_index,
                    msisdn=msisdn,
                    binding_id=binding_id,
                    document_type=document.type.value,
                    counts_toward_limit=counts,
                    change_of_user=line.state is LineState.ACTIVE,
                )
            )
        check = self.verifier.check(document.number, name, CheckPurpose.ACTUAL_USER)
        return self._apply_check(binding_id, check, name, actor.staff_id)

    def retry_pending(self, limit: int = 100) -> int:
        """Ask the authority again about bindings it did not answer; how many were asked.
        Run by the server's background checker (``Simreg.pending_check_retriers``)."""
        with self.uow.begin() as tx:
            due = tx.due_for_check(self.clock.now(), limit)
        asked = 0
        for binding_id in due:
            with self.uow.begin() as tx:
                binding = tx.binding(binding_id)
            if binding is None or binding.status is not BindingStatus.VERIFYING:
                continue
            number = self.vault.fields.decrypt_text(binding.doc_number_enc, "customer.doc_number")
            name = self.vault.fields.decrypt_text(binding.name_enc, "binding.name")
            check = self.verifier.check(number, name, CheckPurpose.ACTUAL_USER)
            self._apply_check(binding_id, check, name, None)
            asked += 1
        return asked

    def withdraw(self, actor: Actor, enterprise_id: int, binding_id: int) -> None:
        """Give up a binding still waiting for the authority (one in review is cancelled
        through the review console instead)."""
        actor.require(*BINDERS)
        now = self.clock.now()
        with self.uow.begin() as tx:
            binding = _binding_of(tx, actor, enterprise_id, binding_id)
            if binding.status is not BindingStatus.VERIFYING or not tx.withdraw(binding, now):
                raise Conflict(
                    "Only a binding still waiting for the identity authority can be withdrawn.",
                    code="BINDING-STATE",
                    message_zh="只有等待公安核验的绑定可以撤回。",
                )
            tx.record(
                enterprise_event(
                    "binding.withdrawn",
                    actor.staff_id,
                    now,
                    enterprise_id,
                    doc_index=binding.doc_index,
                    msisdn=binding.msisdn,
                    binding_id=binding_id,
                )
            )

    def end(self, actor: Actor, enterprise_id: int, binding_id: int, reason: str) -> None:
        """The actual user in force leaves the line (left the company, lost the card): the
        account manager ends the binding. The line closes and waits, with the enterprise, for
        the next user to be verified and reviewed (RN-12: one line, one known user)."""
        actor.require(*BINDERS)
        reason = " ".join(reason.split())
        if not reason:
            raise InvalidInput(
                "Say why the user leaves the line.",
                code="BINDING-END-REASON",
                message_zh="请填写使用人不再使用该号码的原因。",
            )
        now = self.clock.now()
        with self.uow.begin() as tx:
            binding = _binding_of(tx, actor, enterprise_id, binding_id)
            registration_id = (
                tx.end_binding(binding, now) if binding.status is BindingStatus.ACTIVE else None
            )
            if registration_id is None:
                raise Conflict(
                    "Only an actual user in force can be ended; one on the way is withdrawn "
                    "or decided by the review.",
                    code="BINDING-STATE",
                    message_zh="只有在用的实际使用人可以解除绑定；办理中的请撤回或等待审核。",
                )
            tx.record(
                enterprise_event(
                    "binding.ended",
                    actor.staff_id,
                    now,
                    enterprise_id,
                    doc_index=binding.doc_index,
                    msisdn=binding.msisdn,
                    binding_id=binding_id,
                    registration_id=registration_id,
                    reason=reason[:200],
                )
            )

    def import_roster(
        self, actor: Actor, enterprise_id: int, rows: Iterable[RosterRow]
    ) -> RosterReport:
        """Bind every row of an actual-user roster; each refused row is reported with its line
        number, code and reason. The report is kept with the import's audit row."""
        actor.require(*BINDERS)
        with self.uow.begin() as tx:
            load_enterprise(tx, enterprise_id, actor).require_active(self.clock.today())
        report = RosterReport()
        listed = list(rows)
        if not listed:
            raise InvalidInput(
                "The roster has no rows under its header: nothing to bind.",
                code="ROSTER-EMPTY",
                message_zh="名单在表头之下没有数据行，没有可绑定的使用人。",
            )
        # Each row waits mostly on the identity authority: a few rows are bound at once (each
        # in its own transactions, as one by one), and the report keeps the file's order.
        with ThreadPoolExecutor(max_workers=ROSTER_WORKERS) as pool:
            results = list(pool.map(lambda row: self._bind_row(actor, enterprise_id, row), listed))
        for row, result in zip(listed, results, strict=True):
            if isinstance(result, DomainError):
                report.rejected.append(_reject(row, result))
            elif result.status is BindingStatus.PENDING_REVIEW:
                report.in_review.append(result.msisdn)
            elif result.status is BindingStatus.VERIFYING:
                report.verifying.append(result.msisdn)
            else:
                report.rejected.append(
                    _reject(row, _authority_refusal(result.refusal_code or "ID-MISMATCH"))
                )
        now = self.clock.now()
        with self.uow.begin() as tx:
            report.import_id = tx.record(
                enterprise_event(
                    "binding.roster_imported",
                    actor.staff_id,
                    now,
                    enterprise_id,
                    in_review=len(report.in_review),
                    verifying=len(report.verifying),
                    rejected=[
                        [r.line, r.msisdn, r.code, r.reason, r.reason_zh] for r in report.rejected
                    ],
                )
            )
        return report

    def _bind_row(
        self, actor: Actor, enterprise_id: int, row: RosterRow
    ) -> BindingOutcome | DomainError:
        if row.problem is not None:
            return row.problem
        try:
            return self.bind(
                actor,
                enterprise_id,
                BindActualUser(row.msisdn, row.doc_type, row.doc_number, row.name),
            )
        except DomainError as refusal:
            return refusal

    # -- the authority's answer -------------------------------------------------------------

    def _apply_check(
        self, binding_id: int, check: RecordedCheck, name: str, actor_staff_id: int | None
    ) -> BindingOutcome:
        now = self.clock.now()
        with self.uow.begin() as tx:
            binding = tx.binding(binding_id)
            assert binding is not None
            outcome = BindingOutcome(binding_id, binding.msisdn, binding.status)
            if binding.status is not BindingStatus.VERIFYING:
                return outcome  # withdrawn, or answered by the retrier in the meantime
            about: dict[str, object] = {
                "binding_id": binding_id,
                "check_id": check.id,
                "reference": check.reference,
            }
            if check.result is CheckResult.MATCH:
                registration = Registration(
                    id=uuid4().hex,
                    state=RegistrationState.PENDING_REVIEW,
                    customer_id=binding.customer_id,
                    line_id=binding.line_id,
                    channel_id=None,
                    outlet_id=None,
                    clerk_id=None,
                    device_id=None,
                    submitted_at=now,
                    source=RegistrationSource.ENTERPRISE,
                )
                if not tx.send_to_review(
                    binding,
                    registration,
                    name_enc=self.vault.fields.encrypt_text(name, "registration.name"),
                    check_id=check.id,
                    at=now,
                ):
                    return outcome
                tx.record(
                    enterprise_event(
                        "registration.submitted",
                        actor_staff_id,
                        now,
                        binding.enterprise_id,
                        registration_id=registration.id,
                        source=RegistrationSource.ENTERPRISE.value,
                        inspection_method=AUTHORITY_CHECK,
                        doc_index=binding.doc_index,
                        msisdn=binding.msisdn,
                        extra=about,
                    )
                )
                return BindingOutcome(
                    binding_id, binding.msisdn, BindingStatus.PENDING_REVIEW, registration.id
                )
            if check.result is CheckResult.UNAVAILABLE:
                delay = next_check_delay(self.binding.retry_seconds, binding.check_attempts)
                next_at = now + timedelta(seconds=delay)
                tx.wait_for_authority(binding_id, check.id, next_at)
                tx.record(
                    enterprise_event(
                        "binding.check_pending",
                        actor_staff_id,
                        now,
                        binding.enterprise_id,
                        attempts=binding.check_attempts + 1,
                        next_check_at=next_at.isoformat(),
                        doc_index=binding.doc_index,
                        msisdn=binding.msisdn,
                        extra=about,
                    )
                )
                return outcome
            code = REFUSAL_CODES[check.result]
            tx.refuse(binding, code, check.id, now)
            tx.record(
                enterprise_event(
                    "binding.refused",
                    actor_staff_id,
                    now,
                    binding.enterprise_id,
                    outcome="refused",
                    codes=(code,),
                    doc_index=binding.doc_index,
                    msisdn=binding.msisdn,
                    extra=about,
                )
            )
            return BindingOutcome(
                binding_id, binding.msisdn, BindingStatus.REFUSED, refusal_code=code
            )


def _authority_refusal(code: str) -> InvalidInput:
    if code == "ID-NOT-FOUND":
        return InvalidInput(
            "The identity authority knows no such document number.",
            code=code,
            message_zh="公安身份核验未查到该证件号码。",
        )
    return InvalidInput(
        "The identity authority says the name does not match the document number.",
        code=code,
        message_zh="公安身份核验结果：姓名与证件号码不一致。",
    )


def _reject(row: RosterRow, refusal: DomainError) -> RosterReject:
    return RosterReject(row.line, row.msisdn, refusal.code, refusal.message, refusal.message_zh)


def _binding_of(
    tx: EnterpriseTransaction, actor: Actor, enterprise_id: int, binding_id: int
) -> BindingRecord:
    """One of the enterprise's bindings, if ``actor`` may act on the enterprise."""
    load_enterprise(tx, enterprise_id, actor)
    binding = tx.binding(binding_id)
    if binding is None or binding.enterprise_id != enterprise_id:
        raise NotFound("No such binding.", code="BINDING-NOT-FOUND", message_zh="绑定记录不存在。")
    return binding
