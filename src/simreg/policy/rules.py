"""RN-01..RN-09 for a registration, as pure functions.

Each check returns every violation it finds, not the first, so a clerk fixes everything in
one go. Codes are the rule numbers of the domain brief; messages exist in English and Chinese.
The atomic part of RN-05 lives in the database (a conditional increment); the check here
gives the clerk an early, explained refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from simreg.channels.domain import Channel, ChannelKind, ChannelStatus, Device, Outlet
from simreg.core.errors import Violation
from simreg.identity.documents import Document, DocumentType


class InspectionMethod(StrEnum):
    """How the clerk inspected the original document (RN-02)."""

    CHIP_READER = "chip_reader"  # 二代证读卡器
    VISUAL = "visual"  # 目视查验


class PhotoKind(StrEnum):
    FRONT = "front"
    BACK = "back"
    PORTRAIT = "portrait"


# Card-shaped documents have a back side that carries validity dates and the issuing office.
_TWO_SIDED = frozenset(
    {
        DocumentType.RESIDENT_ID,
        DocumentType.TEMPORARY_RESIDENT_ID,
        DocumentType.HOME_RETURN_PERMIT,
        DocumentType.TAIWAN_PERMIT,
        DocumentType.HMT_RESIDENCE_PERMIT,
        DocumentType.FOREIGN_PERMANENT_RESIDENT_ID,
    }
)


def required_photos(doc_type: DocumentType) -> frozenset[PhotoKind]:
    if doc_type in _TWO_SIDED:
        return frozenset({PhotoKind.FRONT, PhotoKind.BACK})
    return frozenset({PhotoKind.FRONT})


@dataclass(frozen=True)
class RegistrationRequest:
    """Everything the rules need to judge one submission, already loaded."""

    channel: Channel
    outlet: Outlet
    device: Device | None
    document: Document | None  # None when the number failed validation
    document_problem: Violation | None
    original_inspected: bool
    inspection_method: InspectionMethod | None
    photos: frozenset[PhotoKind]
    held_lines: int
    per_id_limit: int
    enforce_per_id_limit: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    # The type chosen, known even when the number failed: which photos it needs is said in
    # the same refusal, not in a second one after the number is fixed.
    document_type: DocumentType | None = None


def _v(code: str, en: str, zh: str, **data: object) -> Violation:
    return Violation(code=code, message=en, message_zh=zh, data=dict(data))


def check_channel(channel: Channel, outlet: Outlet, device: Device | None) -> list[Violation]:
    """RN-08 (admitted, active, no sub-agents); RN-09 (social channels use an enrolled device,
    and no outlet uses another's)."""
    found: list[Violation] = []
    if channel.status is not ChannelStatus.ACTIVE:
        found.append(
            _v(
                "RN-08",
                f"Channel {channel.code} is {channel.status.value}; only admitted, active "
                "channels may register customers.",
                f"渠道 {channel.code} 状态为{channel.status.label_zh}，"
                "只有准入且有效的渠道可以办理入网。",
                channel=channel.code,
            )
        )
    if channel.kind is ChannelKind.SOCIAL and channel.is_sub_agent:
        found.append(
            _v(
                "RN-08",
                f"Channel {channel.code} is a sub-agent of another reseller; sub-agents may not "
                "register customers.",
                f"渠道 {channel.code} 为下级代理，严禁发展下级代理办理入网。",
                channel=channel.code,
            )
        )
    if not outlet.active:
        found.append(
            _v(
                "RN-08",
                f"Outlet {outlet.code} is closed for registrations.",
                f"网点 {outlet.code} 已停止办理入网。",
                outlet=outlet.code,
            )
        )
    if channel.kind is ChannelKind.SOCIAL and device is None:
        found.append(
            _v(
                "RN-09",
                "Social-channel registrations must come through the unified real-name app "
                "on an enrolled device.",
                "社会渠道必须通过已登记设备上的统一实名制APP办理入网。",
            )
        )
    # At any channel: a device another outlet enrolled would credit that outlet's app figures
    # and risk ranking with registrations it never made.
    if device is not None and (not device.active or device.outlet_id != outlet.id):
        found.append(
            _v(
                "RN-09",
                f"Device {device.serial} is not enrolled at outlet {outlet.code}.",
                f"设备 {device.serial} 未在网点 {outlet.code} 登记。",
                device=device.serial,
            )
        )
    return found


def check_document(
    channel: Channel, document: Document | None, problem: Violation | None
) -> list[Violation]:
    """RN-04 (no valid document, no sale), RN-07 (social channels: 2nd-gen resident ID only),
    and RN-12 (a business licence is not a personal document)."""
    if document is None:
        data = problem.as_dict() if problem else {}
        return [
            _v(
                "RN-04",
                "No valid identity document: "
                + (problem.message if problem else "none was presented."),
                "无有效证件，严禁办理：" + (problem.message_zh if problem else "未出示证件。"),
                reason=data.get("code", "DOC-EMPTY"),
            )
        ]
    found: list[Violation] = []
    if not document.type.is_personal:
        found.append(
            _v(
                "RN-12",
                "A business licence opens an enterprise account; each card must be registered "
                "to its actual user's personal document.",
                "营业执照用于集团客户开户，每张卡须登记实际使用人的个人证件。",
                document_type=document.type.value,
            )
        )
    elif channel.kind is ChannelKind.SOCIAL and not document.type.is_second_generation_resident_id:
        found.append(
            _v(
                "RN-07",
                f"Social channels accept only the 2nd-generation resident ID card; a "
                f"{document.type.label_en} must be registered at an operator-run hall.",
                f"社会渠道只允许使用二代身份证，{document.type.label_zh}须到自有营业厅办理。",
                document_type=document.type.value,
            )
        )
    return found


def check_inspection(
    original_inspected: bool,
    method: InspectionMethod | None,
    photos: Iterable[PhotoKind],
    document_type: DocumentType | None,
) -> list[Violation]:
    """RN-02 (original inspected, method recorded) and RN-03 (document photographed)."""
    found: list[Violation] = []
    if not original_inspected or method is None:
        found.append(
            _v(
                "RN-02",
                "The clerk must inspect the customer's original document and record how "
                "(chip reader or visual check).",
                "营业员必须查验客户出示的证件原件，并记录查验方式（读卡器或目视）。",
            )
        )
    if document_type is not None:
        needed = required_photos(document_type) - set(photos)
        missing = [kind for kind in PhotoKind if kind in needed]  # front before back
        if missing:
            found.append(
                _v(
                    "RN-03",
                    "The document must be photographed for central review; missing: "
                    + ", ".join(_PHOTO_EN[m] for m in missing)
                    + ".",
                    "证件须拍照上传集中审核，缺少："
                    + "、".join(_PHOTO_ZH[m] for m in missing)
                    + "。",
                    missing=[m.value for m in missing],
                )
            )
    return found


_PHOTO_EN = {
    PhotoKind.FRONT: "document front",
    PhotoKind.BACK: "document back",
    PhotoKind.PORTRAIT: "customer portrait",
}
_PHOTO_ZH = {
    PhotoKind.FRONT: "证件正面",
    PhotoKind.BACK: "证件背面",
    PhotoKind.PORTRAIT: "客户人像",
}


def check_per_id_limit(held_lines: int, per_id_limit: int) -> list[Violation]:
    """RN-05: one personal document holds at most ``per_id_limit`` lines, pending ones included."""
    if held_lines + 1 > per_id_limit:
        return [per_id_limit_violation(held_lines, per_id_limit)]
    return []


def per_id_limit_violation(held_lines: int, per_id_limit: int) -> Violation:
    return _v(
        "RN-05",
        f"This document already holds {held_lines} lines (pending review included); "
        f"the limit is {per_id_limit} per document.",
        f"该证件已登记 {held_lines} 个号码（含待审核），一证不超过 {per_id_limit} 个号码。",
        held_lines=held_lines,
        per_id_limit=per_id_limit,
    )


def evaluate_registration(request: RegistrationRequest) -> list[Violation]:
    """Every rule a new registration must pass before it may wait for review (RN-01..RN-09)."""
    violations = check_channel(request.channel, request.outlet, request.device)
    violations += check_document(request.channel, request.document, request.document_problem)
    document_type = request.document.type if request.document else request.document_type
    violations += check_inspection(
        request.original_inspected, request.inspection_method, request.photos, document_type
    )
    if request.document is not None and request.enforce_per_id_limit:
        violations += check_per_id_limit(request.held_lines, request.per_id_limit)
    return violations


def activation_refusal(state: str) -> Violation | None:
    """RN-06 / RN-01: service opens only for a registration the back-office approved."""
    if state == "approved":
        return None
    return _v(
        "RN-06",
        f"Service cannot open: the registration is {state.replace('_', ' ')}, not approved by "
        "the back-office.",
        "未经后台集中审核通过，严禁开通。",
        state=state,
    )
