"""What sending SMS needs: a gateway that submits one message and reports delivery, and an
outbox that remembers, per message, whether it may still be sent."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class SendError(Exception):
    """A gateway could not confirm a submission. The subclass says whether it went out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:200]


class TransientSendError(SendError):
    """Nothing went out (not connected, throttled, queue full): safe to try again later."""


class PermanentSendError(SendError):
    """The gateway refused this message (bad number, too long): trying again will not help."""


class SendOutcomeUnknown(SendError):
    """The submission left, but no answer came back: it may have reached the phone. Never
    retried automatically, so a subscriber never gets the same message twice."""


class ReceiptState(StrEnum):
    """The final (or interim) state an SMSC reports for a submitted message."""

    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    EXPIRED = "expired"
    REJECTED = "rejected"
    DELETED = "deleted"
    ACCEPTED = "accepted"
    ENROUTE = "enroute"
    UNKNOWN = "unknown"

    @property
    def outcome(self) -> str | None:
        """The outbox status this receipt settles a sent message in, or None if interim."""
        if self is ReceiptState.DELIVERED:
            return "delivered"
        if self in _FAILED:
            return "failed"
        return None


_FAILED = {
    ReceiptState.UNDELIVERABLE,
    ReceiptState.EXPIRED,
    ReceiptState.REJECTED,
    ReceiptState.DELETED,
}


@dataclass(frozen=True)
class Receipt:
    """A delivery receipt for the message the gateway answered ``send`` with ``message_id``."""

    message_id: str
    state: ReceiptState
    at: datetime


class SmsGateway(Protocol):
    def send(self, to: str, text: str, reference: str) -> str:
        """Submit one message; return the gateway's message id (what receipts refer to).

        ``reference`` is the outbox's dedupe key, for the gateway's own logs. Raises a
        ``SendError`` subclass when the submission is not confirmed.
        """
        ...

    def receipts(self) -> list[Receipt]:
        """The delivery receipts that arrived since the last call (drained)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class OutboxMessage:
    """A queued message as a dispatcher claims it. ``body`` may hold ``{link}``, filled per
    message at send time."""

    id: int
    dedupe_key: str
    msisdn: str
    body: str
    campaign_id: int | None
    target_id: int | None
    created_at: datetime
    not_before: datetime


@dataclass(frozen=True)
class UncertainMessage:
    id: int
    dedupe_key: str
    msisdn: str
    campaign_id: int | None
    claimed_at: datetime | None
    error: str | None


class OutboxTransaction(Protocol):
    def claim(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Move up to ``limit`` due queued messages to sending; rows another dispatcher holds
        are skipped, never waited for."""
        ...

    def mark_sent(self, sent: list[tuple[OutboxMessage, str, datetime]]) -> None:
        """Record messages the gateway accepted, each with its message id and time."""
        ...

    def mark_failed(self, message: OutboxMessage, error: str, at: datetime) -> None: ...

    def mark_uncertain(self, ids: list[int], error: str, at: datetime) -> None: ...

    def release(self, ids: list[int], not_before: datetime, error: str | None) -> None:
        """Put messages that were claimed but never submitted back in the queue."""
        ...

    def stale_sending(self, claimed_before: datetime) -> list[int]:
        """Messages still in sending although claimed before ``claimed_before``."""
        ...

    def apply_receipts(self, receipts: list[Receipt]) -> list[Receipt]:
        """Record each receipt on its message; return those that matched no sent message."""
        ...

    def counts(self) -> dict[str, int]: ...

    def uncertain(self, limit: int) -> list[UncertainMessage]: ...

    def record_recovery(self, ids: list[int], at: datetime) -> None:
        """Audit that these messages were found abandoned and marked uncertain."""
        ...


class OutboxUnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[OutboxTransaction]: ...
