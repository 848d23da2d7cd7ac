"""SQL of the SMS outbox: queueing (inside the caller's transaction), claiming with SKIP
LOCKED, recording outcomes and receipts, and the campaign funnel timestamps they move."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from simreg.core.audit import AuditEvent
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
from simreg.db.repositories import aware, upsert_insert
from simreg.sms.ports import OutboxMessage, Receipt, UncertainMessage

o = t.sms_outbox
ct = t.campaign_targets


def enqueue(
    conn: Connection,
    *,
    dedupe_key: str,
    msisdn: str,
    body: str,
    campaign_id: int | None = None,
    target_id: int | None = None,
    at: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Queue one message in the caller's transaction; False if ``dedupe_key`` was queued
    before (whatever became of it), so a step that runs twice sends once."""
    statement = (
        upsert_insert(conn)(o)
        .values(
            dedupe_key=dedupe_key,
            campaign_id=campaign_id,
            target_id=target_id,
            msisdn=msisdn,
            body=body,
            status="queued",
            created_at=at,
            not_before=not_before or at,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(o.c.id)
    )
    return conn.execute(statement).first() is not None


def _stamp(value: Any) -> datetime:
    stamped = aware(value)
    assert stamped is not None
    return stamped


class SqlOutboxTransaction:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def claim(self, now: datetime, limit: int) -> list[OutboxMessage]:
        # SKIP LOCKED: parallel dispatchers on PostgreSQL each take different rows without
        # waiting; on SQLite, BEGIN IMMEDIATE already runs claims one after the other. The
        # status condition on the UPDATE keeps a row from being claimed twice either way.
        due = (
            select(o.c.id)
            .where(o.c.status == "queued", o.c.not_before <= now)
            .order_by(o.c.not_before, o.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(self.conn.execute(due).scalars())
        if not ids:
            return []
        rows = self.conn.execute(
            update(o)
            .where(o.c.id.in_(ids), o.c.status == "queued")
            .values(status="sending", claimed_at=now)
            .returning(
                o.c.id,
                o.c.dedupe_key,
                o.c.msisdn,
                o.c.body,
                o.c.campaign_id,
                o.c.target_id,
                o.c.created_at,
                o.c.not_before,
            )
        ).all()
        messages = [
            OutboxMessage(
                id=row.id,
                dedupe_key=row.dedupe_key,
                msisdn=row.msisdn,
                body=row.body,
                campaign_id=row.campaign_id,
                target_id=row.target_id,
                created_at=_stamp(row.created_at),
                not_before=_stamp(row.not_before),
            )
            for row in rows
        ]
        return sorted(messages, key=lambda m: (m.not_before, m.id))

    def mark_sent(self, message: OutboxMessage, message_id: str, at: datetime) -> None:
        # From uncertain too: a dispatcher that was merely slow still knows its message left.
        self.conn.execute(
            update(o)
            .where(o.c.id == message.id, o.c.status.in_(("sending", "uncertain")))
            .values(status="sent", message_id=message_id, sent_at=at, error=None)
        )
        self._stamp_target(message.target_id, ct.c.sms_sent_at, at)

    def mark_failed(self, message: OutboxMessage, error: str, at: datetime) -> None:
        self.conn.execute(
            update(o)
            .where(o.c.id == message.id, o.c.status == "sending")
            .values(status="failed", error=error[:200])
        )
        self._stamp_target(message.target_id, ct.c.sms_failed_at, at)

    def mark_uncertain(self, ids: list[int], error: str, at: datetime) -> None:
        if ids:
            self.conn.execute(
                update(o)
                .where(o.c.id.in_(ids), o.c.status == "sending")
                .values(status="uncertain", error=error[:200])
            )

    def release(self, ids: list[int], not_before: datetime, error: str | None) -> None:
        if ids:
            self.conn.execute(
                update(o)
                .where(o.c.id.in_(ids), o.c.status == "sending")
                .values(status="queued", claimed_at=None, not_before=not_before, error=error)
            )

    def stale_sending(self, claimed_before: datetime) -> list[int]:
        return list(
            self.conn.execute(
                select(o.c.id)
                .where(o.c.status == "sending", o.c.claimed_at < claimed_before)
                .order_by(o.c.id)
            ).scalars()
        )

    def apply_receipts(self, receipts: list[Receipt]) -> list[Receipt]:
        unmatched: list[Receipt] = []
        for receipt in receipts:
            row = self.conn.execute(
                select(o.c.id, o.c.target_id, o.c.status)
                .where(o.c.message_id == receipt.message_id)
                .order_by(o.c.sent_at.desc())
                .limit(1)
            ).first()
            if row is None:
                unmatched.append(receipt)
                continue
            values: dict[str, Any] = {
                "receipt_at": receipt.at,
                "receipt_status": receipt.state.value,
            }
            outcome = receipt.state.outcome
            if outcome is not None and row.status == "sent":
                values["status"] = outcome
            self.conn.execute(update(o).where(o.c.id == row.id).values(**values))
            if outcome == "delivered":
                self._stamp_target(row.target_id, ct.c.sms_delivered_at, receipt.at)
            elif outcome == "failed":
                self._stamp_target(row.target_id, ct.c.sms_failed_at, receipt.at)
        return unmatched

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute(select(o.c.status, func.count()).group_by(o.c.status)).all()
        return {str(status): int(n) for status, n in rows}

    def uncertain(self, limit: int) -> list[UncertainMessage]:
        rows = self.conn.execute(
            select(o.c.id, o.c.dedupe_key, o.c.msisdn, o.c.campaign_id, o.c.claimed_at, o.c.error)
            .where(o.c.status == "uncertain")
            .order_by(o.c.id)
            .limit(limit)
        ).all()
        return [
            UncertainMessage(
                id=row.id,
                dedupe_key=row.dedupe_key,
                msisdn=row.msisdn,
                campaign_id=row.campaign_id,
                claimed_at=aware(row.claimed_at),
                error=row.error,
            )
            for row in rows
        ]

    def record_recovery(self, ids: list[int], at: datetime) -> None:
        record_audit(
            self.conn,
            AuditEvent(
                action="sms.uncertain",
                outcome="ok",
                at=at,
                details={"count": len(ids), "outbox_ids": ids[:100]},
            ),
        )

    def _stamp_target(self, target_id: int | None, column: Any, at: datetime) -> None:
        """The campaign funnel keeps the first time each step happened."""
        if target_id is not None:
            self.conn.execute(
                update(ct).where(ct.c.id == target_id, column.is_(None)).values({column: at})
            )
