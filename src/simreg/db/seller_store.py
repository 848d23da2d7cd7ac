"""Reports of unauthorised online sellers, in SQL, with their service operations.

Small enough to keep reads and writes together; each operation is one transaction with its
audit row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, insert, select, update

from simreg.channels.inspection_actions import GOVERNORS
from simreg.channels.sellers import NEXT, SellerReportStatus
from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.errors import Conflict, InvalidInput, NotFound
from simreg.db import tables as t
from simreg.db.audit_store import record_audit

REPORTERS = (*GOVERNORS, Role.RISK_ANALYST)


class SellerReports:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def report(
        self, actor: Actor, *, address: str, platform: str, evidence: str, observed_on: date
    ) -> int:
        actor.require(*REPORTERS)
        if not address.strip() or not platform.strip() or not evidence.strip():
            raise InvalidInput(
                "Give the address, the platform and the evidence.",
                code="SELLER-FIELDS",
                message_zh="请填写网址、平台和证据。",
            )
        if observed_on > self.clock.today():
            raise InvalidInput(
                "The observation date is in the future.",
                code="DATE-FUTURE",
                message_zh="发现日期不能晚于今天。",
            )
        now = self.clock.now()
        with self.engine.begin() as conn:
            report_id = int(
                conn.execute(
                    insert(t.seller_reports)
                    .values(
                        address=address.strip(),
                        platform=platform.strip(),
                        evidence=evidence.strip(),
                        observed_on=observed_on,
                        status=SellerReportStatus.REPORTED.value,
                        reported_by=actor.staff_id,
                        created_at=now,
                    )
                    .returning(t.seller_reports.c.id)
                ).scalar_one()
            )
            record_audit(
                conn,
                AuditEvent(
                    action="seller.reported",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    details={"report": report_id, "platform": platform.strip()},
                ),
            )
            return report_id

    def advance(self, actor: Actor, report_id: int, step: str, note: str) -> SellerReportStatus:
        actor.require(*REPORTERS)
        if step not in NEXT:
            raise InvalidInput("Unknown step.", code="STEP", allowed=sorted(NEXT))
        allowed, target = NEXT[step]
        now = self.clock.now()
        values: dict[str, object] = {"status": target.value}
        if target is SellerReportStatus.HANDED_OVER:
            if not note.strip():
                raise InvalidInput(
                    "Give the regulator's reference for the hand-over.",
                    code="REGULATOR-REF",
                    message_zh="请填写移交市场监管部门的编号。",
                )
            values.update(handed_over_at=now, regulator_ref=note.strip())
        else:
            values.update(closed_at=now, outcome=note.strip() or None)
        with self.engine.begin() as conn:
            current = conn.execute(
                select(t.seller_reports.c.status).where(t.seller_reports.c.id == report_id)
            ).scalar_one_or_none()
            if current is None:
                raise NotFound("No such report.", code="SELLER-REPORT-UNKNOWN")
            if SellerReportStatus(current) not in allowed:
                raise Conflict(
                    f"The report is {current}; cannot {step.replace('_', ' ')}.",
                    code="SELLER-REPORT-STATE",
                    state=current,
                )
            conn.execute(
                update(t.seller_reports).where(t.seller_reports.c.id == report_id).values(**values)
            )
            record_audit(
                conn,
                AuditEvent(
                    action=f"seller.{step}",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    details={"report": report_id},
                ),
            )
        return target

    def list(self, actor: Actor) -> list[dict[str, Any]]:
        actor.require(*REPORTERS, Role.AUDITOR)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.seller_reports).order_by(t.seller_reports.c.created_at.desc()).limit(200)
            )
            return [dict(r._mapping) for r in rows]
