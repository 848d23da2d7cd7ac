"""The number pool as a clerk sees it: pick a free number, hold it while the customer decides."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from simreg.core.actors import Role
from simreg.db import queries
from simreg.lines.domain import LineKind
from simreg.web.auth import App, CurrentActor

router = APIRouter(prefix="/api/v1", tags=["lines"])


@router.get("/lines/available", summary="Free numbers in the pool")
def available(
    app: App,
    actor: CurrentActor,
    kind: Annotated[LineKind | None, Query()] = None,
    contains: Annotated[str | None, Query(max_length=11, pattern=r"^\d*$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    actor.require(Role.CLERK, Role.ADMIN)
    with app.engine.connect() as conn:
        return {"items": queries.available_numbers(conn, kind=kind, contains=contains, limit=limit)}


@router.post("/lines/{msisdn}/reserve", summary="Hold a number for 30 minutes")
def reserve(app: App, actor: CurrentActor, msisdn: str) -> dict[str, Any]:
    line = app.registrations.reserve_line(actor, msisdn)
    return {
        "msisdn": line.msisdn,
        "kind": line.kind.value,
        "state": line.state.value,
        "reserved_until": line.reserved_until.isoformat() if line.reserved_until else None,
    }
