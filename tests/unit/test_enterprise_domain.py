"""Group customers' rules without a database: the credit code as people type it, when an
enterprise may act, how long an unanswered check waits, and how a roster file is read."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import uscc

from simreg.core.errors import Conflict, InvalidInput, RuleViolated
from simreg.customers.domain import (
    Agreement,
    Enterprise,
    EnterpriseStatus,
    move,
    next_check_delay,
    parse_credit_code,
)
from simreg.customers.roster import read_roster, reject_report_csv

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    "typed",
    [
        "91110000600037341L",
        "91110000600037341l",
        "９１１１００００６０００３７３４１Ｌ",
        "9111 0000-6000 3734 1L",
    ],
)
def test_a_credit_code_is_normalised_then_validated(typed: str) -> None:
    assert parse_credit_code(typed) == "91110000600037341L"


@pytest.mark.parametrize(
    "body",
    ["Y14403007MA5FXXXX", "N2440300MA5FXXXXX"[:17], "A1110000MA5FXXXXX"[:17]],
)
def test_registrars_and_kinds_written_as_letters_are_valid(body: str) -> None:
    # GB 32100: "Y" (other registrars), "N" (farmers' cooperatives), "A" ... in place 1 or 2.
    code = body + uscc.calc_check_digit(body)
    assert parse_credit_code(code.lower()) == code
    wrong = body + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as refused:
        parse_credit_code(wrong)
    assert refused.value.code == "USCC-CHECKSUM"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "USCC-EMPTY"),
        ("9111000060003734", "USCC-LENGTH"),
        ("91110000600037341A", "USCC-CHECKSUM"),
        ("9111000O600037341L", "USCC-FORMAT"),
        ("91110000I00037341L", "USCC-FORMAT"),
        ("Y1AB0300MA5FXXXXG", "USCC-LENGTH"),
        ("Y1AB0300MA5FXXXXXG", "USCC-FORMAT"),  # the region code is digits
    ],
)
def test_a_bad_credit_code_says_why(typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_credit_code(typed)
    assert refused.value.code == code
    assert refused.value.message_zh


def _enterprise(
    status: EnterpriseStatus = EnterpriseStatus.DRAFT,
    agreement: Agreement | None = Agreement("JT-1", date(2026, 1, 1), date(2027, 1, 1)),
    agent_matched: bool = True,
) -> Enterprise:
    return Enterprise(1, "X", "91110000600037341L", status, agreement, agent_matched)


def test_activation_needs_an_agreement_in_force_and_a_matched_agent() -> None:
    assert move(_enterprise(), "activate", TODAY) is EnterpriseStatus.ACTIVE
    with pytest.raises(RuleViolated) as both:
        move(_enterprise(agreement=None, agent_matched=False), "activate", TODAY)
    assert [v.code for v in both.value.violations] == ["RN-12", "RN-12"]
    expired = Agreement("JT-1", date(2025, 1, 1), date(2026, 1, 1))
    with pytest.raises(RuleViolated):
        move(_enterprise(agreement=expired), "activate", TODAY)
    # A suspended customer comes back only with its obligations still met.
    with pytest.raises(RuleViolated):
        move(_enterprise(EnterpriseStatus.SUSPENDED, agent_matched=False), "reinstate", TODAY)
    with pytest.raises(Conflict):
        move(_enterprise(EnterpriseStatus.TERMINATED), "reinstate", TODAY)


def test_an_unanswered_check_waits_longer_each_time_up_to_an_hour() -> None:
    assert [next_check_delay(60, n) for n in range(4)] == [60, 120, 240, 480]
    assert next_check_delay(60, 50) == 3600


def test_a_roster_keeps_every_line_number_and_reports_duplicates() -> None:
    rows = list(
        read_roster(
            [
                {"号码": "13800000001", "证件类型": "居民身份证", "证件号码": "x", "姓名": "王一"},
                {"号码": "13800000001", "证件类型": "", "证件号码": "y", "姓名": "王二"},
                {"号码": "13800000002", "证件类型": "", "证件号码": "", "姓名": "王三"},
            ]
        )
    )
    assert [(r.line, r.doc_type) for r in rows] == [
        (2, "resident_id"),
        (3, "resident_id"),
        (4, "resident_id"),
    ]
    assert rows[0].problem is None
    assert rows[1].problem is not None and rows[1].problem.code == "ROSTER-DUPLICATE"
    assert rows[2].problem is not None and rows[2].problem.code == "ROSTER-FIELDS"
    assert "王一" not in repr(rows[0])
    with pytest.raises(InvalidInput) as columns:
        list(read_roster([{"msisdn": "1", "name": "x"}]))
    assert columns.value.code == "ROSTER-COLUMNS"


def test_the_reject_report_never_hands_a_spreadsheet_a_formula() -> None:
    text = reject_report_csv([[2, "=HYPERLINK(1)", "LINE-BAD", "Bad", "坏"]])
    assert text.splitlines() == ["line,msisdn,code,reason", "2,'=HYPERLINK(1),LINE-BAD,Bad"]
