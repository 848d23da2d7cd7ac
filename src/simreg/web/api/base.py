"""The legacy base over HTTP: real-name figures, and the one-ID-many-numbers cases (RN-14)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from simreg.db.base_figures import real_name_figures
from simreg.db.over_limit_store import case_detail, list_cases
from simreg.legacy.over_limit import LineAction, ProposedDecision
from simreg.web.api.body import Body
from simreg.web.auth import App, CurrentActor

router = APIRouter(prefix="/api/v1", tags=["legacy base"])
Typed = Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")]


class LineChoice(Body):
    line_id: int
    action: LineAction
    receiver_doc_type: Typed = ""
    receiver_doc_number: Typed = ""
    receiver_name: Typed = ""


class Decision(Body):
    lines: list[LineChoice] = Field(max_length=1000)
    notes: Annotated[
        str | None, Field(max_length=1000, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")
    ] = None


@router.get("/base/figures", summary="Lines in service by real-name class, rate, breakdowns")
def figures(
    app: App, actor: CurrentActor, org_unit_id: Annotated[int | None, Query()] = None
) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return real_name_figures(
            conn, actor, per_id_limit=app.settings.per_id_limit, org_unit_id=org_unit_id
        )


@router.post("/over-limit-cases/find", summary="Open a case for every document over the limit")
def find(app: App, actor: CurrentActor) -> dict[str, int]:
    return {"opened": app.over_limit.find(actor)}


@router.get("/over-limit-cases", summary="Open cases oldest first, or resolved ones newest first")
def cases(
    app: App,
    actor: CurrentActor,
    status: Literal["open", "resolved"] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return list_cases(conn, actor, status=status, limit=limit, offset=offset)


@router.get("/over-limit-cases/{case_id}", summary="A case, its document's lines, its decision")
def case(app: App, actor: CurrentActor, case_id: int) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return case_detail(conn, actor, case_id)


@router.post("/over-limit-cases/{case_id}/resolve", summary="Keep, cancel or transfer each line")
def resolve(app: App, actor: CurrentActor, case_id: int, body: Decision) -> dict[str, Any]:
    outcome = app.over_limit.resolve(
        actor,
        case_id,
        [
            ProposedDecision(
                line.line_id,
                line.action.value,
                line.receiver_doc_type,
                line.receiver_doc_number,
                line.receiver_name,
            )
            for line in body.lines
        ],
        notes=body.notes,
    )
    return {
        "id": outcome.case_id,
        "status": "resolved",
        "kept": outcome.kept,
        "cancelled": outcome.cancelled,
        "transferred": outcome.transferred,
    }
