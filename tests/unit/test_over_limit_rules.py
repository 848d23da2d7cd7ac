"""RN-14 decision rules: what a resolution must satisfy, every problem reported at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from simreg.core.errors import Violation
from simreg.identity.documents import Document
from simreg.legacy.over_limit import (
    CaseLine,
    LineAction,
    LineDecision,
    ProposedDecision,
    check_resolution,
    parse_decisions,
)

TODAY = date(2026, 11, 2)
CASE_INDEX = "case-document"


def lines(n: int, **states: str) -> list[CaseLine]:
    return [
        CaseLine(i, f"1390000000{i}", states.get(f"l{i}", "active"), "verified") for i in range(n)
    ]


def index(document: Document) -> str:
    return f"{document.type.value}:{document.number}"


def codes(found: Sequence[Violation]) -> list[str]:
    return [v.code for v in found]


def keep(*ids: int) -> list[LineDecision]:
    return [LineDecision(i, LineAction.KEEP) for i in ids]


def test_keeping_the_limit_and_cancelling_the_rest_passes() -> None:
    decisions = [*keep(0, 1, 2, 3, 4), LineDecision(5, LineAction.CANCEL)]
    assert check_resolution(lines(6), decisions, case_doc_index=CASE_INDEX, per_id_limit=5) == []


def test_keeping_more_than_the_limit_is_rn14() -> None:
    found = check_resolution(
        lines(6), keep(0, 1, 2, 3, 4, 5), case_doc_index=CASE_INDEX, per_id_limit=5
    )
    assert codes(found) == ["RN-14"]
    assert found[0].data == {"kept": 6, "per_id_limit": 5}


def test_every_problem_at_once() -> None:
    decisions = [*keep(0, 0, 9), LineDecision(1, LineAction.CANCEL)]
    found = check_resolution(
        lines(4, l1="pending_review"), decisions, case_doc_index=CASE_INDEX, per_id_limit=1
    )
    assert codes(found) == [
        "OVER-LIMIT-TWICE",
        "OVER-LIMIT-UNKNOWN-LINE",
        "OVER-LIMIT-UNDECIDED",
        "OVER-LIMIT-UNDER-REVIEW",
        "RN-14",
    ]
    undecided = found[2]
    assert undecided.data["msisdns"] == ["13900000002", "13900000003"]


def test_a_reverification_in_review_can_only_be_kept() -> None:
    line = CaseLine(0, "13900000000", "active", "reverification_pending")
    assert line.under_review
    found = check_resolution(
        [line],
        [LineDecision(0, LineAction.CANCEL)],
        case_doc_index=CASE_INDEX,
        per_id_limit=5,
    )
    assert codes(found) == ["OVER-LIMIT-UNDER-REVIEW"]


def test_receivers_are_parsed_and_checked() -> None:
    proposed = [
        ProposedDecision(0, "transfer", "resident_id", "110105 19491231 002x", " 张 三 "),
        ProposedDecision(1, "transfer", "resident_id", "110105194912310021", "李四"),
        ProposedDecision(2, "transfer", "resident_id", "", ""),
        ProposedDecision(3, "transfer", "resident_id", "11010519491231002X", "王5"),
        ProposedDecision(4, "give away"),
        ProposedDecision(5, "keep"),
    ]
    decisions, found = parse_decisions(proposed, lines(6), today=TODAY, index=index)
    assert codes(found) == [
        "DOC-CHECKSUM",
        "OVER-LIMIT-RECEIVER",
        "NAME-INVALID",
        "OVER-LIMIT-ACTION",
    ]
    assert found[0].message.startswith("13900000001: ")
    first = decisions[0]
    assert first.receiver is not None
    assert first.receiver.document.number == "11010519491231002X"
    assert first.receiver.name == "张 三"
    assert first.receiver.shown() == {
        "doc_type": "resident_id",
        "doc_masked": "1101**********002X",
        "name_masked": "张 *",
    }
    assert "11010519491231002X" not in repr(first.receiver)


def test_no_transfer_to_the_same_document_or_a_business_licence() -> None:
    proposed = [
        ProposedDecision(0, "transfer", "resident_id", "11010519491231002X", "张三"),
        ProposedDecision(1, "transfer", "business_licence", "91350100M000100Y43", "某公司"),
    ]
    decisions, found = parse_decisions(proposed, lines(2), today=TODAY, index=index)
    assert found == []
    problems = check_resolution(
        lines(2),
        decisions,
        case_doc_index="resident_id:11010519491231002X",
        per_id_limit=5,
    )
    assert codes(problems) == ["OVER-LIMIT-SELF", "RN-12"]
