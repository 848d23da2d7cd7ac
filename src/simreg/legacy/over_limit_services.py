"""RN-14 use cases: find every document over the limit, and resolve one case. Each runs in one
transaction with its audit row inside it; a refused resolution changes nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from simreg.core.actors import Actor
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.crypto import IdentityVault
from simreg.core.errors import Conflict, NotFound, RuleViolated, Violation
from simreg.identity.documents import document_index
from simreg.legacy.over_limit import (
    RESOLVERS,
    CaseLine,
    LineAction,
    LineDecision,
    Outcome,
    ProposedDecision,
    Resolution,
    check_resolution,
    parse_decisions,
)
from simreg.legacy.staging import DOC_NUMBER_PURPOSE, HOLDER_NAME_PURPOSE
from simreg.policy.rules import per_id_limit_violation


@dataclass(frozen=True)
class OpenCase:
    id: int
    customer_id: int
    status: str
    doc_index: str


class OverLimitTransaction(Protocol):
    def open_cases_for_documents_over(self, per_id_limit: int, at: datetime) -> int:
        """Open a case for every personal document holding more than ``per_id_limit`` lines
        that has none open; returns how many were opened."""
        ...

    def case(self, case_id: int) -> OpenCase | None: ...

    def case_lines(self, customer_id: int) -> list[CaseLine]: ...

    def case_document(self, case_id: int) -> tuple[bytes, str] | None:
        """The encrypted number of the case's document and its blind index."""
        ...

    def close_case(
        self, case_id: int, *, by: int, at: datetime, decision: dict[str, Any], notes: str | None
    ) -> bool:
        """Mark the case resolved only while it is open: False when another resolver won."""
        ...

    def cancel_line(self, line_id: int, customer_id: int, state: str, at: datetime) -> bool: ...

    def held_lines(self, doc_index: str) -> int: ...

    def move_line(
        self,
        line_id: int,
        *,
        from_customer: int,
        state: str,
        holder_name_enc: bytes,
        holder_name_masked: str,
        named_doc_index: str,
        at: datetime,
    ) -> bool: ...

    def release_slots(self, customer_id: int, count: int) -> None: ...

    def record(self, event: AuditEvent) -> None: ...


class OverLimitUnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[OverLimitTransaction]: ...


def _changed_under_us(msisdn: str) -> Conflict:
    return Conflict(
        f"Line {msisdn} changed while the case was being resolved; reload and decide again.",
        code="OVER-LIMIT-LINE-CHANGED",
        message_zh=f"号码 {msisdn} 在处理期间发生变化，请刷新后重新处理。",
        msisdn=msisdn,
    )


