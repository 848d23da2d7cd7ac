"""The FastAPI application factory."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from simreg import __version__
from simreg.bootstrap import Simreg
from simreg.web import errors
from simreg.web.api import lines, registrations
from simreg.web.input_guard import ControlCharacterGuard


def create_app(simreg: Simreg) -> FastAPI:
    app = FastAPI(
        title="simreg",
        version=__version__,
        description="Real-name registration for mobile lines (实名制): every registration is "
        "checked against rules RN-01..RN-09 and opens only after central review.",
        openapi_url="/openapi.json",
    )
    app.state.simreg = simreg
    errors.install(app)
    app.add_middleware(ControlCharacterGuard)
    app.include_router(registrations.router)
    app.include_router(lines.router)

    @app.get("/healthz", tags=["ops"], summary="Liveness and database reachability")
    def healthz() -> dict[str, Any]:
        with simreg.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": simreg.engine.dialect.name}

    return app
