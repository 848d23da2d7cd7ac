"""Read models for screens and the API: plain dicts, masked identity data, one query each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.orm import aliased

from simreg.core.actors import Actor, Role
from simreg.core.errors import NotFound
from simreg.db import tables as t
from simreg.db.repositories import aware
from simreg.lines.domain import LineKind, LineState
from simreg.registration.domain import RejectionReason, looks_like_registration_id

_clerk = aliased(t.staff)
_reviewer = aliased(t.staff)


def _registration_select() -> Select[Any]:
    r = t.registrations
    return (
        select(
            r.c.id,
            r.c.state,
            r.c.submitted_at,
            r.c.decided_at,
            r.c.approved_at,
            r.c.activated_at,
            r.c.cancelled_at,
            r.c.rejection_reasons,
            r.c.rejection_comment,
            r.c.inspection_method,
            r.c.name_masked,
            r.c.resubmission_of,
            r.c.outlet_id,
            r.c.device_id,
            r.c.source,
            t.lines.c.msisdn,
            t.lines.c.kind.label("line_kind"),
            t.lines.c.state.label("line_state"),
            t.customers.c.doc_type,
            t.customers.c.doc_masked,
            t.customers.c.held_lines,
            t.channels.c.code.label("channel_code"),
            t.channels.c.kind.label("channel_kind"),
            t.outlets.c.code.label("outlet_code"),
            t.outlets.c.name.label("outlet_name"),
            _clerk.c.username.label("clerk"),
            _reviewer.c.username.label("reviewer"),
        )
        .join(t.lines, t.lines.c.id == r.c.line_id)
        .join(t.customers, t.customers.c.id == r.c.customer_id)
        # Self-service re-registrations come through no channel, outlet or clerk.
        .outerjoin(t.channels, t.channels.c.id == r.c.channel_id)
        .outerjoin(t.outlets, t.outlets.c.id == r.c.outlet_id)
        .outerjoin(_clerk, _clerk.c.id == r.c.clerk_id)
        .outerjoin(_reviewer, _reviewer.c.id == r.c.reviewer_id)
    )


def _iso(value: datetime | None) -> str | None:
    v = aware(value)
    return v.isoformat() if v else None


def _shape(row: Any, now: datetime | None = None) -> dict[str, Any]:
    reasons = [RejectionReason(x) for x in (row.rejection_reasons or [])]
    out: dict[str, Any] = {
        "id": row.id,
        "state": row.state,
        "source": row.source,
        "msisdn": row.msisdn,
        "line": {"kind": row.line_kind, "state": row.line_state},
        "customer": {
            "name": row.name_masked,
            "document_type": row.doc_type,
            "document_number": row.doc_masked,
            "lines_held": row.held_lines,
        },
        "channel": {"code": row.channel_code, "kind": row.channel_kind},
        "outlet": {"code": row.outlet_code, "name": row.outlet_name},
        "clerk": row.clerk,
        "inspection_method": row.inspection_method,
        "submitted_at": _iso(row.submitted_at),
        "reviewer": row.reviewer,
        "decided_at": _iso(row.decided_at),
        "activated_at": _iso(row.activated_at),
        "cancelled_at": _iso(row.cancelled_at),
        "rejection": (
            {
                "reasons": [
                    {"code": x.value, "label": x.label_en, "label_zh": x.label_zh} for x in reasons
                ],
                "comment": row.rejection_comment,
            }
            if reasons
            else None
        ),
        "resubmission_of": row.resubmission_of,
    }
    if now is not None:
        submitted = aware(row.submitted_at)
        assert submitted is not None
        out["waiting_seconds"] = max(0, int((now - submitted).total_seconds()))
    return out


def registration_detail(conn: Connection, actor: Actor, registration_id: str) -> dict[str, Any]:
    if not looks_like_registration_id(registration_id):
        raise NotFound(
            "No such registration.", code="REGISTRATION-NOT-FOUND", message_zh="登记不存在。"
        )
    row = conn.execute(
        _registration_select().where(t.registrations.c.id == registration_id)
    ).one_or_none()
    # A registration outside the caller's outlet looks exactly like a missing one.
    if row is None or not actor.may_see_outlet(row.outlet_id):
        raise NotFound(
            "No such registration.", code="REGISTRATION-NOT-FOUND", message_zh="登记不存在。"
        )
    out = _shape(row)
    out["photos"] = [
        {
            "kind": p.kind,
            "content_type": p.content_type,
            "width": p.width,
            "height": p.height,
            "size": p.size,
        }
        for p in conn.execute(
            select(t.registration_photos)
            .where(t.registration_photos.c.registration_id == registration_id)
            .order_by(t.registration_photos.c.kind)
        )
    ]
    return out


def list_registrations(
    conn: Connection, actor: Actor, *, state: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    actor.require(
        Role.CLERK, Role.REVIEWER, Role.ADMIN, Role.CHANNEL_MANAGER, Role.RISK_ANALYST, Role.AUDITOR
    )
    query = _registration_select()
    if actor.role is Role.CLERK:
        query = query.where(t.registrations.c.outlet_id == actor.outlet_id)
    if state:
        query = query.where(t.registrations.c.state == state)
    query = query.order_by(t.registrations.c.submitted_at.desc()).limit(limit).offset(offset)
    return [_shape(row) for row in conn.execute(query)]


def review_queue(conn: Connection, actor: Actor, *, now: datetime, limit: int) -> dict[str, Any]:
    """Registrations waiting for the back-office, oldest first (RN-06)."""
    actor.require(Role.REVIEWER, Role.ADMIN)
    waiting = t.registrations.c.state == "pending_review"
    total = conn.execute(select(func.count()).where(waiting)).scalar_one()
    rows = conn.execute(
        _registration_select().where(waiting).order_by(t.registrations.c.submitted_at).limit(limit)
    )
    items = [_shape(row, now) for row in rows]
    # Who is working on which, so that no one opens an item another reviewer holds.
    holders = {
        row.registration_id: {"staff_id": int(row.id), "name": row.display_name}
        for row in conn.execute(
            select(t.review_claims.c.registration_id, t.staff.c.id, t.staff.c.display_name)
            .join(t.staff, t.staff.c.id == t.review_claims.c.reviewer_id)
            .where(
                t.review_claims.c.expires_at > now,
                t.review_claims.c.registration_id.in_([item["id"] for item in items]),
            )
        )
    }
    for item in items:
        item["reviewing"] = holders.get(item["id"])
    return {"total": int(total), "items": items}


@dataclass(frozen=True)
class PhotoAccess:
    store_key: str
    content_type: str
    # A decided registration's photo, fetched by someone who did not decide it: audited.
    audited: bool


def photo_key(conn: Connection, actor: Actor, registration_id: str, kind: str) -> PhotoAccess:
    """One photo, for the reviewers (any registration; a decided one someone else decided
    is audited) and for the clerk who took it, while it waits for review or after it was
    rejected (to photograph again). Other clerks of the outlet, and decided registrations,
    are not a clerk's to look at: ID photos are what black-card fraud is made of."""
    actor.require(Role.REVIEWER, Role.ADMIN, Role.CLERK)
    r = t.registrations
    row = conn.execute(
        select(
            t.registration_photos.c.store_key,
            t.registration_photos.c.content_type,
            r.c.outlet_id,
            r.c.clerk_id,
            r.c.state,
            r.c.reviewer_id,
        )
        .join(r, r.c.id == t.registration_photos.c.registration_id)
        .where(
            t.registration_photos.c.registration_id == registration_id,
            t.registration_photos.c.kind == kind,
        )
    ).one_or_none()
    if row is None or not actor.may_see_outlet(row.outlet_id):
        raise NotFound("No such photo.", code="PHOTO-NOT-FOUND", message_zh="照片不存在。")
    if actor.role is Role.CLERK and not (
        row.clerk_id == actor.staff_id and row.state in ("pending_review", "rejected")
    ):
        raise NotFound("No such photo.", code="PHOTO-NOT-FOUND", message_zh="照片不存在。")
    audited = row.state != "pending_review" and actor.role is not Role.CLERK
    return PhotoAccess(
        row.store_key, row.content_type, audited and row.reviewer_id != actor.staff_id
    )


def available_numbers(
    conn: Connection, *, kind: LineKind | None, contains: str | None, limit: int
) -> list[dict[str, Any]]:
    query = select(t.lines.c.msisdn, t.lines.c.kind).where(
        t.lines.c.state == LineState.AVAILABLE.value
    )
    if kind is not None:
        query = query.where(t.lines.c.kind == kind.value)
    if contains:
        query = query.where(t.lines.c.msisdn.contains(contains, autoescape=True))
    rows = conn.execute(query.order_by(t.lines.c.msisdn).limit(limit))
    return [{"msisdn": r.msisdn, "kind": r.kind} for r in rows]


def outlet_channel_kind(conn: Connection, outlet_id: int | None) -> str | None:
    """The kind of channel an outlet belongs to (own, social, online)."""
    if outlet_id is None:
        return None
    found = conn.execute(
        select(t.channels.c.kind)
        .join(t.outlets, t.outlets.c.channel_id == t.channels.c.id)
        .where(t.outlets.c.id == outlet_id)
    ).scalar_one_or_none()
    return str(found) if found is not None else None
