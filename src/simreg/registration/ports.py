"""What the registration services need from the outside world."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from simreg.channels.domain import Channel, Device, Outlet
from simreg.core.audit import AuditEvent
from simreg.lines.domain import LineKind, LineState, RealNameState
from simreg.registration.domain import Registration


@dataclass(frozen=True)
class LineRecord:
    id: int
    msisdn: str
    kind: LineKind
    state: LineState
    reserved_by: int | None
    reserved_until: datetime | None


@dataclass(frozen=True)
class LegacyLine:
    """A line already in service whose holder re-registers (RN-13)."""

    id: int
    msisdn: str
    state: LineState
    real_name_state: RealNameState | None
    customer_id: int | None


@dataclass(frozen=True)
class StoredPhoto:
    kind: str
    store_key: str
    content_type: str
    width: int
    height: int
    size: int
    sha256: str
    phash: str = ""


class RegistrationTransaction(Protocol):
    """One database transaction; every method runs inside it."""

    def channel_context(
        self, outlet_id: int, device_id: int | None
    ) -> tuple[Channel, Outlet, Device | None]: ...

    def find_line(self, msisdn: str) -> LineRecord | None: ...

    def held_lines(self, doc_index: str) -> int: ...

    def claim_line_slot(
        self,
        doc_type: str,
        doc_index: str,
        doc_number_enc: bytes,
        doc_masked: str,
        at: datetime,
        per_id_limit: int | None,
    ) -> int | None:
        """The document's customer id with one more line counted, or None at the limit."""
        ...

    def release_line_slot(self, customer_id: int) -> None: ...

    def take_line(self, line_id: int, customer_id: int, clerk_id: int, at: datetime) -> bool: ...

    def reserve_line(self, line_id: int, clerk_id: int, until: datetime, at: datetime) -> bool: ...

    def set_line_state(self, line_id: int, state: LineState, at: datetime) -> None: ...

    def legacy_line(self, line_id: int) -> LegacyLine | None: ...

    def mark_reverification(self, line_id: int, customer_id: int, at: datetime) -> bool: ...

    def mark_verified(self, line_id: int, at: datetime) -> None: ...

    def mark_unverified(self, line_id: int, at: datetime) -> None: ...

    def record_reregistration(
        self, target_id: int | None, line_id: int, at: datetime, *, submitted_at: datetime
    ) -> bool: ...

    def undo_reregistration(
        self, target_id: int | None, line_id: int, at: datetime, *, approved_at: datetime
    ) -> None: ...

    def open_campaign_target(self, line_id: int) -> int | None: ...

    def ask_to_resubmit(
        self, target_id: int, line_id: int, *, key: str, body: str, at: datetime
    ) -> None:
        """Queue an SMS to the line carrying its campaign link again (``{link}`` in ``body``
        is filled in as it is sent); ``key`` keeps it to one message per rejection."""
        ...

    def add_registration(
        self,
        registration: Registration,
        *,
        name_enc: bytes,
        name_masked: str,
        inspection_method: str,
        resubmission_of: str | None,
    ) -> None: ...

    def add_photos(self, registration_id: str, photos: list[StoredPhoto]) -> None: ...

    def get_registration(self, registration_id: str) -> Registration | None: ...

    def lock_registration(self, registration_id: str) -> None:
        """Hold the registration's row until the transaction ends (a no-op where writers
        are serialised already, as on SQLite)."""
        ...

    def live_resubmission(self, registration_id: str) -> str | None:
        """The number of a registration sent again from this one and not refused or
        withdrawn since, if any."""
        ...

    def save_registration(self, registration: Registration, expected_state: str) -> bool: ...

    def record(self, event: AuditEvent) -> None: ...

    def follow_decision(self, registration: Registration, at: datetime) -> None:
        """Move what hangs on a group or online registration to its new state: the binding or
        the order, the line, and the document's RN-05 slot (see ``RegistrationSource``)."""
        ...

    def claim_holder(self, registration_id: str, now: datetime) -> int | None: ...

    def claim(
        self, registration_id: str, reviewer_id: int, now: datetime, until: datetime
    ) -> bool: ...

    def release_claim(self, registration_id: str) -> None: ...

    def claimable(self, reviewer_id: int, now: datetime, limit: int) -> list[str]: ...


class UnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[RegistrationTransaction]: ...
