"""Reporting on a generated base: the census through ReportService beside a hand-written DuckDB
GROUP BY over the same lines read the same way (ADBC → Arrow), and the dashboard's figures
per org unit read from the stored census. On SQLite and on PostgreSQL.

The lines are written straight into the database (Arrow batches ingested over ADBC: prepared
inserts in one transaction on SQLite, COPY on PostgreSQL), with no identity data: the census
only reads the line columns. 1 province, 10 cities, 100 counties, 1,000 channels (a third
social); lines opened 2005-2025, states and real-name classes as an old province's base has
them; 2% carry no channel (the census looks for their registration, finds none).

    .venv/bin/python bench/report_figures.py --rows 1000000
    SIMREG_BENCH_POSTGRES_URL=postgresql://... .venv/bin/python bench/report_figures.py
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from bench_databases import add_database_options, databases  # bench/, beside this file
from report_series_year import add_series_facts, time_year_series  # bench/, beside this file
from simreg.adapters.analytics import IN_SERVICE, Source
from simreg.bootstrap import Simreg, bootstrap
from simreg.core.actors import Actor, Role
from simreg.core.crypto import generate_master_key
from simreg.core.settings import Settings
from simreg.reporting.domain import Dimension, Figure

console = Console(width=max(Console().width, 110))
CUTOFF_AT = datetime(2013, 8, 31, 16, tzinfo=UTC)  # 2013-09-01 00:00 in Shanghai
STATES = np.array(["active", "suspended_one_way", "suspended_two_way", "cancelled"])
CLASSES = np.array(["verified", "legacy_unverified", "reverification_pending"])


# -- the base ---------------------------------------------------------------------------------


def _digits(values: np.ndarray, width: int, prefix: str) -> pa.Array:
    """Zero-padded decimal strings with a prefix, built as a byte matrix (no Python loop)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    body = ((values[:, None] // powers) % 10 + 48).astype(np.uint8)
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    matrix = np.hstack([np.broadcast_to(head, (len(values), len(head))), body])
    raw = np.ascontiguousarray(matrix).view(f"S{matrix.shape[1]}").ravel()
    return pa.array(raw, type=pa.binary()).cast(pa.string())


def line_batch(
    start: int, count: int, channels: int, rng: np.random.Generator, sqlite: bool
) -> pa.Table:
    seq = np.arange(start, start + count, dtype=np.int64)
    opened_day = rng.integers(0, (date(2025, 12, 31) - date(2005, 1, 1)).days, count)
    opened = np.datetime64("2005-01-01") + opened_day.astype("timedelta64[D]")
    since = opened >= np.datetime64("2013-09-01")
    state = np.where(
        rng.random(count) < np.where(since, 0.91, 0.80),
        0,
        rng.choice([1, 2, 3], count, p=[0.25, 0.15, 0.60]),
    )
    verified_share = np.where(since, 0.995, 0.55)
    roll = rng.random(count)
    klass = np.where(roll < verified_share, 0, np.where(roll < verified_share + 0.03, 2, 1))
    channel = rng.integers(1, channels + 1, count).astype(np.int64)
    no_channel = rng.random(count) < 0.02
    stamps: pa.Array
    if sqlite:
        # The form SQLAlchemy writes on SQLite; few distinct days, so build them once.
        days = np.datetime_as_string(np.arange("2005-01-01", "2026-01-01", dtype="datetime64[D]"))
        dictionary = pa.array([f"{d} 02:00:00.000000" for d in days])
        stamps = dictionary.take(pa.array(opened_day))
        updated: pa.Array = pa.array(["2026-01-01 00:00:00.000000"] * count)
    else:
        stamps = pa.array(opened.astype("datetime64[us]"), type=pa.timestamp("us", tz="UTC"))
        updated = pa.array(
            np.full(count, np.datetime64("2026-01-01T00:00:00", "us")),
            type=pa.timestamp("us", tz="UTC"),
        )
    return pa.table(
        {
            "msisdn": _digits(seq, 9, "13"),
            "iccid": _digits(seq, 14, "898600"),
            "imsi": _digits(seq, 10, "46000"),
            "kind": pa.array(np.where(rng.random(count) < 0.15, "data", "voice")),
            "state": pa.array(STATES[state]),
            "real_name_state": pa.array(CLASSES[klass]),
            "opened_at": stamps,
            "updated_at": updated,
            "channel_id": pa.array(np.where(no_channel, 0, channel), mask=no_channel),
        }
    )


def build_base(simreg: Simreg, source: Source, rows: int, batch: int = 1_000_000) -> float:
    """Org units and channels through SQL, then the lines ingested; returns the seconds."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    with simreg.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO org_units (code, name, level, parent_id, created_at) "
                "VALUES ('P', 'Province', 'province', NULL, :now)"
            ),
            {"now": now},
        )
        for city in range(10):
            conn.execute(
                text(
                    "INSERT INTO org_units (code, name, level, parent_id, created_at) "
                    "SELECT :code, :code, 'city', id, :now FROM org_units WHERE code = 'P'"
                ),
                {"code": f"C{city}", "now": now},
            )
            for county in range(10):
                conn.execute(
                    text(
                        "INSERT INTO org_units (code, name, level, parent_id, created_at) "
                        "SELECT :code, :code, 'county', id, :now FROM org_units WHERE code = :city"
                    ),
                    {"code": f"C{city}K{county}", "city": f"C{city}", "now": now},
                )
        conn.execute(
            text(
                "INSERT INTO channels (code, name, kind, status, org_unit_id, created_at) "
                "SELECT 'CH' || o.code || '-' || n.n, 'channel', "
                "CASE WHEN n.n % 3 = 0 THEN 'social' ELSE 'own' END, 'active', o.id, :now "
                "FROM org_units o CROSS JOIN (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL "
                "SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL "
                "SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) n "
                "WHERE o.level = 'county'"
            ),
            {"now": now},
        )
        channels = conn.execute(text("SELECT count(*) FROM channels")).scalar_one()
    simreg.engine.dispose()  # no sqlite3 connection open while the ADBC copy writes
    rng = np.random.default_rng(2026)
    sqlite = source.dialect == "sqlite"
    if sqlite:
        import adbc_driver_sqlite.dbapi as driver

        connection: Any = driver.connect(source.location)
    else:
        import adbc_driver_postgresql.dbapi as driver  # type: ignore[no-redef]

        connection = driver.connect(source.location)
    with connection, connection.cursor() as cursor:
        for start in range(0, rows, batch):
            table = line_batch(start, min(batch, rows - start), int(channels), rng, sqlite)
            cursor.adbc_ingest("lines", table, mode="append")
        connection.commit()
    if not sqlite:
        with simreg.engine.begin() as conn:
            conn.execute(text("ANALYZE lines"))
    return time.perf_counter() - started


# -- the baseline -----------------------------------------------------------------------------


def raw_census(source: Source) -> tuple[float, int]:
    """Hand-written: read the columns over ADBC, GROUP BY in DuckDB. (seconds, lines)."""
    started = time.perf_counter()
    states = ", ".join(f"'{s}'" for s in IN_SERVICE)
    (lines,) = source.read(
        "SELECT channel_id, kind, state, real_name_state, "
        f"CASE WHEN opened_at >= {source.literal(CUTOFF_AT)} THEN 1 ELSE 0 END AS since "
        f"FROM lines WHERE state IN ({states})"
    )
    con = duckdb.connect()
    con.register("l", lines)
    total = con.execute(
        "SELECT sum(n) FROM (SELECT channel_id, kind, since, state, real_name_state, "
        "count(*) AS n FROM l GROUP BY ALL)"
    ).fetchone()
    con.close()
    return time.perf_counter() - started, int(total[0]) if total else 0


def in_database(simreg: Simreg) -> float:
    """For comparison: the same GROUP BY run by the database itself."""
    started = time.perf_counter()
    states = ", ".join(f"'{s}'" for s in IN_SERVICE)
    with simreg.engine.connect() as conn:
        conn.execute(
            text(
                "SELECT channel_id, kind, state, real_name_state, opened_at >= :cut, count(*) "
                f"FROM lines WHERE state IN ({states}) GROUP BY 1, 2, 3, 4, 5"
            ),
            {"cut": CUTOFF_AT},
        ).all()
    simreg.engine.dispose()
    return time.perf_counter() - started


# -- one database -----------------------------------------------------------------------------


def run(url: str, rows: int, data_dir: Path, rounds: int) -> dict[str, Any]:
    settings = Settings(database_url=url, data_dir=data_dir, master_key=generate_master_key())
    simreg = bootstrap(settings)
    source = Source.from_url(url)
    try:
        load = build_base(simreg, source, rows)
        console.print(f"  {rows:,} lines loaded in {load:.1f} s")
        # SQLite's baseline runs in a spawned process too (see adapters/analytics.py), timed
        # inside it, so it pays no process start; the service's figure includes its worker.
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        try:
            pool.submit(time.sleep, 0).result()
            service, raw = [], []
            counted = 0
            for _ in range(rounds):
                started = time.perf_counter()
                census = simreg.reports.take_census(None)
                service.append(time.perf_counter() - started)
                simreg.engine.dispose()
                if source.dialect == "sqlite":
                    seconds, counted = pool.submit(raw_census, source).result()
                else:
                    seconds, counted = raw_census(source)
                raw.append(seconds)
        finally:
            pool.shutdown()
        assert counted == census.lines_in_service, (counted, census.lines_in_service)
        database = in_database(simreg)
        reader = Actor(0, "bench", Role.AUDITOR)
        dashboard = []
        for parent in (None, "C0", "C0K0"):
            started = time.perf_counter()
            table = simreg.reports.figures(reader, dimension=Dimension.ORG_UNIT, parent=parent)
            dashboard.append(time.perf_counter() - started)
        rate = table.total.figures[Figure.REAL_NAME_RATE].rate
        add_series_facts(simreg)
        year = time_year_series(simreg)
        return {
            "series_year_s": year,
            "lines_in_service": census.lines_in_service,
            "load_s": load,
            "service_s": service,
            "raw_s": raw,
            "database_s": database,
            "dashboard_ms": [round(s * 1000, 1) for s in dashboard],
            "real_name_rate_c0k0": rate,
        }
    finally:
        simreg.close()


def report(name: str, rows: int, found: dict[str, Any]) -> None:
    service, raw = min(found["service_s"]), min(found["raw_s"])
    table = Table(title=f"{name}: {rows:,} lines, {found['lines_in_service']:,} in service")
    table.add_column("what")
    table.add_column("best s", justify="right")
    table.add_column("median s", justify="right")
    table.add_row(
        "census via ReportService", f"{service:.2f}", f"{statistics.median(found['service_s']):.2f}"
    )
    table.add_row(
        "raw ADBC → DuckDB GROUP BY", f"{raw:.2f}", f"{statistics.median(found['raw_s']):.2f}"
    )
    table.add_row("GROUP BY in the database itself", f"{found['database_s']:.2f}", "")
    console.print(table)
    console.print(
        f"  census speed / raw speed: {raw / service:.0%} (target ≥ 50%); dashboard per org unit "
        f"from the stored census (province, city, county): "
        + ", ".join(f"{ms} ms" for ms in found["dashboard_ms"])
    )
    year = Table(title=f"{name}: a daily series over 2025 (365 points), one call")
    year.add_column("series")
    year.add_column("s", justify="right")
    for what, seconds in found["series_year_s"].items():
        year.add_row(what, f"{seconds:.3f}")
    console.print(year)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_database_options(parser, rows=10_000_000, rounds=3)
    args = parser.parse_args()
    console.print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="simreg-bench-report-") as tmp:
        for name, url, folder in databases(args, Path(tmp)):
            console.print(name)
            report(name, args.rows, run(url, args.rows, folder, args.rounds))
    console.print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
