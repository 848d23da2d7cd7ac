"""What the campaign services need from storage: one transaction, set-based steps."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from simreg.campaigns.domain import Campaign, CampaignPlan, CampaignStatus, TargetFilters
from simreg.core.audit import AuditEvent
from simreg.lines.domain import LineState, RealNameState


@dataclass(frozen=True)
class LinkTarget:
    """What a subscriber's link leads to."""

    target_id: int
    campaign_id: int
    campaign_status: CampaignStatus
    deadline: date | None
    line_id: int
    msisdn: str
    line_state: LineState
    real_name_state: RealNameState | None
    re_registered_at: datetime | None
    # The reasons the back-office gave when it rejected the line's latest registration;
    # empty unless that latest one was rejected. The subscriber sees them and tries again.
    rejected_for: tuple[str, ...] = ()
    # A campaign (this one or another, running or closed) suspended the line and approval of
    # a re-registration lifts it (``record_reregistration``).
    suspended_by_campaign: bool = False


@dataclass(frozen=True)
class CallTask:
    id: int
    target_id: int
    campaign_id: int
    status: str
    assigned_to: int | None
    claimed_until: datetime | None
    attempts: int
    no_answers: int
    msisdn: str
    # The line's real-name state now: "reverification_pending" while the holder's documents
    # are with the review, when a new link would only confuse them.
    real_name_state: str | None = None


class CampaignTransaction(Protocol):
    def org_unit_subtree(self, org_unit_id: int) -> list[int]:
        """The unit and every unit below it; empty when it does not exist."""
        ...

    def channel_exists(self, channel_id: int) -> bool: ...

    def count_targets(self, filters: TargetFilters, unit_ids: list[int] | None) -> int: ...

    def add_campaign(self, plan: CampaignPlan, created_by: int, at: datetime) -> int: ...

    def get_campaign(self, campaign_id: int) -> Campaign | None: ...

    def running_campaigns(self) -> list[Campaign]: ...

    def lock_campaign_starts(self) -> None:
        """Held until the transaction ends."""
        ...

    def set_status(
        self, campaign_id: int, expected: CampaignStatus, new: CampaignStatus, at: datetime
    ) -> bool: ...

    def select_targets(
        self, campaign_id: int, filters: TargetFilters, unit_ids: list[int] | None, at: datetime
    ) -> int: ...

    def enqueue_first_sms(self, campaign_id: int, body: str, at: datetime) -> int:
        """Queue the first SMS of the targets ``select_targets`` chose at ``at``."""
        ...

    def create_call_tasks(self, campaign_id: int, sms_before: datetime, at: datetime) -> int: ...

    def suspend(self, campaign_id: int, to: LineState, at: datetime) -> int: ...

    def close_call_tasks(self, campaign_id: int, at: datetime) -> int: ...

    def withdraw_queued_sms(self, campaign_id: int) -> int:
        """Drop the campaign's SMS not yet handed to the gateway; the number dropped."""
        ...

    def link_target(self, target_id: int) -> LinkTarget | None: ...

    def call_task(self, task_id: int) -> CallTask | None: ...

    def claim_call_task(
        self, task_id: int, agent_id: int, now: datetime, until: datetime
    ) -> bool: ...

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
        """The attempt's id; None when the task's attempts are no longer ``task.attempts``
        (another submission of the same call got there first)."""
        ...

    def enqueue_sms(
        self,
        *,
        dedupe_key: str,
        msisdn: str,
        body: str,
        campaign_id: int,
        target_id: int,
        at: datetime,
    ) -> bool: ...

    def record(self, event: AuditEvent) -> None: ...


class CampaignUnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[CampaignTransaction]: ...
