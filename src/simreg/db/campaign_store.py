"""Campaign steps in SQL. Every step that touches targets is one set-based statement, so a
campaign over a million lines costs a few statements, not a million round trips."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Text,
    and_,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from simreg.campaigns.domain import Campaign, CampaignPlan, CampaignStatus, TargetFilters
from simreg.campaigns.ports import CallTask, LinkTarget
from simreg.core.audit import AuditEvent
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
from simreg.db.repositories import aware
from simreg.db.sms_outbox_store import enqueue
from simreg.lines.domain import LineState, RealNameState

ct = t.campaign_targets
_START_LOCK = 0x5349_4D52_0013  # an application-wide advisory lock key for campaign starts
LEGACY = RealNameState.LEGACY_UNVERIFIED.value


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def target_conditions(
    filters: TargetFilters, unit_ids: list[int] | None
) -> list[ColumnElement[bool]]:
    """Legacy lines without real-name data that the filters pick (RN-13)."""
    lines = t.lines
    found: list[ColumnElement[bool]] = [
        lines.c.real_name_state == LEGACY,
        lines.c.state.in_([s.value for s in filters.line_states]),
    ]
    if unit_ids is not None:
        found.append(t.channels.c.org_unit_id.in_(unit_ids))
    if filters.channel_id is not None:
        found.append(lines.c.channel_id == filters.channel_id)
    if filters.line_kind is not None:
        found.append(lines.c.kind == filters.line_kind.value)
    if filters.opened_from is not None:
        found.append(lines.c.opened_at >= _midnight(filters.opened_from))
    if filters.opened_to is not None:
        found.append(lines.c.opened_at < _midnight(filters.opened_to + timedelta(days=1)))
    return found


def _not_in_running_campaign() -> ColumnElement[bool]:
    """A line is asked by one running campaign at a time."""
    other = t.campaign_targets.alias("other")
    return ~exists().where(
        other.c.line_id == t.lines.c.id,
        other.c.re_registered_at.is_(None),
        other.c.campaign_id.in_(
            select(t.campaigns.c.id).where(t.campaigns.c.status == CampaignStatus.RUNNING.value)
        ),
    )


class SqlCampaignTransaction:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    # -- campaigns ---------------------------------------------------------------------------

    def org_unit_subtree(self, org_unit_id: int) -> list[int]:
        units = self.conn.execute(select(t.org_units.c.id, t.org_units.c.parent_id)).all()
        children: dict[int | None, list[int]] = {}
        for unit in units:
            children.setdefault(unit.parent_id, []).append(unit.id)
        if org_unit_id not in {u.id for u in units}:
            return []
        found, todo = [], [org_unit_id]
        while todo:
            current = todo.pop()
            found.append(current)
            todo.extend(children.get(current, []))
        return found

    def channel_exists(self, channel_id: int) -> bool:
        return (
            self.conn.execute(select(t.channels.c.id).where(t.channels.c.id == channel_id)).first()
            is not None
        )

    def _candidates(self, filters: TargetFilters, unit_ids: list[int] | None) -> Any:
        return (
            t.lines.outerjoin(t.channels, t.channels.c.id == t.lines.c.channel_id),
            and_(*target_conditions(filters, unit_ids), _not_in_running_campaign()),
        )

    def count_targets(self, filters: TargetFilters, unit_ids: list[int] | None) -> int:
        source, where = self._candidates(filters, unit_ids)
        return int(
            self.conn.execute(select(func.count()).select_from(source).where(where)).scalar_one()
        )

    def add_campaign(self, plan: CampaignPlan, created_by: int, at: datetime) -> int:
        return int(
            self.conn.execute(
                insert(t.campaigns)
                .values(
                    name=plan.name,
                    status=CampaignStatus.DRAFT.value,
                    filters=plan.filters.to_json(),
                    sms_template=plan.sms_template,
                    call_after_days=plan.call_after_days,
                    link_valid_days=plan.link_valid_days,
                    deadline=plan.deadline,
                    two_way_after_days=plan.two_way_after_days,
                    created_by=created_by,
                    created_at=at,
                )
                .returning(t.campaigns.c.id)
            ).scalar_one()
        )

    def get_campaign(self, campaign_id: int) -> Campaign | None:
        row = self.conn.execute(
            select(t.campaigns).where(t.campaigns.c.id == campaign_id)
        ).one_or_none()
        return _campaign(row) if row is not None else None

    def running_campaigns(self) -> list[Campaign]:
        rows = self.conn.execute(
            select(t.campaigns)
            .where(t.campaigns.c.status == CampaignStatus.RUNNING.value)
            .order_by(t.campaigns.c.id)
        )
        return [_campaign(row) for row in rows]

    def lock_campaign_starts(self) -> None:
        # SQLite transactions already run one at a time (BEGIN IMMEDIATE, ADR 2).
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(select(func.pg_advisory_xact_lock(_START_LOCK)))

    def set_status(
        self, campaign_id: int, expected: CampaignStatus, new: CampaignStatus, at: datetime
    ) -> bool:
        stamp = {CampaignStatus.RUNNING: "started_at", CampaignStatus.CLOSED: "closed_at"}
        values: dict[str, Any] = {"status": new.value}
        if new in stamp:
            values[stamp[new]] = at
        result = self.conn.execute(
            update(t.campaigns)
            .where(t.campaigns.c.id == campaign_id, t.campaigns.c.status == expected.value)
            .values(**values)
        )
        return result.rowcount == 1

    # -- step 1: targets and SMS --------------------------------------------------------------

    def select_targets(
        self, campaign_id: int, filters: TargetFilters, unit_ids: list[int] | None, at: datetime
    ) -> int:
        source, where = self._candidates(filters, unit_ids)
        chosen = (
            select(
                literal(campaign_id, t.Id),
                t.lines.c.id,
                t.channels.c.org_unit_id,
                t.lines.c.channel_id,
                literal(at, t.Ts),
                literal(at, t.Ts),
            )
            .select_from(source)
            .where(where)
        )
        # Targets are born with their SMS queued (same transaction, see enqueue_first_sms):
        # one pass over the rows instead of an INSERT and then an UPDATE of each.
        self.conn.execute(
            insert(ct).from_select(
                [
                    "campaign_id",
                    "line_id",
                    "org_unit_id",
                    "channel_id",
                    "targeted_at",
                    "sms_queued_at",
                ],
                chosen,
            )
        )
        # Counted, not taken from rowcount: drivers disagree on it for INSERT ... SELECT.
        return self._count(ct, ct.c.campaign_id == campaign_id, ct.c.targeted_at == at)

    def enqueue_first_sms(self, campaign_id: int, body: str, at: datetime) -> int:
        """The first SMS of every target chosen at ``at`` (select_targets marked them)."""
        dedupe = (
            literal("campaign:")
            + cast(ct.c.campaign_id, String)
            + literal(":target:")
            + cast(ct.c.id, String)
            + literal(":sms")
        )
        messages = (
            select(
                dedupe,
                ct.c.campaign_id,
                ct.c.id,
                t.lines.c.msisdn,
                literal(body, Text()),
                literal("queued"),
                literal(at, t.Ts),
                literal(at, t.Ts),
            )
            .join(t.lines, t.lines.c.id == ct.c.line_id)
            .where(ct.c.campaign_id == campaign_id, ct.c.sms_queued_at == at)
        )
        queued = self._count(ct, ct.c.campaign_id == campaign_id, ct.c.sms_queued_at == at)
        self.conn.execute(
            insert(t.sms_outbox).from_select(
                [
                    "dedupe_key",
                    "campaign_id",
                    "target_id",
                    "msisdn",
                    "body",
                    "status",
                    "created_at",
                    "not_before",
                ],
                messages,
            )
        )
        return queued

    # -- step 2: calls, then staged suspension --------------------------------------------------

    def create_call_tasks(self, campaign_id: int, sms_before: datetime, at: datetime) -> int:
        due = (
            select(
                ct.c.id,
                ct.c.campaign_id,
                literal("open"),
                literal(at, t.Ts),
                literal(0),
                literal(at, t.Ts),
            )
            .join(t.lines, t.lines.c.id == ct.c.line_id)
            .where(
                ct.c.campaign_id == campaign_id,
                ct.c.call_task_at.is_(None),
                ct.c.re_registered_at.is_(None),
                # RN-13: the call comes after the SMS went out (or could not be delivered).
                func.coalesce(ct.c.sms_sent_at, ct.c.sms_failed_at) <= sms_before,
                t.lines.c.real_name_state == LEGACY,
                t.lines.c.state.in_(_IN_SERVICE),
            )
        )
        before = self._count(t.call_tasks, t.call_tasks.c.campaign_id == campaign_id)
        self.conn.execute(
            insert(t.call_tasks).from_select(
                ["target_id", "campaign_id", "status", "due_at", "attempts", "created_at"], due
            )
        )
        created = self._count(t.call_tasks, t.call_tasks.c.campaign_id == campaign_id) - before
        self.conn.execute(
            update(ct)
            .where(
                ct.c.campaign_id == campaign_id,
                ct.c.call_task_at.is_(None),
                exists().where(t.call_tasks.c.target_id == ct.c.id),
            )
            .values(call_task_at=at)
        )
        return created

    def suspend(self, campaign_id: int, to: LineState, at: datetime) -> int:
        """One-way after the deadline, two-way later; only lines still unregistered."""
        if to is LineState.SUSPENDED_ONE_WAY:
            stamp, before, already = ct.c.suspended_one_way_at, LineState.ACTIVE, None
        elif to is LineState.SUSPENDED_TWO_WAY:
            stamp, before = ct.c.suspended_two_way_at, LineState.SUSPENDED_ONE_WAY
            already = ct.c.suspended_one_way_at.is_not(None)
        else:
            raise ValueError(to)
        conditions = [
            ct.c.campaign_id == campaign_id,
            # Only holders who were actually asked lose service: an SMS that went out and was
            # not reported undeliverable, or a call made. A holder whose SMS failed waits for
            # the call-centre's attempt (RN-13: SMS first, then the call).
            or_(
                ct.c.sms_delivered_at.is_not(None),
                and_(ct.c.sms_sent_at.is_not(None), ct.c.sms_failed_at.is_(None)),
                ct.c.called_at.is_not(None),
            ),
            ct.c.re_registered_at.is_(None),
            ct.c.restored_at.is_(None),
            stamp.is_(None),
            exists().where(
                t.lines.c.id == ct.c.line_id,
                t.lines.c.state == before.value,
                t.lines.c.real_name_state == LEGACY,
            ),
        ]
        if already is not None:
            conditions.append(already)
        marked = self.conn.execute(update(ct).where(*conditions).values({stamp.key: at}))
        self.conn.execute(
            update(t.lines)
            .where(
                t.lines.c.state == before.value,
                exists().where(
                    ct.c.line_id == t.lines.c.id,
                    ct.c.campaign_id == campaign_id,
                    stamp == at,
                ),
            )
            .values(state=to.value, updated_at=at)
        )
        # Each line its own audit row (as many as were suspended, in one statement), so a
        # search by the number says which campaign cut the service, and when.
        details = {"campaign_id": campaign_id, "state": to.value, "reason": "campaign_deadline"}
        self.conn.execute(
            insert(t.audit_events).from_select(
                ["at", "action", "outcome", "msisdn", "codes", "details"],
                select(
                    literal(at, t.Ts),
                    literal("line.suspended"),
                    literal("ok"),
                    t.lines.c.msisdn,
                    literal("RN-13"),
                    literal(details, t.audit_events.c.details.type),
                )
                .join(ct, ct.c.line_id == t.lines.c.id)
                .where(ct.c.campaign_id == campaign_id, stamp == at, t.lines.c.state == to.value),
            )
        )
        return int(marked.rowcount)

    def close_call_tasks(self, campaign_id: int, at: datetime) -> int:
        result = self.conn.execute(
            update(t.call_tasks)
            .where(t.call_tasks.c.campaign_id == campaign_id, t.call_tasks.c.status == "open")
            .values(status="done", closed_at=at, last_outcome="campaign_closed")
        )
        return int(result.rowcount)

    def withdraw_queued_sms(self, campaign_id: int) -> int:
        # Only 'queued': a message the dispatcher has taken ('sending') goes its way. On
        # PostgreSQL a row it is taking right now is waited for, then no longer matches.
        result = self.conn.execute(
            delete(t.sms_outbox).where(
                t.sms_outbox.c.campaign_id == campaign_id, t.sms_outbox.c.status == "queued"
            )
        )
        return int(result.rowcount)

    # -- links and calls ----------------------------------------------------------------------

    def link_target(self, target_id: int) -> LinkTarget | None:
        row = self.conn.execute(
            select(
                ct.c.id,
                ct.c.campaign_id,
                ct.c.re_registered_at,
                t.campaigns.c.status,
                t.campaigns.c.deadline,
                t.lines.c.id.label("line_id"),
                t.lines.c.msisdn,
                t.lines.c.state,
                t.lines.c.real_name_state,
            )
            .join(t.campaigns, t.campaigns.c.id == ct.c.campaign_id)
            .join(t.lines, t.lines.c.id == ct.c.line_id)
            .where(ct.c.id == target_id)
        ).one_or_none()
        if row is None:
            return None
        latest = self.conn.execute(
            select(t.registrations.c.state, t.registrations.c.rejection_reasons)
            # This link's own submissions: not a rejection of someone before it.
            .where(
                t.registrations.c.line_id == row.line_id,
                t.registrations.c.campaign_target_id == row.id,
            )
            .order_by(t.registrations.c.submitted_at.desc())
            .limit(1)
        ).one_or_none()
        rejected_for = (
            tuple(latest.rejection_reasons or ())
            if latest is not None and latest.state == "rejected"
            else ()
        )
        others = ct.alias("others")
        suspended_by_campaign = self.conn.execute(
            select(others.c.id)
            .where(
                others.c.line_id == row.line_id,
                others.c.suspended_one_way_at.is_not(None),
                others.c.restored_at.is_(None),
            )
            .limit(1)
        ).first()
        return LinkTarget(
            row.id,
            row.campaign_id,
            CampaignStatus(row.status),
            row.deadline,
            row.line_id,
            row.msisdn,
            LineState(row.state),
            RealNameState(row.real_name_state) if row.real_name_state else None,
            aware(row.re_registered_at),
            rejected_for,
            suspended_by_campaign is not None,
        )

    def call_task(self, task_id: int) -> CallTask | None:
        no_answers = (
            select(func.count())
            .where(
                t.call_attempts.c.task_id == t.call_tasks.c.id,
                t.call_attempts.c.outcome == "no_answer",
            )
            .scalar_subquery()
        )
        row = self.conn.execute(
            select(
                t.call_tasks,
                t.lines.c.msisdn,
                t.lines.c.real_name_state,
                no_answers.label("no_answers"),
            )
            .join(ct, ct.c.id == t.call_tasks.c.target_id)
            .join(t.lines, t.lines.c.id == ct.c.line_id)
            .where(t.call_tasks.c.id == task_id)
        ).one_or_none()
        if row is None:
            return None
        return CallTask(
            row.id,
            row.target_id,
            row.campaign_id,
            row.status,
            row.assigned_to,
            aware(row.claimed_until),
            int(row.attempts),
            int(row.no_answers),
            row.msisdn,
            row.real_name_state,
        )

    def claim_call_task(self, task_id: int, agent_id: int, now: datetime, until: datetime) -> bool:
        tasks = t.call_tasks
        result = self.conn.execute(
            update(tasks)
            .where(
                tasks.c.id == task_id,
                tasks.c.status == "open",
                or_(
                    tasks.c.assigned_to.is_(None),
                    tasks.c.assigned_to == agent_id,
                    tasks.c.claimed_until.is_(None),
                    tasks.c.claimed_until < now,
                ),
            )
            .values(assigned_to=agent_id, claimed_until=until)
        )
        return result.rowcount == 1

    def record_call(
        self,
        task: CallTask,
        *,
        agent_id: int,
        outcome: str,
        notes: str | None,
        callback_at: datetime | None,
        done: bool,
        due_at: datetime | None,
        at: datetime,
        kept_until: datetime | None = None,
    ) -> int | None:
        """None when the task moved on since it was read (the same call recorded twice).
        ``kept_until``: the task stays the agent's until then (a callback they booked)."""
        counted = self.conn.execute(
            update(t.call_tasks)
            .where(t.call_tasks.c.id == task.id, t.call_tasks.c.attempts == task.attempts)
            .values(attempts=t.call_tasks.c.attempts + 1)
        )
        if counted.rowcount != 1:
            return None
        attempt_id = self.conn.execute(
            insert(t.call_attempts)
            .values(
                task_id=task.id,
                agent_id=agent_id,
                at=at,
                outcome=outcome,
                callback_at=callback_at,
                notes=notes,
            )
            .returning(t.call_attempts.c.id)
        ).scalar_one()
        values: dict[str, Any] = {
            "last_outcome": outcome,
            "callback_at": callback_at,
            "claimed_until": kept_until,
            "status": "done" if done else "open",
        }
        if kept_until is not None:
            values["assigned_to"] = agent_id
        if done:
            values["closed_at"] = at
        else:
            assert due_at is not None
            values["due_at"] = due_at
        self.conn.execute(update(t.call_tasks).where(t.call_tasks.c.id == task.id).values(**values))
        self.conn.execute(
            update(ct)
            .where(ct.c.id == task.target_id)
            .values(called_at=func.coalesce(ct.c.called_at, literal(at, t.Ts)))
        )
        return int(attempt_id)

    def enqueue_sms(
        self,
        *,
        dedupe_key: str,
        msisdn: str,
        body: str,
        campaign_id: int,
        target_id: int,
        at: datetime,
    ) -> bool:
        return enqueue(
            self.conn,
            dedupe_key=dedupe_key,
            msisdn=msisdn,
            body=body,
            campaign_id=campaign_id,
            target_id=target_id,
            at=at,
        )

    def record(self, event: AuditEvent) -> None:
        record_audit(self.conn, event)

    def _count(self, table: Any, *where: ColumnElement[bool]) -> int:
        return int(
            self.conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        )


_IN_SERVICE = [
    LineState.ACTIVE.value,
    LineState.SUSPENDED_ONE_WAY.value,
    LineState.SUSPENDED_TWO_WAY.value,
]


def _campaign(row: Any) -> Campaign:
    return Campaign(
        id=row.id,
        name=row.name,
        status=CampaignStatus(row.status),
        filters=TargetFilters.from_json(row.filters),
        sms_template=row.sms_template,
        call_after_days=row.call_after_days,
        link_valid_days=row.link_valid_days,
        deadline=row.deadline,
        two_way_after_days=row.two_way_after_days,
    )
