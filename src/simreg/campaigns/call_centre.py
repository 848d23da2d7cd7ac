"""The call-centre side of RN-13: agents take a task, call, and record what happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from simreg.campaigns.calls import CLAIM_FOR, CallOutcome, next_step, parse_outcome
from simreg.campaigns.domain import message_body
from simreg.campaigns.ports import CallTask, CampaignTransaction, CampaignUnitOfWork
from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.errors import Conflict, InvalidInput, NotFound

AGENTS = (Role.CALL_CENTRE, Role.ADMIN)
CALLBACK_KEPT_FOR = timedelta(minutes=30)
MAX_NOTES = 1000


@dataclass(frozen=True)
class CallRecorded:
    task_id: int
    attempt_id: int
    done: bool
    link_sent: bool
    # "Reached, link sent again" for a holder whose documents are already with the review:
    # the call is recorded and no new link goes out.
    documents_in_review: bool = False


class CallCentreService:
    def __init__(self, *, uow: CampaignUnitOfWork, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    def claim(self, actor: Actor, task_id: int) -> None:
        """Take a task so no other agent calls the same holder at the same time."""
        actor.require(*AGENTS)
        now = self.clock.now()
        with self.uow.begin() as tx:
            task = _load(tx, task_id)
            if task.status != "open":
                raise _closed()
            if not tx.claim_call_task(task.id, actor.staff_id, now, now + CLAIM_FOR):
                raise _taken()

    def record(
        self,
        actor: Actor,
        task_id: int,
        *,
        outcome: str,
        callback_at: datetime | None = None,
        notes: str | None = None,
        attempts_seen: int | None = None,
    ) -> CallRecorded:
        """``attempts_seen`` is the number of calls the agent's screen showed: a form sent
        twice (a double click, a reload) is refused the second time, not counted twice."""
        actor.require(*AGENTS)
        chosen = parse_outcome(outcome)
        text = " ".join((notes or "").split()) or None
        if text is not None and len(text) > MAX_NOTES:
            raise InvalidInput(
                f"Notes are limited to {MAX_NOTES} characters.",
                code="CALL-NOTES",
                message_zh=f"备注不超过 {MAX_NOTES} 字。",
            )
        now = self.clock.now()
        with self.uow.begin() as tx:
            task = _load(tx, task_id)
            if task.status != "open":
                raise _closed()
            if attempts_seen is not None and attempts_seen != task.attempts:
                raise _recorded_already()
            # Recording takes the task if it is free; it fails if another agent holds it.
            if not tx.claim_call_task(task.id, actor.staff_id, now, now + CLAIM_FOR):
                raise _taken()
            step = next_step(chosen, now=now, callback_at=callback_at, no_answers=task.no_answers)
            attempt_id = tx.record_call(
                task,
                agent_id=actor.staff_id,
                outcome=chosen.value,
                notes=text,
                callback_at=callback_at if step.due_at == callback_at else None,
                done=step.done,
                due_at=step.due_at,
                at=now,
                # The holder agreed a time with this agent: the callback is theirs to make,
                # and anyone's once it is well past.
                kept_until=(
                    step.due_at + CALLBACK_KEPT_FOR
                    if chosen is CallOutcome.CALLBACK and step.due_at is not None
                    else None
                ),
            )
            if attempt_id is None:
                raise _recorded_already()
            in_review = task.real_name_state == "reverification_pending"
            sent = step.resend_link and not in_review and _resend_link(tx, task, attempt_id, now)
            tx.record(
                AuditEvent(
                    action="campaign.call_recorded",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    msisdn=task.msisdn,
                    details={
                        "task_id": task.id,
                        "campaign_id": task.campaign_id,
                        "outcome": chosen.value,
                        "link_sent": sent,
                    },
                )
            )
            return CallRecorded(
                task.id, attempt_id, step.done, sent, step.resend_link and in_review
            )


def _resend_link(tx: CampaignTransaction, task: CallTask, attempt_id: int, now: datetime) -> bool:
    campaign = tx.get_campaign(task.campaign_id)
    assert campaign is not None
    return tx.enqueue_sms(
        dedupe_key=f"campaign:{campaign.id}:target:{task.target_id}:call:{attempt_id}",
        msisdn=task.msisdn,
        body=message_body(campaign.sms_template, campaign.deadline),
        campaign_id=campaign.id,
        target_id=task.target_id,
        at=now,
    )


def _load(tx: CampaignTransaction, task_id: int) -> CallTask:
    task = tx.call_task(task_id)
    if task is None:
        raise NotFound(
            "No such call task.", code="CALL-TASK-NOT-FOUND", message_zh="外呼任务不存在。"
        )
    return task


def _closed() -> Conflict:
    return Conflict(
        "This call task is already finished.",
        code="CALL-TASK-DONE",
        message_zh="该外呼任务已完成。",
    )


def _taken() -> Conflict:
    return Conflict(
        "Another agent is working on this call task.",
        code="CALL-TASK-TAKEN",
        message_zh="该外呼任务正由其他坐席处理。",
    )


def _recorded_already() -> Conflict:
    return Conflict(
        "This call was recorded already (the form was sent twice, or the list is out of "
        "date); reload the list and check the task's calls.",
        code="CALL-ALREADY-RECORDED",
        message_zh="该次通话已记录（表单重复提交或列表已过期），请刷新后查看该任务的通话记录。",
    )
