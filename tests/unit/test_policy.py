"""The RN rules a clerk meets at the counter: every broken rule is named at once, in English
and Chinese, so one correction pass is enough."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from stdnum.cn import ric, uscc

from simreg.channels.domain import Channel, ChannelKind, ChannelStatus, Device, Outlet
from simreg.core.errors import Violation
from simreg.identity.documents import Document, DocumentType, parse_document
from simreg.policy.rules import (
    InspectionMethod,
    PhotoKind,
    RegistrationRequest,
    activation_refusal,
    evaluate_registration,
)
from simreg.registration.domain import RegistrationState

TODAY = date(2024, 6, 1)
RESIDENT_ID = "11010519491231002X"  # GB 11643-1999's own example
CJK = re.compile(r"[\u4e00-\u9fff]")

BOTH_SIDES = frozenset({PhotoKind.FRONT, PhotoKind.BACK})


def with_check(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def business_licence_number() -> str:
    first17 = "91110000600037341"
    return first17 + uscc.calc_check_digit(first17 + "0")


def document(doc_type: DocumentType, number: str) -> Document:
    return parse_document(doc_type, number, today=TODAY)


DOCUMENTS: dict[DocumentType, str] = {
    DocumentType.RESIDENT_ID: RESIDENT_ID,
    DocumentType.TEMPORARY_RESIDENT_ID: RESIDENT_ID,
    DocumentType.PASSPORT: "E12345678",
    DocumentType.HOME_RETURN_PERMIT: "H12345678",
    DocumentType.TAIWAN_PERMIT: "12345678",
    DocumentType.HMT_RESIDENCE_PERMIT: with_check("81000019900101123"),
    DocumentType.FOREIGN_PERMANENT_RESIDENT_ID: with_check("93100019800101123"),
    DocumentType.BUSINESS_LICENCE: business_licence_number(),
}


def doc_of(doc_type: DocumentType) -> Document:
    return document(doc_type, DOCUMENTS[doc_type])


def channel(
    kind: ChannelKind = ChannelKind.SOCIAL,
    status: ChannelStatus = ChannelStatus.ACTIVE,
    parent: int | None = None,
) -> Channel:
    return Channel(
        id=1, code="SZ-001", name="Reseller", kind=kind, status=status, parent_channel_id=parent
    )


OUTLET = Outlet(id=10, channel_id=1, code="SZ-001-A", name="Counter A", active=True)
DEVICE = Device(id=100, outlet_id=10, serial="APP-0001", active=True)


def request(**changes: Any) -> RegistrationRequest:
    """A social-channel registration that passes every rule; tests break one thing at a time."""
    valid = RegistrationRequest(
        channel=channel(),
        outlet=OUTLET,
        device=DEVICE,
        document=doc_of(DocumentType.RESIDENT_ID),
        document_problem=None,
        original_inspected=True,
        inspection_method=InspectionMethod.CHIP_READER,
        photos=BOTH_SIDES,
        held_lines=0,
        per_id_limit=5,
    )
    return replace(valid, **changes)


def codes(violations: list[Violation]) -> list[str]:
    return [v.code for v in violations]


def only(violations: list[Violation], code: str) -> Violation:
    assert codes(violations) == [code], violations
    return violations[0]


def test_a_clean_social_channel_registration_passes_every_rule() -> None:
    assert evaluate_registration(request()) == []


def test_every_violation_is_reported_not_only_the_first() -> None:
    violations = evaluate_registration(
        request(
            channel=channel(parent=7),
            device=None,
            document=doc_of(DocumentType.PASSPORT),
            original_inspected=False,
            inspection_method=None,
            photos=frozenset(),
        )
    )
    assert {"RN-08", "RN-09", "RN-07", "RN-02", "RN-03"} <= set(codes(violations))
    assert len(violations) == 5


# --- RN-02: the original document is inspected, and how is recorded


@pytest.mark.parametrize(
    ("inspected", "method"),
    [
        (False, InspectionMethod.CHIP_READER),
        (False, None),
        (True, None),
    ],
)
def test_rn02_refuses_an_uninspected_document_or_one_without_a_method(
    inspected: bool, method: InspectionMethod | None
) -> None:
    only(
        evaluate_registration(request(original_inspected=inspected, inspection_method=method)),
        "RN-02",
    )


@pytest.mark.parametrize("method", list(InspectionMethod))
def test_rn02_accepts_either_inspection_method(method: InspectionMethod) -> None:
    assert evaluate_registration(request(inspection_method=method)) == []


# --- RN-03: the document is photographed for central review


@pytest.mark.parametrize(
    ("photos", "missing", "missing_zh"),
    [
        (frozenset(), ["front", "back"], ["证件正面", "证件背面"]),
        (frozenset({PhotoKind.FRONT}), ["back"], ["证件背面"]),
        (frozenset({PhotoKind.BACK, PhotoKind.PORTRAIT}), ["front"], ["证件正面"]),
    ],
)
def test_rn03_names_every_missing_side_of_a_resident_id(
    photos: frozenset[PhotoKind], missing: list[str], missing_zh: list[str]
) -> None:
    violation = only(evaluate_registration(request(photos=photos)), "RN-03")
    assert violation.data["missing"] == missing
    assert violation.message.endswith(", ".join(f"document {side}" for side in missing) + ".")
    assert violation.message_zh.endswith("、".join(missing_zh) + "。")


def test_rn03_is_said_with_the_number_refused_so_the_clerk_sends_once_more_not_twice() -> None:
    """The type chosen says which photos are needed even when its number is wrong."""
    problem = Violation("DOC-CHECKSUM", "bad check character", "校验码错误", {})
    found = evaluate_registration(
        request(
            document=None,
            document_problem=problem,
            document_type=DocumentType.RESIDENT_ID,
            photos=frozenset(),
        )
    )
    assert [v.code for v in found] == ["RN-04", "RN-03"]


def test_rn03_a_passport_needs_only_its_front_page() -> None:
    own = channel(ChannelKind.OWN)
    passport = doc_of(DocumentType.PASSPORT)
    front = frozenset({PhotoKind.FRONT})
    assert evaluate_registration(request(channel=own, document=passport, photos=front)) == []
    violation = only(
        evaluate_registration(request(channel=own, document=passport, photos=frozenset())),
        "RN-03",
    )
    assert violation.data["missing"] == ["front"]


@pytest.mark.parametrize(
    "doc_type",
    [
        DocumentType.TEMPORARY_RESIDENT_ID,
        DocumentType.HOME_RETURN_PERMIT,
        DocumentType.TAIWAN_PERMIT,
        DocumentType.HMT_RESIDENCE_PERMIT,
        DocumentType.FOREIGN_PERMANENT_RESIDENT_ID,
    ],
)
def test_rn03_card_shaped_documents_need_their_back_too(doc_type: DocumentType) -> None:
    violation = only(
        evaluate_registration(
            request(
                channel=channel(ChannelKind.OWN),
                document=doc_of(doc_type),
                photos=frozenset({PhotoKind.FRONT}),
            )
        ),
        "RN-03",
    )
    assert violation.data["missing"] == ["back"]


# --- RN-04: no valid document, no sale


def test_rn04_an_invalid_document_is_refused_with_its_reason() -> None:
    problem = Violation(
        code="DOC-CHECKSUM",
        message="The check character does not match.",
        message_zh="校验码不符。",
    )
    violation = only(
        evaluate_registration(request(document=None, document_problem=problem)), "RN-04"
    )
    assert violation.data["reason"] == "DOC-CHECKSUM"
    assert problem.message in violation.message
    assert problem.message_zh in violation.message_zh


def test_rn04_no_document_at_all_is_refused() -> None:
    violation = only(evaluate_registration(request(document=None, document_problem=None)), "RN-04")
    assert violation.data["reason"] == "DOC-EMPTY"


def test_rn04_without_a_document_the_per_id_limit_is_not_counted() -> None:
    violations = evaluate_registration(request(document=None, held_lines=99))
    assert "RN-05" not in codes(violations)


# --- RN-05: one document holds at most N lines


@pytest.mark.parametrize(
    ("held", "limit", "refused"),
    [
        (0, 5, False),
        (4, 5, False),
        (5, 5, True),
        (9, 5, True),
        (1, 2, False),
        (2, 2, True),
        (9, 10, False),
        (0, 1, False),
        (1, 1, True),
    ],
)
def test_rn05_per_id_limit(held: int, limit: int, refused: bool) -> None:
    violations = evaluate_registration(request(held_lines=held, per_id_limit=limit))
    if not refused:
        assert violations == []
        return
    violation = only(violations, "RN-05")
    assert violation.data == {"held_lines": held, "per_id_limit": limit}
    assert str(limit) in violation.message
    assert str(limit) in violation.message_zh


def test_rn05_is_skipped_when_enforcement_is_off() -> None:
    assert evaluate_registration(request(held_lines=5, enforce_per_id_limit=False)) == []


# --- RN-07: social channels accept only the 2nd-generation resident ID


@pytest.mark.parametrize(
    "doc_type",
    [
        DocumentType.PASSPORT,
        DocumentType.HOME_RETURN_PERMIT,
        DocumentType.TAIWAN_PERMIT,
        DocumentType.HMT_RESIDENCE_PERMIT,
        DocumentType.TEMPORARY_RESIDENT_ID,
        DocumentType.FOREIGN_PERMANENT_RESIDENT_ID,
    ],
)
def test_rn07_social_channel_refuses_other_documents_own_channel_accepts_them(
    doc_type: DocumentType,
) -> None:
    doc = doc_of(doc_type)
    violation = only(evaluate_registration(request(document=doc)), "RN-07")
    assert violation.data["document_type"] == doc_type.value
    assert doc_type.label_en in violation.message
    assert doc_type.label_zh in violation.message_zh

    at_own_hall = request(channel=channel(ChannelKind.OWN), device=None, document=doc)
    assert evaluate_registration(at_own_hall) == []


def test_rn07_social_channel_accepts_the_resident_id() -> None:
    assert evaluate_registration(request(document=doc_of(DocumentType.RESIDENT_ID))) == []


# --- RN-08: only admitted, active channels; no sub-agents


@pytest.mark.parametrize("status", [ChannelStatus.SUSPENDED, ChannelStatus.TERMINATED])
@pytest.mark.parametrize("kind", [ChannelKind.SOCIAL, ChannelKind.OWN])
def test_rn08_a_suspended_or_terminated_channel_may_not_register(
    kind: ChannelKind, status: ChannelStatus
) -> None:
    violation = only(evaluate_registration(request(channel=channel(kind, status))), "RN-08")
    assert violation.data["channel"] == "SZ-001"
    assert status.value in violation.message


def test_rn08_a_sub_agent_may_not_register() -> None:
    violation = only(evaluate_registration(request(channel=channel(parent=7))), "RN-08")
    assert "sub-agent" in violation.message
    assert "下级代理" in violation.message_zh


def test_rn08_an_inactive_outlet_may_not_register() -> None:
    closed = replace(OUTLET, active=False)
    violation = only(evaluate_registration(request(outlet=closed)), "RN-08")
    assert violation.data["outlet"] == OUTLET.code


def test_rn08_a_terminated_sub_agent_with_a_closed_outlet_gets_three_violations() -> None:
    violations = evaluate_registration(
        request(
            channel=channel(status=ChannelStatus.TERMINATED, parent=7),
            outlet=replace(OUTLET, active=False),
        )
    )
    assert codes(violations) == ["RN-08", "RN-08", "RN-08"]


# --- RN-09: social channels register through the app on an enrolled device


@pytest.mark.parametrize(
    "device",
    [
        None,
        replace(DEVICE, active=False),
        replace(DEVICE, outlet_id=OUTLET.id + 1),
    ],
    ids=["no device", "device withdrawn", "device of another outlet"],
)
def test_rn09_social_channel_needs_an_active_device_enrolled_at_this_outlet(
    device: Device | None,
) -> None:
    only(evaluate_registration(request(device=device)), "RN-09")


def test_rn09_own_channel_needs_no_device() -> None:
    assert evaluate_registration(request(channel=channel(ChannelKind.OWN), device=None)) == []


# --- RN-12: a business licence is not a personal document


@pytest.mark.parametrize("kind", [ChannelKind.OWN, ChannelKind.SOCIAL])
def test_rn12_a_business_licence_is_refused_as_a_personal_registration(
    kind: ChannelKind,
) -> None:
    licence = doc_of(DocumentType.BUSINESS_LICENCE)
    violation = only(
        evaluate_registration(
            request(channel=channel(kind), document=licence, photos=frozenset({PhotoKind.FRONT}))
        ),
        "RN-12",
    )
    assert violation.data["document_type"] == "business_licence"


# --- RN-06: no service before back-office approval


@pytest.mark.parametrize(
    "state", [s.value for s in RegistrationState if s is not RegistrationState.APPROVED]
)
def test_rn06_activation_is_refused_in_every_state_but_approved(state: str) -> None:
    refusal = activation_refusal(state)
    assert refusal is not None
    assert refusal.code == "RN-06"
    assert refusal.data == {"state": state}


def test_rn06_an_approved_registration_may_open() -> None:
    assert activation_refusal("approved") is None


# --- messages


def every_kind_of_violation() -> list[Violation]:
    own = channel(ChannelKind.OWN)
    problem = Violation(code="DOC-DATE", message="Bad date.", message_zh="日期无效。")
    requests = [
        request(original_inspected=False),
        request(photos=frozenset()),
        request(document=None, document_problem=problem),
        request(document=None),
        request(held_lines=5),
        request(document=doc_of(DocumentType.PASSPORT)),
        request(channel=channel(status=ChannelStatus.SUSPENDED)),
        request(channel=channel(status=ChannelStatus.TERMINATED)),
        request(channel=channel(parent=7)),
        request(outlet=replace(OUTLET, active=False)),
        request(device=None),
        request(device=replace(DEVICE, active=False)),
        request(channel=own, document=doc_of(DocumentType.BUSINESS_LICENCE)),
    ]
    found = [v for r in requests for v in evaluate_registration(r)]
    refusals = [activation_refusal(s.value) for s in RegistrationState]
    found += [r for r in refusals if r is not None]
    return found


def test_every_rule_is_exercised_by_the_message_check() -> None:
    assert set(codes(every_kind_of_violation())) == {
        "RN-02",
        "RN-03",
        "RN-04",
        "RN-05",
        "RN-06",
        "RN-07",
        "RN-08",
        "RN-09",
        "RN-12",
    }


@pytest.mark.parametrize("violation", every_kind_of_violation(), ids=lambda v: v.code)
def test_every_violation_speaks_english_and_chinese(violation: Violation) -> None:
    assert violation.message.strip()
    assert not CJK.search(violation.message), violation.message
    assert CJK.search(violation.message_zh), violation.message_zh


def test_messages_never_carry_the_document_number() -> None:
    for violation in every_kind_of_violation():
        assert RESIDENT_ID not in violation.message
        assert RESIDENT_ID not in violation.message_zh
        assert RESIDENT_ID not in str(violation.data)
