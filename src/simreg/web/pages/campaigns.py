"""Campaign pages: plan and run re-registration campaigns (RN-13), watch the funnel, and the
call-centre worklist."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from simreg.campaigns.call_centre import AGENTS
from simreg.campaigns.calls import CallOutcome
from simreg.campaigns.domain import DEFAULT_TEMPLATE_ZH, CampaignPlan, parse_filters
from simreg.campaigns.services import MANAGE, READ
from simreg.core.clock import utc_offset_hours
from simreg.core.errors import DomainError, InvalidInput
from simreg.db.campaign_queries import (
    FUNNEL,
    call_history,
    call_worklist,
    campaign_detail,
    daily_series,
    filter_choices,
    funnel_by_org_unit,
    list_campaigns,
    real_name_rate,
)
from simreg.sms.pacing import SendWindow
from simreg.staff.services import Session
from simreg.web.input_guard import checked_text
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site

router = APIRouter(include_in_schema=False)


def _int(value: str, default: int | None = None) -> int | None:
    text = value.strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError as exc:
        raise InvalidInput(
            "Enter a whole number.", code="CAMPAIGN-NUMBER", message_zh="请输入整数。"
        ) from exc


def _list_page(
    request: Request, session: Session, status_code: int = 200, **extra: Any
) -> Response:
    s = site(request)
    with s.simreg.engine.connect() as conn:
        campaigns = list_campaigns(conn, session.actor)
        rate = real_name_rate(conn)
        choices = filter_choices(conn)
    form = extra.pop("form", {})
    return s.render(
        request,
        session,
        "campaigns/list.html",
        status_code=status_code,
        campaigns=campaigns,
        rate=rate,
        choices=choices,
        can_manage=session.actor.role in MANAGE,
        default_template=DEFAULT_TEMPLATE_ZH,
        form=form,
        **extra,
    )


@router.get("/campaigns")
def campaigns_page(request: Request, session: PageSession) -> Response:
    allow(session, *READ)
    return _list_page(request, session)


def _filters_from_form(
    org_unit_id: str,
    channel_id: str,
    line_kind: str,
    opened_from: str,
    opened_to: str,
    line_states: list[str],
) -> Any:
    return parse_filters(
        org_unit_id=_int(org_unit_id),
        channel_id=_int(channel_id),
        line_kind=line_kind or None,
        opened_from=opened_from or None,
        opened_to=opened_to or None,
        # Suspended lines count in the real-name rate too; none ticked means lines in service.
        line_states=line_states[:3] or None,
    )


@router.post("/campaigns/preview")
def preview(
    request: Request,
    session: PageSession,
    org_unit_id: Annotated[str, Form()] = "",
    channel_id: Annotated[str, Form()] = "",
    line_kind: Annotated[str, Form()] = "",
    opened_from: Annotated[str, Form()] = "",
    opened_to: Annotated[str, Form()] = "",
    line_states: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    """The htmx fragment that says how many lines the filters pick, as the form changes."""
    allow(session, *MANAGE)
    s = site(request)
    try:
        filters = _filters_from_form(
            org_unit_id, channel_id, line_kind, opened_from, opened_to, line_states
        )
        count = s.simreg.campaigns.preview(session.actor, filters)
        error = None
    except DomainError as problem:
        count, error = None, problem
    return s.render(request, session, "campaigns/_preview.html", count=count, error=error)


@router.post("/campaigns")
def create(
    request: Request,
    session: PageSession,
    name: Annotated[str, Form(max_length=200)],
    sms_template: Annotated[str, Form(max_length=1000)],
    call_after_days: Annotated[str, Form()] = "7",
    link_valid_days: Annotated[str, Form()] = "30",
    deadline: Annotated[str, Form()] = "",
    two_way_after_days: Annotated[str, Form()] = "",
    org_unit_id: Annotated[str, Form()] = "",
    channel_id: Annotated[str, Form()] = "",
    line_kind: Annotated[str, Form()] = "",
    opened_from: Annotated[str, Form()] = "",
    opened_to: Annotated[str, Form()] = "",
    line_states: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    allow(session, *MANAGE)
    s = site(request)
    form: dict[str, Any] = {**_form_values(locals()), "line_states": line_states}
    try:
        checked_text("name", name)
        plan = CampaignPlan(
            name=name,
            filters=_filters_from_form(
                org_unit_id, channel_id, line_kind, opened_from, opened_to, line_states
            ),
            sms_template=sms_template.replace("\r\n", "\n"),
            call_after_days=_int(call_after_days, 7) or 0,
            link_valid_days=_int(link_valid_days, 30) or 0,
            deadline=_day(deadline),
            two_way_after_days=_int(two_way_after_days),
        )
        campaign_id = s.simreg.campaigns.create(session.actor, plan)
    except DomainError as problem:
        return _list_page(request, session, status_code=422, error=problem, form=form)
    return RedirectResponse(f"/campaigns/{campaign_id}?done=created", status_code=303)


def _form_values(values: dict[str, Any]) -> dict[str, str]:
    """The submitted text fields, to show the form again after a refusal."""
    return {k: v for k, v in values.items() if isinstance(v, str)}


def _day(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput(
            "Dates are written YYYY-MM-DD.",
            code="CAMPAIGN-DEADLINE",
            message_zh="日期格式须为 YYYY-MM-DD。",
        ) from exc


def _detail_page(
    request: Request, session: Session, campaign_id: int, status_code: int = 200, **extra: Any
) -> Response:
    s = site(request)
    with s.simreg.engine.connect() as conn:
        campaign = campaign_detail(conn, session.actor, campaign_id)
        units = funnel_by_org_unit(conn, session.actor, campaign_id)
        daily = daily_series(
            conn,
            session.actor,
            campaign_id,
            offset_hours=utc_offset_hours(s.simreg.settings.timezone, s.simreg.clock.now()),
        )
        rate = real_name_rate(conn)
    peak = max([1, *(max(d[k] for k in d if k != "day") for d in daily)])
    return s.render(
        request,
        session,
        "campaigns/detail.html",
        status_code=status_code,
        c=campaign,
        units=units,
        daily=daily,
        peak=peak,
        rate=rate,
        steps=FUNNEL,
        can_manage=session.actor.role in MANAGE,
        **extra,
    )


@router.get("/campaigns/{campaign_id}")
def campaign_page(request: Request, session: PageSession, campaign_id: int) -> Response:
    allow(session, *READ)
    return _detail_page(request, session, campaign_id, done=request.query_params.get("done"))


@router.post("/campaigns/{campaign_id}/action")
def campaign_action(
    request: Request, session: PageSession, campaign_id: int, action: Annotated[str, Form()]
) -> Response:
    allow(session, *MANAGE)
    service = site(request).simreg.campaigns
    try:
        if action == "start":
            service.start(session.actor, campaign_id)
        elif action == "close":
            service.close(session.actor, campaign_id)
        elif action == "advance":
            service.advance(session.actor)
        else:
            raise InvalidInput("Unknown action.", code="ACTION")
    except DomainError as problem:
        return _detail_page(request, session, campaign_id, status_code=422, error=problem)
    return RedirectResponse(f"/campaigns/{campaign_id}?done={action}", status_code=303)


# -- call centre ----------------------------------------------------------------------------


def _calls_page(
    request: Request, session: Session, status_code: int = 200, **extra: Any
) -> Response:
    s = site(request)
    raw_campaign = request.query_params.get("campaign", "")
    campaign_id = int(raw_campaign) if raw_campaign.isdigit() else None
    number = request.query_params.get("number", "")[:20]
    if number.strip() and not any(ch.isdigit() for ch in number):
        extra.setdefault(
            "error",
            InvalidInput(
                "Search by digits of the number.",
                code="CALL-SEARCH",
                message_zh="请输入号码中的数字进行查找。",
            ),
        )
    with s.simreg.engine.connect() as conn:
        work = call_worklist(
            conn,
            session.actor,
            now=s.simreg.clock.now(),
            campaign_id=campaign_id,
            number=number,
        )
        history = {
            item["id"]: call_history(conn, session.actor, item["id"]) for item in work["items"]
        }
    return s.render(
        request,
        session,
        "campaigns/calls.html",
        status_code=status_code,
        work=work,
        history=history,
        outcomes=list(CallOutcome),
        chosen_campaign=campaign_id,
        number=number,
        **extra,
    )


@router.get("/calls")
def calls_page(request: Request, session: PageSession) -> Response:
    allow(session, *AGENTS)
    return _calls_page(request, session, done=request.query_params.get("done"))


@router.post("/calls/{task_id}/claim")
def claim_call(request: Request, session: PageSession, task_id: int) -> Response:
    allow(session, *AGENTS)
    try:
        site(request).simreg.calls.claim(session.actor, task_id)
    except DomainError as problem:
        return _calls_page(request, session, status_code=409, error=problem)
    return RedirectResponse(f"/calls#task-{task_id}", status_code=303)


@router.post("/calls/{task_id}/outcome")
def record_call(
    request: Request,
    session: PageSession,
    task_id: int,
    outcome: Annotated[str, Form()] = "",
    callback_at: Annotated[str, Form()] = "",
    notes: Annotated[str, Form(max_length=1000)] = "",
    attempts: Annotated[int | None, Form()] = None,
) -> Response:
    allow(session, *AGENTS)
    s = site(request)
    try:
        checked_text("notes", notes)
        recorded = s.simreg.calls.record(
            session.actor,
            task_id,
            outcome=outcome,
            callback_at=_local_time(callback_at, s.simreg.settings.timezone),
            notes=notes,
            attempts_seen=attempts,
        )
    except DomainError as problem:
        return _calls_page(request, session, status_code=422, error=problem, failed_task=task_id)
    done = "recorded-in-review" if recorded.documents_in_review else "recorded"
    settings = s.simreg.settings
    window = SendWindow.parse(settings.sms_quiet_hours, settings.timezone)
    now = s.simreg.clock.now()
    if recorded.link_sent and window.in_quiet_hours(now):
        # The holder is not texted at night: the agent says when the link will come.
        done = "recorded-quiet:" + window.next_send_time(now).astimezone(window.zone).strftime(
            "%H:%M"
        )
    return RedirectResponse(f"/calls?done={done}", status_code=303)


def _local_time(value: str, timezone: str) -> datetime | None:
    """A datetime-local field, read in the operator's timezone."""
    if not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=ZoneInfo(timezone))
    except ValueError as exc:
        raise InvalidInput(
            "Write the callback time as date and time.",
            code="CALL-CALLBACK-TIME",
            message_zh="请填写回拨日期和时间。",
        ) from exc
