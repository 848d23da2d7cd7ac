"""The channel risk ranking, over the last 90 days, as pages and the API show it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from simreg.bootstrap import Simreg
from simreg.db.risk_queries import channel_risk

WINDOW = timedelta(days=90)


def risk_ranking(simreg: Simreg) -> list[dict[str, Any]]:
    now = simreg.clock.now()
    offset = ZoneInfo(simreg.settings.timezone).utcoffset(now.replace(tzinfo=None))
    hours = int(offset.total_seconds() // 3600) if offset else 0
    with simreg.engine.connect() as conn:
        return channel_risk(
            conn, since=now - WINDOW, offset_hours=hours, per_id_limit=simreg.settings.per_id_limit
        )
