"""The audit record every business operation writes inside its own transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEvent:
    """Who did what, when, where; written in the same transaction as the change it records."""

    action: str
    outcome: str  # "ok" or "refused"
    at: datetime
    actor_staff_id: int | None = None
    device_id: int | None = None
    channel_id: int | None = None
    outlet_id: int | None = None
    registration_id: str | None = None
    msisdn: str | None = None
    doc_index: str | None = None
    codes: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
