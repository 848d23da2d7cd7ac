"""The registration transaction's reads and writes, in SQLAlchemy Core.

Concurrency-sensitive writes are single conditional statements whose row count says whether
they won (claiming a per-document slot, taking a number, moving a registration's state), so
they are atomic on PostgreSQL under READ COMMITTED and on SQLite under BEGIN IMMEDIATE alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from simreg.channels.domain import Channel, ChannelKind, ChannelStatus, Device, Outlet
from simreg.core.audit import AuditEvent
from simreg.core.errors import Forbidden
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
from simreg.lines.domain import LineKind, LineState, RealNameState
from simreg.registration.domain import (
    Registration,
    RegistrationSource,
    RegistrationState,
    RejectionReason,
)
from simreg.registration.ports import LegacyLine, LineRecord, StoredPhoto


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; everything simreg stores is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _utc(value: datetime) -> datetime:
    stamped = aware(value)
    assert stamped is not None
    return stamped


def live_resubmission(conn: Connection, registration_id: str) -> str | None:
    """The number of the correction sent from a rejected registration and not refused or
    withdrawn since, if any (one per rejection)."""
    r = t.registrations
    found = conn.execute(
        select(t.lines.c.msisdn)
        .join(r, r.c.line_id == t.lines.c.id)
        .where(
            r.c.resubmission_of == registration_id,
            r.c.state.not_in([RegistrationState.REJECTED.value, RegistrationState.CANCELLED.value]),
        )
        .limit(1)
    ).scalar_one_or_none()
    return str(found) if found is not None else None


def upsert_insert(conn: Connection) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both PostgreSQL and SQLite have it)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def claim_document_slot(
    conn: Connection,
    *,
    doc_type: str,
    doc_index: str,
    doc_number_enc: bytes,
    doc_masked: str,
    at: datetime,
    per_id_limit: int | None,
) -> int | None:
    """RN-05 in one atomic statement: create the document's customer row holding one line,
    or add one to its count only while it is under the limit. PostgreSQL locks the
    conflicting row and evaluates the condition on its latest committed version, so
    concurrent claims queue and the sixth one finds no row to update; SQLite serialises
    writers (BEGIN IMMEDIATE). The customer id, or None at the limit."""
    statement = upsert_insert(conn)(t.customers).values(
        doc_type=doc_type,
        doc_index=doc_index,
        doc_number_enc=doc_number_enc,
        doc_masked=doc_masked,
        held_lines=1,
        created_at=at,
    )
    upsert = statement.on_conflict_do_update(
        index_elements=["doc_index"],
        set_={"held_lines": t.customers.c.held_lines + 1},
        where=(t.customers.c.held_lines < per_id_limit) if per_id_limit is not None else None,
    ).returning(t.customers.c.id)
    claimed = conn.execute(upsert).scalar_one_or_none()
    return int(claimed) if claimed is not None else None


# What moves with a group or online registration's decision, per source: the binding or the
# order, the line and the RN-05 slot. Each feature's store provides its own; bootstrap wires them.
DecisionFollower = Callable[[Connection, Registration, datetime], None]


class SqlRegistrationTransaction:
    def __init__(
        self, connection: Connection, followers: Mapping[str, DecisionFollower] | None = None
    ) -> None:
        self.conn = connection
        self.followers = followers or {}

    def follow_decision(self, registration: Registration, at: datetime) -> None:
        follower = self.followers.get(registration.source.value)
        if follower is None:
            # A decision that cannot move its binding or order must not commit half-done.
            raise RuntimeError(
                f"no decision follower for {registration.source.value} registrations"
            )
        follower(self.conn, registration, at)

    # -- channels ---------------------------------------------------------------------------

    def channel_context(
        self, outlet_id: int, device_id: int | None
    ) -> tuple[Channel, Outlet, Device | None]:
        """Outlet, channel and the presented device in one round trip."""
        row = self.conn.execute(
            select(
                t.outlets,
                t.channels.c.code.label("ch_code"),
                t.channels.c.name.label("ch_name"),
                t.channels.c.kind,
                t.channels.c.status,
                t.channels.c.parent_channel_id,
                t.devices.c.id.label("device_id"),
                t.devices.c.outlet_id.label("device_outlet_id"),
                t.devices.c.serial.label("device_serial"),
                t.devices.c.active.label("device_active"),
            )
            .join(t.channels, t.channels.c.id == t.outlets.c.channel_id)
            .outerjoin(t.devices, t.devices.c.id == (device_id if device_id is not None else -1))
            .where(t.outlets.c.id == outlet_id)
        ).one_or_none()
        if row is None:
            raise Forbidden("Your outlet is not registered in simreg.", code="OUTLET-UNKNOWN")
        channel = Channel(
            id=row.channel_id,
            code=row.ch_code,
            name=row.ch_name,
            kind=ChannelKind(row.kind),
            status=ChannelStatus(row.status),
            parent_channel_id=row.parent_channel_id,
        )
        outlet = Outlet(row.id, row.channel_id, row.code, row.name, row.active)
        device = None
        if row.device_id is not None:
            device = Device(
                row.device_id, row.device_outlet_id, row.device_serial, row.device_active
            )
        return channel, outlet, device

    # -- lines ------------------------------------------------------------------------------

    def find_line(self, msisdn: str) -> LineRecord | None:
        row = self.conn.execute(
            select(
                t.lines.c.id,
                t.lines.c.msisdn,
                t.lines.c.kind,
                t.lines.c.state,
                t.lines.c.reserved_by,
                t.lines.c.reserved_until,
            ).where(t.lines.c.msisdn == msisdn)
        ).one_or_none()
        if row is None:
            return None
        return LineRecord(
            row.id,
            row.msisdn,
            LineKind(row.kind),
            LineState(row.state),
            row.reserved_by,
            aware(row.reserved_until),
        )

    def _takeable(self, clerk_id: int, at: datetime) -> ColumnElement[bool]:
        return or_(
            t.lines.c.state == LineState.AVAILABLE.value,
            and_(
                t.lines.c.state == LineState.RESERVED.value,
                or_(t.lines.c.reserved_by == clerk_id, t.lines.c.reserved_until <= at),
            ),
        )

    def take_line(self, line_id: int, customer_id: int, clerk_id: int, at: datetime) -> bool:
        result = self.conn.execute(
            update(t.lines)
            .where(t.lines.c.id == line_id, self._takeable(clerk_id, at))
            .values(
                state=LineState.PENDING_REVIEW.value,
                customer_id=customer_id,
                reserved_by=None,
                reserved_until=None,
                updated_at=at,
            )
        )
        return result.rowcount == 1

    def reserve_line(self, line_id: int, clerk_id: int, until: datetime, at: datetime) -> bool:
        result = self.conn.execute(
            update(t.lines)
            .where(t.lines.c.id == line_id, self._takeable(clerk_id, at))
            .values(
                state=LineState.RESERVED.value,
                reserved_by=clerk_id,
                reserved_until=until,
                updated_at=at,
            )
        )
        return result.rowcount == 1

    def set_line_state(self, line_id: int, state: LineState, at: datetime) -> None:
        values: dict[str, object] = {"state": state.value, "updated_at": at}
        if state is LineState.AVAILABLE:
            values.update(
                customer_id=None,
                real_name_state=None,
                reserved_by=None,
                reserved_until=None,
                opened_at=None,
            )
        elif state is LineState.ACTIVE:
            values.update(real_name_state="verified", opened_at=at)
        self.conn.execute(update(t.lines).where(t.lines.c.id == line_id).values(**values))

    # -- customers and RN-05 ----------------------------------------------------------------

    def held_lines(self, doc_index: str) -> int:
        held = self.conn.execute(
            select(t.customers.c.held_lines).where(t.customers.c.doc_index == doc_index)
        ).scalar_one_or_none()
        return int(held or 0)

    def claim_line_slot(
        self,
        doc_type: str,
        doc_index: str,
        doc_number_enc: bytes,
        doc_masked: str,
        at: datetime,
        per_id_limit: int | None,
    ) -> int | None:
        return claim_document_slot(
            self.conn,
            doc_type=doc_type,
            doc_index=doc_index,
            doc_number_enc=doc_number_enc,
            doc_masked=doc_masked,
            at=at,
            per_id_limit=per_id_limit,
        )

    def release_line_slot(self, customer_id: int) -> None:
        self.conn.execute(
            update(t.customers)
            .where(t.customers.c.id == customer_id, t.customers.c.held_lines > 0)
            .values(held_lines=t.customers.c.held_lines - 1)
        )

    # -- re-registration of legacy lines (RN-13) --------------------------------------------

    def legacy_line(self, line_id: int) -> LegacyLine | None:
        row = self.conn.execute(
            select(
                t.lines.c.id,
                t.lines.c.msisdn,
                t.lines.c.state,
                t.lines.c.real_name_state,
                t.lines.c.customer_id,
            ).where(t.lines.c.id == line_id)
        ).one_or_none()
        if row is None:
            return None
        return LegacyLine(
            row.id,
            row.msisdn,
            LineState(row.state),
            RealNameState(row.real_name_state) if row.real_name_state else None,
            row.customer_id,
        )

    def mark_reverification(self, line_id: int, customer_id: int, at: datetime) -> bool:
        """Attach the new identity while review runs; only one re-registration at a time."""
        result = self.conn.execute(
            update(t.lines)
            .where(
                t.lines.c.id == line_id,
                t.lines.c.real_name_state == RealNameState.LEGACY_UNVERIFIED.value,
            )
            .values(
                real_name_state=RealNameState.REVERIFICATION_PENDING.value,
                customer_id=customer_id,
                # The base's identity problem stays on record until the new one is approved:
                # a refused re-registration leaves the line as it was.
                updated_at=at,
            )
        )
        return result.rowcount == 1

    def mark_verified(self, line_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.lines)
            .where(t.lines.c.id == line_id)
            # identity_issue and named_doc_index stay: they are read only while the line is
            # unverified, and a cancelled approval makes it so again.
            .values(real_name_state=RealNameState.VERIFIED.value, updated_at=at)
        )

    def mark_unverified(self, line_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.lines)
            .where(t.lines.c.id == line_id)
            .values(
                real_name_state=RealNameState.LEGACY_UNVERIFIED.value,
                customer_id=None,
                updated_at=at,
            )
        )

    def ask_to_resubmit(
        self, target_id: int, line_id: int, *, key: str, body: str, at: datetime
    ) -> None:
        ct = t.campaign_targets
        target = self.conn.execute(
            select(ct.c.campaign_id, t.lines.c.msisdn)
            .join(t.lines, t.lines.c.id == ct.c.line_id)
            .join(t.campaigns, t.campaigns.c.id == ct.c.campaign_id)
            # A closed campaign's link only says it has ended: no SMS to send it again.
            .where(ct.c.id == target_id, ct.c.line_id == line_id, t.campaigns.c.status == "running")
        ).one_or_none()
        if target is None:
            return
        # Imported here: the outbox's own module builds on this one.
        from simreg.db.sms_outbox_store import enqueue

        enqueue(
            self.conn,
            dedupe_key=key,
            msisdn=target.msisdn,
            body=body,
            campaign_id=target.campaign_id,
            target_id=target_id,
            at=at,
        )

    def record_reregistration(
        self, target_id: int | None, line_id: int, at: datetime, *, submitted_at: datetime
    ) -> bool:
        """Credit the campaign that asked (``target_id``) and lift every campaign suspension
        on the line, whichever campaign, running or closed, suspended it: a verified holder's
        line is back in service. True when the line was restored. The re-registration is the
        call's when a call came before the documents were sent, not merely before the review
        approved them."""
        ct = t.campaign_targets
        if target_id is not None:
            called = aware(
                self.conn.execute(
                    select(ct.c.called_at).where(ct.c.id == target_id, ct.c.line_id == line_id)
                ).scalar_one_or_none()
            )
            self.conn.execute(
                update(ct)
                .where(
                    ct.c.id == target_id,
                    ct.c.line_id == line_id,
                    ct.c.re_registered_at.is_(None),
                )
                .values(
                    re_registered_at=at,
                    re_registered_after=(
                        "call" if called is not None and called <= submitted_at else "sms"
                    ),
                )
            )
            # Open call tasks have nothing left to do.
            self.conn.execute(
                update(t.call_tasks)
                .where(t.call_tasks.c.target_id == target_id, t.call_tasks.c.status == "open")
                .values(status="done", closed_at=at, last_outcome="re_registered")
            )
        lifted = self.conn.execute(
            update(ct)
            .where(
                ct.c.line_id == line_id,
                ct.c.suspended_one_way_at.is_not(None),
                ct.c.restored_at.is_(None),
            )
            .values(restored_at=at)
        ).rowcount
        if not lifted:
            return False
        restored = self.conn.execute(
            update(t.lines)
            .where(
                t.lines.c.id == line_id,
                t.lines.c.state.in_(
                    [LineState.SUSPENDED_ONE_WAY.value, LineState.SUSPENDED_TWO_WAY.value]
                ),
            )
            .values(state=LineState.ACTIVE.value, updated_at=at)
        ).rowcount
        if restored:
            self._line_event(line_id, "line.restored", at, reason="re_registered")
        return True

    def _line_event(self, line_id: int, action: str, at: datetime, **details: Any) -> None:
        """A line's own audit row, so a search by its number says who changed its service
        and why (RN-13)."""
        msisdn = self.conn.execute(
            select(t.lines.c.msisdn).where(t.lines.c.id == line_id)
        ).scalar_one()
        record_audit(
            self.conn,
            AuditEvent(
                action=action, outcome="ok", at=at, msisdn=msisdn, codes=("RN-13",), details=details
            ),
        )

    def open_campaign_target(self, line_id: int) -> int | None:
        """The running campaign asking this line to re-register, if any (one at a time)."""
        ct = t.campaign_targets
        found = self.conn.execute(
            select(ct.c.id)
            .join(t.campaigns, t.campaigns.c.id == ct.c.campaign_id)
            .where(
                ct.c.line_id == line_id,
                ct.c.re_registered_at.is_(None),
                t.campaigns.c.status == "running",
            )
            .order_by(ct.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        return int(found) if found is not None else None

    def undo_reregistration(
        self, target_id: int | None, line_id: int, at: datetime, *, approved_at: datetime
    ) -> None:
        """A re-registration cancelled after approval: the line is unverified again. The
        campaign that asked it no longer counts it, and calls again while it runs; the
        campaign suspensions its approval lifted (``restored_at`` = ``approved_at``, running
        or closed campaigns) are made again at once."""
        ct = t.campaign_targets
        running = select(t.campaigns.c.id).where(t.campaigns.c.status == "running")
        if target_id is not None:
            self.conn.execute(
                update(ct)
                .where(ct.c.id == target_id, ct.c.line_id == line_id)
                .values(re_registered_at=None, re_registered_after=None)
            )
            self.conn.execute(
                update(t.call_tasks)
                .where(
                    t.call_tasks.c.target_id == target_id,
                    t.call_tasks.c.status == "done",
                    t.call_tasks.c.last_outcome == "re_registered",
                    t.call_tasks.c.campaign_id.in_(running),
                )
                .values(
                    status="open", due_at=at, closed_at=None, assigned_to=None, claimed_until=None
                )
            )
        lifted = self.conn.execute(
            select(ct.c.id, ct.c.suspended_two_way_at).where(
                ct.c.line_id == line_id, ct.c.restored_at == approved_at
            )
        ).all()
        if not lifted:
            return
        self.conn.execute(
            update(ct).where(ct.c.id.in_([r.id for r in lifted])).values(restored_at=None)
        )
        two_way = any(r.suspended_two_way_at is not None for r in lifted)
        state = LineState.SUSPENDED_TWO_WAY if two_way else LineState.SUSPENDED_ONE_WAY
        suspended = self.conn.execute(
            update(t.lines)
            .where(t.lines.c.id == line_id, t.lines.c.state == LineState.ACTIVE.value)
            .values(state=state.value, updated_at=at)
        ).rowcount
        if suspended:
            self._line_event(
                line_id, "line.suspended", at, state=state.value, reason="re_registration_cancelled"
            )

    # -- registrations ----------------------------------------------------------------------

    def add_registration(
        self,
        registration: Registration,
        *,
        name_enc: bytes,
        name_masked: str,
        inspection_method: str,
        resubmission_of: str | None,
    ) -> None:
        self.conn.execute(
            t.registrations.insert().values(
                id=registration.id,
                state=registration.state.value,
                customer_id=registration.customer_id,
                line_id=registration.line_id,
                channel_id=registration.channel_id,
                outlet_id=registration.outlet_id,
                device_id=registration.device_id,
                clerk_id=registration.clerk_id,
                name_enc=name_enc,
                name_masked=name_masked,
                inspection_method=inspection_method,
                submitted_at=registration.submitted_at,
                resubmission_of=resubmission_of,
                source=registration.source.value,
                campaign_target_id=registration.campaign_target_id,
            )
        )

    def add_photos(self, registration_id: str, photos: list[StoredPhoto]) -> None:
        if not photos:
            return
        self.conn.execute(
            t.registration_photos.insert(),
            [
                {
                    "registration_id": registration_id,
                    "kind": p.kind,
                    "store_key": p.store_key,
                    "content_type": p.content_type,
                    "width": p.width,
                    "height": p.height,
                    "size": p.size,
                    "sha256": p.sha256,
                    "phash": p.phash or None,
                }
                for p in photos
            ],
        )

    def lock_registration(self, registration_id: str) -> None:
        self.conn.execute(
            select(t.registrations.c.id)
            .where(t.registrations.c.id == registration_id)
            .with_for_update()
        )

    def live_resubmission(self, registration_id: str) -> str | None:
        return live_resubmission(self.conn, registration_id)

    def get_registration(self, registration_id: str) -> Registration | None:
        r = self.conn.execute(
            select(t.registrations).where(t.registrations.c.id == registration_id)
        ).one_or_none()
        if r is None:
            return None
        return Registration(
            id=r.id,
            state=RegistrationState(r.state),
            customer_id=r.customer_id,
            line_id=r.line_id,
            channel_id=r.channel_id,
            outlet_id=r.outlet_id,
            clerk_id=r.clerk_id,
            device_id=r.device_id,
            submitted_at=_utc(r.submitted_at),
            reviewer_id=r.reviewer_id,
            approved_at=aware(r.approved_at),
            decided_at=aware(r.decided_at),
            activated_at=aware(r.activated_at),
            cancelled_at=aware(r.cancelled_at),
            rejection_reasons=tuple(RejectionReason(x) for x in (r.rejection_reasons or [])),
            rejection_comment=r.rejection_comment,
            source=RegistrationSource(r.source),
            campaign_target_id=r.campaign_target_id,
        )

    def save_registration(self, registration: Registration, expected_state: str) -> bool:
        result = self.conn.execute(
            update(t.registrations)
            .where(
                t.registrations.c.id == registration.id,
                t.registrations.c.state == expected_state,
            )
            .values(
                state=registration.state.value,
                reviewer_id=registration.reviewer_id,
                approved_at=registration.approved_at,
                decided_at=registration.decided_at,
                activated_at=registration.activated_at,
                cancelled_at=registration.cancelled_at,
                rejection_reasons=[r.value for r in registration.rejection_reasons] or None,
                rejection_comment=registration.rejection_comment,
            )
        )
        return result.rowcount == 1

    # -- audit ------------------------------------------------------------------------------

    def record(self, event: AuditEvent) -> None:
        record_audit(self.conn, event)

    # -- review claims ----------------------------------------------------------------------

    def claim_holder(self, registration_id: str, now: datetime) -> int | None:
        holder = self.conn.execute(
            select(t.review_claims.c.reviewer_id).where(
                t.review_claims.c.registration_id == registration_id,
                t.review_claims.c.expires_at > now,
            )
        ).scalar_one_or_none()
        return int(holder) if holder is not None else None

    def claim(self, registration_id: str, reviewer_id: int, now: datetime, until: datetime) -> bool:
        """Take or renew a claim. The registration id is the claims table's primary key, so of
        two reviewers inserting at once exactly one row survives; an expired claim, or one the
        same reviewer already holds, is replaced by a conditional update."""
        renewed = self.conn.execute(
            update(t.review_claims)
            .where(
                t.review_claims.c.registration_id == registration_id,
                or_(
                    t.review_claims.c.expires_at <= now,
                    t.review_claims.c.reviewer_id == reviewer_id,
                ),
            )
            .values(reviewer_id=reviewer_id, claimed_at=now, expires_at=until)
        )
        if renewed.rowcount == 1:
            return True
        insert = upsert_insert(self.conn)
        created = self.conn.execute(
            insert(t.review_claims)
            .values(
                registration_id=registration_id,
                reviewer_id=reviewer_id,
                claimed_at=now,
                expires_at=until,
            )
            .on_conflict_do_nothing(index_elements=["registration_id"])
            .returning(t.review_claims.c.registration_id)
        ).first()
        # RETURNING, not rowcount: drivers report -1 for INSERT ... ON CONFLICT.
        return created is not None

    def release_claim(self, registration_id: str) -> None:
        self.conn.execute(
            t.review_claims.delete().where(t.review_claims.c.registration_id == registration_id)
        )

    def claimable(self, reviewer_id: int, now: datetime, limit: int) -> list[str]:
        """Oldest waiting registrations nobody else holds, the reviewer's own claims first."""
        r, c = t.registrations, t.review_claims
        mine = case((c.c.reviewer_id == reviewer_id, 0), else_=1)
        rows = self.conn.execute(
            select(r.c.id)
            .outerjoin(c, c.c.registration_id == r.c.id)
            .where(
                r.c.state == "pending_review",
                or_(
                    c.c.registration_id.is_(None),
                    c.c.expires_at <= now,
                    c.c.reviewer_id == reviewer_id,
                ),
            )
            .order_by(mine, r.c.submitted_at)
            .limit(limit)
        )
        return [row.id for row in rows]
