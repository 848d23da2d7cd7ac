"""The report dashboards on a generated base: the time to open the overview and the drill-down
pages through the real application (login, session, template, the report service) beside the
same census roll-up written by hand in SQL, in the same run. On SQLite and on PostgreSQL.

The base is report_figures.py's (1 province, 10 cities, 100 counties, 1,000 channels, lines
written straight into the database); the census is taken once through ReportService, then
each page is requested --rounds times after one request that warms the process up (on SQLite
the first analytics call starts the worker process; that first request is shown apart).

    .venv/bin/python bench/report_dashboard.py --rows 1000000
    SIMREG_BENCH_POSTGRES_URL=postgresql://... .venv/bin/python bench/report_dashboard.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from bench_databases import add_database_options, databases  # bench/, beside this file
from report_figures import build_base  # bench/, beside this file
from simreg.adapters.analytics import Source
from simreg.adapters.passwords import Argon2Passwords
from simreg.bootstrap import Simreg, bootstrap
from simreg.core.actors import Role
from simreg.core.crypto import generate_master_key
from simreg.core.settings import Settings
from simreg.db import directory
from simreg.web.app import create_app

console = Console(width=max(Console().width, 110))
PASSWORD = "bench-dashboard-42"  # noqa: S105 (a throw-away account in a throw-away base)
# (what, page path, the hand-written roll-up that gives the same figures)
PAGES = [
    (
        "overview (whole operator)",
        "/reports",
        "SELECT sum(in_service), sum(verified), "
        "sum(CASE WHEN since_cutoff THEN in_service ELSE 0 END), "
        "sum(CASE WHEN since_cutoff THEN verified ELSE 0 END) "
        "FROM report_census_counts WHERE census_id = :census",
    ),
    (
        "drill-down: the counties of city C0",
        "/reports/breakdown?view=org_unit&parent=C0",
        "SELECT o.code, sum(c.in_service), sum(c.verified) FROM report_census_counts c "
        "JOIN org_units o ON o.id = c.org_unit_id "
        "WHERE c.census_id = :census "
        "AND o.parent_id = (SELECT id FROM org_units WHERE code = 'C0') "
        "GROUP BY o.code",
    ),
    (
        "drill-down: the channels of county C0K0",
        "/reports/breakdown?view=org_unit&parent=C0K0",
        "SELECT ch.code, sum(c.in_service), sum(c.verified) FROM report_census_counts c "
        "JOIN channels ch ON ch.id = c.channel_id "
        "WHERE c.census_id = :census "
        "AND c.org_unit_id = (SELECT id FROM org_units WHERE code = 'C0K0') "
        "GROUP BY ch.code",
    ),
    (
        "every channel (1,000 rows)",
        "/reports/breakdown?view=channel",
        "SELECT c.channel_id, sum(c.in_service), sum(c.verified) FROM report_census_counts c "
        "WHERE c.census_id = :census GROUP BY c.channel_id",
    ),
]


def timed(action: Callable[[], Any], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        out.append(time.perf_counter() - started)
    return out


def run(url: str, rows: int, data_dir: Path, rounds: int) -> dict[str, Any]:
    settings = Settings(database_url=url, data_dir=data_dir, master_key=generate_master_key())
    simreg: Simreg = bootstrap(settings, passwords=Argon2Passwords(fast_for_tests=True))
    try:
        load = build_base(simreg, Source.from_url(url), rows)
        console.print(f"  {rows:,} lines loaded in {load:.1f} s")
        started = time.perf_counter()
        census = simreg.reports.take_census(None)
        census_s = time.perf_counter() - started
        with simreg.engine.begin() as conn:
            directory.add_staff(
                conn,
                username="bench-auditor",
                display_name="bench",
                role=Role.AUDITOR,
                at=simreg.clock.now(),
                password_hash=simreg.staff.hasher.hash(PASSWORD),
            )
        found: dict[str, Any] = {
            "lines_in_service": census.lines_in_service,
            "census_s": census_s,
            "pages": [],
        }
        with TestClient(create_app(simreg)) as client:
            login = client.post(
                "/login",
                data={"username": "bench-auditor", "password": PASSWORD},
                follow_redirects=False,
            )
            assert login.status_code == 303, login.text
            for what, path, sql in PAGES:
                started = time.perf_counter()
                first = client.get(path)
                first_s = time.perf_counter() - started
                assert first.status_code == 200, (path, first.status_code)
                assert "data-figure" in first.text or "table-figures" in first.text

                def page(path: str = path) -> None:
                    assert client.get(path).status_code == 200

                def raw(sql: str = sql) -> None:
                    with simreg.engine.connect() as conn:
                        conn.execute(text(sql), {"census": census.id}).all()

                found["pages"].append(
                    {
                        "what": what,
                        "first_s": first_s,
                        "page_s": timed(page, rounds),
                        "raw_s": timed(raw, rounds),
                    }
                )
        return found
    finally:
        simreg.close()


def report(name: str, rows: int, found: dict[str, Any]) -> None:
    table = Table(
        title=f"{name}: {rows:,} lines, {found['lines_in_service']:,} in service; "
        f"census taken in {found['census_s']:.2f} s"
    )
    for column in ("page", "first request ms", "median ms", "best ms", "raw SQL ms", "page / raw"):
        table.add_column(column, justify="left" if column == "page" else "right")
    for item in found["pages"]:
        median = statistics.median(item["page_s"])
        raw = statistics.median(item["raw_s"])
        table.add_row(
            item["what"],
            f"{item['first_s'] * 1000:.0f}",
            f"{median * 1000:.0f}",
            f"{min(item['page_s']) * 1000:.0f}",
            f"{raw * 1000:.1f}",
            f"{median / raw:.0f}x" if raw else "-",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_database_options(parser, rows=1_000_000, rounds=5)
    args = parser.parse_args()
    console.print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="simreg-bench-dashboard-") as tmp:
        for name, url, folder in databases(args, Path(tmp)):
            console.print(name)
            report(name, args.rows, run(url, args.rows, folder, args.rounds))
    console.print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
