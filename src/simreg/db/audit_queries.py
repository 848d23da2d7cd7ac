"""Searching the audit trail: by document (blind index), line, staff, channel and dates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, or_, select
from sqlalchemy.orm import aliased

from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
from simreg.db.repositories import aware

AUDIT_READERS = (Role.ADMIN, Role.AUDITOR, Role.REVIEWER, Role.CHANNEL_MANAGER, Role.RISK_ANALYST)


@dataclass(frozen=True)
class AuditFilter:
    doc_index: str | None = None
    msisdn: str | None = None
    staff: str | None = None
    channel: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _query(f: AuditFilter) -> Select[Any]:
    a = t.audit_events
    actor = aliased(t.staff)
    registered_line = aliased(t.lines)
    query = (
        select(
            a.c.id,
            a.c.at,
            a.c.action,
            a.c.outcome,
            a.c.registration_id,
            # A review decision names the registration only: its number comes from there.
            func.coalesce(a.c.msisdn, registered_line.c.msisdn).label("msisdn"),
            a.c.codes,
            a.c.details,
            actor.c.username.label("staff"),
            t.channels.c.code.label("channel"),
            t.outlets.c.code.label("outlet"),
            t.devices.c.serial.label("device"),
        )
        .outerjoin(actor, actor.c.id == a.c.actor_staff_id)
        .outerjoin(t.outlets, t.outlets.c.id == a.c.outlet_id)
        # A refusal at the counter records the outlet only: its channel is the outlet's, so
        # that searching a channel finds what its outlets were refused too.
        .outerjoin(
            t.channels, t.channels.c.id == func.coalesce(a.c.channel_id, t.outlets.c.channel_id)
        )
        .outerjoin(t.devices, t.devices.c.id == a.c.device_id)
        .outerjoin(t.registrations, t.registrations.c.id == a.c.registration_id)
        .outerjoin(registered_line, registered_line.c.id == t.registrations.c.line_id)
    )
    # A document's or a number's events include every event of its registrations (approval,
    # rejection, activation), which carry the registration, not the document or number.
    if f.doc_index:
        of_document = (
            select(t.registrations.c.id)
            .join(t.customers, t.customers.c.id == t.registrations.c.customer_id)
            .where(t.customers.c.doc_index == f.doc_index)
        )
        query = query.where(or_(a.c.doc_index == f.doc_index, a.c.registration_id.in_(of_document)))
    if f.msisdn:
        of_number = (
            select(t.registrations.c.id)
            .join(t.lines, t.lines.c.id == t.registrations.c.line_id)
            .where(t.lines.c.msisdn == f.msisdn)
        )
        query = query.where(or_(a.c.msisdn == f.msisdn, a.c.registration_id.in_(of_number)))
    if f.staff:
        query = query.where(actor.c.username == f.staff)
    if f.channel:
        query = query.where(t.channels.c.code == f.channel)
    if f.action:
        query = query.where(a.c.action == f.action)
    if f.since:
        query = query.where(a.c.at >= f.since)
    if f.until:
        query = query.where(a.c.at < f.until)
    return query.order_by(a.c.at.desc(), a.c.id.desc())


def _shape(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": aware(row.at),
        "action": row.action,
        "outcome": row.outcome,
        "staff": row.staff,
        "channel": row.channel,
        "outlet": row.outlet,
        "device": row.device,
        "registration_id": row.registration_id,
        "msisdn": row.msisdn,
        "codes": row.codes or "",
        "details": row.details or {},
    }


def search_audit(
    conn: Connection, actor: Actor, f: AuditFilter, limit: int
) -> list[dict[str, Any]]:
    actor.require(*AUDIT_READERS)
    return [_shape(row) for row in conn.execute(_query(f).limit(limit))]


def stream_audit(conn: Connection, actor: Actor, f: AuditFilter) -> Iterator[dict[str, Any]]:
    """Every matching event, fetched in batches for CSV export."""
    actor.require(*AUDIT_READERS)
    result = conn.execution_options(stream_results=True, yield_per=1000).execute(_query(f))
    for row in result:
        yield _shape(row)


def record_person_search(
    conn: Connection, actor: Actor, f: AuditFilter, at: datetime, *, export: bool
) -> None:
    """A search that names a person (a document, or a number) is itself audited: the trail
    then shows who looked up whom, as the over-limit document reveal does. Other searches
    (a channel, a day) read no one's data and are not."""
    if f.doc_index is None and f.msisdn is None:
        return
    record_audit(
        conn,
        AuditEvent(
            action="audit.searched",
            outcome="ok",
            at=at,
            actor_staff_id=actor.staff_id,
            msisdn=f.msisdn,
            doc_index=f.doc_index,
            details={"by_document": f.doc_index is not None, "export": export},
        ),
    )


def audit_actions(conn: Connection) -> list[str]:
    return list(
        conn.execute(
            select(t.audit_events.c.action).distinct().order_by(t.audit_events.c.action)
        ).scalars()
    )
