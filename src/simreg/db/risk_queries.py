"""Channel risk indicators from registration data, ranked, with the reasons for each rank.

Every indicator is one grouped query; Python only combines a handful of numbers per channel.
Local hours use the operator's fixed UTC offset (mainland China has no daylight saving).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    distinct,
    func,
    literal_column,
    select,
)

from simreg.db import tables as t

NIGHT_HOURS = (22, 23, 0, 1, 2, 3, 4, 5, 6)
# weight, the value at which the indicator counts in full, the value that makes it a reason
INDICATORS: dict[str, tuple[float, float, float]] = {
    "rejection_rate": (40, 1.0, 0.2),
    "night_share": (20, 1.0, 0.1),
    "peak_per_device_hour": (15, 10, 10),
    "documents_near_limit": (10, 5, 3),
    "reused_portraits": (15, 2, 1),
}
REASONS = {
    "rejection_rate": ("back-office rejects {:.0%} of its registrations", "后台驳回率 {:.0%}"),
    "night_share": ("{:.0%} of registrations between 22:00 and 07:00", "{:.0%} 的登记在夜间办理"),
    "peak_per_device_hour": (
        "up to {:.0f} registrations an hour on one device",
        "单台设备每小时最多 {:.0f} 笔",
    ),
    "documents_near_limit": (
        "{:.0f} documents at or next to the per-ID limit",
        "{:.0f} 个证件接近一证五号上限",
    ),
    "reused_portraits": (
        "{:.0f} portraits reused across different documents",
        "{:.0f} 张人像被用于不同证件",
    ),
}


def _local_hour(conn: Connection, column: Any, offset_hours: int) -> ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        shifted = column + literal_column(f"interval '{int(offset_hours)} hours'")
        return func.extract("hour", func.timezone("UTC", shifted))
    return func.cast(func.strftime("%H", column, f"{int(offset_hours):+d} hours"), Integer)


def _hour_bucket(conn: Connection, column: Any) -> ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return func.date_trunc("hour", column)
    return func.strftime("%Y-%m-%d %H", column)


def channel_risk(
    conn: Connection, *, since: datetime, offset_hours: int, per_id_limit: int
) -> list[dict[str, Any]]:
    r = t.registrations
    recent = r.c.submitted_at >= since
    values: dict[int, dict[str, float]] = {}

    def put(channel_id: int, name: str, value: float) -> None:
        values.setdefault(channel_id, {})[name] = float(value or 0)

    decided = r.c.state.in_(["rejected", "approved", "active"])
    for row in conn.execute(
        select(
            r.c.channel_id,
            func.count().label("n"),
            func.sum(func.cast(r.c.state == "rejected", Integer)).label("rejected"),
        )
        .where(recent, decided)
        .group_by(r.c.channel_id)
    ):
        put(row.channel_id, "rejection_rate", (row.rejected or 0) / row.n)

    hour = _local_hour(conn, r.c.submitted_at, offset_hours)
    for row in conn.execute(
        select(
            r.c.channel_id,
            func.count().label("n"),
            func.sum(func.cast(hour.in_(NIGHT_HOURS), Integer)).label("night"),
        )
        .where(recent)
        .group_by(r.c.channel_id)
    ):
        put(row.channel_id, "night_share", (row.night or 0) / row.n)

    per_hour = (
        select(
            r.c.channel_id,
            r.c.device_id,
            _hour_bucket(conn, r.c.submitted_at).label("h"),
            func.count().label("n"),
        )
        .where(recent, r.c.device_id.is_not(None))
        .group_by(r.c.channel_id, r.c.device_id, literal_column("h"))
        .subquery()
    )
    for row in conn.execute(
        select(per_hour.c.channel_id, func.max(per_hour.c.n).label("peak")).group_by(
            per_hour.c.channel_id
        )
    ):
        put(row.channel_id, "peak_per_device_hour", row.peak)

    for row in conn.execute(
        select(r.c.channel_id, func.count(distinct(r.c.customer_id)).label("n"))
        .join(t.customers, t.customers.c.id == r.c.customer_id)
        .where(recent, t.customers.c.held_lines >= per_id_limit - 1)
        .group_by(r.c.channel_id)
    ):
        put(row.channel_id, "documents_near_limit", row.n)

    p = t.registration_photos
    shared = (
        select(p.c.phash)
        .join(r, r.c.id == p.c.registration_id)
        .where(p.c.kind == "portrait", p.c.phash.is_not(None))
        .group_by(p.c.phash)
        .having(func.count(distinct(r.c.customer_id)) > 1)
        .subquery()
    )
    for row in conn.execute(
        select(r.c.channel_id, func.count(distinct(p.c.phash)).label("n"))
        .join(p, and_(p.c.registration_id == r.c.id, p.c.kind == "portrait"))
        .where(recent, p.c.phash.in_(select(shared.c.phash)))
        .group_by(r.c.channel_id)
    ):
        put(row.channel_id, "reused_portraits", row.n)

    channels = {
        row.id: row
        for row in conn.execute(
            select(
                t.channels.c.id,
                t.channels.c.code,
                t.channels.c.name,
                t.channels.c.kind,
                t.channels.c.status,
            ).where(t.channels.c.status.in_(["active", "suspended"]))
        )
    }
    ranked = []
    for channel_id, channel in channels.items():
        found = values.get(channel_id, {})
        score = 0.0
        reasons: list[dict[str, Any]] = []
        for name, (weight, full, threshold) in INDICATORS.items():
            value = found.get(name, 0.0)
            points = weight * min(value / full, 1.0)
            score += points
            if points > 0:
                # Every indicator that adds to the score is named, so a rank never comes
                # without its reasons; those past their alert level are flagged.
                en, zh = REASONS[name]
                reasons.append(
                    {
                        "indicator": name,
                        "value": value,
                        "points": round(points, 1),
                        "alert": value >= threshold,
                        "en": en.format(value),
                        "zh": zh.format(value),
                    }
                )
        reasons.sort(key=lambda reason: (not reason["alert"], -float(reason["points"])))
        ranked.append(
            {
                "channel_id": channel_id,
                "code": channel.code,
                "name": channel.name,
                "kind": channel.kind,
                "status": channel.status,
                "score": round(score, 1),
                "indicators": {name: round(found.get(name, 0.0), 4) for name in INDICATORS},
                "reasons": reasons,
            }
        )
    ranked.sort(key=lambda item: (-item["score"], item["code"]))
    return ranked
