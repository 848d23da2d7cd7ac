"""Channels, outlets and devices for governance, in SQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from simreg.channels.domain import Channel, ChannelKind, ChannelStatus
from simreg.core.audit import AuditEvent
from simreg.core.crypto import BlindIndex
from simreg.db import directory
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
from simreg.db.compliance_store import SqlComplianceQueries
from simreg.db.repositories import upsert_insert


class _SqlChannelBase:
    def __init__(self, connection: Connection, tokens: BlindIndex) -> None:
        self.conn = connection
        self.tokens = tokens

    def channel_by_code(self, code: str) -> Channel | None:
        row = self.conn.execute(select(t.channels).where(t.channels.c.code == code)).one_or_none()
        if row is None:
            return None
        return Channel(
            row.id,
            row.code,
            row.name,
            ChannelKind(row.kind),
            ChannelStatus(row.status),
            row.parent_channel_id,
        )

    def channel_by_id(self, channel_id: int) -> Channel:
        row = self.conn.execute(select(t.channels).where(t.channels.c.id == channel_id)).one()
        return Channel(
            row.id,
            row.code,
            row.name,
            ChannelKind(row.kind),
            ChannelStatus(row.status),
            row.parent_channel_id,
        )

    def org_unit(self, code: str) -> tuple[int, str] | None:
        row = self.conn.execute(
            select(t.org_units.c.id, t.org_units.c.level).where(t.org_units.c.code == code)
        ).one_or_none()
        return (int(row.id), str(row.level)) if row else None

    def add_org_unit(
        self, *, code: str, name: str, level: str, parent_id: int | None, at: datetime
    ) -> int:
        return int(
            self.conn.execute(
                insert(t.org_units)
                .values(code=code, name=name, level=level, parent_id=parent_id, created_at=at)
                .returning(t.org_units.c.id)
            ).scalar_one()
        )

    def org_unit_id(self, code: str) -> int | None:
        found = self.conn.execute(
            select(t.org_units.c.id).where(t.org_units.c.code == code)
        ).scalar_one_or_none()
        return int(found) if found is not None else None

    def add_channel(
        self,
        *,
        code: str,
        name: str,
        kind: ChannelKind,
        status: ChannelStatus,
        org_unit_id: int | None,
        at: datetime,
    ) -> int:
        return int(
            self.conn.execute(
                insert(t.channels)
                .values(
                    code=code,
                    name=name,
                    kind=kind.value,
                    status=status.value,
                    org_unit_id=org_unit_id,
                    created_at=at,
                )
                .returning(t.channels.c.id)
            ).scalar_one()
        )

    def set_status(self, channel_id: int, status: ChannelStatus) -> None:
        self.conn.execute(
            update(t.channels).where(t.channels.c.id == channel_id).values(status=status.value)
        )

    def record_agreement(
        self, channel_id: int, *, number: str, signed_on: date, valid_until: date, manager_name: str
    ) -> None:
        self.conn.execute(
            update(t.channels)
            .where(t.channels.c.id == channel_id)
            .values(
                agreement_no=number,
                agreement_signed_on=signed_on,
                agreement_valid_until=valid_until,
                manager_name=manager_name,
            )
        )

    def add_channel_event(
        self,
        *,
        channel_id: int,
        at: datetime,
        actor_staff_id: int,
        from_status: ChannelStatus | None,
        to_status: ChannelStatus,
        reason: str,
        details: dict[str, Any],
    ) -> None:
        self.conn.execute(
            insert(t.channel_events).values(
                channel_id=channel_id,
                at=at,
                actor_staff_id=actor_staff_id,
                from_status=from_status.value if from_status else None,
                to_status=to_status.value,
                reason=reason,
                details=details or None,
            )
        )

    def close_outlets_and_devices(self, channel_id: int, at: datetime) -> tuple[int, int]:
        outlet_ids = select(t.outlets.c.id).where(t.outlets.c.channel_id == channel_id)
        device_ids = select(t.devices.c.id).where(t.devices.c.outlet_id.in_(outlet_ids))
        outlets = self.conn.execute(
            update(t.outlets)
            .where(t.outlets.c.channel_id == channel_id, t.outlets.c.active.is_(True))
            .values(active=False)
        ).rowcount
        devices = self.conn.execute(
            update(t.devices)
            .where(t.devices.c.id.in_(device_ids), t.devices.c.active.is_(True))
            .values(active=False, revoked_at=at)
        ).rowcount
        self.conn.execute(
            update(t.api_tokens)
            .where(t.api_tokens.c.device_id.in_(device_ids), t.api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(outlets), int(devices)

    def outlet_of(self, code: str) -> tuple[int, int] | None:
        row = self.conn.execute(
            select(t.outlets.c.id, t.outlets.c.channel_id).where(t.outlets.c.code == code)
        ).one_or_none()
        return (int(row.id), int(row.channel_id)) if row else None

    def add_outlet(self, *, channel_id: int, code: str, name: str, at: datetime) -> int:
        return directory.add_outlet(self.conn, channel_id=channel_id, code=code, name=name, at=at)

    def outlet_state(self, code: str) -> tuple[int, int, bool] | None:
        row = self.conn.execute(
            select(t.outlets.c.id, t.outlets.c.channel_id, t.outlets.c.active).where(
                t.outlets.c.code == code
            )
        ).one_or_none()
        return (int(row.id), int(row.channel_id), bool(row.active)) if row else None

    def add_device(self, *, outlet_id: int, serial: str, at: datetime) -> int | None:
        # ON CONFLICT rather than a look first: two managers typing the same serial at once
        # get one device and one clear refusal, not a constraint error.
        created = self.conn.execute(
            upsert_insert(self.conn)(t.devices)
            .values(outlet_id=outlet_id, serial=serial, active=True, enrolled_at=at)
            .on_conflict_do_nothing(index_elements=["serial"])
            .returning(t.devices.c.id)
        ).first()
        return int(created[0]) if created is not None else None

    def issue_device_token(self, device_id: int, at: datetime) -> str:
        return directory.issue_token(
            self.conn, self.tokens, at=at, device_id=device_id, label="device enrolment"
        )

    def revoke_device(self, serial: str, at: datetime) -> tuple[int, int] | None:
        row = self.conn.execute(
            select(t.devices.c.id, t.devices.c.outlet_id).where(
                t.devices.c.serial == serial, t.devices.c.active.is_(True)
            )
        ).one_or_none()
        if row is None:
            return None
        self.conn.execute(
            update(t.devices).where(t.devices.c.id == row.id).values(active=False, revoked_at=at)
        )
        self.conn.execute(
            update(t.api_tokens)
            .where(t.api_tokens.c.device_id == row.id, t.api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(row.id), int(row.outlet_id)

    def record(self, event: AuditEvent) -> None:
        record_audit(self.conn, event)


def channel_overview(conn: Connection) -> list[dict[str, Any]]:
    """Every channel with its outlets, enrolled devices and org unit, for the governance page."""
    active_devices = (
        select(t.outlets.c.channel_id, func.count(t.devices.c.id).label("devices"))
        .join(t.devices, t.devices.c.outlet_id == t.outlets.c.id)
        .where(t.devices.c.active.is_(True))
        .group_by(t.outlets.c.channel_id)
        .subquery()
    )
    outlet_counts = (
        select(t.outlets.c.channel_id, func.count().label("outlets"))
        .where(t.outlets.c.active.is_(True))
        .group_by(t.outlets.c.channel_id)
        .subquery()
    )
    parent = t.channels.alias("parent")
    rows = conn.execute(
        select(
            t.channels.c.code,
            t.channels.c.name,
            t.channels.c.kind,
            t.channels.c.status,
            # A sub-agent (RN-08) under the reseller that appointed it, for the manager to find.
            parent.c.code.label("parent"),
            t.channels.c.agreement_no,
            t.channels.c.agreement_valid_until,
            t.org_units.c.name.label("org_unit"),
            func.coalesce(outlet_counts.c.outlets, 0).label("outlets"),
            func.coalesce(active_devices.c.devices, 0).label("devices"),
        )
        .outerjoin(t.org_units, t.org_units.c.id == t.channels.c.org_unit_id)
        .outerjoin(parent, parent.c.id == t.channels.c.parent_channel_id)
        .outerjoin(outlet_counts, outlet_counts.c.channel_id == t.channels.c.id)
        .outerjoin(active_devices, active_devices.c.channel_id == t.channels.c.id)
        .order_by(t.channels.c.kind, t.channels.c.code)
    )
    listed = [dict(r._mapping) for r in rows]
    # Who was held to account at termination (RN-08), from the terminating event.
    e = t.channel_events
    answerable = {
        code: details or {}
        for code, details in conn.execute(
            select(t.channels.c.code, e.c.details)
            .join(e, e.c.channel_id == t.channels.c.id)
            .where(e.c.to_status == ChannelStatus.TERMINATED.value)
            .order_by(e.c.id)  # a later record of accountability replaces an earlier one
        )
    }
    for channel in listed:
        details = answerable.get(channel["code"], {})
        channel["responsible_unit"] = details.get("responsible_unit")
        channel["responsible_manager"] = details.get("responsible_manager")
    return listed


def org_unit_list(conn: Connection) -> list[dict[str, Any]]:
    """Every organisation unit with its parent's code, for clients that need the codes."""
    parent = t.org_units.alias("parent")
    rows = conn.execute(
        select(
            t.org_units.c.code,
            t.org_units.c.name,
            t.org_units.c.level,
            parent.c.code.label("parent"),
        )
        .outerjoin(parent, parent.c.id == t.org_units.c.parent_id)
        .order_by(t.org_units.c.code)
    )
    return [dict(r._mapping) for r in rows]


