"""The FastAPI application factory."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from simreg import __version__
from simreg.bootstrap import Simreg
from simreg.web import errors
from simreg.web.api import base, campaigns, channels, lines, registrations
from simreg.web.api import enterprises as enterprise_api
from simreg.web.api import online_overview as online_overview_api
from simreg.web.api import report_exports as report_export_api
from simreg.web.api import reports as report_api
from simreg.web.api import shop as shop_api
from simreg.web.body_limit import BodySizeLimit
from simreg.web.input_guard import ControlCharacterGuard
from simreg.web.pages import admin, audit, auth, clerk, pickup, reregister, review
from simreg.web.pages import base as base_pages
from simreg.web.pages import campaigns as campaign_pages
from simreg.web.pages import channels as channel_pages
from simreg.web.pages import enterprises as enterprise_pages
from simreg.web.pages import online_overview as online_overview_pages
from simreg.web.pages import report_exports as report_export_pages
from simreg.web.pages import reports as report_pages
from simreg.web.pages import reports_events as report_event_pages
from simreg.web.pages import risk as risk_pages
from simreg.web.pages import shop as shop_pages
from simreg.web.pages.errors import render_page_error
from simreg.web.pages.rendering import WEB, Pages
from simreg.web.pages.shared import Site
from simreg.web.security_headers import SecurityHeaders


def create_app(simreg: Simreg) -> FastAPI:
    app = FastAPI(
        title="simreg",
        version=__version__,
        description="Real-name registration for mobile lines (实名制): every registration is "
        "checked against rules RN-01..RN-09 and opens only after central review.",
        openapi_url="/openapi.json",
    )
    app.state.simreg = simreg
    app.state.site = Site(simreg, Pages(simreg.settings.timezone))
    errors.install(app, render_page_error)
    app.add_middleware(ControlCharacterGuard)
    # Three photos at their limit and the form around them: the largest honest request.
    app.add_middleware(BodySizeLimit, max_bytes=3 * simreg.settings.photo_max_bytes + (1 << 20))
    app.add_middleware(SecurityHeaders)
    app.include_router(registrations.router)
    app.include_router(lines.router)
    app.include_router(channels.router)
    app.include_router(campaigns.router)
    app.include_router(campaigns.public)
    app.include_router(base.router)
    app.include_router(report_api.router)
    app.include_router(report_export_api.router)
    app.include_router(enterprise_api.router)
    app.include_router(enterprise_pages.router)
    app.include_router(shop_api.public)
    app.include_router(shop_api.staff)
    app.include_router(shop_pages.router)
    app.include_router(pickup.router)
    app.include_router(online_overview_api.router)
    app.include_router(online_overview_pages.router)
    app.include_router(report_pages.router)
    app.include_router(report_event_pages.router)
    app.include_router(report_export_pages.router)
    for pages in (auth, clerk, review, audit, admin, channel_pages, campaign_pages, reregister):
        app.include_router(pages.router)
    app.include_router(base_pages.router)
    app.include_router(risk_pages.router)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    @app.get("/healthz", tags=["ops"], summary="Liveness and database reachability")
    def healthz() -> dict[str, Any]:
        with simreg.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": simreg.engine.dialect.name}

    return app


def create_app_from_environment() -> FastAPI:
    """For process managers and ``uvicorn --factory --workers N``: settings from SIMREG_*."""
    from simreg.bootstrap import bootstrap
    from simreg.core.settings import Settings

    return create_app(bootstrap(Settings()))
