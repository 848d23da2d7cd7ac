"""What a reviewer sees of one registration: the entered data, the device, the document's
other lines and earlier rejections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
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
            # Who the line's record names (the legacy base, or the person an RN-14 transfer
            # named): a re-registration's reviewer compares it with the document.
            t.lines.c.holder_name_enc,
            t.lines.c.named_doc_index,
            t.customers.c.doc_index,
            t.registrations.c.reviewer_id,
        )
        .join(t.customers, t.customers.c.id == t.registrations.c.customer_id)
        .join(t.lines, t.lines.c.id == t.registrations.c.line_id)
        .outerjoin(t.devices, t.devices.c.id == t.registrations.c.device_id)
        .where(t.registrations.c.id == registration_id)
    ).one()
    item["_name_enc"] = row.name_enc
    item["_doc_number_enc"] = row.doc_number_enc
    item["_holder_name_enc"] = row.holder_name_enc
    # Whether the document presented is the one an RN-14 transfer named (None: none named).
    item["named_document_matches"] = (
        None if row.named_doc_index is None else row.named_doc_index == row.doc_index
    )
    item["device_serial"] = row.device_serial
    # Identity in full is for the item being decided and for the reviewer who decided it; a
    # decided item is otherwise shown masked until a reviewer asks, audited (``sealed``).
    item["sealed"] = item["state"] != "pending_review" and row.reviewer_id != actor.staff_id
    item["history"] = document_history(conn, row.customer_id, registration_id)
    item["origin"] = registration_origin(conn, registration_id)
    return item


def registration_origin(conn: Connection, registration_id: str) -> dict[str, Any] | None:
    """Where a group or online registration came from, and the identity authority's answer
    that let it into review (RN-10, RN-12); None for counter and self-service ones."""
    checks = t.identity_checks
    binding = conn.execute(
        select(
            t.enterprises.c.name.label("enterprise"),
            t.enterprises.c.credit_code,
            checks.c.result,
            checks.c.reference,
            checks.c.checked_at,
        )
        .select_from(t.actual_user_bindings)
        .join(t.enterprises, t.enterprises.c.id == t.actual_user_bindings.c.enterprise_id)
        .outerjoin(checks, checks.c.id == t.actual_user_bindings.c.identity_check_id)
        .where(t.actual_user_bindings.c.registration_id == registration_id)
    ).first()
    if binding is not None:
        return {
            "kind": "enterprise",
            "enterprise": binding.enterprise,
            "credit_code": binding.credit_code,
            "check": _check(binding),
        }
    order = conn.execute(
        select(
            t.online_orders.c.order_no,
            t.online_orders.c.fulfilment,
            t.outlets.c.name.label("pickup_outlet"),
            checks.c.result,
            checks.c.reference,
            checks.c.checked_at,
        )
        .outerjoin(t.outlets, t.outlets.c.id == t.online_orders.c.pickup_outlet_id)
        .outerjoin(checks, checks.c.id == t.online_orders.c.identity_check_id)
        .where(t.online_orders.c.registration_id == registration_id)
    ).first()
    if order is not None:
        return {
            "kind": "online",
            "order_no": order.order_no,
            "fulfilment": order.fulfilment,
            "pickup_outlet": order.pickup_outlet,
            "check": _check(order),
        }
    return None


def _check(row: Any) -> dict[str, Any] | None:
    if row.result is None:
        return None
    return {"result": row.result, "reference": row.reference, "at": _iso(row.checked_at)}


def claim_holder(conn: Connection, registration_id: str, now: datetime) -> tuple[int, str] | None:
    """Who holds the item now (staff id, display name), if anyone: read, never taken."""
    found = conn.execute(
        select(t.staff.c.id, t.staff.c.display_name)
        .join(t.review_claims, t.review_claims.c.reviewer_id == t.staff.c.id)
        .where(
            t.review_claims.c.registration_id == registration_id,
            t.review_claims.c.expires_at > now,
        )
    ).one_or_none()
    return (int(found.id), str(found.display_name)) if found is not None else None


def document_history(conn: Connection, customer_id: int, excluding: str) -> list[dict[str, Any]]:
    r = t.registrations
    rows = conn.execute(
        select(
            r.c.id,
            r.c.state,
            r.c.submitted_at,
            r.c.rejection_reasons,
            r.c.source,
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
            "source": row.source,
            "submitted_at": _iso(row.submitted_at),
            "reasons": [RejectionReason(x) for x in (row.rejection_reasons or [])],
        }
        for row in rows
    ]


def _iso(value: datetime | None) -> str | None:
    v = aware(value)
    return v.isoformat() if v else None


def record_identity_view(
    conn: Connection, actor: Actor, registration_id: str, what: str, at: datetime
) -> None:
    """A look at a decided registration's identity (``what``: "document" or a photo kind)
    by someone who did not decide it: the trail keeps who looked at whom."""
    doc_index = conn.execute(
        select(t.customers.c.doc_index)
        .join(t.registrations, t.registrations.c.customer_id == t.customers.c.id)
        .where(t.registrations.c.id == registration_id)
    ).scalar_one_or_none()
    record_audit(
        conn,
        AuditEvent(
            action="registration.identity_viewed",
            outcome="ok",
            at=at,
            actor_staff_id=actor.staff_id,
            registration_id=registration_id,
            doc_index=doc_index,
            details={"shown": what},
        ),
    )