def deployment_figures(conn: Connection, since: datetime | None = None) -> dict[str, Any]:
    """App deployment rate over active social channels, and the share of new social-channel
    registrations that came through an enrolled device (RN-09): overall, and for every
    organisation unit counting the channels of the units below it (county → city → province).
    """
    deployed = (
        select(t.outlets.c.channel_id)
        .join(t.devices, t.devices.c.outlet_id == t.outlets.c.id)
        .where(t.devices.c.active.is_(True))
        .distinct()
        .subquery()
    )
    channels = conn.execute(
        select(
            t.channels.c.id,
            t.channels.c.org_unit_id,
            (deployed.c.channel_id.is_not(None)).label("deployed"),
        )
        .outerjoin(deployed, deployed.c.channel_id == t.channels.c.id)
        .where(t.channels.c.kind == "social", t.channels.c.status == "active")
    ).all()
    regs = (
        select(
            t.registrations.c.channel_id,
            func.count().label("registrations"),
            func.count(t.registrations.c.device_id).label("via_app"),
        )
        .join(t.channels, t.channels.c.id == t.registrations.c.channel_id)
        # New customers only: a legacy line re-registered at the counter is not one.
        .where(t.channels.c.kind == "social", t.registrations.c.source == "counter")
        .group_by(t.registrations.c.channel_id)
    )
    if since is not None:
        regs = regs.where(t.registrations.c.submitted_at >= since)
    per_channel_regs = {
        r.channel_id: (int(r.registrations), int(r.via_app)) for r in conn.execute(regs)
    }
    channel_units = dict(conn.execute(select(t.channels.c.id, t.channels.c.org_unit_id)).all())
    units = {u.id: u for u in conn.execute(select(t.org_units))}
    totals: dict[int, dict[str, int]] = {}

    def chain(unit_id: int | None) -> list[int]:
        found = []
        while unit_id is not None and unit_id in units and unit_id not in found:
            found.append(unit_id)
            unit_id = units[unit_id].parent_id
        return found

    for channel in channels:
        for unit_id in chain(channel.org_unit_id):
            bucket = totals.setdefault(
                unit_id, dict.fromkeys(("channels", "deployed", "registrations", "via_app"), 0)
            )
            bucket["channels"] += 1
            bucket["deployed"] += int(bool(channel.deployed))
    for channel_id, (count, via_app) in per_channel_regs.items():
        for unit_id in chain(channel_units.get(channel_id)):
            bucket = totals.setdefault(
                unit_id, dict.fromkeys(("channels", "deployed", "registrations", "via_app"), 0)
            )
            bucket["registrations"] += count
            bucket["via_app"] += via_app
    order = {"province": 0, "city": 1, "county": 2}
    per_unit = [
        {
            "org_unit": units[unit_id].name,
            "code": units[unit_id].code,
            "level": units[unit_id].level,
            "active_social_channels": b["channels"],
            "deployed": b["deployed"],
            "deployment_rate": _rate(b["deployed"], b["channels"]),
            "registrations": b["registrations"],
            "via_app": b["via_app"],
            "app_share": _rate(b["via_app"], b["registrations"]),
        }
        for unit_id, b in totals.items()
    ]
    per_unit.sort(key=lambda u: (order.get(str(u["level"]), 9), str(u["code"])))
    channel_count = len(channels)
    deployed_count = sum(1 for c in channels if c.deployed)
    registrations = sum(c for c, _ in per_channel_regs.values())
    app_total = sum(v for _, v in per_channel_regs.values())
    return {
        "active_social_channels": channel_count,
        "deployed": deployed_count,
        "deployment_rate": _rate(deployed_count, channel_count),
        "social_registrations": registrations,
        "via_app": app_total,
        "app_share": _rate(app_total, registrations),
        "per_org_unit": per_unit,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class SqlChannelTransaction(_SqlChannelBase, SqlComplianceQueries):
    """One transaction's view of channels, devices, inspections and violations."""
