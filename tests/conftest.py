"""Shared fixtures: a real database per test (SQLite file, or a PostgreSQL schema), the
composition root built on it, and a small operator world (channels, outlets, staff, numbers).

PostgreSQL tests read the server URL from SIMREG_TEST_POSTGRES_URL (`.ci/postgres.sh` starts
one); without it they are skipped with that reason shown in the summary.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from simreg.adapters.passwords import Argon2Passwords
from simreg.bootstrap import Simreg, bootstrap
from simreg.core.crypto import generate_master_key
from simreg.core.settings import Settings
from simreg.db.engine import normalise_url
from tests.support.world import World, build_world

POSTGRES_ENV = "SIMREG_TEST_POSTGRES_URL"


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set; start a server with .ci/postgres.sh")
    return normalise_url(url)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: an SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'simreg.db'}"
        return
    base = postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        master_key=generate_master_key(),
    )


@pytest.fixture
def simreg(settings: Settings) -> Iterator[Simreg]:
    app = bootstrap(settings, passwords=Argon2Passwords(fast_for_tests=True))
    yield app
    app.close()


@pytest.fixture
def world(simreg: Simreg) -> World:
    return build_world(simreg)
