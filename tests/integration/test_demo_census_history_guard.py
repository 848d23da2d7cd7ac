"""The demo's made-up past censuses are written only into a fresh demo database: never into
a deployment (its past censuses are the regulator's record), never over censuses taken."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from simreg.adapters.passwords import Argon2Passwords
from simreg.bootstrap import Simreg, bootstrap
from simreg.core.errors import Conflict
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.demo.census_history import seed_censuses


def censuses(simreg: Simreg) -> list[tuple[object, int]]:
    c = t.report_censuses.c
    with simreg.engine.connect() as conn:
        return [
            (r.day, r.lines_in_service) for r in conn.execute(select(c.day, c.lines_in_service))
        ]


def audit_rows(simreg: Simreg) -> int:
    with simreg.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.audit_events)).scalar_one())


@pytest.fixture
def demo(settings: Settings) -> Iterator[Simreg]:
    app = bootstrap(
        settings.model_copy(update={"demo": True}),
        passwords=Argon2Passwords(fast_for_tests=True),
    )
    yield app
    app.close()


def test_refused_outside_a_demo(simreg: Simreg) -> None:
    assert not simreg.settings.demo
    with pytest.raises(Conflict) as refused:
        seed_censuses(simreg)
    assert refused.value.code == "DEMO-ONLY"
    assert censuses(simreg) == [] and audit_rows(simreg) == 0


def test_refused_over_censuses_already_taken(demo: Simreg) -> None:
    demo.reports.take_census(None)
    taken, audited = censuses(demo), audit_rows(demo)
    with pytest.raises(Conflict) as refused:
        seed_censuses(demo)
    assert refused.value.code == "DEMO-NOT-FRESH"
    assert censuses(demo) == taken and audit_rows(demo) == audited


def test_a_fresh_demo_database_gets_its_history(demo: Simreg) -> None:
    days = seed_censuses(demo)
    assert len(days) == 72 and max(days) < demo.reports.today()
    assert sorted(day for day, _lines in censuses(demo)) == days
