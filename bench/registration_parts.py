"""Where one registration's time goes: each part measured alone, one at a time.

The throughput benchmark (registration.py) says how far the API is from the raw SQL; this
says why. Everything runs sequentially (one client, one server process), so CPU time is
attributed exactly, not sampled, and other load on the machine hardly changes it:
  in process   the parts of POST /api/v1/registrations called directly: token check, photo
               checks, photo files, identity parsing and encryption, the whole service call,
               the response read back, and one statement through SQLAlchemy and through psycopg
  over HTTP    the same registration through a real uvicorn server: its CPU per request, and
               PostgreSQL's statements per request with execution and planning time
               (pg_stat_statements, enabled on the PostgreSQL this script starts)

Run: .venv/bin/python bench/registration_parts.py [--requests 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from rich.table import Table

from registration import (
    PHOTO_SIZE,
    RESULTS,
    Postgres,
    Work,
    api_server,
    console,
    drop_database,
    fresh_database,
    given_postgres,
    plan_work,
    seed,
    start_postgres,
    tree_cpu,
)
from simreg.bootstrap import bootstrap
from simreg.core.crypto import generate_master_key
from simreg.core.settings import Settings
from simreg.db import queries
from simreg.db.directory import authenticate
from simreg.db.repositories import SqlRegistrationTransaction
from simreg.demo.synthetic import specimen_photo
from simreg.identity.documents import document_index, parse_document
from simreg.identity.names import validate_person_name
from simreg.registration.services import SubmitRegistration


@dataclass
class Cost:
    """Milliseconds per call: CPU in this process (or the server), in PostgreSQL, and wall."""

    part: str
    python: float
    postgres: float
    wall: float


def measure(part: str, call: Callable[[int], object], first: int, n: int, pg: int | None) -> Cost:
    call(first)  # once unmeasured: lazy imports and first-use caches
    before_pg, before = tree_cpu(pg), os.times()
    started = time.perf_counter()
    for i in range(first + 1, first + 1 + n):
        call(i)
    wall = time.perf_counter() - started
    after = os.times()
    used = (after.user + after.system) - (before.user + before.system)
    return Cost(part, used / n * 1000, (tree_cpu(pg) - before_pg) / n * 1000, wall / n * 1000)


def enable_statement_stats(postgres: Postgres) -> bool:
    """pg_stat_statements needs a preloaded library: on a cluster we started, restart it so."""
    with psycopg.connect(postgres.admin_url, autocommit=True) as conn:
        row = conn.execute("SHOW shared_preload_libraries").fetchone()
        loaded = row is not None and "pg_stat_statements" in str(row[0])
        data_dir = conn.execute("SHOW data_directory").fetchone()
        if not loaded and postgres.durable and data_dir:
            conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    if loaded:
        return True
    if not (postgres.durable and data_dir):
        return False  # a server we were given: leave its configuration alone
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    command = [str(bins[-1]) if bins else "pg_ctl", "-D", str(data_dir[0]), "-w", "-m", "fast"]
    command += ["restart", "-l", str(Path(data_dir[0]) / "server.log")]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    # The restarted server inherits our descriptors: no pipes, or run() waits for it.
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120
    )
    with psycopg.connect(postgres.admin_url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET pg_stat_statements.track_planning = on")
        conn.execute("SELECT pg_reload_conf()")
    return True


POOL_OFFSET = 8_000_000
# The service reads a document's count before its checks so RN-05 can refuse with the count;
# the upsert that claims the slot creates or updates the customer row with or without RN-05.
RN05_READ = "RN-05 early count (tx.held_lines, in the transaction)"


def in_process(url: str, key: str, token: str, work: Work, n: int, pg: int | None) -> list[Cost]:
    """Uses the first 4n + 4 planned numbers and documents."""
    photo = specimen_photo("FRONT", size=PHOTO_SIZE)
    data_dir = tempfile.mkdtemp(prefix="simreg-bench-parts-")
    app = bootstrap(Settings(database_url=url, master_key=key, data_dir=Path(data_dir)))
    try:
        with app.engine.connect() as conn:
            actor = authenticate(conn, app.vault.tokens, token, now=app.clock.now())

        def token_check(_: int) -> None:
            with app.engine.connect() as conn:
                authenticate(conn, app.vault.tokens, token, now=app.clock.now())

        def identity(i: int) -> None:
            document = parse_document("resident_id", work.documents[i], today=app.clock.today())
            document_index(app.vault, document)
            app.vault.fields.encrypt_text(document.number, "customer.doc_number")
            app.vault.fields.encrypt_text(validate_person_name(work.names[i]), "registration.name")

        submitted: list[str] = []

        def submit(i: int) -> None:
            registration = app.registrations.submit(
                actor,
                SubmitRegistration(
                    msisdn=work.numbers[i],
                    document_type="resident_id",
                    document_number=work.documents[i],
                    customer_name=work.names[i],
                    original_inspected=True,
                    inspection_method="chip_reader",
                    photos={"front": photo, "back": photo},
                ),
            )
            submitted.append(registration.id)

        def read_back(i: int) -> None:
            with app.engine.connect() as conn:
                queries.registration_detail(conn, actor, submitted[i])

        costs = [
            measure("token check (own connection)", token_check, 0, n, pg),
            measure(
                "photo checks x2 (Pillow: header, verify, decode)",
                lambda _: [app.registrations.check_photo(photo) for _ in range(2)],
                0,
                n,
                pg,
            ),
            measure(
                "photo files x2 (AES-GCM, temp file, 2 fsyncs, rename)",
                lambda _: [app.photo_store.put(photo) for _ in range(2)],
                0,
                n,
                pg,
            ),
            measure("document, name, blind index, 2 field encryptions", identity, 0, n, pg),
            measure("service submit, all of it (one transaction)", submit, 0, n, pg),
            measure("response read back (own connection)", read_back, 0, n, pg),
        ]
        with app.engine.connect() as conn:
            tx = SqlRegistrationTransaction(conn)
            indexes = [
                document_index(app.vault, parse_document("resident_id", d, today=app.clock.today()))
                for d in work.documents[: 4 * n + 4]
            ]
            costs.append(
                measure(
                    RN05_READ,
                    lambda i: tx.held_lines(indexes[i]),
                    0,
                    n,
                    pg,
                )
            )
            costs.append(
                measure(
                    "one SELECT through SQLAlchemy (find_line)",
                    lambda i: tx.find_line(work.numbers[i]),
                    2 * n,
                    n,
                    pg,
                )
            )
            driver = conn.connection.driver_connection
            assert isinstance(driver, psycopg.Connection)
            costs.append(
                measure(
                    "the same SELECT through psycopg",
                    lambda i: driver.execute(
                        "SELECT id, msisdn, kind, state, reserved_by, reserved_until "
                        "FROM lines WHERE msisdn = %s",
                        (work.numbers[i],),
                    ).fetchone(),
                    3 * n,
                    n,
                    pg,
                )
            )
            conn.rollback()
        return costs
    finally:
        app.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def over_http(
    url: str, key: str, token: str, work: Work, n: int, pg: int | None, statements: bool
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Uses planned numbers and documents from 5n on."""
    start = 5 * n
    photo = specimen_photo("FRONT", size=PHOTO_SIZE)
    with api_server(url, key, enforce=True, workers=1) as (base, server_pid):
        client = httpx.Client(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}
        )

        def one(i: int) -> None:
            response = client.post(
                "/api/v1/registrations",
                data={
                    "msisdn": work.numbers[i],
                    "document_type": "resident_id",
                    "document_number": work.documents[i],
                    "customer_name": work.names[i],
                    "original_inspected": "true",
                    "inspection_method": "chip_reader",
                },
                files={
                    "photo_front": ("front.jpg", photo, "image/jpeg"),
                    "photo_back": ("back.jpg", photo, "image/jpeg"),
                },
            )
            if response.status_code != 201:
                raise SystemExit(f"HTTP {response.status_code}: {response.text[:300]}")

        for i in range(start, start + 20):  # warm: lazy tables, caches, prepared statements
            one(i)
        with psycopg.connect(url, autocommit=True) as conn:
            if statements:
                conn.execute("SELECT pg_stat_statements_reset()")
            server_before, pg_before, own_before = tree_cpu(server_pid), tree_cpu(pg), os.times()
            started = time.perf_counter()
            for i in range(start + 20, start + 20 + n):
                one(i)
            wall = time.perf_counter() - started
            own_after = os.times()
            per_request = {
                "server": (tree_cpu(server_pid) - server_before) / n * 1000,
                "postgres": (tree_cpu(pg) - pg_before) / n * 1000,
                "client": (
                    (own_after.user + own_after.system) - (own_before.user + own_before.system)
                )
                / n
                * 1000,
                "wall": wall / n * 1000,
            }
            rows: list[dict[str, Any]] = []
            if statements:
                found = conn.execute(
                    "SELECT calls, total_exec_time, total_plan_time, query "
                    "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database()) AND query NOT LIKE '%pg_stat%' "
                    "ORDER BY total_exec_time + total_plan_time DESC"
                ).fetchall()
                rows = [
                    {
                        "statement": " ".join(query.split())[:64],
                        "per_request": round(calls / n, 2),
                        "exec_ms": round(exec_ms / n, 3),
                        "plan_ms": round(plan_ms / n, 3),
                    }
                    for calls, exec_ms, plan_ms, query in found
                ]
        client.close()
    return per_request, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=300, help="calls per part")
    parser.add_argument("--database-url", default=os.environ.get("SIMREG_BENCH_POSTGRES_URL"))
    parser.add_argument("--port", type=int, default=55443, help="for the PostgreSQL we start")
    args = parser.parse_args()
    if args.requests < 10:
        parser.error("--requests must be at least 10")
    n = args.requests
    if args.database_url:
        postgres = given_postgres(args.database_url)
    else:
        console.print(f"starting PostgreSQL on 127.0.0.1:{args.port} (.ci/postgres.sh, durable)")
        postgres = start_postgres(args.port)
    try:
        statements = enable_statement_stats(postgres)
        if postgres.durable:  # restarted: a new postmaster
            postgres = Postgres(
                postgres.admin_url,
                given_postgres(postgres.admin_url).postmaster_pid,
                postgres.stop,
                postgres.durable,
            )
        url = fresh_database(postgres.admin_url, "simreg_bench_parts")
        if statements:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        key = generate_master_key()
        token = seed(url, key, 1, POOL_OFFSET, 6 * n + 100)[0]
        work = plan_work(1, 6 * n + 100, POOL_OFFSET, seed=8)[0]
        console.print(f"in process: {n} calls of each part")
        costs = in_process(url, key, token, work, n, postgres.postmaster_pid)
        console.print(f"over HTTP: {n} registrations, one at a time")
        http, rows = over_http(url, key, token, work, n, postgres.postmaster_pid, statements)
        drop_database(postgres.admin_url, "simreg_bench_parts")
    finally:
        postgres.stop()
    report(costs, http, rows, n)


