"""The regulator's monthly report on a generated base: assembling the current month's report
(every figure table, the daily series, review times, RN-14, funnel, compliance) and rendering
it as XLSX and PDF, beside the one read the dashboard makes (the figures per top org unit)
measured in the same run, and the ratio. On SQLite and on PostgreSQL.

The base is bench/report_figures.py's (1 province, 10 cities, 100 counties, 1,000 channels);
the census of today is taken first, as the daily clock would have.

    .venv/bin/python bench/report_export.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench_databases import add_database_options, databases  # bench/, beside this file
from report_figures import build_base  # bench/, beside this file
from simreg.adapters.analytics import Source
from simreg.bootstrap import bootstrap
from simreg.core.actors import Actor, Role
from simreg.core.crypto import generate_master_key
from simreg.core.settings import Settings
from simreg.reporting.domain import Dimension
from simreg.reporting.monthly import ExportFormat, Language

console = Console()


def run(url: str, rows: int, data_dir: Path, rounds: int) -> dict[str, list[float]]:
    settings = Settings(database_url=url, data_dir=data_dir, master_key=generate_master_key())
    simreg = bootstrap(settings)
    try:
        load = build_base(simreg, Source.from_url(url), rows)
        census = simreg.reports.take_census(None)
        console.print(f"  {rows:,} lines loaded in {load:.1f} s; {census.elapsed_ms:,} ms census")
        reader = Actor(0, "bench", Role.AUDITOR)
        month = f"{simreg.reports.today():%Y-%m}"
        found: dict[str, list[float]] = {"dashboard": [], "assemble": [], "xlsx": [], "pdf": []}
        for _ in range(rounds):
            started = time.perf_counter()
            simreg.reports.figures(reader, dimension=Dimension.ORG_UNIT)
            found["dashboard"].append(time.perf_counter() - started)
            started = time.perf_counter()
            report = simreg.monthly_reports.assemble(reader, month)
            found["assemble"].append(time.perf_counter() - started)
            for fmt in ExportFormat:
                started = time.perf_counter()
                simreg.monthly_reports.renderers[fmt].render(report, Language.ZH)
                found[fmt.value].append(time.perf_counter() - started)
        return found
    finally:
        simreg.close()


def report(name: str, found: dict[str, list[float]]) -> None:
    base = statistics.median(found["dashboard"])
    out = Table(title=f"{name}: monthly report (median of rounds)")
    for column in ("step", "seconds", "× the dashboard's read"):
        out.add_column(column, justify="left" if column == "step" else "right")
    for step, label in (
        ("dashboard", "dashboard: figures per top org unit (baseline)"),
        ("assemble", "monthly report assembled"),
        ("xlsx", "XLSX rendered"),
        ("pdf", "PDF rendered"),
    ):
        seconds = statistics.median(found[step])
        out.add_row(label, f"{seconds:.3f}", f"{seconds / base:.1f}")
    console.print(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_database_options(parser, rows=1_000_000, rounds=3)
    args = parser.parse_args()
    console.print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="simreg-bench-export-") as tmp:
        for name, url, folder in databases(args, Path(tmp)):
            console.print(name)
            report(name, run(url, args.rows, folder, args.rounds))


if __name__ == "__main__":
    main()
