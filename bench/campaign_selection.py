"""Campaign target selection and scheduling over a large base (RN-13).

A base of --lines lines (default 1,000,000; 30% legacy without real-name data) is written
straight into a fresh database, then timed:
  start       choose the targets and queue one SMS each (the campaign's first step)
  calls       a week later, one call task per target that did not re-register
  suspension  after the deadline, one-way suspension of every line still unregistered
  dashboard   the funnel, overall and per org unit
Each step prints its time and rows/s beside a hand-written SQL statement doing the same core
work in the same database (the raw baseline), and the ratio raw/simreg.

Run: .venv/bin/python bench/campaign_selection.py [--lines 1000000] [--database-url URL]
     [--sqlite]   (without --database-url a durable PostgreSQL is started for the run)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from rich.table import Table
from sqlalchemy import Connection, Engine, text

from registration import console, drop_database, fresh_database, start_postgres
from simreg.bootstrap import Simreg, bootstrap
from simreg.campaigns.domain import DEFAULT_TEMPLATE_ZH, CampaignPlan, parse_filters
from simreg.channels.domain import ChannelKind
from simreg.core.actors import Actor, Role
from simreg.core.clock import FixedClock
from simreg.core.crypto import generate_master_key
from simreg.core.settings import Settings
from simreg.db import directory
from simreg.db.campaign_queries import campaign_detail, funnel_by_org_unit

START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
COUNTIES = 40
T = TypeVar("T")


@dataclass
class Step:
    name: str
    rows: int
    seconds: float
    raw_seconds: float


def timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def build_base(engine: Engine, lines: int) -> None:
    """Org units, a channel per county, and the lines, in a handful of set-based statements."""
    now = START
    with engine.begin() as conn:
        province = directory_unit(conn, "P", "Province", "province", None, now)
        cities = [
            directory_unit(conn, f"C{i}", f"City {i}", "city", province, now) for i in range(8)
        ]
        for n in range(COUNTIES):
            county = directory_unit(conn, f"K{n}", f"County {n}", "county", cities[n % 8], now)
            channel = directory.add_channel(
                conn, code=f"CH{n}", name=f"Channel {n}", kind=ChannelKind.OWN, at=now
            )
            conn.execute(
                text("UPDATE channels SET org_unit_id = :u WHERE id = :c"),
                {"u": county, "c": channel},
            )
        first = conn.execute(text("SELECT min(id) FROM channels")).scalar_one()
        numbers = (
            "SELECT generate_series AS n FROM generate_series(1, :lines)"
            if conn.dialect.name == "postgresql"
            else "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :lines) "
            "SELECT n FROM s"
        )
        conn.execute(
            text(
                "INSERT INTO lines (msisdn, iccid, imsi, kind, state, real_name_state, channel_id,"
                " opened_at, updated_at) "
                f"SELECT CAST(13000000000 + n AS VARCHAR(11)), CAST(8986000000000000000 + n AS"
                " VARCHAR(20)), CAST(460000000000000 + n AS VARCHAR(15)),"
                " CASE WHEN n % 7 = 0 THEN 'data' ELSE 'voice' END, 'active',"
                " CASE WHEN n % 10 < 3 THEN 'legacy_unverified' ELSE 'verified' END,"
                f" :first + (n % {COUNTIES}), :opened, :now FROM ({numbers}) AS numbers"
            ),
            {
                "lines": lines,
                "first": first,
                "opened": datetime(2011, 3, 1, tzinfo=UTC),
                "now": now,
            },
        )
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def directory_unit(
    conn: Connection, code: str, name: str, level: str, parent: int | None, at: datetime
) -> int:
    row = conn.execute(
        text(
            "INSERT INTO org_units (code, name, level, parent_id, created_at) "
            "VALUES (:c, :n, :l, :p, :a) RETURNING id"
        ),
        {"c": code, "n": name, "l": level, "p": parent, "a": at},
    )
    return int(row.scalar_one())


def raw(engine: Engine, *statements: str, **params: object) -> float:
    """A hand-written statement doing a step's core work, timed in its own transaction that is
    rolled back so the measured run sees the same data."""
    with engine.connect() as conn:
        transaction = conn.begin()
        started = time.perf_counter()
        for sql in statements:
            conn.execute(text(sql), params)
        elapsed = time.perf_counter() - started
        transaction.rollback()
    return elapsed


def run(url: str, lines: int, data_dir: Path) -> list[Step]:
    clock = FixedClock(START)
    settings = Settings(database_url=url, data_dir=data_dir, master_key=generate_master_key())
    app: Simreg = bootstrap(settings, clock=clock)
    try:
        build_base(app.engine, lines)
        with app.engine.begin() as conn:
            staff = directory.add_staff(
                conn, username="manager", display_name="m", role=Role.CHANNEL_MANAGER, at=START
            )
        manager = Actor(staff, "manager", Role.CHANNEL_MANAGER)
        plan = CampaignPlan(
            name="bench",
            filters=parse_filters(),
            sms_template=DEFAULT_TEMPLATE_ZH,
            call_after_days=7,
            deadline=date(2026, 11, 30),
        )
        campaign_id = app.campaigns.create(manager, plan)
        steps = []

        raw_start = raw(
            app.engine,
            "INSERT INTO campaign_targets (campaign_id, line_id, org_unit_id, channel_id,"
            " targeted_at, sms_queued_at) SELECT :c, l.id, ch.org_unit_id, l.channel_id, :at, :at"
            " FROM lines l LEFT JOIN channels ch ON ch.id = l.channel_id"
            " WHERE l.real_name_state = 'legacy_unverified' AND l.state = 'active'",
            "INSERT INTO sms_outbox (dedupe_key, campaign_id, target_id, msisdn, body, status,"
            " created_at, not_before) SELECT 'raw:' || CAST(ct.id AS VARCHAR(20)), :c, ct.id,"
            " l.msisdn, :body, 'queued', :at, :at FROM campaign_targets ct"
            " JOIN lines l ON l.id = ct.line_id WHERE ct.campaign_id = :c",
            c=campaign_id,
            body=DEFAULT_TEMPLATE_ZH,
            at=START,
        )
        started, seconds = timed(lambda: app.campaigns.start(manager, campaign_id))
        steps.append(Step("start: targets + SMS queued", started.targets, seconds, raw_start))

        with app.engine.begin() as conn:  # what the SMS dispatcher records as it sends
            conn.execute(text("UPDATE campaign_targets SET sms_sent_at = sms_queued_at"))
        clock.at = START + timedelta(days=8)
        raw_calls = raw(
            app.engine,
            "INSERT INTO call_tasks (target_id, campaign_id, status, due_at, attempts, created_at) "
            "SELECT id, campaign_id, 'open', :at, 0, :at FROM campaign_targets "
            "WHERE campaign_id = :c",
            at=clock.at,
            c=campaign_id,
        )
        advanced, seconds = timed(app.campaigns.advance)
        steps.append(Step("calls: tasks after 7 days", advanced[0].call_tasks, seconds, raw_calls))

        clock.at = START + timedelta(days=30)
        raw_suspend = raw(
            app.engine,
            "UPDATE lines SET state = 'suspended_one_way' WHERE state = 'active' "
            "AND real_name_state = 'legacy_unverified'",
        )
        advanced, seconds = timed(app.campaigns.advance)
        suspended = advanced[0].suspended_one_way
        steps.append(Step("suspension: one-way after deadline", suspended, seconds, raw_suspend))

        raw_funnel = raw(
            app.engine,
            "SELECT org_unit_id, count(*), count(sms_sent_at), count(called_at) "
            "FROM campaign_targets WHERE campaign_id = :c GROUP BY org_unit_id",
            c=campaign_id,
        )

        def dashboard() -> int:
            with app.engine.connect() as conn:
                detail = campaign_detail(conn, manager, campaign_id)
                funnel_by_org_unit(conn, manager, campaign_id)
            return int(detail["funnel"]["targeted"])

        targeted, seconds = timed(dashboard)
        steps.append(Step("dashboard: funnel + per org unit", targeted, seconds, raw_funnel))
        return steps
    finally:
        app.close()


def report(database: str, lines: int, steps: list[Step]) -> None:
    table = Table(title=f"Campaign over {lines:,} lines on {database} (30% legacy)")
    for column in ("step", "rows", "simreg s", "rows/s", "raw SQL s", "raw/simreg"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for s in steps:
        table.add_row(
            s.name,
            f"{s.rows:,}",
            f"{s.seconds:.2f}",
            f"{s.rows / s.seconds:,.0f}" if s.seconds else "—",
            f"{s.raw_seconds:.2f}",
            f"{s.raw_seconds / s.seconds:.2f}" if s.seconds else "—",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("SIMREG_BENCH_POSTGRES_URL", ""))
    parser.add_argument("--sqlite", action="store_true", help="also run on an SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="simreg-bench-campaign-") as tmp:
        postgres = None
        admin = args.database_url
        if not admin:
            postgres = start_postgres(55499)
            admin = postgres.url
        try:
            url = fresh_database(admin, "simreg_bench_campaign")
            report("PostgreSQL", args.lines, run(url, args.lines, Path(tmp) / "pg"))
            drop_database(admin, "simreg_bench_campaign")
        finally:
            if postgres is not None:
                postgres.stop()
        if args.sqlite:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            report("SQLite", args.lines, run(url, args.lines, Path(tmp) / "sqlite"))


if __name__ == "__main__":
    main()
