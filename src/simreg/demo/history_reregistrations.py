"""Legacy subscribers who re-registered over the demo's past year (RN-13): pre-2013 lines the
imported base already shows as verified got that way through a re-registration, some at the
demo's own hall, most through the link in a campaign SMS, each reviewed by a back-office
reviewer. Their registrations are what the past censuses read the change from
(``census_history``), and their decisions give the review-time report its history.

Inserted in bulk: a few hundred registrations through the service, photo by photo, would
slow the demo's start for nothing the report pages could tell apart.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, insert, select

from simreg.adapters.analytics import IN_SERVICE
from simreg.bootstrap import Simreg
from simreg.core.audit import AuditEvent
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
from simreg.demo.story import REVIEWER_PACE, review_wait, rising, story_start, working_hours
from simreg.legacy.staging import HOLDER_NAME_PURPOSE
from simreg.lines.domain import RealNameState
from simreg.registration.self_service import ONLINE_UPLOAD

SEEDED_ACTION = "demo.reregistrations_seeded"
SHARE = 0.9  # of the verified pre-cut-off legacy lines, those that re-registered in the story
AT_THE_HALL = 0.35  # the rest re-registered through their SMS link


def seed_reregistrations(
    simreg: Simreg,
    *,
    staff_ids: dict[str, int],
    hall: tuple[int, int],  # (channel id, outlet id) of the demo's own hall
    rng: random.Random,
) -> int:
    """Give the chosen legacy lines a re-registration at a past moment; returns how many."""
    now = simreg.clock.now()
    zone = ZoneInfo(simreg.settings.timezone)
    start, end = story_start(now), now - timedelta(days=1)
    cutoff_at = simreg.reports.day_start(simreg.reports.settings.cutoff)
    fields = simreg.vault.fields
    reviewers = list(REVIEWER_PACE)
    rows: list[dict[str, object]] = []
    with simreg.engine.begin() as conn:
        for line_id, customer_id, name_enc, name_masked in _candidates(conn, cutoff_at):
            if rng.random() >= SHARE:
                continue
            submitted = working_hours(rising(rng, start, end), zone)
            reviewer = rng.choice(reviewers)
            decided = submitted + timedelta(seconds=review_wait(rng, reviewer))
            at_hall = rng.random() < AT_THE_HALL
            name = fields.decrypt_text(name_enc, HOLDER_NAME_PURPOSE)
            rows.append(
                {
                    "id": uuid4().hex,
                    "state": "active",
                    "customer_id": customer_id,
                    "line_id": line_id,
                    "channel_id": hall[0] if at_hall else None,
                    "outlet_id": hall[1] if at_hall else None,
                    "clerk_id": staff_ids["clerk.hall"] if at_hall else None,
                    "source": "counter_rereg" if at_hall else "self_service",
                    "name_enc": fields.encrypt_text(name, "registration.name"),
                    "name_masked": name_masked,
                    "inspection_method": "chip_reader" if at_hall else ONLINE_UPLOAD,
                    "submitted_at": submitted,
                    "reviewer_id": staff_ids[reviewer],
                    "approved_at": decided,
                    "decided_at": decided,
                    "activated_at": decided,
                }
            )
        if rows:
            conn.execute(insert(t.registrations), rows)
        record_audit(
            conn,
            AuditEvent(
                action=SEEDED_ACTION,
                outcome="ok",
                at=now,
                details={"registrations": len(rows), "seeded_by": "simreg demo"},
            ),
        )
    return len(rows)


def _candidates(conn: Connection, cutoff_at: datetime) -> list[tuple[int, int, bytes, str]]:
    """Verified legacy lines in service, opened before the cut-off, with a holder name and
    no registration yet, in a stable order (the demo's story is the same on every run)."""
    ln, r = t.lines, t.registrations
    registered = select(r.c.id).where(r.c.line_id == ln.c.id).exists()
    rows = conn.execute(
        select(ln.c.id, ln.c.customer_id, ln.c.holder_name_enc, ln.c.holder_name_masked)
        .where(
            and_(
                ln.c.imported_at.is_not(None),
                ln.c.state.in_(IN_SERVICE),
                ln.c.real_name_state == RealNameState.VERIFIED.value,
                ln.c.opened_at < cutoff_at,
                ln.c.customer_id.is_not(None),
                ln.c.holder_name_enc.is_not(None),
                ~registered,
            )
        )
        .order_by(ln.c.id)
    )
    return [
        (int(x.id), int(x.customer_id), bytes(x.holder_name_enc), str(x.holder_name_masked))
        for x in rows
    ]