class OverLimitService:
    def __init__(
        self,
        *,
        uow: OverLimitUnitOfWork,
        vault: IdentityVault,
        clock: Clock,
        per_id_limit: int,
    ) -> None:
        self.uow = uow
        self.vault = vault
        self.clock = clock
        self.per_id_limit = per_id_limit

    def find(self, actor: Actor) -> int:
        """One set-based pass over every document: how many new cases were opened. Running it
        again opens none until another document goes over the limit."""
        actor.require(*RESOLVERS)
        now = self.clock.now()
        with self.uow.begin() as tx:
            found = tx.open_cases_for_documents_over(self.per_id_limit, now)
            tx.record(
                AuditEvent(
                    action="over_limit.found",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    codes=("RN-14",),
                    details={"opened": found, "per_id_limit": self.per_id_limit},
                )
            )
        return found

    def reveal_document(self, actor: Actor, case_id: int) -> str:
        """The full document number, for the resolver who must match it against the holder's
        original document; every look is audited."""
        actor.require(*RESOLVERS)
        now = self.clock.now()
        with self.uow.begin() as tx:
            found = tx.case_document(case_id)
            if found is None:
                raise NotFound(
                    f"No over-limit case {case_id}.", message_zh="该一证多号案件不存在。"
                )
            encrypted, doc_index = found
            tx.record(
                AuditEvent(
                    action="over_limit.document_viewed",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    doc_index=doc_index,
                    codes=("RN-14",),
                    details={"case_id": case_id},
                )
            )
        return self.vault.fields.decrypt_text(encrypted, DOC_NUMBER_PURPOSE)

    def resolve(
        self,
        actor: Actor,
        case_id: int,
        proposed: Sequence[ProposedDecision],
        notes: str | None = None,
    ) -> Outcome:
        """Apply a decision for every line of the case, or nothing at all."""
        actor.require(*RESOLVERS)
        now = self.clock.now()
        notes = (notes or "").strip() or None
        with self.uow.begin() as tx:
            case = tx.case(case_id)
            if case is None:
                raise NotFound(
                    f"No over-limit case {case_id}.", message_zh="该一证多号案件不存在。"
                )
            if case.status != "open":
                raise _already_resolved(case_id)
            lines = tx.case_lines(case.customer_id)
            decisions, problems = parse_decisions(
                proposed,
                lines,
                today=self.clock.today(),
                index=lambda document: document_index(self.vault, document),
            )
            problems += check_resolution(
                lines,
                decisions,
                case_doc_index=case.doc_index,
                per_id_limit=self.per_id_limit,
                refused_details={int(p.data["line_id"]) for p in problems if "line_id" in p.data},
            )
            by_id = {line.id: line for line in lines}
            # Every problem at once: the receivers' room under RN-05 is checked with the rest.
            problems += self._receivers_over_limit(tx, decisions, by_id)
            if problems:
                raise RuleViolated(problems)
            resolution = Resolution(tuple(decisions))
            record = self._decision_record(actor, now, resolution, by_id, notes)
            # Claiming the case first makes a second resolver wait on it (PostgreSQL row lock;
            # SQLite serialises writers) and then find it resolved: exactly one wins.
            if not tx.close_case(case_id, by=actor.staff_id, at=now, decision=record, notes=notes):
                raise _already_resolved(case_id)
            self._apply(tx, actor, case, resolution, by_id, now)
            tx.record(
                AuditEvent(
                    action="over_limit.resolved",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    doc_index=case.doc_index,
                    codes=("RN-14",),
                    details={
                        "case_id": case_id,
                        "kept": record["kept"],
                        "cancelled": record["cancelled"],
                        "transferred": record["transferred"],
                    },
                )
            )
        return Outcome(
            case_id,
            kept=resolution.count(LineAction.KEEP),
            cancelled=resolution.count(LineAction.CANCEL),
            transferred=resolution.count(LineAction.TRANSFER),
        )

    def _receivers_over_limit(
        self,
        tx: OverLimitTransaction,
        decisions: Sequence[LineDecision],
        lines: dict[int, CaseLine],
    ) -> list[Violation]:
        """A transfer names the person who uses the line; it does not verify them. The line
        leaves the holder's document and waits, held by none, for that person to re-register
        with their own (RN-05 is claimed then): here each receiver's count must leave room."""
        found: list[Violation] = []
        planned: Counter[str] = Counter()
        for decision in decisions:
            if decision.action is not LineAction.TRANSFER or decision.receiver is None:
                continue
            line, receiver = lines[decision.line_id], decision.receiver
            planned[receiver.doc_index] += 1
            held = tx.held_lines(receiver.doc_index)
            would_hold = held + planned[receiver.doc_index]
            if would_hold > self.per_id_limit:
                violation = per_id_limit_violation(held, self.per_id_limit)
                found.append(
                    Violation(
                        violation.code,
                        f"{line.msisdn}: the receiver's document would hold {would_hold} "
                        f"lines ({held} now and {planned[receiver.doc_index]} transferred); "
                        f"the limit is {self.per_id_limit} per document.",
                        f"{line.msisdn}：接收人证件将登记 {would_hold} 个号码（现有 {held} 个，"
                        f"转入 {planned[receiver.doc_index]} 个），每证上限为 "
                        f"{self.per_id_limit} 个。",
                        {
                            **violation.data,
                            "msisdn": line.msisdn,
                            "transferred": planned[receiver.doc_index],
                        },
                    )
                )
        return found

    def _apply(
        self,
        tx: OverLimitTransaction,
        actor: Actor,
        case: OpenCase,
        resolution: Resolution,
        lines: dict[int, CaseLine],
        now: datetime,
    ) -> None:
        for decision in resolution.with_action(LineAction.CANCEL):
            line = lines[decision.line_id]
            if not tx.cancel_line(line.id, case.customer_id, line.state, now):
                raise _changed_under_us(line.msisdn)
            tx.record(_line_event("line.cancelled", line.msisdn, case, actor, now))
        # Each receiver's room was checked with the other problems (_receivers_over_limit).
        for decision in resolution.with_action(LineAction.TRANSFER):
            line, receiver = lines[decision.line_id], decision.receiver
            assert receiver is not None
            moved = tx.move_line(
                line.id,
                from_customer=case.customer_id,
                state=line.state,
                holder_name_enc=self.vault.fields.encrypt_text(receiver.name, HOLDER_NAME_PURPOSE),
                holder_name_masked=receiver.name_masked,
                named_doc_index=receiver.doc_index,
                at=now,
            )
            if not moved:
                raise _changed_under_us(line.msisdn)
            tx.record(_line_event("line.transferred", line.msisdn, case, actor, now))
        leaving = resolution.count(LineAction.CANCEL) + resolution.count(LineAction.TRANSFER)
        if leaving:
            tx.release_slots(case.customer_id, leaving)

    @staticmethod
    def _decision_record(
        actor: Actor,
        now: datetime,
        resolution: Resolution,
        lines: dict[int, CaseLine],
        notes: str | None,
    ) -> dict[str, Any]:
        """What is stored with the case: per-line actions, masked receivers, who, when, why."""
        return {
            "lines": [
                {
                    "line_id": d.line_id,
                    "msisdn": lines[d.line_id].msisdn,
                    "action": d.action.value,
                    **({"receiver": d.receiver.shown()} if d.receiver else {}),
                }
                for d in resolution.decisions
            ],
            "kept": resolution.count(LineAction.KEEP),
            "cancelled": resolution.count(LineAction.CANCEL),
            "transferred": resolution.count(LineAction.TRANSFER),
            "by": actor.staff_id,
            "by_username": actor.username,
            "at": now.isoformat(),
            "notes": notes,
        }


def _already_resolved(case_id: int) -> Conflict:
    return Conflict(
        f"Case {case_id} is already resolved (perhaps by a colleague just now).",
        code="OVER-LIMIT-RESOLVED",
        message_zh=f"案件 {case_id} 已处理（可能同事刚刚处理完毕）。",
        case_id=case_id,
    )


def _line_event(action: str, msisdn: str, case: OpenCase, actor: Actor, at: datetime) -> AuditEvent:
    """The line's own row beside the case's: a search by the number finds who cancelled or
    transferred it, in which case. The receiver of a transfer is not named here; the case's
    decision keeps them (encrypted)."""
    return AuditEvent(
        action=action,
        outcome="ok",
        at=at,
        actor_staff_id=actor.staff_id,
        msisdn=msisdn,
        doc_index=case.doc_index,
        codes=("RN-14",),
        details={"case_id": case.id},
    )
