"""`simreg demo-data` as a new user runs it: a province in the database, a base file on disk,
a summary and the command to run next."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from simreg.cli.main import app
from simreg.core.crypto import generate_master_key
from simreg.db import tables as t
from simreg.demo.base_generator import COLUMNS

runner = CliRunner()


def _run(tmp_path: Path, *extra: str) -> tuple[int, str]:
    url = f"sqlite:///{tmp_path / 'simreg.db'}"
    result = runner.invoke(
        app,
        ["demo-data", "--database-url", url, "--data-dir", str(tmp_path / "data"), *extra],
        env={"SIMREG_MASTER_KEY": KEY},
    )
    return result.exit_code, result.output


KEY = generate_master_key()


def test_writes_a_base_of_the_provinces_channels_and_says_what_next(tmp_path: Path) -> None:
    out = tmp_path / "exports" / "base.parquet"
    code, output = _run(tmp_path, "--lines", "3000", "--out", str(out), "--seed", "9")
    assert code == 0, output
    table = pq.read_table(out)
    assert table.column_names == list(COLUMNS)
    assert table.num_rows == 3000
    engine = create_engine(f"sqlite:///{tmp_path / 'simreg.db'}")
    with engine.connect() as conn:
        known = set(conn.execute(select(t.channels.c.code)).scalars())
        units = conn.execute(select(t.org_units.c.level)).scalars().all()
    engine.dispose()
    assert set(table.column("channel_code").to_pylist()) <= known
    assert units.count("province") == 1 and units.count("county") >= 18
    assert "Wrote 3,000 lines" in output
    assert "valid identity" in output and "documents over the limit of 5" in output
    assert f"simreg base import {out} --database-url" in output

    # The same command again: the province is reused and the file comes out the same.
    first = out.read_bytes()
    code, output = _run(tmp_path, "--lines", "3000", "--out", str(out), "--seed", "9")
    assert code == 0, output
    assert "already in the database" in output
    assert out.read_bytes() == first


def test_writes_csv_with_a_header_row(tmp_path: Path) -> None:
    out = tmp_path / "base.csv"
    code, output = _run(tmp_path, "--lines", "500", "--out", str(out))
    assert code == 0, output
    rows = pa_csv.read_csv(out).to_pylist()
    assert len(rows) == 500 and tuple(rows[0]) == COLUMNS


def test_refuses_an_unknown_file_kind_before_touching_the_database(tmp_path: Path) -> None:
    code, output = _run(tmp_path, "--lines", "10", "--out", str(tmp_path / "base.xlsx"))
    assert code == 2
    assert "DEMO-FORMAT" in output
    assert not (tmp_path / "simreg.db").exists()
