"""Migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from simreg.db import tables as t
from simreg.db.engine import make_engine
from simreg.db.migrate import alembic_config, downgrade, schema_drift, upgrade
from simreg.db.tables import metadata
from simreg.identity.documents import mask_number
from tests.support.campaign_base import legacy_lines
from tests.support.world import World


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    # Disposed even when an assertion fails: a pooled connection left to the garbage collector
    # would fail some later test with a ResourceWarning.
    made = make_engine(database_url)
    try:
        yield made
    finally:
        made.dispose()


def test_migrations_match_the_models(engine: Engine) -> None:
    upgrade(engine)
    assert schema_drift(engine) == []
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_downgrade_to_empty_and_back(engine: Engine) -> None:
    upgrade(engine)
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert schema_drift(engine) == []


def test_stored_masks_of_short_documents_are_narrowed(engine: Engine) -> None:
    """0014 rewrites masks written by the old rule (four characters kept at each end of a
    number over eight) into what the new rule gives for the same numbers."""
    upgrade(engine, "0013")
    numbers = {"E12345678": "E123*5678", "H1234567": "H1****67", "11010519491231002X": None}
    with engine.begin() as conn:
        for at, (number, old_mask) in enumerate(numbers.items(), start=1):
            conn.execute(
                insert(t.customers).values(
                    doc_type="passport",
                    doc_index=f"index-{at}",
                    doc_number_enc=b"sealed",
                    doc_masked=old_mask or mask_number(number),
                    held_lines=0,
                    created_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )
        # A resolved RN-14 case whose decision record names a receiver by the old mask.
        conn.execute(
            insert(t.over_limit_cases).values(
                customer_id=1,
                status="resolved",
                held_when_found=6,
                found_at=datetime(2026, 1, 2, tzinfo=UTC),
                decision={"lines": [{"action": "keep"}, {"receiver": {"doc_masked": "E123*5678"}}]},
            )
        )
    upgrade(engine)
    with engine.connect() as conn:
        masks = conn.execute(select(t.customers.c.doc_masked).order_by(t.customers.c.id))
        assert masks.scalars().all() == [mask_number(number) for number in numbers]
        decision = conn.execute(select(t.over_limit_cases.c.decision)).scalar_one()
        assert decision["lines"][1]["receiver"]["doc_masked"] == "E1*****78"
    assert mask_number("E12345678") == "E1*****78"


def test_a_database_in_use_migrates_down_and_up_with_its_rows(world: World) -> None:
    """Rebuilding a table other rows point at (SQLite's batch mode) keeps every row, and a
    counter re-registration stays a re-registration for the code before 0016."""
    app = world.simreg
    sold = world.submit("clerk_hall")  # a registration with photos, which point at it
    (legacy,) = legacy_lines(app, 1)
    rereg = world.submit("clerk_hall", msisdn=legacy, reregistration=True)

    def rows() -> dict[str, str]:
        with app.engine.connect() as conn:
            return dict(conn.execute(select(t.registrations.c.id, t.registrations.c.source)).all())

    downgrade(app.engine, "0015")
    assert rows() == {sold.id: "counter", rereg.id: "self_service"}
    upgrade(app.engine)
    assert schema_drift(app.engine) == []
    with app.engine.connect() as conn:
        photos = conn.execute(select(t.registration_photos.c.registration_id)).scalars().all()
    assert set(photos) == {sold.id, rereg.id}
    # The rebuilt table keeps its rules: a clerk's registration without its clerk is refused.
    with pytest.raises(IntegrityError), app.engine.begin() as conn:
        conn.execute(
            t.registrations.update()
            .where(t.registrations.c.id == rereg.id)
            .values(source="counter_rereg", clerk_id=None)
        )
