"""Audit rows: written inside the transaction of the change they record."""

from __future__ import annotations

from sqlalchemy import Connection

from simreg.core.audit import AuditEvent
from simreg.db import tables as t


def record_audit(conn: Connection, event: AuditEvent) -> None:
    conn.execute(
        t.audit_events.insert().values(
            at=event.at,
            action=event.action,
            outcome=event.outcome,
            actor_staff_id=event.actor_staff_id,
            device_id=event.device_id,
            channel_id=event.channel_id,
            outlet_id=event.outlet_id,
            registration_id=event.registration_id,
            msisdn=event.msisdn,
            doc_index=event.doc_index,
            codes=",".join(event.codes) or None,
            details=event.details or None,
        )
    )
