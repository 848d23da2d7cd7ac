"""Bulk-load mode of the legacy base import (ADR 0011), on SQLite and PostgreSQL: lines'
secondary indexes and foreign keys come off for the load and are back afterwards, also when
the run is killed outright half-way and run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from simreg.db import tables as t
from simreg.db.migrate import schema_drift
from simreg.legacy.bulk import BULK_MIN_ROWS, bulk_wanted
from simreg.legacy.importing import ImportTotals
from tests.integration.test_base_import import (
    Interrupted,
    held_lines_by_hand,
    imported,
    run_import,
)
from tests.support.legacy_base import base_rows, write_csv
from tests.support.world import World


def bulk_states(world: World) -> list[str | None]:
    with world.simreg.engine.connect() as conn:
        query = select(t.base_imports.c.bulk_load).order_by(t.base_imports.c.id)
        return list(conn.execute(query).scalars())


def drift(world: World) -> list[str]:
    """What `simreg db check` would report, as text."""
    return [str(item) for item in schema_drift(world.simreg.engine)]


def assert_loaded_exactly_once(world: World, msisdns: list[str]) -> None:
    with world.simreg.engine.connect() as conn:
        stored = list(
            conn.execute(
                select(t.lines.c.msisdn).where(t.lines.c.imported_at.is_not(None))
            ).scalars()
        )
    assert sorted(stored) == sorted(msisdns)
    assert all(held == counted for held, counted in held_lines_by_hand(world.simreg).values())


def test_a_bulk_load_puts_every_index_and_key_back(world: World, tmp_path: Path) -> None:
    rows = base_rows(60)
    path = write_csv(tmp_path / "base.csv", rows)

    report, rejects = run_import(world.simreg, path, chunk_size=25, bulk=True)

    assert report.bulk and rejects == []
    assert report.totals.loaded == 60
    assert_loaded_exactly_once(world, [row.msisdn for row in rows])
    assert bulk_states(world) == ["restored"]
    assert drift(world) == []


def test_a_small_file_is_loaded_with_the_indexes_in_place(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "base.csv", base_rows(10))

    report, _ = run_import(world.simreg, path)

    assert not report.bulk
    assert bulk_states(world) == [None]


def test_a_failed_bulk_run_still_puts_them_back(world: World, tmp_path: Path) -> None:
    rows = base_rows(40)
    path = write_csv(tmp_path / "base.csv", rows)

    def stop_after_first_chunk(totals: ImportTotals) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        run_import(world.simreg, path, chunk_size=15, bulk=True, progress=stop_after_first_chunk)

    assert imported(world.simreg) == 15
    assert bulk_states(world) == ["restored"]
    assert drift(world) == []


# The import as the operator's process runs it, killed outright (SIGKILL: no exception, no
# cleanup) right after its first chunk committed.
_KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from simreg.adapters.base_files import open_base_file
    from simreg.bootstrap import bootstrap
    from simreg.core.settings import Settings
    from tests.support.legacy_base import import_service

    url, data_dir, path = sys.argv[1:]
    key = os.environ["TEST_MASTER_KEY"]
    simreg = bootstrap(Settings(database_url=url, data_dir=Path(data_dir), master_key=key))

    def kill(totals):
        os.kill(os.getpid(), signal.SIGKILL)

    import_service(simreg).run(
        open_base_file(Path(path)), rejects=Path(path + ".rejects.csv"), chunk_size=15,
        bulk=True, progress=kill,
    )
    """
)


@pytest.mark.parametrize("second_run", [None, True], ids=["auto", "bulk"])
def test_a_bulk_run_killed_half_way_is_finished_by_the_next_run(
    world: World, tmp_path: Path, second_run: bool | None
) -> None:
    rows = base_rows(40)
    path = write_csv(tmp_path / "base.csv", rows)
    settings = world.simreg.settings
    root = Path(__file__).resolve().parents[2]
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            _KILLED_RUN,
            settings.database_url,
            str(settings.data_dir),
            str(path),
        ],
        cwd=root,
        env={**os.environ, "TEST_MASTER_KEY": settings.master_key},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # Left as the kill found it: one chunk in, the indexes and keys off, and the record saying so.
    assert imported(world.simreg) == 15
    assert bulk_states(world) == ["dropped"]
    assert any("ix_lines_customer_id" in item for item in drift(world))

    report, rejects = run_import(world.simreg, path, chunk_size=15, bulk=second_run)

    assert rejects == []
    assert (report.totals.loaded, report.totals.unchanged) == (25, 15)
    assert_loaded_exactly_once(world, [row.msisdn for row in rows])
    assert bulk_states(world) == ["restored", "restored" if second_run else None]
    assert drift(world) == []


def test_the_sizes_decide_unless_the_operator_does() -> None:
    large = BULK_MIN_ROWS * 3
    assert bulk_wanted(None, file_rows=large, lines_present=0)
    assert bulk_wanted(None, file_rows=large, lines_present=large)
    # A table already larger than the file: rebuilding would read more than the load writes.
    assert not bulk_wanted(None, file_rows=large, lines_present=large + 1)
    assert not bulk_wanted(None, file_rows=BULK_MIN_ROWS - 1, lines_present=0)
    assert bulk_wanted(True, file_rows=10, lines_present=10**7)
    assert not bulk_wanted(False, file_rows=large, lines_present=0)
