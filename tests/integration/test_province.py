"""The synthetic province in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Table, func, select

from simreg.bootstrap import Simreg
from simreg.channels.domain import ChannelKind
from simreg.db import directory
from simreg.db import tables as t
from simreg.db.channel_store import deployment_figures
from simreg.demo.province import create_province, ensure_province, network_for

SEED = 2013


def _count(simreg: Simreg, table: Table) -> int:
    with simreg.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_creates_org_units_and_active_channels_with_agreements(simreg: Simreg) -> None:
    codes = ensure_province(simreg, SEED)
    network = network_for(SEED)
    assert codes == network.channel_codes
    with simreg.engine.connect() as conn:
        units = {u.code: u for u in conn.execute(select(t.org_units))}
        by_id = {u.id: u for u in units.values()}
        channels = conn.execute(select(t.channels).where(t.channels.c.code.in_(codes))).all()
        outlets = conn.execute(select(t.outlets)).all()
        devices = conn.execute(select(t.devices)).all()
        figures = deployment_figures(conn)
    levels = [u.level for u in units.values()]
    assert levels.count("province") == 1
    assert 6 <= levels.count("city") <= 10
    assert 3 * levels.count("city") <= levels.count("county") <= 6 * levels.count("city")
    for unit in units.values():
        parent = by_id.get(unit.parent_id)
        expected = {"province": None, "city": "province", "county": "city"}[unit.level]
        assert (parent.level if parent else None) == expected
    assert len(channels) == len(codes)
    assert {c.kind for c in channels} == {"own", "social", "online"}
    for channel in channels:
        assert channel.status == "active"
        assert channel.agreement_no and channel.manager_name
        assert channel.agreement_valid_until > channel.agreement_signed_on
        assert channel.org_unit_id in by_id
    # Every reseller is within a county; every channel has somewhere to sell.
    assert all(by_id[c.org_unit_id].level == "county" for c in channels if c.kind == "social")
    assert {o.channel_id for o in outlets} >= {c.id for c in channels}
    social = [c for c in channels if c.kind == ChannelKind.SOCIAL.value]
    assert len(devices) == sum(1 for o in outlets if o.channel_id in {c.id for c in social})
    # RN-09: the real-name app is on every reseller's outlet.
    assert figures["active_social_channels"] == len(social)
    assert figures["deployment_rate"] == 1.0


def test_running_again_reuses_what_exists(simreg: Simreg) -> None:
    network = network_for(SEED)
    # A channel of the plan already there (made by hand, say): kept as it is.
    with simreg.engine.begin() as conn:
        directory.add_channel(
            conn,
            code=network.channel_codes[0],
            name="hand-made",
            kind=ChannelKind.ONLINE,
            at=simreg.clock.now(),
        )
    first = create_province(simreg, SEED)
    assert first.created_channels == len(network.channels) - 1
    tables = (t.org_units, t.channels, t.outlets, t.devices, t.audit_events)
    counts = {table.name: _count(simreg, table) for table in tables}

    again = create_province(simreg, SEED)
    assert again.network.channel_codes == first.network.channel_codes
    assert (again.created_org_units, again.created_channels) == (0, 0)
    assert (again.created_outlets, again.created_devices) == (0, 0)
    assert {table.name: _count(simreg, table) for table in tables} == counts
    with simreg.engine.connect() as conn:
        name = conn.execute(
            select(t.channels.c.name).where(t.channels.c.code == network.channel_codes[0])
        ).scalar_one()
        audits = conn.execute(
            select(t.audit_events.c.details).where(
                t.audit_events.c.action == "demo.province_created"
            )
        ).all()
    assert name == "hand-made"
    assert len(audits) == 1 and audits[0].details["channels"] == first.created_channels


def test_another_seed_adds_its_own_province_beside(simreg: Simreg) -> None:
    ensure_province(simreg, 0)
    codes = ensure_province(simreg, 1)
    assert network_for(0).org_units[0].code != network_for(1).org_units[0].code
    with simreg.engine.connect() as conn:
        provinces = conn.execute(
            select(func.count()).select_from(t.org_units).where(t.org_units.c.level == "province")
        ).scalar_one()
        found = conn.execute(
            select(func.count()).select_from(t.channels).where(t.channels.c.code.in_(codes))
        ).scalar_one()
    assert provinces == 2 and found == len(codes)
