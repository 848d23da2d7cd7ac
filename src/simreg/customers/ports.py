"""What group customers need from storage (implemented in ``db/enterprise_store.py``)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.errors import NotFound
from simreg.customers.domain import Agreement, BindingStatus, Enterprise, EnterpriseStatus
from simreg.lines.domain import LineState
from simreg.registration.domain import Registration


@dataclass(frozen=True)
class NewEnterpriseRow:
    name: str
    credit_code: str
    org_unit_id: int | None
    account_manager_id: int | None
    agent_doc_type: str
    agent_doc_index: str
    agent_doc_number_enc: bytes
    agent_doc_masked: str
    agent_name_enc: bytes
    agent_name_masked: str
    agent_check_id: int | None
    created_by: int
    at: datetime


@dataclass(frozen=True)
class AgentIdentity:
    doc_type: str
    doc_number_enc: bytes
    name_enc: bytes


@dataclass(frozen=True)
class GroupLine:
    id: int
    msisdn: str
    state: LineState
    enterprise_id: int | None
    # The blind index of the actual user the line is open for now, if any.
    user_doc_index: str | None = None


@dataclass(frozen=True)
class NewBindingRow:
    enterprise_id: int
    line_id: int
    customer_id: int
    name_enc: bytes
    name_masked: str
    counts_toward_limit: bool
    created_by: int
    at: datetime
    next_check_at: datetime


@dataclass(frozen=True)
class BindingRecord:
    id: int
    enterprise_id: int
    line_id: int
    msisdn: str
    customer_id: int
    doc_index: str
    doc_number_enc: bytes
    name_enc: bytes
    name_masked: str
    status: BindingStatus
    counts_toward_limit: bool
    check_attempts: int


class EnterpriseTransaction(Protocol):
    # -- enterprises ------------------------------------------------------------------------

    def org_unit_id(self, code: str) -> int | None: ...

    def credit_code_taken(self, credit_code: str) -> bool: ...

    def agreement_taken(self, number: str, enterprise_id: int) -> bool: ...

    def add_enterprise(self, row: NewEnterpriseRow) -> int: ...

    def enterprise(self, enterprise_id: int) -> Enterprise | None: ...

    def agent_identity(self, enterprise_id: int) -> AgentIdentity | None: ...

    def set_agent_check(self, enterprise_id: int, check_id: int, at: datetime) -> None: ...

    def record_agreement(self, enterprise_id: int, agreement: Agreement, at: datetime) -> None: ...

    def set_status(
        self, enterprise_id: int, expected: EnterpriseStatus, status: EnterpriseStatus, at: datetime
    ) -> bool:
        """Compare-and-set: False when someone else moved the enterprise first."""
        ...

    # -- lines ------------------------------------------------------------------------------

    def allocate_from_pool(self, enterprise_id: int, count: int, at: datetime) -> list[str]:
        """Take up to ``count`` available numbers for the enterprise in one statement."""
        ...

    def allocate_numbers(self, enterprise_id: int, msisdns: list[str], at: datetime) -> list[str]:
        """Take exactly these numbers where they are available; the ones taken."""
        ...

    def group_line(self, msisdn: str) -> GroupLine | None: ...

    def lines_in_use(self, enterprise_id: int) -> int:
        """Lines with an actual user in force or on the way."""
        ...

    def release_unused_lines(self, enterprise_id: int, at: datetime) -> int:
        """Return the enterprise's lines nobody uses to the pool; how many."""
        ...

    # -- actual users -----------------------------------------------------------------------

    def claim_slot(
        self,
        *,
        doc_type: str,
        doc_index: str,
        doc_number_enc: bytes,
        doc_masked: str,
        at: datetime,
        per_id_limit: int | None,
    ) -> int | None:
        """RN-05: the customer id with one more line held, or None at the limit."""
        ...

    def held_lines(self, doc_index: str) -> int: ...

    def keep_customer(
        self, *, doc_type: str, doc_index: str, doc_number_enc: bytes, doc_masked: str, at: datetime
    ) -> int:
        """The document's customer row, created if new, without counting a line."""
        ...

    def add_binding(self, row: NewBindingRow) -> int | None:
        """A verifying binding; None when the line already has one on its way."""
        ...

    def binding(self, binding_id: int) -> BindingRecord | None: ...

    def send_to_review(
        self,
        binding: BindingRecord,
        registration: Registration,
        *,
        name_enc: bytes,
        check_id: int,
        at: datetime,
    ) -> bool:
        """Write the registration into the review queue and move the binding along with it;
        False when the binding is no longer verifying."""
        ...

    def wait_for_authority(
        self, binding_id: int, check_id: int, next_check_at: datetime
    ) -> bool: ...

    def refuse(self, binding: BindingRecord, code: str, check_id: int, at: datetime) -> bool:
        """End a verifying binding on the authority's answer, releasing its RN-05 slot."""
        ...

    def account_manager_id(self, username: str) -> int | None:
        """The active account manager of that username, if any."""
        ...

    def assign_manager(self, enterprise_id: int, staff_id: int, at: datetime) -> None: ...

    def end_binding(self, binding: BindingRecord, at: datetime) -> str | None:
        """End an actual user in force: their registration is cancelled, the line closes for
        the enterprise's next user, the slot comes back. The registration id, or None."""
        ...

    def withdraw(self, binding: BindingRecord, at: datetime) -> bool:
        """End a binding still waiting for the authority, releasing its RN-05 slot."""
        ...

    def due_for_check(self, now: datetime, limit: int) -> list[int]: ...

    # -- audit ------------------------------------------------------------------------------

    def record(self, event: AuditEvent) -> int:
        """Write the audit row; its id (an import's reject report is read back from it)."""
        ...


class EnterpriseUnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[EnterpriseTransaction]: ...


def load_enterprise(tx: EnterpriseTransaction, enterprise_id: int, actor: Actor) -> Enterprise:
    """The group customer, if ``actor`` may act on it: an account manager only on the ones
    they manage (another manager's is "not found", as if it did not exist)."""
    found = tx.enterprise(enterprise_id)
    if found is not None and not manages(actor, found.account_manager_id):
        found = None
    if found is None:
        raise NotFound(
            "No such group customer.", code="ENTERPRISE-NOT-FOUND", message_zh="集团客户不存在。"
        )
    return found


def manages(actor: Actor, account_manager_id: int | None) -> bool:
    return actor.role is not Role.ACCOUNT_MANAGER or account_manager_id == actor.staff_id
