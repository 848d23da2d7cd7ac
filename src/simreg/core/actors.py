"""Who is asking: a staff member, with the role and outlet they act under."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from simreg.core.errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"  # 后台审核
    CLERK = "clerk"  # 营业员, bound to one outlet
    CHANNEL_MANAGER = "channel_manager"
    CALL_CENTRE = "call_centre"
    RISK_ANALYST = "risk_analyst"
    AUDITOR = "auditor"  # read-only
    ACCOUNT_MANAGER = "account_manager"  # 集团客户经理: group customers and their actual users

    @property
    def label_en(self) -> str:
        return _ROLE_LABELS[self][0]

    @property
    def label_zh(self) -> str:
        return _ROLE_LABELS[self][1]


_ROLE_LABELS = {
    Role.ADMIN: ("administrator", "系统管理员"),
    Role.REVIEWER: ("back-office reviewer", "后台审核员"),
    Role.CLERK: ("channel clerk", "营业员"),
    Role.CHANNEL_MANAGER: ("channel manager", "渠道经理"),
    Role.CALL_CENTRE: ("call-centre agent", "外呼坐席"),
    Role.RISK_ANALYST: ("risk analyst", "风控分析员"),
    Role.AUDITOR: ("auditor", "稽核员"),
    Role.ACCOUNT_MANAGER: ("group-account manager", "集团客户经理"),
}


@dataclass(frozen=True)
class Actor:
    staff_id: int
    username: str
    role: Role
    outlet_id: int | None = None
    device_id: int | None = None  # the enrolled app device the request came through, if any

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(
                f"{_article(self.role.label_en)} {self.role.label_en} may not do this; it is "
                f"for {_article(roles[0].label_en).lower()} "
                + _either([r.label_en for r in roles], ", ", " or ")
                + ".",
                message_zh=f"{self.role.label_zh}无权执行此操作，仅限"
                + _either([r.label_zh for r in roles], "、", "或")
                + "。",
                required_roles=[r.value for r in roles],
            )

    def may_see_outlet(self, outlet_id: int | None) -> bool:
        """Clerks see their own outlet only; back-office roles see every outlet, and the
        registrations that came through no outlet (self-service re-registration)."""
        if self.role is Role.CLERK:
            return outlet_id is not None and self.outlet_id == outlet_id
        return self.role in (
            Role.ADMIN,
            Role.REVIEWER,
            Role.CHANNEL_MANAGER,
            Role.RISK_ANALYST,
            Role.AUDITOR,
        )


def _article(noun: str) -> str:
    return "An" if noun[:1].lower() in "aeiou" else "A"


def _either(names: list[str], comma: str, last: str) -> str:
    """ "a, b or c" (and "a、b或c"): a list, not a chain of ors."""
    if len(names) < 2:
        return "".join(names)
    return comma.join(names[:-1]) + last + names[-1]
