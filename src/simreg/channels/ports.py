"""What channel governance needs from storage."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol

from simreg.channels.domain import Channel, ChannelKind, ChannelStatus
from simreg.core.audit import AuditEvent


class ChannelTransaction(Protocol):
    def channel_by_code(self, code: str) -> Channel | None: ...

    def org_unit_id(self, code: str) -> int | None: ...

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

    def add_device(self, *, outlet_id: int, serial: str, at: datetime) -> int: ...

    def issue_device_token(self, device_id: int, at: datetime) -> str: ...

    def revoke_device(self, serial: str, at: datetime) -> tuple[int, int] | None: ...

    def record(self, event: AuditEvent) -> None: ...


class ChannelUnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[ChannelTransaction]: ...
