"""Channels (渠道): own halls, contracted social resellers, and the online shop."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from simreg.core.errors import Conflict, RuleViolated, Violation


class ChannelKind(StrEnum):
    OWN = "own"  # 自有渠道
    SOCIAL = "social"  # 社会渠道
    ONLINE = "online"  # 网络渠道

    @property
    def label_zh(self) -> str:
        return {"own": "自有渠道", "social": "社会渠道", "online": "网络渠道"}[self.value]


class ChannelStatus(StrEnum):
    APPLIED = "applied"  # a reseller asked to join; nothing may be sold yet
    ADMITTED = "admitted"  # agreement with the real-name obligations signed
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"  # final: outlets closed, devices revoked

    @property
    def label_zh(self) -> str:
        return _STATUS_ZH[self]


_STATUS_ZH = {
    ChannelStatus.APPLIED: "申请中",
    ChannelStatus.ADMITTED: "已准入未启用",
    ChannelStatus.ACTIVE: "有效",
    ChannelStatus.SUSPENDED: "暂停",
    ChannelStatus.TERMINATED: "已解除合作",
}


# Which status each governance action moves a channel from and to (RN-08).
TRANSITIONS: dict[str, tuple[frozenset[ChannelStatus], ChannelStatus]] = {
    "admit": (frozenset({ChannelStatus.APPLIED}), ChannelStatus.ADMITTED),
    "activate": (frozenset({ChannelStatus.ADMITTED}), ChannelStatus.ACTIVE),
    "suspend": (frozenset({ChannelStatus.ACTIVE}), ChannelStatus.SUSPENDED),
    "reinstate": (frozenset({ChannelStatus.SUSPENDED}), ChannelStatus.ACTIVE),
    "terminate": (
        frozenset(
            {
                ChannelStatus.APPLIED,
                ChannelStatus.ADMITTED,
                ChannelStatus.ACTIVE,
                ChannelStatus.SUSPENDED,
            }
        ),
        ChannelStatus.TERMINATED,
    ),
    # Naming, or correcting, who answers for a terminated channel (RN-08) after the fact: a
    # penalty can terminate a channel whose unit or manager was never on record.
    "hold_to_account": (frozenset({ChannelStatus.TERMINATED}), ChannelStatus.TERMINATED),
}


@dataclass(frozen=True)
class Channel:
    id: int
    code: str
    name: str
    kind: ChannelKind
    status: ChannelStatus
    parent_channel_id: int | None = None

    @property
    def is_sub_agent(self) -> bool:
        """A channel appointed under another reseller (下级代理), which RN-08 forbids."""
        return self.parent_channel_id is not None


@dataclass(frozen=True)
class Outlet:
    id: int
    channel_id: int
    code: str
    name: str
    active: bool


@dataclass(frozen=True)
class Device:
    """A phone or tablet running the unified real-name app, enrolled to one outlet (RN-09)."""

    id: int
    outlet_id: int
    serial: str
    active: bool


# A device may be enrolled ahead of opening (admitted) and stays while a channel is suspended.
_HOLDS_DEVICES = frozenset({ChannelStatus.ADMITTED, ChannelStatus.ACTIVE, ChannelStatus.SUSPENDED})


def check_may_hold_devices(channel: Channel, outlet_code: str, outlet_open: bool) -> None:
    """RN-08/RN-09: the app goes only to open outlets of admitted channels, and never to a
    sub-agent's, whose devices would count towards the deployment rate."""
    if channel.is_sub_agent:
        raise RuleViolated(
            [
                Violation(
                    "RN-08",
                    f"Channel {channel.code} is a sub-agent; sub-agents may not register "
                    "customers, so their outlets get no app device.",
                    f"渠道 {channel.code} 为下级代理，不得办理入网，其网点不能登记实名制APP设备。",
                    {"channel": channel.code},
                )
            ]
        )
    if channel.status not in _HOLDS_DEVICES:
        raise Conflict(
            f"Channel {channel.code} is {channel.status.value}: only an admitted channel's "
            "outlets get an app device.",
            code="CHANNEL-STATE",
            message_zh=f"渠道 {channel.code} 当前状态为{channel.status.label_zh}，"
            "只有已准入渠道的网点可登记设备。",
            state=channel.status.value,
        )
    if not outlet_open:
        raise Conflict(
            f"Outlet {outlet_code} is closed.",
            code="OUTLET-CLOSED",
            message_zh=f"网点 {outlet_code} 已关闭。",
        )
