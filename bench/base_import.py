"""Legacy base import: simreg's import against a raw load of the same file, in one run.

  PostgreSQL  `simreg base import` (rows checked, identities encrypted and indexed, customers
              upserted, held lines counted, staging table, COPY) against a raw psycopg
              COPY of the same CSV file into a plain table with the same ten columns
  SQLite      the same import against a raw executemany of the same rows (read with the csv
              module) into a plain table, in one transaction
and the ratios (target >= 0.5 on both). Then where the import's time goes: checking and
encrypting rows (the part --workers spreads over processes) against loading them.

Run: .venv/bin/python bench/base_import.py [--rows 1000000] [--workers 2] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select

from registration import drop_database, fresh_database, given_postgres, start_postgres
from simreg.adapters.base_files import open_base_file
from simreg.channels.domain import ChannelKind
from simreg.core.clock import SystemClock
from simreg.core.crypto import decode_master_key, generate_master_key
from simreg.core.errors import InvalidInput
from simreg.db import directory
from simreg.db import tables as t
from simreg.db.base_import import SqlBaseImportTransaction
from simreg.db.engine import make_engine
from simreg.db.migrate import upgrade
from simreg.db.unit_of_work import SqlUnitOfWork
from simreg.demo.synthetic import GIVEN, REGIONS, SURNAMES
from simreg.identity.documents import parse_document
from simreg.legacy.importing import DEFAULT_CHUNK_SIZE, BaseImportService, ImportReport
from simreg.legacy.rows import COLUMNS
from simreg.legacy.staging import Stager

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CHANNELS = [f"CH{n:03d}" for n in range(1, 21)]
console = Console(width=max(Console().width, 110))


# -- the file -------------------------------------------------------------------------------


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_digit(body: str) -> str:
    """The check digit that makes ``body`` + digit pass Luhn."""
    total = sum(_DOUBLED[int(d)] for d in body[-1::-2]) + sum(int(d) for d in body[-2::-2])
    return str(-total % 10)


_GB11643_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]


def gb11643_char(body: str) -> str:
    value = (12 - sum(int(d) * w for d, w in zip(body, _GB11643_WEIGHTS, strict=True)) % 11) % 11
    return "X" if value == 10 else str(value)


def usable_regions() -> list[tuple[str, int]]:
    """(region, birth year) pairs the document parser accepts: some codes exist only from a
    given year on, and a number drawn outside that span would count as an invalid identity."""
    pairs = []
    for region in REGIONS:
        for year in range(1950, 2006):
            body = f"{region}{year}0615123"
            try:
                parse_document("resident_id", body + gb11643_char(body), today=date.today())
            except InvalidInput:
                continue
            pairs.append((region, year))
    return pairs


def generate(path: Path, rows: int, seed: int = 2015) -> dict[str, int]:
    """A province's base: about 70% of lines with a valid identity, 3% with an invalid one
    (wrong check character), the rest with none; people hold 1 to 8 lines; 5% cancelled."""
    rng = random.Random(seed)
    regions = usable_regions()
    people = max(1, rows // 2)
    person_cache: dict[int, tuple[str, str]] = {}
    counts = {"valid_identity": 0, "invalid_identity": 0, "no_identity": 0}

    def person(index: int) -> tuple[str, str]:
        found = person_cache.get(index)
        if found is None:
            local = random.Random(index)
            region, year = local.choice(regions)
            body = f"{region}{year}{local.randrange(1, 13):02d}{local.randrange(1, 29):02d}"
            body += f"{local.randrange(1, 999):03d}"
            name = local.choice(SURNAMES) + "".join(
                local.choice(GIVEN) for _ in range(local.choice((1, 2)))
            )
            found = (body + gb11643_char(body), name)
            if len(person_cache) < 2_000_000:
                person_cache[index] = found
        return found

    start = date(2005, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for n in range(rows):
            iccid_body = f"89860{n:013d}"
            draw = rng.random()
            doc_type = doc_number = name = ""
            if draw < 0.70:
                # Skewed: a few people hold many lines (RN-14 finds those over the limit).
                doc_number, name = person(int(people * rng.random() ** 1.6))
                doc_type = "resident_id"
                counts["valid_identity"] += 1
            elif draw < 0.73:
                doc_number, name = person(rng.randrange(people))
                doc_number = doc_number[:-1] + ("0" if doc_number[-1] != "0" else "1")
                doc_type = "resident_id"
                counts["invalid_identity"] += 1
            else:
                counts["no_identity"] += 1
            state = "cancelled" if rng.random() < 0.05 else "active"
            writer.writerow(
                (
                    f"13{n:09d}",
                    iccid_body + luhn_digit(iccid_body),
                    f"46000{n:010d}",
                    "data" if n % 10 == 9 else "voice",
                    state,
                    (start + timedelta(days=n % 3000)).isoformat(),
                    CHANNELS[n % len(CHANNELS)],
                    doc_type,
                    doc_number,
                    name,
                )
            )
    return counts


# -- phases ---------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def prepare(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        for code in CHANNELS:
            directory.add_channel(
                conn, code=code, name=code, kind=ChannelKind.OWN, at=datetime.now(UTC)
            )
    return engine


def simreg_import(
    url: str, path: Path, key: bytes, workers: int, chunk: int, bulk: bool
) -> tuple[Phase, ImportReport]:
    engine = prepare(url)
    service = BaseImportService(
        uow=SqlUnitOfWork(engine, SqlBaseImportTransaction), master_key=key, clock=SystemClock()
    )
    began = time.perf_counter()
    report = service.run(
        open_base_file(path),
        rejects=path.with_suffix(".rejects.csv"),
        chunk_size=chunk,
        workers=workers,
        bulk=bulk,
    )
    seconds = time.perf_counter() - began
    check(engine, report)
    engine.dispose()
    name = "simreg import, bulk-load mode" if bulk else "simreg import, indexes kept"
    return Phase(name, report.totals.read, seconds), report


def check(engine: Engine, report: ImportReport) -> None:
    """The import did its job: every row loaded once, held lines equal to the lines."""
    with engine.connect() as conn:
        lines = conn.execute(select(func.count()).select_from(t.lines)).scalar_one()
        held = conn.execute(select(func.sum(t.customers.c.held_lines))).scalar_one()
        counted = conn.execute(
            select(func.count()).where(
                t.lines.c.customer_id.is_not(None), t.lines.c.state != "cancelled"
            )
        ).scalar_one()
    if lines != report.totals.loaded or report.totals.rejected or held != counted:
        raise SystemExit(f"import check failed: {lines} lines, {held} held, {counted} counted")


RAW_COLUMNS = ", ".join(f"{name} text" for name in COLUMNS)
# The floor under any import that keeps re-runs idempotent: the same raw load into a table
# with what lines can never do without, a primary key and the three unique keys.
KEYED_COLUMNS = "id bigserial PRIMARY KEY, " + ", ".join(
    f"{name} text UNIQUE" if name in ("msisdn", "iccid", "imsi") else f"{name} text"
    for name in COLUMNS
)
KEYED_SQLITE = KEYED_COLUMNS.replace("bigserial", "integer")


def raw_copy(admin_url: str, path: Path, *, keyed: bool = False) -> Phase:
    url = fresh_database(admin_url, "simreg_bench_raw")
    try:
        with psycopg.connect(url) as conn:
            conn.execute(f"CREATE TABLE raw_base ({KEYED_COLUMNS if keyed else RAW_COLUMNS})")
            conn.commit()
            began = time.perf_counter()
            names = ", ".join(COLUMNS)
            statement = f"COPY raw_base ({names}) FROM STDIN (FORMAT csv, HEADER true)"
            with conn.cursor() as cursor, path.open("rb") as handle, cursor.copy(statement) as copy:
                while block := handle.read(1 << 20):
                    copy.write(block)
            conn.commit()
            seconds = time.perf_counter() - began
            rows = conn.execute("SELECT count(*) FROM raw_base").fetchone()
    finally:
        drop_database(admin_url, "simreg_bench_raw")
    name = "raw COPY, keyed table (floor)" if keyed else "raw COPY"
    return Phase(name, int(rows[0]) if rows else 0, seconds)


def raw_executemany(directory_: Path, path: Path, *, keyed: bool = False) -> Phase:
    db = directory_ / ("raw-keyed.db" if keyed else "raw.db")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE raw_base ({KEYED_SQLITE if keyed else RAW_COLUMNS})")
    marks = ", ".join("?" * len(COLUMNS))
    began = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        conn.execute("BEGIN")
        names = ", ".join(COLUMNS)
        conn.executemany(f"INSERT INTO raw_base ({names}) VALUES ({marks})", reader)
        conn.execute("COMMIT")
    seconds = time.perf_counter() - began
    rows = conn.execute("SELECT count(*) FROM raw_base").fetchone()[0]
    conn.close()
    name = "raw executemany, keyed table (floor)" if keyed else "raw executemany"
    return Phase(name, int(rows), seconds)


def parts(path: Path, key: bytes, rows: int = DEFAULT_CHUNK_SIZE) -> dict[str, float]:
    """Microseconds a row, in this process: reading the file, then checking and encrypting."""
    source = open_base_file(path)
    began = time.perf_counter()
    chunk = next(source.chunks(rows))
    read = time.perf_counter() - began
    stager = Stager(key, {code: n for n, code in enumerate(CHANNELS, 1)}, date.today())
    stager.stage(chunk.piece(0, 1000))  # load stdnum's tables first
    began = time.perf_counter()
    stager.stage(chunk)
    staged = time.perf_counter() - began
    count = len(chunk.lines)
    return {"read": read / count * 1e6, "check_and_encrypt": staged / count * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="import worker processes")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SIMREG_BENCH_POSTGRES_URL"),
        help="PostgreSQL to use (needs CREATEDB); default: start one with .ci/postgres.sh",
    )
    parser.add_argument("--port", type=int, default=55444, help="for the PostgreSQL we start")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--bulk",
        choices=("both", "on", "off"),
        default="both",
        help="bulk-load mode (ADR 0011): measure with it, without it, or both",
    )
    args = parser.parse_args()
    modes = {"both": [False, True], "on": [True], "off": [False]}[args.bulk]

    work = Path(tempfile.mkdtemp(prefix="simreg-bench-base-"))
    key = decode_master_key(generate_master_key())
    results: dict[str, Any] = {"rows": args.rows, "workers": args.workers}
    phases: dict[str, tuple[list[Phase], Phase]] = {}
    floors: dict[str, Phase] = {}
    postgres = None
    try:
        path = work / "base.csv"
        began = time.perf_counter()
        results["file"] = generate(path, args.rows)
        console.print(
            f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:,.0f} MB) in "
            f"{time.perf_counter() - began:.1f} s: {results['file']}"
        )
        results["parts_us_per_row"] = parts(path, key)
        if not args.skip_postgres:
            if args.database_url:
                postgres = given_postgres(args.database_url)
            else:
                console.print(f"starting PostgreSQL on 127.0.0.1:{args.port} (durable)")
                postgres = start_postgres(args.port)
            raw = raw_copy(postgres.admin_url, path)
            console.print(f"PostgreSQL raw COPY: {raw.rate:,.0f} rows/s")
            floors["PostgreSQL"] = raw_copy(postgres.admin_url, path, keyed=True)
            console.print(
                f"PostgreSQL {floors['PostgreSQL'].name}: {floors['PostgreSQL'].rate:,.0f}"
            )
            ours_pg: list[Phase] = []
            for bulk in modes:
                url = fresh_database(postgres.admin_url, "simreg_bench_import")
                try:
                    ours, report = simreg_import(
                        url, path, key, args.workers, args.chunk_size, bulk
                    )
                finally:
                    drop_database(postgres.admin_url, "simreg_bench_import")
                console.print(f"PostgreSQL {ours.name}: {ours.rate:,.0f} rows/s")
                ours_pg.append(ours)
            phases["PostgreSQL"] = (ours_pg, raw)
        if not args.skip_sqlite:
            raw = raw_executemany(work, path)
            console.print(f"SQLite raw executemany: {raw.rate:,.0f} rows/s")
            floors["SQLite"] = raw_executemany(work, path, keyed=True)
            console.print(f"SQLite {floors['SQLite'].name}: {floors['SQLite'].rate:,.0f}")
            ours_lite: list[Phase] = []
            for bulk in modes:
                db = work / "simreg.db"
                for leftover in work.glob("simreg.db*"):
                    leftover.unlink()
                ours, report = simreg_import(
                    f"sqlite:///{db}", path, key, args.workers, args.chunk_size, bulk
                )
                console.print(f"SQLite {ours.name}: {ours.rate:,.0f} rows/s")
                ours_lite.append(ours)
            phases["SQLite"] = (ours_lite, raw)
            results["verified_share"] = report.totals.verified_share
            results["identity_invalid"] = report.totals.identity_invalid
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)

    table = Table(title=f"Legacy base import, {args.rows:,} rows, {args.workers} workers")
    for column in ("database", "path", "seconds", "rows/s", "simreg / raw"):
        table.add_column(column, justify="left" if column in ("database", "path") else "right")
    for database, (ours_all, raw) in phases.items():
        results[database] = {
            "raw_rows_per_s": round(raw.rate),
            "raw_seconds": round(raw.seconds, 2),
        }
        table.add_row(database, raw.name, f"{raw.seconds:.1f}", f"{raw.rate:,.0f}", "")
        floor = floors[database]
        share = floor.rate / raw.rate if raw.rate else 0.0
        results[database][floor.name] = {"rows_per_s": round(floor.rate), "ratio": round(share, 3)}
        table.add_row("", floor.name, f"{floor.seconds:.1f}", f"{floor.rate:,.0f}", f"{share:.3f}")
        for ours in ours_all:
            ratio = ours.rate / raw.rate if raw.rate else 0.0
            results[database][ours.name] = {
                "rows_per_s": round(ours.rate),
                "seconds": round(ours.seconds, 1),
                "ratio": round(ratio, 3),
            }
            table.add_row("", ours.name, f"{ours.seconds:.1f}", f"{ours.rate:,.0f}", f"{ratio:.3f}")
    console.print(table)
    part = results["parts_us_per_row"]
    console.print(
        f"one process: reading {part['read']:.1f} µs a row, checking and encrypting "
        f"{part['check_and_encrypt']:.1f} µs a row (spread over --workers processes)"
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "base_import.json"
    out.write_text(json.dumps(results, indent=2))
    console.print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
