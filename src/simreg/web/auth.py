"""Bearer-token authentication for staff, plus the enrolled device the app runs on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from simreg.bootstrap import Simreg
from simreg.core.actors import Actor
from simreg.core.errors import Unauthenticated
from simreg.db.directory import authenticate


def simreg_of(request: Request) -> Simreg:
    app_state: Simreg = request.app.state.simreg
    return app_state


def current_actor(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_device_token: Annotated[str | None, Header()] = None,
) -> Actor:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthenticated()
    token = authorization[7:].strip()
    simreg = simreg_of(request)
    with simreg.engine.connect() as conn:
        return authenticate(
            conn, simreg.vault.tokens, token, x_device_token, now=simreg.clock.now()
        )


CurrentActor = Annotated[Actor, Depends(current_actor)]
App = Annotated[Simreg, Depends(simreg_of)]
