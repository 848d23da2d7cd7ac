"""Real-name classification of the lines in service, overall and rolled up the org tree, on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from simreg.core.errors import Forbidden
from simreg.db import tables as t
from simreg.db.base_figures import real_name_figures
from simreg.lines.domain import LineKind, LineState, RealNameState
from tests.support.campaign_base import org_units
from tests.support.over_limit_base import document_holding, unverified_lines
from tests.support.world import World


def build_base(world: World) -> None:
    """County A (OWN): 7 verified lines under one document (over the limit), 2 cancelled,
    3 legacy lines (one with an invalid identity), one line opened at the counter.
    County B (SOC): 2 legacy data cards, one re-verification pending, one suspended."""
    app = world.simreg
    document_holding(app, 7)
    document_holding(app, 2, state=LineState.CANCELLED)
    unverified_lines(app, 2)
    unverified_lines(app, 1, identity_issue="DOC-CHECKSUM")
    registration = world.submit()
    app.registrations.approve(world.actors["reviewer"], registration.id)
    app.registrations.activate(world.actors["reviewer"], registration.id)
    unverified_lines(app, 2, channel="SOC", kind=LineKind.DATA)
    unverified_lines(
        app,
        1,
        channel="SOC",
        kind=LineKind.DATA,
        real_name=RealNameState.REVERIFICATION_PENDING,
    )
    unverified_lines(app, 1, channel="SOC", state=LineState.SUSPENDED_ONE_WAY)


def test_classes_overall_per_kind_channel_and_org_unit(world: World) -> None:
    app = world.simreg
    units = org_units(app)
    build_base(world)
    with app.engine.connect() as conn:
        figures = real_name_figures(conn, world.actors["auditor"], per_id_limit=5)

    overall = figures["overall"]
    assert overall["lines"] == 15
    assert overall["verified"] == 8
    assert overall["legacy_unverified"] == 6
    assert overall["identity_invalid"] == 1
    assert overall["reverification_pending"] == 1
    assert overall["over_limit"] == 7
    assert overall["rate"] == 8 / 15

    kinds = {k["kind"]: k for k in figures["per_kind"]}
    assert (kinds["voice"]["lines"], kinds["data"]["lines"]) == (12, 3)

    channels = {c["code"]: c for c in figures["per_channel"]}
    # The counter registration's line counts at the channel of its registration.
    assert (channels["OWN"]["lines"], channels["OWN"]["verified"]) == (11, 8)
    assert (channels["SOC"]["lines"], channels["SOC"]["verified"]) == (4, 0)

    per_unit = {u["org_unit_id"]: u for u in figures["per_org_unit"]}
    assert per_unit[units.county_a]["lines"] == 11
    assert per_unit[units.county_b]["lines"] == 4
    assert per_unit[units.city]["lines"] == per_unit[units.province]["lines"] == 15
    assert per_unit[units.province]["rate"] == overall["rate"]
    assert [u["level"] for u in figures["per_org_unit"]] == [
        "province",
        "city",
        "county",
        "county",
    ]
    assert figures["over_limit_documents"] == {
        "documents_over_limit": 1,
        "open_cases": 0,
        "resolved_cases": 0,
    }


def test_figures_within_one_org_unit(world: World) -> None:
    app = world.simreg
    units = org_units(app)
    build_base(world)
    with app.engine.connect() as conn:
        county_b = real_name_figures(
            conn, world.actors["risk"], per_id_limit=5, org_unit_id=units.county_b
        )
    assert county_b["overall"]["lines"] == 4
    assert [c["code"] for c in county_b["per_channel"]] == ["SOC"]
    assert county_b["overall"]["rate"] == 0.0


def test_lines_of_channels_without_org_unit_and_roles(world: World) -> None:
    app = world.simreg
    unverified_lines(app, 2)
    document_holding(app, 2)
    with app.engine.begin() as conn:
        conn.execute(update(t.lines).values(channel_id=None))
    with app.engine.connect() as conn:
        figures = real_name_figures(conn, world.actors["manager"], per_id_limit=5)
        assert figures["per_org_unit"] == [
            {
                "org_unit_id": None,
                "code": None,
                "name": None,
                "level": None,
                "parent_id": None,
                **figures["overall"],
            }
        ]
        assert figures["per_channel"][0]["code"] is None
        assert figures["overall"]["rate"] == 0.5
        for who in ("reviewer", "clerk_hall", "call_centre"):
            with pytest.raises(Forbidden):
                real_name_figures(conn, world.actors[who], per_id_limit=5)
