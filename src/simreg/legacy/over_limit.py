"""RN-14, one ID with many numbers (一证多号核对): a personal document that holds more lines
than the per-ID limit (legacy data predating RN-05) becomes a case, and a person decides, line
by line, to keep it, cancel it, or transfer it to the person who really uses it.

Pure rules: every problem of a proposed resolution is returned at once, so the form can show
them all; nothing here touches storage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from simreg.core.actors import Role
from simreg.core.errors import DomainError, Violation
from simreg.identity.documents import Document, DocumentType, parse_document
from simreg.identity.names import mask_name, validate_person_name
from simreg.lines.domain import LineState, RealNameState

RESOLVERS = (Role.RISK_ANALYST, Role.ADMIN)
READERS = (*RESOLVERS, Role.AUDITOR, Role.CHANNEL_MANAGER)

# A business licence is an enterprise account (RN-12): its cards are bound to their users one
# by one, so the per-ID limit, and therefore RN-14, concerns personal documents only.
EXEMPT_DOCUMENT_TYPES = (DocumentType.BUSINESS_LICENCE.value,)


class LineAction(StrEnum):
    KEEP = "keep"
    CANCEL = "cancel"
    TRANSFER = "transfer"


@dataclass(frozen=True)
class CaseLine:
    """A line held under the case's document, as the resolver sees it."""

    id: int
    msisdn: str
    state: str
    real_name_state: str | None

    @property
    def under_review(self) -> bool:
        """A registration or re-registration of this line waits for the back office: changing
        the line now would race the reviewer, so it can only be kept."""
        return (
            self.state == LineState.PENDING_REVIEW.value
            or self.real_name_state == RealNameState.REVERIFICATION_PENDING.value
        )


@dataclass(frozen=True, repr=False)
class Receiver:
    """The person a line is transferred to: their document, blind index and name."""

    document: Document
    doc_index: str
    name: str

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)

    def shown(self) -> dict[str, str]:
        """What the decision record keeps of the receiver: nothing that identifies them alone."""
        return {
            "doc_type": self.document.type.value,
            "doc_masked": self.document.masked,
            "name_masked": self.name_masked,
        }

    def __repr__(self) -> str:
        return f"Receiver({self.document!r}, name={self.name_masked!r})"


@dataclass(frozen=True)
class ProposedDecision:
    """One line's decision as a person entered it (form or API), not yet checked."""

    line_id: int
    action: str
    receiver_doc_type: str = ""
    receiver_doc_number: str = ""
    receiver_name: str = ""


@dataclass(frozen=True)
class LineDecision:
    line_id: int
    action: LineAction
    receiver: Receiver | None = None


@dataclass(frozen=True)
class Resolution:
    """A checked decision for every line of one case."""

    decisions: tuple[LineDecision, ...]

    def count(self, action: LineAction) -> int:
        return sum(1 for d in self.decisions if d.action is action)

    def with_action(self, action: LineAction) -> list[LineDecision]:
        return [d for d in self.decisions if d.action is action]


@dataclass(frozen=True)
class Outcome:
    case_id: int
    kept: int
    cancelled: int
    transferred: int


def _v(code: str, message: str, message_zh: str, **data: Any) -> Violation:
    return Violation(code, message, message_zh, data)


def parse_decisions(
    proposed: Sequence[ProposedDecision],
    lines: Sequence[CaseLine],
    *,
    today: date,
    index: Callable[[Document], str],
) -> tuple[list[LineDecision], list[Violation]]:
    """Read what was entered: actions, and each receiver's document and name, validated the
    way a counter registration validates them. Returns the decisions that parsed and every
    problem found."""
    msisdns = {line.id: line.msisdn for line in lines}
    decisions: list[LineDecision] = []
    found: list[Violation] = []
    for item in proposed:
        msisdn = msisdns.get(item.line_id, str(item.line_id))
        try:
            action = LineAction(item.action)
        except ValueError:
            found.append(
                _v(
                    "OVER-LIMIT-ACTION",
                    f"Choose keep, cancel or transfer for {msisdn}.",
                    f"请为 {msisdn} 选择保留、销号或过户。",
                    line_id=item.line_id,
                )
            )
            continue
        receiver = None
        if action is LineAction.TRANSFER:
            try:
                receiver = _receiver(item, today, index)
            except DomainError as problem:
                found.append(
                    _v(
                        problem.code,
                        f"{msisdn}: {problem.message}",
                        f"{msisdn}：{problem.message_zh}",
                        line_id=item.line_id,
                    )
                )
                continue
        decisions.append(LineDecision(item.line_id, action, receiver))
    return decisions, found


