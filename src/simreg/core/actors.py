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
                f"Role {self.role.value} may not do this; it needs "
                + " or ".join(r.value for r in roles)
                + ".",
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
