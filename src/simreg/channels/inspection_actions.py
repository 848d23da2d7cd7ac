"""Mystery-shopper inspections, violations and penalties (RN-15), as part of ChannelService."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from simreg.channels.compliance import (
    CHECKLIST_RULES,
    PATTERN_MIN_DECIDED,
    PATTERN_QUIET,
    PATTERN_RATE,
    REPEAT_WINDOW,
    Penalty,
    PenaltyScale,
    RejectionPattern,
    check_period,
    quarter_of,
    rule_for_reason,
)
from simreg.channels.domain import Channel, ChannelStatus
from simreg.channels.ports import ChannelTransaction, ChannelUnitOfWork
from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from simreg.channels.services import EvidenceStore

GOVERNORS = (Role.CHANNEL_MANAGER, Role.ADMIN)


class InspectionActions:
    uow: ChannelUnitOfWork
    clock: Clock
    penalties: PenaltyScale
    evidence: EvidenceStore | None
    zone: ZoneInfo

    def _apply(
        self,
        tx: ChannelTransaction,
        actor: Actor,
        channel: Channel,
        action: str,
        reason: str,
        **details: Any,
    ) -> Channel:
        raise NotImplementedError  # ChannelService provides the lifecycle step

    def _channel_by_code(self, tx: ChannelTransaction, code: str) -> Channel:
        channel = tx.channel_by_code(code)
        if channel is None:
            raise NotFound(f"No channel {code}.", code="CHANNEL-UNKNOWN", message_zh="渠道不存在。")
        return channel

    # -- mystery-shopper inspections and violations (RN-15) ---------------------------------

    def plan_inspections(
        self,
        actor: Actor,
        period: str,
        *,
        risk: Mapping[int, float] | None = None,
        extra_draws: int = 0,
    ) -> list[int]:
        """Every active social channel gets an inspection in the quarter unless it has one;
        then ``extra_draws`` more are drawn among them, weighted by risk score. The draw is
        seeded by the period, so planning the same quarter twice draws the same channels."""
        actor.require(*GOVERNORS)
        try:
            period = check_period(period)
        except ValueError:
            raise InvalidInput(
                "Write the period like 2026Q4.", code="PERIOD", message_zh="期间格式如 2026Q4。"
            ) from None
        # The operator's day: a quarter ends at midnight where the operator is, not in UTC.
        if period < quarter_of(self.clock.now().astimezone(self.zone).date()):
            # Visits are planned ahead; a quarter that is over can no longer be visited.
            raise InvalidInput(
                f"{period} is over; plan this quarter or a later one.",
                code="PERIOD-PAST",
                message_zh=f"{period} 已结束，请安排本季度或以后的检查。",
                period=period,
            )
        now = self.clock.now()
        with self.uow.begin() as tx:
            done = tx.channels_inspected_in(period)
            active = tx.active_social_channels()
            planned = [
                tx.add_inspection(channel_id=channel_id, period=period, reason="quarterly", at=now)
                for channel_id in active
                if channel_id not in done
            ]
            if planned and extra_draws > 0:
                weights = {c: 1.0 + (risk or {}).get(c, 0.0) for c in active}
                for channel_id in _weighted_draw(weights, extra_draws, seed=period):
                    planned.append(
                        tx.add_inspection(
                            channel_id=channel_id, period=period, reason="risk", at=now
                        )
                    )
            tx.record(
                AuditEvent(
                    action="inspection.planned",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    details={"period": period, "planned": len(planned)},
                )
            )
            return planned

    def record_inspection(
        self, actor: Actor, inspection_id: int, failed: list[str], notes: str
    ) -> list[Penalty]:
        """Record a mystery-shopper visit; each failed checklist item is a violation whose
        penalty escalates with the channel's earlier violations, and is applied at once."""
        actor.require(*GOVERNORS)
        unknown = [rule for rule in failed if rule not in CHECKLIST_RULES]
        if unknown:
            raise InvalidInput(
                "Unknown checklist items.",
                code="CHECKLIST",
                message_zh="检查项不存在。",
                items=unknown,
            )
        now = self.clock.now()
        with self.uow.begin() as tx:
            found = tx.inspection(inspection_id)
            if found is None:
                raise NotFound(
                    "No such inspection.", code="INSPECTION-UNKNOWN", message_zh="该检查不存在。"
                )
            channel_id, status = found
            if status == "done":
                raise Conflict(
                    "This inspection is already recorded.",
                    code="INSPECTION-DONE",
                    message_zh="该检查已记录结果。",
                )
            checklist = {rule: rule not in failed for rule in sorted(CHECKLIST_RULES)}
            tx.complete_inspection(
                inspection_id,
                inspector_id=actor.staff_id,
                result="fail" if failed else "pass",
                checklist=checklist,
                notes=notes,
                at=now,
            )
            penalties = [
                self._violation(tx, actor, channel_id, rule, "inspection", inspection_id, notes)
                for rule in sorted(set(failed))
            ]
            return penalties

    def assign_inspector(self, actor: Actor, inspection_id: int, username: str) -> None:
        """Give a planned visit to a named inspector (a channel manager or a risk analyst)."""
        actor.require(*GOVERNORS)
        now = self.clock.now()
        with self.uow.begin() as tx:
            found = tx.inspection(inspection_id)
            if found is None:
                raise NotFound(
                    "No such inspection.", code="INSPECTION-UNKNOWN", message_zh="该检查不存在。"
                )
            if found[1] == "done":
                raise Conflict(
                    "This inspection is already recorded.",
                    code="INSPECTION-DONE",
                    message_zh="该检查已记录结果。",
                )
            inspector = tx.inspector_id(username)
            if inspector is None:
                raise InvalidInput(
                    f"{username} is not an active inspector.",
                    code="INSPECTOR-UNKNOWN",
                    message_zh=f"{username} 不是在职的检查员。",
                )
            tx.assign_inspection(inspection_id, inspector)
            tx.record(
                AuditEvent(
                    action="inspection.assigned",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    details={"inspection": inspection_id, "inspector": username},
                )
            )

    def flag_rejection_patterns(
        self, actor: Actor, patterns: list[RejectionPattern]
    ) -> list[tuple[str, Penalty]]:
        """Channels whose registrations the back-office keeps rejecting get a violation, once
        per 30 days, under the rule their dominant rejection reason points to."""
        actor.require(*GOVERNORS)
        now = self.clock.now()
        flagged = []
        with self.uow.begin() as tx:
            for pattern in patterns:
                if (
                    pattern.decided < PATTERN_MIN_DECIDED
                    or pattern.rejected / pattern.decided < PATTERN_RATE
                ):
                    continue
                if tx.violations_since(pattern.channel_id, now - PATTERN_QUIET, source="review"):
                    continue
                note = (
                    f"back-office rejected {pattern.rejected} of {pattern.decided} "
                    f"registrations; mostly {pattern.dominant_reason}"
                )
                penalty = self._violation(
                    tx,
                    actor,
                    pattern.channel_id,
                    rule_for_reason(pattern.dominant_reason),
                    "review",
                    None,
                    note,
                )
                flagged.append((tx.channel_by_id(pattern.channel_id).code, penalty))
        return flagged

    def add_evidence(self, actor: Actor, inspection_id: int, data: bytes) -> int:
        """An inspector's photo from the visit, verified like document photos and stored
        encrypted; the file is removed again if the transaction fails."""
        actor.require(*GOVERNORS)
        if self.evidence is None:
            raise InvalidInput("Evidence photos are not configured.", code="EVIDENCE")
        photo = self.evidence.check(data)
        now = self.clock.now()
        key = self.evidence.store.put(photo.data)
        try:
            with self.uow.begin() as tx:
                if tx.inspection(inspection_id) is None:
                    raise NotFound(
                        "No such inspection.",
                        code="INSPECTION-UNKNOWN",
                        message_zh="该检查不存在。",
                    )
                evidence_id = tx.add_evidence(
                    inspection_id=inspection_id,
                    store_key=key,
                    content_type=photo.content_type,
                    width=photo.width,
                    height=photo.height,
                    size=photo.size,
                    added_by=actor.staff_id,
                    at=now,
                )
                tx.record(
                    AuditEvent(
                        action="inspection.evidence",
                        outcome="ok",
                        at=now,
                        actor_staff_id=actor.staff_id,
                        details={"inspection": inspection_id},
                    )
                )
                return evidence_id
        except BaseException:
            self.evidence.store.delete(key)
            raise

    def record_violation(self, actor: Actor, code: str, rule: str, notes: str) -> Penalty:
        """A violation found outside an inspection (a complaint, a review pattern)."""
        actor.require(*GOVERNORS)
        if rule not in CHECKLIST_RULES:
            raise InvalidInput(
                "Unknown rule.", code="CHECKLIST", message_zh="检查项不存在。", items=[rule]
            )
        with self.uow.begin() as tx:
            channel = self._channel_by_code(tx, code)
            return self._violation(tx, actor, channel.id, rule, "manual", None, notes)

    def _violation(
        self,
        tx: ChannelTransaction,
        actor: Actor,
        channel_id: int,
        rule: str,
        source: str,
        inspection_id: int | None,
        notes: str,
    ) -> Penalty:
        now = self.clock.now()
        earlier = tx.violations_since(channel_id, now - REPEAT_WINDOW)
        penalty = self.penalties.penalty_for(rule, earlier)
        tx.add_violation(
            channel_id=channel_id,
            rule=rule,
            source=source,
            inspection_id=inspection_id,
            at=now,
            recorded_by=actor.staff_id,
            penalty=penalty.value,
            notes=notes,
            points=self.penalties.points_for(penalty),
            fine_yuan=self.penalties.fine_for(penalty),
        )
        channel = tx.channel_by_id(channel_id)
        reason = f"{rule} violation ({source}); penalty {penalty.value}"
        if penalty is Penalty.SUSPENSION and channel.status is ChannelStatus.ACTIVE:
            self._apply(tx, actor, channel, "suspend", reason)
        elif penalty is Penalty.TERMINATION and channel.status is not ChannelStatus.TERMINATED:
            unit, manager = tx.accountability(channel_id)
            self._apply(
                tx,
                actor,
                channel,
                "terminate",
                reason,
                responsible_unit=unit,
                responsible_manager=manager,
            )
        return penalty


def _weighted_draw(weights: dict[int, float], count: int, *, seed: str) -> list[int]:
    """Up to ``count`` different channels, each drawn with probability in proportion to its
    weight among those not yet drawn."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible plan, not a secret
    pool = dict(weights)
    drawn: list[int] = []
    while pool and len(drawn) < count:
        ids = sorted(pool)
        choice = rng.choices(ids, weights=[pool[i] for i in ids])[0]
        drawn.append(choice)
        del pool[choice]
    return drawn