def _receiver(item: ProposedDecision, today: date, index: Callable[[Document], str]) -> Receiver:
    if not item.receiver_doc_number.strip() or not item.receiver_name.strip():
        raise DomainError(
            "A transfer needs the receiver's document number and name.",
            code="OVER-LIMIT-RECEIVER",
            message_zh="过户须填写接收人的证件号码和姓名。",
        )
    document = parse_document(item.receiver_doc_type, item.receiver_doc_number, today=today)
    name = validate_person_name(item.receiver_name)
    return Receiver(document, index(document), name)


def check_resolution(
    lines: Sequence[CaseLine],
    decisions: Iterable[LineDecision],
    *,
    case_doc_index: str,
    per_id_limit: int,
    refused_details: Collection[int] = (),
) -> list[Violation]:
    """Every reason the resolution cannot be applied: each line of the case decided once and
    only lines of the case, lines under review kept, no transfer to the same document or to a
    business licence, and at most ``per_id_limit`` lines kept (RN-14, the limit of RN-05).
    ``refused_details``: lines whose decision was given but refused for its details (a
    receiver's bad document), already reported, so not reported again as undecided."""
    decisions = list(decisions)
    by_id = {line.id: line for line in lines}
    found: list[Violation] = []
    counts = Counter(d.line_id for d in decisions)
    twice = sorted(by_id[i].msisdn for i, n in counts.items() if n > 1 and i in by_id)
    if twice:
        found.append(
            _v(
                "OVER-LIMIT-TWICE",
                "Each line takes one decision: " + ", ".join(twice) + ".",
                "每个号码只能有一个处理决定：" + "、".join(twice) + "。",
                msisdns=twice,
            )
        )
    foreign = sorted(i for i in counts if i not in by_id)
    if foreign:
        found.append(
            _v(
                "OVER-LIMIT-UNKNOWN-LINE",
                "Some decisions name lines this document does not hold.",
                "部分处理决定所指号码不属于该证件。",
                line_ids=foreign,
            )
        )
    undecided = sorted(
        line.msisdn for line in lines if line.id not in counts and line.id not in refused_details
    )
    if undecided:
        found.append(
            _v(
                "OVER-LIMIT-UNDECIDED",
                "Decide every line of the document; still open: " + ", ".join(undecided) + ".",
                "须对该证件下每个号码作出处理决定，尚未处理：" + "、".join(undecided) + "。",
                msisdns=undecided,
            )
        )
    for decision in decisions:
        line = by_id.get(decision.line_id)
        if line is None:
            continue
        if decision.action is not LineAction.KEEP and line.under_review:
            found.append(
                _v(
                    "OVER-LIMIT-UNDER-REVIEW",
                    f"{line.msisdn} waits for review; it can only be kept for now.",
                    f"{line.msisdn} 正在等待审核，目前只能保留。",
                    msisdn=line.msisdn,
                )
            )
        receiver = decision.receiver
        if decision.action is LineAction.TRANSFER and receiver is not None:
            if not receiver.document.type.is_personal:
                found.append(
                    _v(
                        "RN-12",
                        f"{line.msisdn}: a line is transferred to its actual user's personal "
                        "document, not to a business licence.",
                        f"{line.msisdn}：号码须过户到实际使用人的个人证件，不能过户到营业执照。",
                        msisdn=line.msisdn,
                    )
                )
            elif receiver.doc_index == case_doc_index:
                found.append(
                    _v(
                        "OVER-LIMIT-SELF",
                        f"{line.msisdn}: the receiver is the same document; choose keep instead.",
                        f"{line.msisdn}：接收人与原证件相同，请选择保留。",
                        msisdn=line.msisdn,
                    )
                )
    kept = sum(1 for d in decisions if d.action is LineAction.KEEP and d.line_id in by_id)
    if kept > per_id_limit:
        found.append(
            _v(
                "RN-14",
                f"At most {per_id_limit} lines may stay with one document; {kept} are kept.",
                f"一证不超过 {per_id_limit} 个号码，当前保留 {kept} 个。",
                kept=kept,
                per_id_limit=per_id_limit,
            )
        )
    return found
