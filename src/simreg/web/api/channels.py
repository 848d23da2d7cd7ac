"""Channel governance over HTTP: lifecycle, app devices, deployment figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import Field

from simreg.channels.domain import Channel, ChannelKind
from simreg.channels.inspection_actions import GOVERNORS
from simreg.channels.services import Agreement
from simreg.core.actors import Actor, Role
from simreg.core.errors import NotFound
from simreg.db.channel_store import channel_overview, deployment_figures, org_unit_list
from simreg.db.compliance_store import (
    evidence_key,
    evidence_list,
    inspection_board,
    recent_violations,
    rejection_patterns,
)
from simreg.db.risk_signals import fraud_signals
from simreg.web.api.body import Body
from simreg.web.auth import App, CurrentActor
from simreg.web.input_guard import read_csv_upload
from simreg.web.risk import risk_ranking

router = APIRouter(prefix="/api/v1", tags=["channels"])
READERS = (Role.CHANNEL_MANAGER, Role.ADMIN, Role.AUDITOR, Role.RISK_ANALYST)
Text = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]


class NewChannel(Body):
    code: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
    name: Text
    kind: ChannelKind
    org_unit: str | None = Field(default=None, max_length=32)
    parent: str | None = Field(default=None, max_length=32)


class Reason(Body):
    reason: Text


class Admission(Reason):
    agreement_no: Annotated[str, Field(min_length=1, max_length=64)]
    signed_on: date
    valid_until: date
    manager_name: Text


class Termination(Reason):
    responsible_unit: Text
    responsible_manager: Text


class NewDevice(Body):
    outlet: Annotated[str, Field(min_length=1, max_length=32)]
    serial: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


@router.get("/channels", summary="Channels with outlets, devices and agreements")
def list_channels(app: App, actor: CurrentActor) -> dict[str, Any]:
    actor.require(*READERS)
    with app.engine.connect() as conn:
        return {"items": channel_overview(conn)}


@router.post("/channels", status_code=201, summary="Register a channel (social: as applicant)")
def register_channel(app: App, actor: CurrentActor, body: NewChannel) -> dict[str, Any]:
    app.channels.register(
        actor,
        code=body.code,
        name=body.name,
        kind=body.kind,
        org_unit=body.org_unit,
        parent=body.parent,
    )
    return {"code": body.code}


@router.post("/channels/{code}/admit", summary="Admit with the signed agreement")
def admit(app: App, actor: CurrentActor, code: str, body: Admission) -> dict[str, Any]:
    channel = app.channels.admit(
        actor,
        code,
        Agreement(body.agreement_no, body.signed_on, body.valid_until, body.manager_name),
        body.reason,
    )
    return {"code": channel.code, "status": channel.status.value}


@router.post("/channels/{code}/activate", summary="Start registering")
def activate(app: App, actor: CurrentActor, code: str, body: Reason) -> dict[str, Any]:
    channel = app.channels.activate(actor, code, body.reason)
    return {"code": channel.code, "status": channel.status.value}


@router.post("/channels/{code}/suspend", summary="Suspend registrations")
def suspend(app: App, actor: CurrentActor, code: str, body: Reason) -> dict[str, Any]:
    channel = app.channels.suspend(actor, code, body.reason)
    return {"code": channel.code, "status": channel.status.value}


@router.post("/channels/{code}/reinstate", summary="Lift a suspension")
def reinstate(app: App, actor: CurrentActor, code: str, body: Reason) -> dict[str, Any]:
    channel = app.channels.reinstate(actor, code, body.reason)
    return {"code": channel.code, "status": channel.status.value}


@router.post("/channels/{code}/terminate", summary="End the contract (RN-08)")
def terminate(app: App, actor: CurrentActor, code: str, body: Termination) -> dict[str, Any]:
    return _accountable(app.channels.terminate, actor, code, body)


@router.post(
    "/channels/{code}/accountability",
    summary="Record who answers for a terminated channel (RN-08)",
)
def hold_to_account(app: App, actor: CurrentActor, code: str, body: Termination) -> dict[str, Any]:
    return _accountable(app.channels.hold_to_account, actor, code, body)


def _accountable(
    step: Callable[..., Channel], actor: Actor, code: str, body: Termination
) -> dict[str, Any]:
    channel = step(
        actor,
        code,
        body.reason,
        responsible_unit=body.responsible_unit,
        responsible_manager=body.responsible_manager,
    )
    return {"code": channel.code, "status": channel.status.value}


@router.post("/devices", status_code=201, summary="Enrol an app device; its token is shown once")
def enrol_device(app: App, actor: CurrentActor, body: NewDevice) -> dict[str, Any]:
    enrolment = app.channels.enrol_device(actor, body.outlet, body.serial)
    return {"serial": enrolment.serial, "device_token": enrolment.token}


@router.post("/devices/{serial}/revoke", summary="Revoke an app device")
def revoke_device(app: App, actor: CurrentActor, serial: str, body: Reason) -> dict[str, Any]:
    app.channels.revoke_device(actor, serial, body.reason)
    return {"serial": serial, "revoked": True}


@router.get("/figures/deployment", summary="App deployment rate and app share (RN-09)")
def deployment(app: App, actor: CurrentActor) -> dict[str, Any]:
    actor.require(*READERS)
    with app.engine.connect() as conn:
        return deployment_figures(conn)


class Plan(Body):
    period: Annotated[str, Field(pattern=r"^\d{4}[Qq][1-4]$")]
    extra_draws: Annotated[int, Field(ge=0, le=1000)] = 0


class InspectionResult(Body):
    failed: list[Annotated[str, Field(pattern=r"^RN-\d{2}$")]] = Field(default_factory=list)
    notes: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$")] = ""


class ManualViolation(Body):
    rule: Annotated[str, Field(pattern=r"^RN-\d{2}$")]
    notes: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$")] = ""


@router.post("/inspections/plan", status_code=201, summary="Plan a quarter's inspections (RN-15)")
def plan(app: App, actor: CurrentActor, body: Plan) -> dict[str, Any]:
    risk = {item["channel_id"]: item["score"] for item in risk_ranking(app)}
    planned = app.channels.plan_inspections(
        actor, body.period, risk=risk, extra_draws=body.extra_draws
    )
    with app.engine.connect() as conn:
        board = inspection_board(conn, body.period.upper())
    return {"planned": len(planned), "inspections": board}


@router.get("/inspections", summary="A quarter's inspections")
def inspections(app: App, actor: CurrentActor, period: str) -> dict[str, Any]:
    actor.require(*READERS)
    with app.engine.connect() as conn:
        return {"items": inspection_board(conn, period.strip().upper()[:6])}


@router.post("/inspections/{inspection_id}/result", summary="Record a mystery-shopper visit")
def inspection_result(
    app: App, actor: CurrentActor, inspection_id: int, body: InspectionResult
) -> dict[str, Any]:
    penalties = app.channels.record_inspection(actor, inspection_id, body.failed, body.notes)
    return {"penalties": [p.value for p in penalties]}


@router.post("/channels/{code}/violations", status_code=201, summary="Record a violation")
def violation(app: App, actor: CurrentActor, code: str, body: ManualViolation) -> dict[str, Any]:
    penalty = app.channels.record_violation(actor, code, body.rule, body.notes)
    return {"penalty": penalty.value}


@router.get("/figures/channel-risk", summary="Channels ranked by risk, with the reasons")
def channel_risk_ranking(app: App, actor: CurrentActor) -> dict[str, Any]:
    actor.require(*READERS)
    return {"items": risk_ranking(app)}


@router.get(
    "/risk/signals",
    summary="Black-card signals: calls that found someone else, fraud rejections, "
    "hand-overs refused",
)
def risk_signals(
    app: App, actor: CurrentActor, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> dict[str, Any]:
    with app.engine.connect() as conn:
        found = fraud_signals(conn, actor, now=app.clock.now(), days=days)
    return {"items": [{**s, "at": s["at"].isoformat()} for s in found]}


@router.get("/violations", summary="Latest violations and their penalties")
def violations(app: App, actor: CurrentActor) -> dict[str, Any]:
    actor.require(*READERS)
    with app.engine.connect() as conn:
        return {"items": recent_violations(conn)}


class SellerReport(Body):
    address: Text
    platform: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
    evidence: Annotated[
        str, Field(min_length=1, max_length=4000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$")
    ]
    observed_on: date


class SellerStep(Body):
    step: Annotated[str, Field(pattern=r"^(hand_over|taken_down|dismiss)$")]
    note: Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""


@router.post("/seller-reports", status_code=201, summary="Report an unauthorised online seller")
def report_seller(app: App, actor: CurrentActor, body: SellerReport) -> dict[str, Any]:
    report_id = app.sellers.report(
        actor,
        address=body.address,
        platform=body.platform,
        evidence=body.evidence,
        observed_on=body.observed_on,
    )
    return {"id": report_id, "status": "reported"}


@router.post("/seller-reports/{report_id}/steps", summary="Hand over, taken down, or dismiss")
def seller_step(app: App, actor: CurrentActor, report_id: int, body: SellerStep) -> dict[str, Any]:
    status = app.sellers.advance(actor, report_id, body.step, body.note)
    return {"id": report_id, "status": status.value}


@router.get("/seller-reports", summary="Reports of unauthorised online sellers")
def seller_reports(app: App, actor: CurrentActor) -> dict[str, Any]:
    return {"items": app.sellers.list(actor)}


@router.post("/channels/import", summary="Import channels and outlets from CSV; reject report")
def import_channels(
    app: App, actor: CurrentActor, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    report = app.channels.import_rows(actor, read_csv_upload(file.file))
    return {
        "imported": report.imported,
        "rejected": [
            {"line": line, "code": code, "reason": reason, "reason_zh": reason_zh}
            for line, code, reason, reason_zh in report.rejected
        ],
    }


class NewOrgUnit(Body):
    code: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
    name: Text
    level: Annotated[str, Field(pattern=r"^(province|city|county)$")]
    parent: str | None = Field(default=None, max_length=32)


@router.get("/org-units", summary="Organisation units (province, city, county), with parents")
def org_units(app: App, actor: CurrentActor) -> dict[str, Any]:
    actor.require(*READERS)
    with app.engine.connect() as conn:
        return {"items": org_unit_list(conn)}


@router.post("/org-units", status_code=201, summary="Add a province, city or county unit")
def add_org_unit(app: App, actor: CurrentActor, body: NewOrgUnit) -> dict[str, Any]:
    unit_id = app.channels.add_org_unit(
        actor, code=body.code, name=body.name, level=body.level, parent=body.parent
    )
    return {"id": unit_id, "code": body.code}


class Assignment(Body):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9._-]+$")]


@router.post("/inspections/{inspection_id}/assign", summary="Assign an inspector")
def assign(app: App, actor: CurrentActor, inspection_id: int, body: Assignment) -> dict[str, Any]:
    app.channels.assign_inspector(actor, inspection_id, body.username)
    return {"id": inspection_id, "inspector": body.username}


@router.post(
    "/violations/scan-rejections",
    summary="Record violations for channels the back-office keeps rejecting",
)
def scan_rejections(app: App, actor: CurrentActor) -> dict[str, Any]:
    actor.require(*GOVERNORS)
    with app.engine.connect() as conn:
        patterns = rejection_patterns(conn, app.clock.now() - timedelta(days=30))
    flagged = app.channels.flag_rejection_patterns(actor, patterns)
    return {"flagged": [{"channel": code, "penalty": penalty.value} for code, penalty in flagged]}


@router.post(
    "/inspections/{inspection_id}/evidence",
    status_code=201,
    summary="Attach an evidence photo to an inspection",
)
def add_evidence(
    app: App, actor: CurrentActor, inspection_id: int, photo: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    data = photo.file.read(app.settings.photo_max_bytes + 1)
    evidence_id = app.channels.add_evidence(actor, inspection_id, data)
    return {"id": evidence_id}


@router.get("/inspections/{inspection_id}/evidence", summary="Evidence photos of an inspection")
def list_evidence(app: App, actor: CurrentActor, inspection_id: int) -> dict[str, Any]:
    actor.require(*READERS)
    with app.engine.connect() as conn:
        return {"items": evidence_list(conn, inspection_id)}


@router.get(
    "/inspections/{inspection_id}/evidence/{evidence_id}",
    response_class=Response,
    summary="One evidence photo, decrypted",
)
def evidence_photo(app: App, actor: CurrentActor, inspection_id: int, evidence_id: int) -> Response:
    actor.require(*READERS)
    with app.engine.connect() as conn:
        found = evidence_key(conn, inspection_id, evidence_id)
    if found is None:
        raise NotFound("No such evidence photo.", code="EVIDENCE-UNKNOWN")
    key, content_type = found
    return Response(
        app.photo_store.get(key),
        media_type=content_type,
        headers={"Cache-Control": "private, no-store"},
    )
