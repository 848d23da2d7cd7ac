"""SQL of the SMS outbox: queueing (inside the caller's transaction), claiming with SKIP
LOCKED, recording outcomes and receipts, and the campaign funnel timestamps they move."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select, update

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

    def mark_sent(self, sent: list[tuple[OutboxMessage, str, datetime]]) -> None:
        # From uncertain too: a dispatcher that was merely slow still knows its message left.
        if not sent:
            return
        self.conn.execute(
            update(o)
            # (no IN list here: executemany cannot expand one)
            .where(
                o.c.id == bindparam("b_id"),
                or_(o.c.status == "sending", o.c.status == "uncertain"),
            )
            .values(status="sent", message_id=bindparam("b_mid"), sent_at=bindparam("b_at"))
            .values(error=None),
            [{"b_id": m.id, "b_mid": mid, "b_at": at} for m, mid, at in sent],
        )
        self._stamp_targets(
            [(m.target_id, at) for m, _, at in sent if m.target_id is not None], ct.c.sms_sent_at
        )

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
        if not receipts:
            return []
        found: dict[str, Any] = {}
        wanted = sorted({r.message_id for r in receipts})
        for start in range(0, len(wanted), 500):
            rows = self.conn.execute(
                select(o.c.id, o.c.message_id, o.c.target_id, o.c.status, o.c.sent_at)
                .where(o.c.message_id.in_(wanted[start : start + 500]))
                .order_by(o.c.sent_at)
            ).all()
            for each in rows:
                found[each.message_id] = each  # the latest sent wins if an SMSC reused an id
        unmatched: list[Receipt] = []
        updates: list[dict[str, Any]] = []
        delivered: list[tuple[int, datetime]] = []
        failed: list[tuple[int, datetime]] = []
        status: dict[int, str] = {}
        for receipt in receipts:
            row = found.get(receipt.message_id)
            if row is None:
                unmatched.append(receipt)
                continue
            outcome = receipt.state.outcome
            current = status.get(row.id, row.status)
            if outcome is not None and current == "sent":
                status[row.id] = outcome
            updates.append(
                {
                    "b_id": row.id,
                    "b_status": status.get(row.id, current),
                    "b_receipt_at": receipt.at,
                    "b_receipt_status": receipt.state.value,
                }
            )
            if row.target_id is not None and outcome == "delivered":
                delivered.append((row.target_id, receipt.at))
            elif row.target_id is not None and outcome == "failed":
                failed.append((row.target_id, receipt.at))
        if updates:
            self.conn.execute(
                update(o)
                .where(o.c.id == bindparam("b_id"))
                .values(
                    status=bindparam("b_status"),
                    receipt_at=bindparam("b_receipt_at"),
                    receipt_status=bindparam("b_receipt_status"),
                ),
                updates,
            )
        self._stamp_targets(delivered, ct.c.sms_delivered_at)
        self._stamp_targets(failed, ct.c.sms_failed_at)
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
        if target_id is not None:
            self._stamp_targets([(target_id, at)], column)

    def _stamp_targets(self, stamps: list[tuple[int, datetime]], column: Any) -> None:
        """The campaign funnel keeps the first time each step happened."""
        if stamps:
            self.conn.execute(
                update(ct)
                .where(ct.c.id == bindparam("b_target"), column.is_(None))
                .values({column: bindparam("b_at")}),
                [{"b_target": target, "b_at": at} for target, at in stamps],
            )
