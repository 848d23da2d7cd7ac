"""The synthetic province's organisation and sales network, in the database: the province,
its cities and counties as org units; an operator hall or more in every city, licensed
resellers in every county, one online shop; their outlets, and an enrolled real-name app
device at every reseller outlet (RN-09).

Every channel is active with a signed agreement and a manager (RN-08). Creating it again
with the same seed reuses what exists, so the command can be run twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, select

from simreg.bootstrap import Simreg
from simreg.channels.domain import ChannelKind, ChannelStatus
from simreg.core.audit import AuditEvent
from simreg.db import tables as t
from simreg.db.channel_store import SqlChannelTransaction
from simreg.demo.regions import province_for
from simreg.demo.synthetic import person_name

_RESELLER_BRANDS = (
    *("鑫达", "华信", "宏远", "金源", "恒通", "众诚", "联发", "百合"),
    *("天宇", "新世纪", "捷讯", "万家", "永盛", "星河", "东方"),
)
_RESELLER_KINDS = ("通讯", "手机店", "数码通讯", "手机连锁", "通信器材店")


@dataclass(frozen=True)
class OrgUnitPlan:
    code: str
    name: str
    level: str
    parent: str | None


@dataclass(frozen=True)
class ChannelPlan:
    code: str
    name: str
    kind: ChannelKind
    org_unit: str
    manager: str
    agreement_no: str
    signed_on: date
    outlets: tuple[tuple[str, str], ...]  # (code, name)


@dataclass(frozen=True)
class Network:
    org_units: tuple[OrgUnitPlan, ...]
    channels: tuple[ChannelPlan, ...]

    @property
    def channel_codes(self) -> list[str]:
        return [c.code for c in self.channels]

    @property
    def own_channel_codes(self) -> list[str]:
        return [c.code for c in self.channels if c.kind is ChannelKind.OWN]


def network_for(seed: int) -> Network:
    """The org units and channels of a seed's province; the same every time."""
    province = province_for(seed)
    rng = random.Random(f"network:{seed}")
    units = [OrgUnitPlan(province.code, province.name, "province", None)]
    channels: list[ChannelPlan] = []
    short = province.code[:2]

    def channel(code: str, name: str, kind: ChannelKind, unit: str, counters: int) -> None:
        signed = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
        outlets = tuple(
            (f"{code}-{n:02d}", f"{name} {n}号柜台" if counters > 1 else name)
            for n in range(1, counters + 1)
        )
        channels.append(
            ChannelPlan(
                code=code,
                name=name,
                kind=kind,
                org_unit=unit,
                manager=person_name(rng),
                agreement_no=f"{short}-RN-{signed.year}-{len(channels) + 1:04d}",
                signed_on=signed,
                outlets=outlets,
            )
        )

    channel(f"{short}-WEB-01", f"{province.name}网上营业厅", ChannelKind.ONLINE, province.code, 1)
    for city in province.cities:
        units.append(OrgUnitPlan(city.code, city.name, "city", province.code))
        for county in city.counties:
            units.append(OrgUnitPlan(county.code, county.name, "county", city.code))
        # Operator halls stand in the central districts, the first counties of the city.
        for county in city.counties[: rng.randint(1, 3)]:
            hall = f"{city.name}{county.name}营业厅"
            channel(f"{county.code}-OWN-01", hall, ChannelKind.OWN, county.code, 3)
        for county in city.counties:
            for n in range(1, rng.randint(2, 4) + 1):
                brand = rng.choice(_RESELLER_BRANDS) + rng.choice(_RESELLER_KINDS)
                name = f"{county.name}{brand}"
                channel(f"{county.code}-SOC-{n:02d}", name, ChannelKind.SOCIAL, county.code, 1)
    return Network(tuple(units), tuple(channels))


@dataclass
class ProvinceReport:
    network: Network
    created_org_units: int = 0
    created_channels: int = 0
    created_outlets: int = 0
    created_devices: int = 0


def ensure_province(simreg: Simreg, seed: int) -> list[str]:
    """Create the seed's province where missing; the codes of its channels."""
    return create_province(simreg, seed).network.channel_codes


def create_province(simreg: Simreg, seed: int) -> ProvinceReport:
    network = network_for(seed)
    report = ProvinceReport(network)
    now = simreg.clock.now()
    with simreg.engine.begin() as conn:
        tx = SqlChannelTransaction(conn, simreg.vault.tokens)
        unit_ids: dict[str, int] = {}
        for unit in network.org_units:
            found = tx.org_unit_id(unit.code)
            if found is None:
                parent = unit_ids[unit.parent] if unit.parent else None
                found = tx.add_org_unit(
                    code=unit.code, name=unit.name, level=unit.level, parent_id=parent, at=now
                )
                report.created_org_units += 1
            unit_ids[unit.code] = found
        for plan in network.channels:
            existing = tx.channel_by_code(plan.code)
            if existing is None:
                channel_id = tx.add_channel(
                    code=plan.code,
                    name=plan.name,
                    kind=plan.kind,
                    status=ChannelStatus.ACTIVE,
                    org_unit_id=unit_ids[plan.org_unit],
                    at=now,
                )
                tx.record_agreement(
                    channel_id,
                    number=plan.agreement_no,
                    signed_on=plan.signed_on,
                    valid_until=plan.signed_on + timedelta(days=3 * 365),
                    manager_name=plan.manager,
                )
                report.created_channels += 1
            else:
                channel_id = existing.id
            for code, name in plan.outlets:
                found_outlet = tx.outlet_of(code)
                outlet_id = found_outlet[0] if found_outlet else None
                if outlet_id is None:
                    outlet_id = tx.add_outlet(channel_id=channel_id, code=code, name=name, at=now)
                    report.created_outlets += 1
                if plan.kind is ChannelKind.SOCIAL and not _has_device(conn, f"APP-{code}"):
                    tx.add_device(outlet_id=outlet_id, serial=f"APP-{code}", at=now)
                    report.created_devices += 1
        if report.created_org_units or report.created_channels or report.created_outlets:
            tx.record(
                AuditEvent(
                    action="demo.province_created",
                    outcome="ok",
                    at=now,
                    details={
                        "province": network.org_units[0].code,
                        "seed": seed,
                        "org_units": report.created_org_units,
                        "channels": report.created_channels,
                        "outlets": report.created_outlets,
                        "devices": report.created_devices,
                    },
                )
            )
    return report


def _has_device(conn: Connection, serial: str) -> bool:
    found = conn.execute(select(t.devices.c.id).where(t.devices.c.serial == serial)).first()
    return found is not None