def report(costs: list[Cost], http: dict[str, float], rows: list[dict[str, Any]], n: int) -> None:
    by_part = {c.part: c for c in costs}
    submit = by_part["service submit, all of it (one transaction)"]
    inner = [
        by_part["photo checks x2 (Pillow: header, verify, decode)"],
        by_part["photo files x2 (AES-GCM, temp file, 2 fsyncs, rename)"],
        by_part["document, name, blind index, 2 field encryptions"],
    ]
    handler = [by_part["token check (own connection)"], submit]
    handler.append(by_part["response read back (own connection)"])
    derived = [
        Cost(
            "= transaction: SQL and its Python (submit minus the three above)",
            submit.python - sum(c.python for c in inner),
            submit.postgres - sum(c.postgres for c in inner),
            submit.wall - sum(c.wall for c in inner),
        ),
        Cost(
            "= HTTP, FastAPI, multipart, thread pool (server minus token, submit, read back)",
            http["server"] - sum(c.python for c in handler),
            http["postgres"] - sum(c.postgres for c in handler),
            http["wall"] - http["client"] - sum(c.wall for c in handler),
        ),
    ]
    table = Table(title=f"one registration, part by part (ms per call, mean of {n})")
    table.add_column("part")
    for column in ("CPU Python", "CPU PostgreSQL", "wall"):
        table.add_column(column, justify="right")
    for cost in [*costs, *derived]:
        table.add_row(cost.part, f"{cost.python:.2f}", f"{cost.postgres:.2f}", f"{cost.wall:.2f}")
    table.add_row(
        f"whole request over HTTP: server / PostgreSQL / wall (client CPU {http['client']:.2f})",
        f"{http['server']:.2f}",
        f"{http['postgres']:.2f}",
        f"{http['wall']:.2f}",
    )
    console.print(table)
    whole = http["server"] + http["postgres"] + http["client"]
    rn05 = by_part[RN05_READ]
    share = (rn05.python + rn05.postgres) / whole if whole else 0.0
    console.print(
        f"RN-05's own work, the early count, is {rn05.python + rn05.postgres:.2f} ms of the "
        f"{whole:.1f} ms of CPU a registration costs over HTTP: {share:.1%}"
    )
    if rows:
        statements = Table(title="PostgreSQL statements per registration over HTTP")
        statements.add_column("statement")
        for column in ("per request", "exec ms", "plan ms"):
            statements.add_column(column, justify="right")
        for row in rows[:20]:
            statements.add_row(
                row["statement"],
                f"{row['per_request']:g}",
                f"{row['exec_ms']:.3f}",
                f"{row['plan_ms']:.3f}",
            )
        statements.add_row(
            "total",
            f"{sum(r['per_request'] for r in rows):g}",
            f"{sum(r['exec_ms'] for r in rows):.3f}",
            f"{sum(r['plan_ms'] for r in rows):.3f}",
        )
        console.print(statements)
    RESULTS.mkdir(exist_ok=True)
    result = {
        "cpu_cores": os.cpu_count(),
        "requests": n,
        "parts_ms": [vars(c) for c in [*costs, *derived]],
        "http_ms_per_request": http,
        "rn05_early_count_share_of_cpu": round(share, 4),
        "postgres_statements_per_request": rows,
    }
    path = RESULTS / "registration_parts.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    console.print(f"written: {path}")


if __name__ == "__main__":
    main()
