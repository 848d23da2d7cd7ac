"""Group customers over HTTP (RN-12): enterprises, their lines and actual users."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import Field

from simreg.customers.bindings import BindActualUser, BindingOutcome, RosterReport
from simreg.customers.domain import Agreement, Enterprise
from simreg.customers.roster import read_roster, reject_report_csv
from simreg.customers.services import NewEnterprise
from simreg.db.enterprise_queries import (
    enterprise_bindings,
    enterprise_detail,
    enterprise_lines,
    list_enterprises,
    roster_rejects,
)
from simreg.web.api.body import Body
from simreg.web.auth import App, CurrentActor
from simreg.web.input_guard import read_csv_upload

router = APIRouter(prefix="/api/v1/enterprises", tags=["enterprises"])
Short = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class AgreementIn(Body):
    number: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")]
    signed_on: date
    valid_until: date | None = None

    def domain(self) -> Agreement:
        return Agreement(self.number, self.signed_on, self.valid_until)


class EnterpriseIn(Body):
    name: Short
    credit_code: Annotated[str, Field(min_length=1, max_length=40)]
    agent_name: Annotated[str, Field(min_length=1, max_length=64)]
    agent_doc_number: Annotated[str, Field(min_length=1, max_length=40)]
    agent_doc_type: Annotated[str, Field(max_length=40)] = "resident_id"
    org_unit: Annotated[str | None, Field(max_length=32)] = None
    agreement: AgreementIn | None = None


class Reason(Body):
    reason: Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""


class Allocation(Body):
    count: Annotated[int | None, Field(ge=1, le=10_000)] = None
    msisdns: Annotated[
        list[Annotated[str, Field(max_length=20)]] | None, Field(max_length=10_000)
    ] = None


class BindingIn(Body):
    msisdn: Annotated[str, Field(min_length=1, max_length=20)]
    doc_number: Annotated[str, Field(min_length=1, max_length=40)]
    name: Annotated[str, Field(min_length=1, max_length=64)]
    doc_type: Annotated[str, Field(max_length=40)] = "resident_id"


def _enterprise(found: Enterprise) -> dict[str, Any]:
    return {"id": found.id, "status": found.status.value, "credit_code": found.credit_code}


def _outcome(found: BindingOutcome) -> dict[str, Any]:
    return {
        "binding_id": found.binding_id,
        "msisdn": found.msisdn,
        "status": found.status.value,
        "registration_id": found.registration_id,
        "refusal_code": found.refusal_code,
    }


def roster_report(report: RosterReport) -> dict[str, Any]:
    return {
        "import_id": report.import_id,
        "in_review": report.in_review,
        "verifying": report.verifying,
        "rejected": [
            {
                "line": r.line,
                "msisdn": r.msisdn,
                "code": r.code,
                "reason": r.reason,
                "reason_zh": r.reason_zh,
            }
            for r in report.rejected
        ],
    }


@router.get("", summary="Group customers with their line counts")
def list_all(app: App, actor: CurrentActor) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return {"items": list_enterprises(conn, actor)}


@router.post("", status_code=201, summary="Register a group customer (draft); checks its agent")
def create(app: App, actor: CurrentActor, body: EnterpriseIn) -> dict[str, Any]:
    enterprise_id = app.enterprises.create(
        actor,
        NewEnterprise(
            name=body.name,
            credit_code=body.credit_code,
            agent_name=body.agent_name,
            agent_doc_number=body.agent_doc_number,
            agent_doc_type=body.agent_doc_type,
            org_unit=body.org_unit,
            agreement=body.agreement.domain() if body.agreement else None,
        ),
    )
    with app.engine.connect() as conn:
        return enterprise_detail(conn, actor, enterprise_id)


@router.get("/{enterprise_id}", summary="One group customer: agent, agreement, counts")
def detail(app: App, actor: CurrentActor, enterprise_id: int) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return enterprise_detail(conn, actor, enterprise_id)


@router.put("/{enterprise_id}/agreement", summary="Record the signed agreement (RN-12)")
def agreement(
    app: App, actor: CurrentActor, enterprise_id: int, body: AgreementIn
) -> dict[str, Any]:
    app.enterprises.record_agreement(actor, enterprise_id, body.domain())
    with app.engine.connect() as conn:
        return enterprise_detail(conn, actor, enterprise_id)


class Assignment(Body):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")]


@router.put(
    "/{enterprise_id}/account-manager", summary="Give the customer to an account manager (admin)"
)
def assign(app: App, actor: CurrentActor, enterprise_id: int, body: Assignment) -> dict[str, Any]:
    app.enterprises.assign(actor, enterprise_id, body.username)
    with app.engine.connect() as conn:
        return enterprise_detail(conn, actor, enterprise_id)


@router.post("/{enterprise_id}/agent/verify", summary="Ask the identity authority again")
def verify_agent(app: App, actor: CurrentActor, enterprise_id: int) -> dict[str, Any]:
    return {"result": app.enterprises.verify_agent(actor, enterprise_id).value}


@router.post("/{enterprise_id}/lines", status_code=201, summary="Allocate lines (all or none)")
def allocate(app: App, actor: CurrentActor, enterprise_id: int, body: Allocation) -> dict[str, Any]:
    taken = app.enterprises.allocate_lines(
        actor, enterprise_id, count=body.count, msisdns=body.msisdns
    )
    return {"allocated": taken}


@router.get("/{enterprise_id}/lines", summary="Lines with their actual user (masked)")
def lines(
    app: App,
    actor: CurrentActor,
    enterprise_id: int,
    which: Annotated[Literal["all", "unbound", "active"], Query(alias="filter")] = "all",
    after: Annotated[
        str, Query(max_length=11, description="the last number of the page before")
    ] = "",
    number: Annotated[str, Query(max_length=20, description="digits the number contains")] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict[str, Any]:
    with app.engine.connect() as conn:
        enterprise_detail(conn, actor, enterprise_id)
        found = enterprise_lines(
            conn,
            actor,
            enterprise_id,
            which=which,
            limit=limit + 1,
            after=after,
            number=number,
        )
    page = found[:limit]
    more = len(found) > limit
    return {"items": page, "next_after": page[-1]["msisdn"] if more else None}


@router.get(
    "/{enterprise_id}/bindings", summary="Bindings waiting (verifying, in review) or refused"
)
def bindings(
    app: App,
    actor: CurrentActor,
    enterprise_id: int,
    which: Annotated[Literal["waiting", "refused"], Query(alias="filter")] = "waiting",
) -> dict[str, Any]:
    with app.engine.connect() as conn:
        enterprise_detail(conn, actor, enterprise_id)
        return {"items": enterprise_bindings(conn, actor, enterprise_id, which=which)}


@router.post("/{enterprise_id}/bindings", status_code=201, summary="Bind a line's actual user")
def bind(app: App, actor: CurrentActor, enterprise_id: int, body: BindingIn) -> dict[str, Any]:
    return _outcome(
        app.enterprises.bind(
            actor,
            enterprise_id,
            BindActualUser(body.msisdn, body.doc_type, body.doc_number, body.name),
        )
    )


@router.delete("/{enterprise_id}/bindings/{binding_id}", summary="Withdraw a binding in check")
def withdraw(app: App, actor: CurrentActor, enterprise_id: int, binding_id: int) -> dict[str, Any]:
    app.enterprises.withdraw(actor, enterprise_id, binding_id)
    return {"binding_id": binding_id, "status": "ended"}


class Ending(Body):
    reason: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


@router.post(
    "/{enterprise_id}/bindings/{binding_id}/end",
    summary="The actual user in force leaves the line: the line closes for the next user",
)
def end_binding(
    app: App, actor: CurrentActor, enterprise_id: int, binding_id: int, body: Ending
) -> dict[str, Any]:
    app.enterprises.end(actor, enterprise_id, binding_id, body.reason)
    return {"binding_id": binding_id, "status": "ended"}


@router.post("/{enterprise_id}/roster", summary="Bind actual users from a CSV roster")
def import_roster(
    app: App, actor: CurrentActor, enterprise_id: int, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    rows = read_roster(read_csv_upload(file.file))
    return roster_report(app.enterprises.import_roster(actor, enterprise_id, rows))


@router.get("/{enterprise_id}/roster/{import_id}/rejects.csv", summary="A roster's reject report")
def rejects_csv(
    app: App,
    actor: CurrentActor,
    enterprise_id: int,
    import_id: int,
    lang: Literal["en", "zh"] = "en",
) -> Response:
    with app.engine.connect() as conn:
        rejects = roster_rejects(conn, actor, enterprise_id, import_id)
    return csv_response(
        reject_report_csv(rejects, lang), f"rejects-{enterprise_id}-{import_id}.csv"
    )


# Last: its path would otherwise swallow /lines, /bindings and /roster.
@router.post("/{enterprise_id}/{action}", summary="activate, suspend, reinstate or terminate")
def lifecycle(
    app: App,
    actor: CurrentActor,
    enterprise_id: int,
    action: Literal["activate", "suspend", "reinstate", "terminate"],
    body: Reason,
) -> dict[str, Any]:
    step = getattr(app.enterprises, action)
    return _enterprise(step(actor, enterprise_id, body.reason))


def csv_response(text: str, filename: str) -> Response:
    # A BOM so spreadsheet programs read the Chinese reasons as UTF-8.
    return Response(
        content="\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
