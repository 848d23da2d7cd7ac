"""Channels (渠道): own halls, contracted social resellers, and the online shop."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
