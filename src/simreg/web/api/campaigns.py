"""Re-registration campaigns (RN-13) over HTTP: plan, start, advance, close; the funnel; the
call-centre worklist; and the subscriber's self-service re-registration by link."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from pydantic import AwareDatetime, Field

from simreg.campaigns.calls import CallOutcome
from simreg.campaigns.domain import DEFAULT_TEMPLATE_ZH, CampaignPlan, parse_filters
from simreg.core.clock import utc_offset_hours
from simreg.db.campaign_queries import (
    call_history,
    call_worklist,
    campaign_detail,
    daily_series,
    funnel_by_org_unit,
    list_campaigns,
    real_name_rate,
)
from simreg.lines.domain import LineKind
from simreg.web.api.body import Body
from simreg.web.auth import App, CurrentActor
from simreg.web.public_throttle import throttled_link

router = APIRouter(prefix="/api/v1", tags=["campaigns"])
public = APIRouter(
    prefix="/api/v1/reregister", tags=["self-service"], dependencies=[Depends(throttled_link)]
)
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class Filters(Body):
    org_unit_id: int | None = None
    channel_id: int | None = None
    line_kind: LineKind | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    line_states: list[str] = Field(default_factory=lambda: ["active"], max_length=3)


class NewCampaign(Body):
    name: Name
    filters: Filters = Field(default_factory=Filters)
    sms_template: Annotated[str, Field(max_length=1000)] = DEFAULT_TEMPLATE_ZH
    call_after_days: Annotated[int, Field(ge=0, le=1000)] = 7
    link_valid_days: Annotated[int, Field(ge=0, le=1000)] = 30
    deadline: date | None = None
    two_way_after_days: Annotated[int | None, Field(ge=0, le=1000)] = None


class CallResult(Body):
    outcome: CallOutcome
    # With its offset: a bare time would say nothing of which zone the holder meant.
    callback_at: AwareDatetime | None = None
    notes: Annotated[str | None, Field(max_length=1000)] = None
    # The task's "attempts" as the client last read it: a retried request is then refused
    # (409 CALL-ALREADY-RECORDED) instead of counting the call twice.
    attempts_seen: Annotated[int | None, Field(ge=0)] = None


def _filters(body: Filters) -> Any:
    return parse_filters(
        org_unit_id=body.org_unit_id,
        channel_id=body.channel_id,
        line_kind=body.line_kind.value if body.line_kind else None,
        opened_from=body.opened_from,
        opened_to=body.opened_to,
        line_states=body.line_states,
    )


@router.post("/campaigns/preview", summary="How many legacy lines these filters pick")
def preview(app: App, actor: CurrentActor, body: Filters) -> dict[str, int]:
    return {"targets": app.campaigns.preview(actor, _filters(body))}


@router.post("/campaigns", status_code=201, summary="Plan a re-registration campaign (draft)")
def create(app: App, actor: CurrentActor, body: NewCampaign) -> dict[str, int]:
    plan = CampaignPlan(
        name=body.name,
        filters=_filters(body.filters),
        sms_template=body.sms_template,
        call_after_days=body.call_after_days,
        link_valid_days=body.link_valid_days,
        deadline=body.deadline,
        two_way_after_days=body.two_way_after_days,
    )
    return {"id": app.campaigns.create(actor, plan)}


@router.get("/campaigns", summary="Campaigns, newest first, with their reach")
def campaigns(app: App, actor: CurrentActor) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return {"items": list_campaigns(conn, actor), "real_name": real_name_rate(conn)}


@router.get("/campaigns/{campaign_id}", summary="A campaign and its funnel")
def detail(app: App, actor: CurrentActor, campaign_id: int) -> dict[str, Any]:
    offset = utc_offset_hours(app.settings.timezone, app.clock.now())
    with app.engine.connect() as conn:
        out = campaign_detail(conn, actor, campaign_id)
        out["by_org_unit"] = funnel_by_org_unit(conn, actor, campaign_id)
        out["daily"] = daily_series(conn, actor, campaign_id, offset_hours=offset)
        return out


@router.post("/campaigns/{campaign_id}/start", summary="Choose targets and queue the SMS step")
def start(app: App, actor: CurrentActor, campaign_id: int) -> dict[str, int]:
    started = app.campaigns.start(actor, campaign_id)
    return {"targets": started.targets, "messages": started.messages}


@router.post("/campaigns/{campaign_id}/close", summary="End a campaign; open calls are closed")
def close(app: App, actor: CurrentActor, campaign_id: int) -> dict[str, str]:
    app.campaigns.close(actor, campaign_id)
    return {"status": "closed"}


@router.post("/campaigns/advance", summary="Create due call tasks and apply due suspensions")
def advance(app: App, actor: CurrentActor) -> dict[str, Any]:
    return {"campaigns": [vars(a) for a in app.campaigns.advance(actor)]}


@router.get("/call-tasks", summary="The call-centre worklist: tasks due now, or a holder's")
def worklist(
    app: App,
    actor: CurrentActor,
    campaign_id: Annotated[int | None, Query(description="one campaign's tasks")] = None,
    number: Annotated[
        str,
        Query(max_length=20, description="digits of the number: its task, due or not"),
    ] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return call_worklist(
            conn,
            actor,
            now=app.clock.now(),
            limit=limit,
            campaign_id=campaign_id,
            number=number,
        )


@router.post("/call-tasks/{task_id}/claim", summary="Take a call task")
def claim(app: App, actor: CurrentActor, task_id: int) -> dict[str, str]:
    app.calls.claim(actor, task_id)
    return {"status": "claimed"}


@router.post("/call-tasks/{task_id}/outcome", summary="Record a call's outcome")
def outcome(app: App, actor: CurrentActor, task_id: int, body: CallResult) -> dict[str, Any]:
    recorded = app.calls.record(
        actor,
        task_id,
        outcome=body.outcome.value,
        callback_at=body.callback_at,
        notes=body.notes,
        attempts_seen=body.attempts_seen,
    )
    return vars(recorded)


@router.get("/call-tasks/{task_id}/history", summary="Earlier calls on a task")
def history(app: App, actor: CurrentActor, task_id: int) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return {"items": call_history(conn, actor, task_id)}


@public.get("/{token}", summary="What a re-registration link is for (no login; the link is it)")
def link(app: App, token: str) -> dict[str, Any]:
    target = app.campaigns.open_link(token)
    return {
        "msisdn": target.msisdn[:3] + "****" + target.msisdn[-4:],
        "deadline": target.deadline.isoformat() if target.deadline else None,
        "real_name_state": target.real_name_state.value if target.real_name_state else None,
        "campaign_status": target.campaign_status.value,
    }


@public.post("/{token}", status_code=201, summary="Re-register: ID card scans and a portrait")
def reregister(
    app: App,
    token: str,
    document_number: Annotated[str, Form(max_length=40)],
    customer_name: Annotated[str, Form(max_length=100)],
    front: Annotated[UploadFile, File()],
    back: Annotated[UploadFile, File()],
    portrait: Annotated[UploadFile, File()],
) -> dict[str, str]:
    limit = app.settings.photo_max_bytes + 1
    photos = {
        "front": front.file.read(limit),
        "back": back.file.read(limit),
        "portrait": portrait.file.read(limit),
    }
    registration = app.campaigns.reregister(token, document_number, customer_name, photos)
    return {"registration_id": registration.id, "state": registration.state.value}
