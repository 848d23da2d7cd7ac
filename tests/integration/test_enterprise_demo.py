"""The demo's group customer: 20 lines, two users already active, and a roster that sends
twelve people to review and rejects a wrong name and a mistyped ID number."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from simreg.core.actors import Actor, Role
from simreg.core.settings import Settings
from simreg.customers.roster import read_roster
from simreg.db import tables as t
from simreg.demo.enterprise_seed import ACCOUNT_MANAGER, seed_enterprise
from simreg.demo.identity_authority import start_demo_authority
from simreg.simulators.identity_authority import AuthorityServer
from tests.support import enterprise as support
from tests.support.world import World

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def authority() -> Iterator[AuthorityServer]:
    server = start_demo_authority()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, authority: AuthorityServer) -> Settings:
    return support.authority_settings(database_url, tmp_path, authority)


def test_the_demo_enterprise_binds_its_roster(world: World, tmp_path: Path) -> None:
    simreg = world.simreg
    demo = seed_enterprise(simreg, data_dir=tmp_path)
    assert demo.problem is None and demo.status == "active"
    assert demo.enterprise_id is not None and demo.roster is not None
    assert len(demo.lines) == 20 and len(demo.active) == 2
    with simreg.engine.connect() as conn:
        staff_id = conn.execute(
            select(t.staff.c.id).where(t.staff.c.username == ACCOUNT_MANAGER)
        ).scalar_one()
        open_lines = conn.execute(
            select(t.lines.c.msisdn).where(
                t.lines.c.enterprise_id == demo.enterprise_id, t.lines.c.state == "active"
            )
        ).scalars()
        assert sorted(open_lines) == sorted(demo.active)
    manager = Actor(int(staff_id), ACCOUNT_MANAGER, Role.ACCOUNT_MANAGER)
    with demo.roster.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(read_roster(csv.DictReader(handle)))
    report = simreg.enterprises.import_roster(manager, demo.enterprise_id, rows)
    assert len(report.in_review) == 12
    assert sorted(r.code for r in report.rejected) == ["DOC-CHECKSUM", "ID-MISMATCH"]
