"""The channel risk ranking, over the last 90 days, as pages and the API show it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from simreg.bootstrap import Simreg
from simreg.core.clock import utc_offset_hours
from simreg.db.risk_queries import channel_risk

WINDOW = timedelta(days=90)


def risk_ranking(simreg: Simreg) -> list[dict[str, Any]]:
    now = simreg.clock.now()
    hours = utc_offset_hours(simreg.settings.timezone, now)
    with simreg.engine.connect() as conn:
        return channel_risk(
            conn, since=now - WINDOW, offset_hours=hours, per_id_limit=simreg.settings.per_id_limit
        )
