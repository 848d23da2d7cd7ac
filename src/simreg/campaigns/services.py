"""Campaign use cases (RN-13). Each runs in one transaction with its audit row inside it; the
SMS they decide on are written to the outbox and go out after commit (see simreg.sms)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from simreg.campaigns.domain import (
    Campaign,
    CampaignPlan,
    CampaignStatus,
    TargetFilters,
    message_body,
    validate_plan,
)
from simreg.campaigns.links import LinkSigner
from simreg.campaigns.ports import CampaignTransaction, CampaignUnitOfWork, LinkTarget
from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.errors import Conflict, InvalidInput, NotFound
from simreg.lines.domain import LineState
from simreg.registration.domain import Registration
from simreg.registration.self_service import Reregister, SelfServiceReregistration

MANAGE = (Role.ADMIN, Role.CHANNEL_MANAGER)
READ = (*MANAGE, Role.AUDITOR, Role.RISK_ANALYST, Role.CALL_CENTRE)


@dataclass(frozen=True)
class Started:
    targets: int
    messages: int


@dataclass(frozen=True)
class Advanced:
    campaign_id: int
    call_tasks: int
    suspended_one_way: int
    suspended_two_way: int


class CampaignService:
    def __init__(
        self,
        *,
        uow: CampaignUnitOfWork,
        clock: Clock,
        timezone: str,
        links: LinkSigner,
        reregistration: SelfServiceReregistration,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.zone = ZoneInfo(timezone)
        self.links = links
        self.reregistration = reregistration
        # campaign -> (link_valid_days, the end of its deadline day or None), read once.
        self._link_validity: dict[int, tuple[int, datetime | None]] = {}

    # -- planning -----------------------------------------------------------------------------

    def preview(self, actor: Actor, filters: TargetFilters) -> int:
        """How many lines a campaign with these filters would ask today."""
        actor.require(*MANAGE)
        with self.uow.begin() as tx:
            return tx.count_targets(filters, _units(tx, filters))

    def create(self, actor: Actor, plan: CampaignPlan) -> int:
        actor.require(*MANAGE)
        now = self.clock.now()
        checked = validate_plan(plan, now.astimezone(self.zone).date())
        with self.uow.begin() as tx:
            _units(tx, checked.filters)
            if checked.filters.channel_id is not None and not tx.channel_exists(
                checked.filters.channel_id
            ):
                raise NotFound(
                    "No such channel.", code="CHANNEL-NOT-FOUND", message_zh="渠道不存在。"
                )
            campaign_id = tx.add_campaign(checked, actor.staff_id, now)
            tx.record(
                _event(
                    "campaign.created",
                    actor,
                    now,
                    campaign_id=campaign_id,
                    name=checked.name,
                    filters=checked.filters.to_json(),
                )
            )
            return campaign_id

    def start(self, actor: Actor, campaign_id: int) -> Started:
        """Choose the targets and queue step 1, the SMS with each holder's personal link."""
        actor.require(*MANAGE)
        now = self.clock.now()
        with self.uow.begin() as tx:
            # Starts run one at a time, so two campaigns started together cannot both take
            # the same line, and one campaign started twice at once starts once.
            tx.lock_campaign_starts()
            campaign = _load(tx, campaign_id)
            if campaign.status is not CampaignStatus.DRAFT:
                raise _state(campaign, "start")
            if campaign.deadline is not None and campaign.deadline <= now.astimezone(
                self.zone
            ).date() + timedelta(days=campaign.call_after_days):
                raise InvalidInput(
                    "The deadline no longer leaves time for the SMS and the calls; "
                    "create the campaign again with a later deadline.",
                    code="CAMPAIGN-DEADLINE",
                    message_zh="截止日期已来不及完成短信与外呼，请以更晚的截止日期重新创建活动。",
                )
            targets = tx.select_targets(
                campaign.id, campaign.filters, _units(tx, campaign.filters), now
            )
            if targets == 0:
                raise Conflict(
                    "No legacy line matches these filters (or all are in another running "
                    "campaign); nothing to start.",
                    code="CAMPAIGN-EMPTY",
                    message_zh="没有符合条件的未实名老用户号码（或均在其他进行中的活动内）。",
                )
            messages = tx.enqueue_first_sms(
                campaign.id, message_body(campaign.sms_template, campaign.deadline), now
            )
            if not tx.set_status(campaign.id, CampaignStatus.DRAFT, CampaignStatus.RUNNING, now):
                raise _state(campaign, "start")
            tx.record(
                _event(
                    "campaign.started",
                    actor,
                    now,
                    campaign_id=campaign.id,
                    targets=targets,
                    messages=messages,
                )
            )
            return Started(targets, messages)

    def close(self, actor: Actor, campaign_id: int) -> None:
        actor.require(*MANAGE)
        now = self.clock.now()
        with self.uow.begin() as tx:
            campaign = _load(tx, campaign_id)
            if campaign.status is CampaignStatus.CLOSED or not tx.set_status(
                campaign.id, campaign.status, CampaignStatus.CLOSED, now
            ):
                raise _state(campaign, "close")
            closed = tx.close_call_tasks(campaign.id, now)
            # Its SMS still waiting for their turn would carry links that now say "ended".
            withdrawn = tx.withdraw_queued_sms(campaign.id)
            tx.record(
                _event(
                    "campaign.closed",
                    actor,
                    now,
                    campaign_id=campaign.id,
                    call_tasks=closed,
                    sms_withdrawn=withdrawn,
                )
            )

    # -- the campaign clock -------------------------------------------------------------------

    def advance(self, actor: Actor | None = None) -> list[Advanced]:
        """Move every running campaign on: call tasks for targets the SMS did not bring back,
        then one-way and two-way suspension after the deadline. Safe to run at any time and
        as often as wanted (the scheduler runs it; staff may too); each campaign is its own
        transaction."""
        if actor is not None:
            actor.require(*MANAGE)
        now = self.clock.now()
        local_today = now.astimezone(self.zone).date()
        with self.uow.begin() as tx:
            running = tx.running_campaigns()
        results = []
        for campaign in running:
            with self.uow.begin() as tx:
                calls = tx.create_call_tasks(
                    campaign.id, now - timedelta(days=campaign.call_after_days), now
                )
                one_way = (
                    tx.suspend(campaign.id, LineState.SUSPENDED_ONE_WAY, now)
                    if campaign.one_way_due(local_today)
                    else 0
                )
                two_way = (
                    tx.suspend(campaign.id, LineState.SUSPENDED_TWO_WAY, now)
                    if campaign.two_way_due(local_today)
                    else 0
                )
                if calls or one_way or two_way:
                    tx.record(
                        AuditEvent(
                            action="campaign.advanced",
                            outcome="ok",
                            at=now,
                            actor_staff_id=actor.staff_id if actor else None,
                            details={
                                "campaign_id": campaign.id,
                                "call_tasks": calls,
                                "suspended_one_way": one_way,
                                "suspended_two_way": two_way,
                            },
                        )
                    )
            results.append(Advanced(campaign.id, calls, one_way, two_way))
        return results

    # -- the subscriber's link ----------------------------------------------------------------

    def open_link(self, token: str) -> LinkTarget:
        claim = self.links.verify(token, self.clock.now())
        with self.uow.begin() as tx:
            target = tx.link_target(claim.target_id)
        if target is None:
            raise NotFound("This link is not valid.", code="LINK-INVALID", message_zh="链接无效。")
        return target

    def reregister(
        self, token: str, document_number: str, name: str, photos: Mapping[str, bytes]
    ) -> Registration:
        target = self.open_link(token)
        if target.campaign_status is CampaignStatus.CLOSED:
            raise Conflict(
                "This campaign has ended; re-register at a service hall.",
                code="CAMPAIGN-CLOSED",
                message_zh="该补登活动已结束，请到营业厅办理。",
            )
        return self.reregistration.submit(
            Reregister(target.line_id, target.target_id, document_number, name, photos)
        )

    def personalise(self, campaign_id: int | None, target_id: int | None, body: str) -> str:
        """Fill the personal link into a queued message as it is sent (the outbox keeps the
        template, so a million targets are queued with one INSERT ... SELECT)."""
        if "{link}" not in body or campaign_id is None or target_id is None:
            return body
        validity = self._link_validity.get(campaign_id)
        if validity is None:
            with self.uow.begin() as tx:
                campaign = _load(tx, campaign_id)
            # A link never expires before the deadline the message announces: the end of that
            # day, local time.
            last = None
            if campaign.deadline is not None:
                day_after = campaign.deadline + timedelta(days=1)
                last = datetime.combine(day_after, time(), tzinfo=self.zone).astimezone(UTC)
            validity = self._link_validity[campaign_id] = (campaign.link_valid_days, last)
        days, last = validity
        expires = self.clock.now() + timedelta(days=days)
        if last is not None and expires < last:
            expires = last
        return body.replace("{link}", self.links.url(target_id, expires))


def _units(tx: CampaignTransaction, filters: TargetFilters) -> list[int] | None:
    if filters.org_unit_id is None:
        return None
    units = tx.org_unit_subtree(filters.org_unit_id)
    if not units:
        raise NotFound(
            "No such organisation unit.", code="ORG-UNIT-NOT-FOUND", message_zh="组织单元不存在。"
        )
    return units


def _load(tx: CampaignTransaction, campaign_id: int) -> Campaign:
    campaign = tx.get_campaign(campaign_id)
    if campaign is None:
        raise NotFound(
            "No such campaign.", code="CAMPAIGN-NOT-FOUND", message_zh="补登活动不存在。"
        )
    return campaign


def _state(campaign: Campaign, action: str) -> Conflict:
    return Conflict(
        f"Cannot {action} a campaign that is {campaign.status.value}.",
        code="CAMPAIGN-STATE",
        message_zh=f"活动当前状态为{campaign.status.label_zh}，无法执行此操作。",
        status=campaign.status.value,
    )


def _event(action: str, actor: Actor, at: datetime, **details: object) -> AuditEvent:
    return AuditEvent(
        action=action, outcome="ok", at=at, actor_staff_id=actor.staff_id, details=dict(details)
    )
