"""What channel governance needs from storage."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol

from simreg.channels.domain import Channel, ChannelKind, ChannelStatus
from simreg.core.audit import AuditEvent


class ChannelTransaction(Protocol):
    def channel_by_code(self, code: str) -> Channel | None: ...

    def channel_by_id(self, channel_id: int) -> Channel: ...

    def org_unit_id(self, code: str) -> int | None: ...

    def org_unit(self, code: str) -> tuple[int, str] | None:
        """(id, level) of an organisation unit."""
        ...

    def add_org_unit(
        self, *, code: str, name: str, level: str, parent_id: int | None, at: datetime
    ) -> int: ...

    def add_channel(
        self,
        *,
        code: str,
        name: str,
        kind: ChannelKind,
        status: ChannelStatus,
        org_unit_id: int | None,
        at: datetime,
    ) -> int: ...

    def set_status(self, channel_id: int, status: ChannelStatus) -> None: ...

    def record_agreement(
        self, channel_id: int, *, number: str, signed_on: date, valid_until: date, manager_name: str
    ) -> None: ...

    def add_channel_event(
        self,
        *,
        channel_id: int,
        at: datetime,
        actor_staff_id: int,
        from_status: ChannelStatus | None,
        to_status: ChannelStatus,
        reason: str,
        details: dict[str, Any],
    ) -> None: ...

    def close_outlets_and_devices(self, channel_id: int, at: datetime) -> tuple[int, int]: ...

    def outlet_of(self, code: str) -> tuple[int, int] | None: ...

    def outlet_state(self, code: str) -> tuple[int, int, bool] | None:
        """The outlet's id, its channel's id, and whether it is open."""
        ...

    def add_device(self, *, outlet_id: int, serial: str, at: datetime) -> int | None:
        """The new device's id; None when the serial was ever enrolled before."""
        ...

    def add_outlet(self, *, channel_id: int, code: str, name: str, at: datetime) -> int: ...

    def issue_device_token(self, device_id: int, at: datetime) -> str: ...

    def revoke_device(self, serial: str, at: datetime) -> tuple[int, int] | None: ...

    def record(self, event: AuditEvent) -> None: ...

    def active_social_channels(self) -> list[int]: ...

    def channels_inspected_in(self, period: str) -> set[int]: ...

    def add_inspection(self, *, channel_id: int, period: str, reason: str, at: datetime) -> int: ...

    def inspection(self, inspection_id: int) -> tuple[int, str] | None:
        """(channel id, status) of an inspection."""
        ...

    def complete_inspection(
        self,
        inspection_id: int,
        *,
        inspector_id: int,
        result: str,
        checklist: dict[str, bool],
        notes: str,
        at: datetime,
    ) -> None: ...

    def inspector_id(self, username: str) -> int | None: ...

    def assign_inspection(self, inspection_id: int, inspector_id: int) -> None: ...

    def add_evidence(
        self,
        *,
        inspection_id: int,
        store_key: str,
        content_type: str,
        width: int,
        height: int,
        size: int,
        added_by: int,
        at: datetime,
    ) -> int: ...

    def violations_since(
        self, channel_id: int, since: datetime, source: str | None = None
    ) -> int: ...

    def add_violation(
        self,
        *,
        channel_id: int,
        rule: str,
        source: str,
        inspection_id: int | None,
        at: datetime,
        recorded_by: int,
        penalty: str,
        notes: str,
        points: int = 0,
        fine_yuan: int = 0,
    ) -> int: ...

    def accountability(self, channel_id: int) -> tuple[str | None, str | None]:
        """(responsible unit, responsible manager) on record for the channel."""
        ...


class ChannelUnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[ChannelTransaction]: ...
