"""Group customer use cases (RN-12): the enterprise, its agent and agreement, its lifecycle and
its lines. Binding actual users is in ``bindings.py``.

The identity authority may wait on the network, so it is asked between transactions, never
inside one: the answer is recorded by the verifier on its own, then used in a short
transaction of ours.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.crypto import IdentityVault
from simreg.core.errors import Conflict, InvalidInput, NotFound
from simreg.customers.bindings import ActualUserActions, BindingSettings
from simreg.customers.domain import (
    CHECKABLE_DOCUMENTS,
    Agreement,
    Enterprise,
    EnterpriseStatus,
    check_agreement,
    enterprise_event,
    move,
    parse_credit_code,
)
from simreg.customers.ports import (
    EnterpriseTransaction,
    EnterpriseUnitOfWork,
    NewEnterpriseRow,
    load_enterprise,
)
from simreg.identity.authority import CheckPurpose, CheckResult, IdentityVerifier, RecordedCheck
from simreg.identity.documents import DocumentType, document_index, parse_document
from simreg.identity.names import mask_name, validate_person_name
from simreg.lines.domain import parse_msisdn

MANAGERS = (Role.ACCOUNT_MANAGER, Role.ADMIN)
READERS = (*MANAGERS, Role.AUDITOR)
MAX_ALLOCATION = 10_000


@dataclass(frozen=True)
class NewEnterprise:
    name: str
    credit_code: str
    agent_name: str
    agent_doc_number: str
    agent_doc_type: str = DocumentType.RESIDENT_ID.value
    org_unit: str | None = None
    agreement: Agreement | None = None


class EnterpriseService(ActualUserActions):
    def __init__(
        self,
        *,
        uow: EnterpriseUnitOfWork,
        vault: IdentityVault,
        clock: Clock,
        verifier: IdentityVerifier,
        binding: BindingSettings,
    ) -> None:
        self.uow = uow
        self.vault = vault
        self.clock = clock
        self.verifier = verifier
        self.binding = binding

    # -- the enterprise ---------------------------------------------------------------------

    def create(self, actor: Actor, command: NewEnterprise) -> int:
        """A draft group customer. Its handling agent is checked with the identity authority
        now; a definite "no" refuses the request, no answer leaves it to check again later."""
        actor.require(*MANAGERS)
        name = command.name.strip()
        if not name or len(name) > 200:
            raise InvalidInput(
                "Enter the enterprise's registered name (at most 200 characters).",
                code="ENTERPRISE-NAME",
                message_zh="请填写企业登记名称（不超过200字）。",
            )
        credit_code = parse_credit_code(command.credit_code)
        document = parse_document(
            command.agent_doc_type, command.agent_doc_number, today=self.clock.today()
        )
        if document.type not in CHECKABLE_DOCUMENTS:
            raise InvalidInput(
                "The handling agent identifies with a resident ID card.",
                code="AGENT-DOCUMENT",
                message_zh="经办人须持居民身份证办理。",
            )
        agent_name = validate_person_name(command.agent_name)
        if command.agreement is not None:
            command = replace(
                command, agreement=check_agreement(command.agreement, self.clock.today())
            )
        with self.uow.begin() as tx:
            self._unique(tx, credit_code, command.agreement)
            org_unit_id = self._org_unit(tx, command.org_unit)
        check = self.verifier.check(document.number, agent_name, CheckPurpose.ENTERPRISE_AGENT)
        doc_index = document_index(self.vault, document)
        now = self.clock.now()
        if check.result.is_definite and check.result is not CheckResult.MATCH:
            self._refused(actor, "enterprise.create", check, doc_index)
            raise _agent_refused(check)
        with self.uow.begin() as tx:
            self._unique(tx, credit_code, command.agreement)
            enterprise_id = tx.add_enterprise(
                NewEnterpriseRow(
                    name=name,
                    credit_code=credit_code,
                    org_unit_id=org_unit_id,
                    account_manager_id=actor.staff_id
                    if actor.role is Role.ACCOUNT_MANAGER
                    else None,
                    agent_doc_type=document.type.value,
                    agent_doc_index=doc_index,
                    agent_doc_number_enc=self.vault.fields.encrypt_text(
                        document.number, "enterprise.agent_doc_number"
                    ),
                    agent_doc_masked=document.masked,
                    agent_name_enc=self.vault.fields.encrypt_text(
                        agent_name, "enterprise.agent_name"
                    ),
                    agent_name_masked=mask_name(agent_name),
                    agent_check_id=check.id,
                    created_by=actor.staff_id,
                    at=now,
                )
            )
            if command.agreement is not None:
                tx.record_agreement(enterprise_id, command.agreement, now)
            tx.record(
                enterprise_event(
                    "enterprise.created",
                    actor.staff_id,
                    now,
                    enterprise_id,
                    doc_index=doc_index,
                    credit_code=credit_code,
                    agent_check=check.result.value,
                    agreement=command.agreement.number if command.agreement else None,
                )
            )
            return enterprise_id

    def assign(self, admin: Actor, enterprise_id: int, username: str) -> None:
        """An administrator gives a group customer to an account manager: one registered by
        an administrator, or one whose manager left. Only that manager then sees it."""
        admin.require(Role.ADMIN)
        now = self.clock.now()
        with self.uow.begin() as tx:
            enterprise = load_enterprise(tx, enterprise_id, admin)
            staff_id = tx.account_manager_id(username.strip().lower())
            if staff_id is None:
                raise InvalidInput(
                    f"{username} is not an active account manager.",
                    code="ACCOUNT-MANAGER-UNKNOWN",
                    message_zh=f"{username} 不是在岗的集团客户经理。",
                )
            tx.assign_manager(enterprise_id, staff_id, now)
            tx.record(
                enterprise_event(
                    "enterprise.assigned",
                    admin.staff_id,
                    now,
                    enterprise_id,
                    account_manager=username.strip().lower(),
                    previous_manager_id=enterprise.account_manager_id,
                )
            )

    def record_agreement(self, actor: Actor, enterprise_id: int, agreement: Agreement) -> None:
        """The signed agreement carrying the real-name obligation (a renewal replaces it)."""
        actor.require(*MANAGERS)
        agreement = check_agreement(agreement, self.clock.today())
        now = self.clock.now()
        with self.uow.begin() as tx:
            enterprise = load_enterprise(tx, enterprise_id, actor)
            if enterprise.status.value == "terminated":
                raise Conflict(
                    "The group customer is terminated.",
                    code="ENTERPRISE-STATE",
                    message_zh="该集团客户已终止。",
                )
            if tx.agreement_taken(agreement.number.strip(), enterprise_id):
                raise _agreement_taken()
            tx.record_agreement(enterprise_id, agreement, now)
            tx.record(
                enterprise_event(
                    "enterprise.agreement",
                    actor.staff_id,
                    now,
                    enterprise_id,
                    number=agreement.number.strip(),
                    signed_on=agreement.signed_on.isoformat(),
                    valid_until=agreement.valid_until.isoformat()
                    if agreement.valid_until
                    else None,
                )
            )

    def verify_agent(self, actor: Actor, enterprise_id: int) -> CheckResult:
        """Ask the identity authority about the handling agent again (after it was down)."""
        actor.require(*MANAGERS)
        with self.uow.begin() as tx:
            load_enterprise(tx, enterprise_id, actor)
            agent = tx.agent_identity(enterprise_id)
        assert agent is not None
        number = self.vault.fields.decrypt_text(agent.doc_number_enc, "enterprise.agent_doc_number")
        name = self.vault.fields.decrypt_text(agent.name_enc, "enterprise.agent_name")
        check = self.verifier.check(number, name, CheckPurpose.ENTERPRISE_AGENT)
        now = self.clock.now()
        with self.uow.begin() as tx:
            tx.set_agent_check(enterprise_id, check.id, now)
            tx.record(
                enterprise_event(
                    "enterprise.agent_checked",
                    actor.staff_id,
                    now,
                    enterprise_id,
                    result=check.result.value,
                    reference=check.reference,
                )
            )
        return check.result

    def activate(self, actor: Actor, enterprise_id: int, reason: str = "") -> Enterprise:
        return self._move(actor, enterprise_id, "activate", reason)

    def suspend(self, actor: Actor, enterprise_id: int, reason: str = "") -> Enterprise:
        return self._move(actor, enterprise_id, "suspend", reason)

    def reinstate(self, actor: Actor, enterprise_id: int, reason: str = "") -> Enterprise:
        return self._move(actor, enterprise_id, "reinstate", reason)

    def terminate(self, actor: Actor, enterprise_id: int, reason: str = "") -> Enterprise:
        return self._move(actor, enterprise_id, "terminate", reason)

    def _move(self, actor: Actor, enterprise_id: int, action: str, reason: str) -> Enterprise:
        actor.require(*MANAGERS)
        now = self.clock.now()
        with self.uow.begin() as tx:
            current = load_enterprise(tx, enterprise_id, actor)
            target = move(current, action, self.clock.today())
            released = 0
            if target is EnterpriseStatus.TERMINATED:
                in_use = tx.lines_in_use(enterprise_id)
                if in_use:
                    raise Conflict(
                        f"{in_use} lines still have an actual user in force or on the way; "
                        "their users take them over at a hall, or the registrations are "
                        "cancelled, before the agreement ends.",
                        code="ENTERPRISE-LINES-IN-USE",
                        message_zh=f"仍有{in_use}个号码绑定或正在绑定实际使用人；"
                        "请先办理过户或撤销登记，再终止协议。",
                        lines=in_use,
                    )
                # Lines nobody uses go back to the pool with the agreement.
                released = tx.release_unused_lines(enterprise_id, now)
            if not tx.set_status(enterprise_id, current.status, target, now):
                raise Conflict(
                    "Someone else changed this group customer first; reload it.",
                    code="ENTERPRISE-CHANGED",
                    message_zh="该集团客户已被他人修改，请刷新。",
                )
            tx.record(
                enterprise_event(
                    f"enterprise.{action}",
                    actor.staff_id,
                    now,
                    enterprise_id,
                    from_status=current.status.value,
                    to_status=target.value,
                    reason=reason.strip() or None,
                    lines_released=released or None,
                )
            )
            return load_enterprise(tx, enterprise_id, actor)

    # -- lines ------------------------------------------------------------------------------

    def allocate_lines(
        self,
        actor: Actor,
        enterprise_id: int,
        *,
        count: int | None = None,
        msisdns: list[str] | None = None,
    ) -> list[str]:
        """Numbers for the enterprise, all or none: ``count`` from the pool, or exactly the
        listed ones. They are held for the enterprise (reserved, with no expiry) so no counter
        can sell them, and open only once an actual user is verified and reviewed."""
        actor.require(*MANAGERS)
        wanted = [parse_msisdn(m) for m in msisdns or [] if m.strip()]
        if (count is None) == (not wanted) or (count is not None and count < 1):
            raise InvalidInput(
                "Give a number of lines to take from the pool, or a list of numbers.",
                code="ALLOCATION-INPUT",
                message_zh="请填写从号码池分配的数量，或列出具体号码。",
            )
        size = count if count is not None else len(set(wanted))
        if size > MAX_ALLOCATION:
            raise InvalidInput(
                f"At most {MAX_ALLOCATION} lines at once.",
                code="ALLOCATION-INPUT",
                message_zh=f"单次最多分配{MAX_ALLOCATION}个号码。",
            )
        now = self.clock.now()
        with self.uow.begin() as tx:
            load_enterprise(tx, enterprise_id, actor).require_active(self.clock.today())
            if count is not None:
                taken = tx.allocate_from_pool(enterprise_id, count, now)
            else:
                taken = tx.allocate_numbers(enterprise_id, sorted(set(wanted)), now)
            if len(taken) < size:
                missing = sorted(set(wanted) - set(taken))
                raise Conflict(
                    f"Only {len(taken)} of the {size} numbers are available; nothing was "
                    "allocated.",
                    code="ALLOCATION-SHORT",
                    message_zh=f"仅有{len(taken)}/{size}个号码可分配，本次未分配任何号码。",
                    available=len(taken),
                    unavailable=missing[:50],
                )
            tx.record(
                enterprise_event(
                    "enterprise.lines_allocated",
                    actor.staff_id,
                    now,
                    enterprise_id,
                    count=len(taken),
                    first=taken[0],
                    last=taken[-1],
                )
            )
            return taken

    # -- helpers ----------------------------------------------------------------------------

    def _unique(
        self, tx: EnterpriseTransaction, credit_code: str, agreement: Agreement | None
    ) -> None:
        if tx.credit_code_taken(credit_code):
            raise Conflict(
                "A group customer with this unified social credit code exists.",
                code="ENTERPRISE-EXISTS",
                message_zh="已存在该统一社会信用代码的集团客户。",
            )
        if agreement is not None and tx.agreement_taken(agreement.number.strip(), 0):
            raise _agreement_taken()

    def _org_unit(self, tx: EnterpriseTransaction, code: str | None) -> int | None:
        if not code or not code.strip():
            return None
        found = tx.org_unit_id(code.strip())
        if found is None:
            raise NotFound(
                "No such organisation unit.",
                code="ORG-UNIT-UNKNOWN",
                message_zh="组织单元不存在。",
            )
        return found

    def _refused(
        self, actor: Actor, action: str, check: RecordedCheck, doc_index: str | None
    ) -> None:
        with self.uow.begin() as tx:
            tx.record(
                AuditEvent(
                    action=action,
                    outcome="refused",
                    at=self.clock.now(),
                    actor_staff_id=actor.staff_id,
                    doc_index=doc_index,
                    codes=(_AGENT_CODES.get(check.result, "ID-CHECK"),),
                    details={"reference": check.reference},
                )
            )


_AGENT_CODES = {CheckResult.MISMATCH: "ID-MISMATCH", CheckResult.NOT_FOUND: "ID-NOT-FOUND"}


def _agent_refused(check: RecordedCheck) -> InvalidInput:
    if check.result is CheckResult.NOT_FOUND:
        return InvalidInput(
            "The identity authority knows no such document number; check the agent's ID.",
            code="ID-NOT-FOUND",
            message_zh="公安身份核验未查到该证件号码，请核对经办人证件。",
            reference=check.reference,
        )
    return InvalidInput(
        "The identity authority says the agent's name does not match the document number.",
        code="ID-MISMATCH",
        message_zh="公安身份核验结果：经办人姓名与证件号码不一致。",
        reference=check.reference,
    )


def _agreement_taken() -> Conflict:
    return Conflict(
        "This agreement number is already recorded for another group customer.",
        code="AGREEMENT-TAKEN",
        message_zh="该协议编号已被其他集团客户使用。",
    )
