"""Where a legacy base import's time goes, statement by statement, in one process.

Runs `BaseImportService` with one worker (so the phases do not overlap) and times every
statement the import's transactions send, the COPY into the stage and the rebuild of bulk-load
mode, in microseconds per row of the file.

Run: .venv/bin/python bench/base_import_phases.py [--rows 300000] [--bulk on|off]
         [--database-url URL | --sqlite]
PostgreSQL: a server of yours (CREATEDB needed; a database of its own is made and dropped),
or one started here like base_import.py does. SQLite: a temporary file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Connection

from base_import import generate, prepare
from registration import drop_database, fresh_database, given_postgres, start_postgres
from simreg.adapters.base_files import open_base_file
from simreg.core.clock import SystemClock
from simreg.core.crypto import decode_master_key, generate_master_key
from simreg.db.base_import import SqlBaseImportTransaction
from simreg.db.unit_of_work import SqlUnitOfWork
from simreg.legacy.importing import BaseImportService, ChunkOutcome
from simreg.legacy.staging import StagedChunk

console = Console(width=110)
SPENT: Counter[str] = Counter()


def _label(statement: object) -> str:
    return " ".join(str(statement).split())[:70]


class TimedTransaction(SqlBaseImportTransaction):
    """The import's own transaction, with a clock around each statement it sends."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        execute, driver_sql = connection.execute, connection.exec_driver_sql

        def timed_execute(statement: Any, *args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return execute(statement, *args, **kwargs)
            finally:
                SPENT[_label(statement)] += time.perf_counter() - began

        def timed_driver_sql(statement: str, *args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return driver_sql(statement, *args, **kwargs)
            finally:
                SPENT[_label(statement)] += time.perf_counter() - began

        connection.execute = timed_execute  # type: ignore[method-assign]
        connection.exec_driver_sql = timed_driver_sql  # type: ignore[method-assign]

    def load_chunk(self, stamp: datetime, staged: StagedChunk) -> ChunkOutcome:
        began = time.perf_counter()
        try:
            return super().load_chunk(stamp, staged)
        finally:
            SPENT["= loading chunks, in all"] += time.perf_counter() - began

    def _stage(self, staged: StagedChunk) -> None:
        began = time.perf_counter()
        try:
            super()._stage(staged)
        finally:
            SPENT["= staging (COPY from Python), in all"] += time.perf_counter() - began

    def restore_after_bulk(self) -> list[str]:
        began = time.perf_counter()
        try:
            return super().restore_after_bulk()
        finally:
            SPENT["= bulk mode: rebuilding, in all"] += time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--bulk", choices=("on", "off"), default="on")
    parser.add_argument("--database-url", default=os.environ.get("SIMREG_BENCH_POSTGRES_URL"))
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--port", type=int, default=55445, help="for the PostgreSQL we start")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="simreg-bench-phases-"))
    postgres = None
    try:
        path = work / "base.csv"
        generate(path, args.rows)
        if args.sqlite:
            url = f"sqlite:///{work / 'simreg.db'}"
        else:
            postgres = (
                given_postgres(args.database_url)
                if args.database_url
                else start_postgres(args.port)
            )
            url = fresh_database(postgres.admin_url, "simreg_bench_phases")
        engine = prepare(url)
        service = BaseImportService(
            uow=SqlUnitOfWork(engine, TimedTransaction),
            master_key=decode_master_key(generate_master_key()),
            clock=SystemClock(),
        )
        began = time.perf_counter()
        report = service.run(
            open_base_file(path), rejects=work / "rejects.csv", bulk=args.bulk == "on"
        )
        seconds = time.perf_counter() - began
        engine.dispose()
        if postgres is not None:
            drop_database(postgres.admin_url, "simreg_bench_phases")
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)

    rows = report.totals.read
    console.print(
        f"{engine.dialect.name}, bulk-load mode {args.bulk}: {rows:,} rows in {seconds:.1f} s, "
        f"{rows / seconds:,.0f} rows/s, {seconds / rows * 1e6:.1f} µs a row in all"
    )
    for label, spent in SPENT.most_common():
        if spent / rows * 1e6 >= 0.1:
            console.print(f"{spent / rows * 1e6:8.1f} µs  {label}", highlight=False)


if __name__ == "__main__":
    main()
