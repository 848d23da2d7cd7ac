"""What a reviewer sees of one registration: the entered data, the device, the document's
other lines and earlier rejections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from simreg.core.actors import Actor, Role
from simreg.db import tables as t
from simreg.db.queries import registration_detail
from simreg.db.repositories import aware
from simreg.registration.domain import RejectionReason


def review_item(conn: Connection, actor: Actor, registration_id: str) -> dict[str, Any]:
    """The registration as the API shows it, plus the ciphertexts a reviewer may decrypt."""
    actor.require(Role.REVIEWER, Role.ADMIN)
    item = registration_detail(conn, actor, registration_id)
    row = conn.execute(
        select(
            t.registrations.c.name_enc,
            t.registrations.c.customer_id,
            t.customers.c.doc_number_enc,
            t.devices.c.serial.label("device_serial"),
        )
        .join(t.customers, t.customers.c.id == t.registrations.c.customer_id)
        .outerjoin(t.devices, t.devices.c.id == t.registrations.c.device_id)
        .where(t.registrations.c.id == registration_id)
    ).one()
    item["_name_enc"] = row.name_enc
    item["_doc_number_enc"] = row.doc_number_enc
    item["device_serial"] = row.device_serial
    item["history"] = document_history(conn, row.customer_id, registration_id)
    return item


def document_history(conn: Connection, customer_id: int, excluding: str) -> list[dict[str, Any]]:
    r = t.registrations
    rows = conn.execute(
        select(
            r.c.id,
            r.c.state,
            r.c.submitted_at,
            r.c.rejection_reasons,
            t.lines.c.msisdn,
            t.outlets.c.code.label("outlet"),
        )
        .join(t.lines, t.lines.c.id == r.c.line_id)
        .outerjoin(t.outlets, t.outlets.c.id == r.c.outlet_id)
        .where(r.c.customer_id == customer_id, r.c.id != excluding)
        .order_by(r.c.submitted_at.desc())
        .limit(50)
    )
    return [
        {
            "id": row.id,
            "state": row.state,
            "msisdn": row.msisdn,
            "outlet": row.outlet,
            "submitted_at": _iso(row.submitted_at),
            "reasons": [RejectionReason(x) for x in (row.rejection_reasons or [])],
        }
        for row in rows
    ]


def _iso(value: datetime | None) -> str | None:
    v = aware(value)
    return v.isoformat() if v else None
