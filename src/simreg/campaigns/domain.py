"""Re-registration campaigns (RN-13): which legacy lines are asked, by which message, and when
the next step (an outbound call, then a staged suspension) comes due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from simreg.core.errors import InvalidInput
from simreg.lines.domain import LineKind, LineState


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # targets can be previewed; nothing has been sent
    RUNNING = "running"
    CLOSED = "closed"

    @property
    def label_zh(self) -> str:
        return {"draft": "草稿", "running": "进行中", "closed": "已结束"}[self.value]


IN_SERVICE = (LineState.ACTIVE, LineState.SUSPENDED_ONE_WAY, LineState.SUSPENDED_TWO_WAY)
PLACEHOLDERS = frozenset({"link", "deadline"})
MAX_TEMPLATE = 300  # characters; longer texts cost several concatenated SMS each
DEFAULT_TEMPLATE_ZH = (
    "【实名补登】尊敬的用户，根据国家实名制要求，您的号码需补充登记本人身份信息。"
    "请在{deadline}前点击 {link} 上传身份证完成补登，逾期将依规暂停服务。"
)


@dataclass(frozen=True)
class TargetFilters:
    """Which legacy-unverified lines a campaign asks to re-register."""

    org_unit_id: int | None = None  # the unit and every unit below it
    channel_id: int | None = None
    line_kind: LineKind | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    line_states: tuple[LineState, ...] = (LineState.ACTIVE,)

    def to_json(self) -> dict[str, Any]:
        return {
            "org_unit_id": self.org_unit_id,
            "channel_id": self.channel_id,
            "line_kind": self.line_kind.value if self.line_kind else None,
            "opened_from": self.opened_from.isoformat() if self.opened_from else None,
            "opened_to": self.opened_to.isoformat() if self.opened_to else None,
            "line_states": [s.value for s in self.line_states],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TargetFilters:
        return cls(
            org_unit_id=data.get("org_unit_id"),
            channel_id=data.get("channel_id"),
            line_kind=LineKind(data["line_kind"]) if data.get("line_kind") else None,
            opened_from=date.fromisoformat(data["opened_from"])
            if data.get("opened_from")
            else None,
            opened_to=date.fromisoformat(data["opened_to"]) if data.get("opened_to") else None,
            line_states=tuple(LineState(s) for s in data.get("line_states") or ["active"]),
        )


def parse_filters(
    *,
    org_unit_id: int | None = None,
    channel_id: int | None = None,
    line_kind: str | None = None,
    opened_from: str | date | None = None,
    opened_to: str | date | None = None,
    line_states: list[str] | tuple[str, ...] | None = None,
) -> TargetFilters:
    kind = None
    if line_kind:
        try:
            kind = LineKind(line_kind)
        except ValueError as exc:
            raise _invalid(
                "CAMPAIGN-FILTER",
                "Line kind must be voice or data.",
                "号码类型须为 voice 或 data。",
            ) from exc
    start, end = _date(opened_from), _date(opened_to)
    if start and end and start > end:
        raise _invalid(
            "CAMPAIGN-FILTER",
            "The opening-date range ends before it starts.",
            "开户日期范围的结束早于开始。",
        )
    states: list[LineState] = []
    for raw in line_states or ["active"]:
        try:
            state = LineState(raw)
        except ValueError as exc:
            raise _invalid(
                "CAMPAIGN-FILTER", f"Unknown line state '{raw}'.", "未知的号码状态。"
            ) from exc
        if state not in IN_SERVICE:
            raise _invalid(
                "CAMPAIGN-FILTER",
                "Only lines in service (active or suspended) can be asked to re-register.",
                "只能对在网号码（正常或停机）发起补登。",
            )
        if state not in states:
            states.append(state)
    return TargetFilters(org_unit_id, channel_id, kind, start, end, tuple(states))


def _date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _invalid(
            "CAMPAIGN-FILTER", "Dates are written YYYY-MM-DD.", "日期格式须为 YYYY-MM-DD。"
        ) from exc


@dataclass(frozen=True)
class CampaignPlan:
    name: str
    filters: TargetFilters
    sms_template: str
    call_after_days: int = 7
    link_valid_days: int = 30
    deadline: date | None = None
    two_way_after_days: int | None = None


def validate_plan(plan: CampaignPlan, today: date) -> CampaignPlan:
    """Every problem with a plan is a clear refusal before anything is written."""
    name = " ".join(plan.name.split())
    if not name or len(name) > 200:
        raise _invalid(
            "CAMPAIGN-NAME",
            "Give the campaign a name (up to 200 characters).",
            "请填写活动名称（不超过 200 字）。",
        )
    template = validate_template(plan.sms_template)
    # 0 calls whoever has not re-registered as soon as the SMS has gone out.
    if not 0 <= plan.call_after_days <= 90:
        raise _invalid(
            "CAMPAIGN-CALL-AFTER",
            "Calls start 0 to 90 days after the SMS.",
            "外呼须在短信发出后 0 至 90 天内开始。",
        )
    if not 1 <= plan.link_valid_days <= 180:
        raise _invalid(
            "CAMPAIGN-LINK-DAYS", "Links stay valid 1 to 180 days.", "链接有效期须为 1 至 180 天。"
        )
    two_way = plan.two_way_after_days
    if plan.deadline is not None:
        earliest = today + timedelta(days=plan.call_after_days)
        if plan.deadline <= earliest:
            raise _invalid(
                "CAMPAIGN-DEADLINE",
                f"The deadline must leave time for the SMS and the calls (after {earliest}).",
                f"截止日期须晚于短信与外呼所需时间（{earliest} 之后）。",
            )
        two_way = 15 if two_way is None else two_way
        if not 1 <= two_way <= 180:
            raise _invalid(
                "CAMPAIGN-TWO-WAY",
                "Two-way suspension follows one-way suspension by 1 to 180 days.",
                "双停须在单停后 1 至 180 天内。",
            )
    else:
        two_way = None
    if "{deadline}" in template and plan.deadline is None:
        raise _invalid(
            "CAMPAIGN-TEMPLATE",
            "The message mentions {deadline} but the campaign has none.",
            "短信模板包含 {deadline}，但活动未设截止日期。",
        )
    return CampaignPlan(
        name,
        plan.filters,
        template,
        plan.call_after_days,
        plan.link_valid_days,
        plan.deadline,
        two_way,
    )


def validate_template(template: str) -> str:
    text = template.strip()
    used = set(re.findall(r"\{(\w*)\}", text))
    if "link" not in used:
        raise _invalid(
            "CAMPAIGN-TEMPLATE",
            "The message must carry the personal link: write {link} where it goes.",
            "短信模板须包含个人补登链接 {link}。",
        )
    unknown = sorted(used - PLACEHOLDERS)
    if unknown:
        raise _invalid(
            "CAMPAIGN-TEMPLATE",
            "Unknown placeholder(s): " + ", ".join("{" + u + "}" for u in unknown) + ".",
            "短信模板含未知占位符。",
        )
    if len(text) > MAX_TEMPLATE:
        raise _invalid(
            "CAMPAIGN-TEMPLATE",
            f"The message is longer than {MAX_TEMPLATE} characters.",
            f"短信模板超过 {MAX_TEMPLATE} 字。",
        )
    return text


def message_body(template: str, deadline: date | None) -> str:
    """The stored body: the deadline filled in, the personal link left for the sender."""
    return template.replace("{deadline}", deadline.isoformat() if deadline else "")


def _invalid(code: str, message: str, message_zh: str) -> InvalidInput:
    return InvalidInput(message, code=code, message_zh=message_zh)


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    status: CampaignStatus
    filters: TargetFilters
    sms_template: str
    call_after_days: int
    link_valid_days: int
    deadline: date | None
    two_way_after_days: int | None

    def one_way_due(self, local_today: date) -> bool:
        """Lines still unregistered go one-way suspended the day after the deadline."""
        return self.deadline is not None and local_today > self.deadline

    def two_way_due(self, local_today: date) -> bool:
        return (
            self.deadline is not None
            and self.two_way_after_days is not None
            and local_today > self.deadline + timedelta(days=self.two_way_after_days)
        )
