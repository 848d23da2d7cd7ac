"""Registration throughput: the HTTP API with every rule, against the raw SQL transaction.

Three figures at the same concurrency, measured in one run on one PostgreSQL server:
  api       POST /api/v1/registrations (multipart, two photos) on a real uvicorn server
  raw       the same registration transaction (RN-05 customer upsert-claim, line take,
            registration, photo rows, audit row) sent directly with psycopg
  no-limit  the API again with the RN-05 check switched off (SIMREG_ENFORCE_PER_ID_LIMIT=false:
            the rule is not applied and the claim has no ceiling; the early count is still read)
and the ratios api/raw (target >= 0.25) and the limit check's cost (target <= 10%).
Beside each figure: p50/p95 latency and the CPU each registration cost in the clients, the
server and PostgreSQL (Linux /proc), so a low ratio says where to look.

Run: .venv/bin/python bench/registration.py [--clients 8] [--seconds 10] [--database-url URL]
     add --profile to record the API server with py-spy and print where its time goes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from simreg.channels.domain import ChannelKind
from simreg.core.actors import Role
from simreg.core.crypto import IdentityVault, decode_master_key, generate_master_key
from simreg.core.settings import Settings
from simreg.db import directory
from simreg.db import tables as t
from simreg.db.engine import make_engine
from simreg.db.migrate import upgrade
from simreg.demo.synthetic import person_name, pool_numbers, resident_id, specimen_photo

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PER_ID_LIMIT = Settings().per_id_limit
# Lines given to one document: a mix of new customers and returning ones, all below RN-05's
# limit so that no request is refused by the rule under test.
LINES_PER_DOCUMENT = (1, 2, 3, 4)
# specimen_photo draws a card layout that needs at least 320 px of width; 320x200 is 6 KB.
PHOTO_SIZE = (320, 200)
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
console = Console(width=max(Console().width, 110))


# -- CPU accounting from /proc (Linux; NaN elsewhere) -----------------------------------------


def _process_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds of the process and its reaped children)."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # it exited while we looked
        fields = raw[raw.rindex(")") + 2 :].split()
        # fields[0] is stat field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
        ticks = sum(int(x) for x in fields[11:15])
        table[int(entry.name)] = (int(fields[1]), ticks / CLK_TCK)
    return table


def tree_cpu(root: int | None) -> float:
    """CPU seconds used by a process tree. Reaped children's time moves into their parent's
    cutime/cstime, so the total is conserved while backends or workers come and go."""
    if root is None or not Path("/proc/stat").exists():
        return math.nan
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo.extend(children.get(pid, []))
    return total


def machine_busy() -> float:
    """CPU seconds all cores spent not idle since boot."""
    try:
        values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return math.nan
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / CLK_TCK


@dataclass
class Probe:
    """Where CPU goes: this process (the clients), the server's process tree, PostgreSQL's."""

    server_pid: int | None
    postgres_pid: int | None

    def snapshot(self) -> dict[str, float]:
        own = os.times()
        return {
            "clients": own.user + own.system,
            "server": tree_cpu(self.server_pid) if self.server_pid else 0.0,
            "postgres": tree_cpu(self.postgres_pid),
            "machine": machine_busy(),
        }


# -- phases -----------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    ok: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per registration
    cores_busy: float = 0.0  # average number of busy cores during the window
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def summary(self) -> dict[str, Any]:
        return {
            "per_second": round(self.rate, 2),
            "measured": self.ok,
            "p50_ms": round(self.pct(0.5), 2),
            "p95_ms": round(self.pct(0.95), 2),
            "cpu_ms_per_registration": {k: round(v, 2) for k, v in self.cpu_ms.items()},
            "cores_busy": round(self.cores_busy, 2),
            "rows": self.rows,
        }


@dataclass
class Work:
    """What one client submits, in order: its own numbers, and a document for each."""

    numbers: list[str]
    documents: list[str]
    names: list[str]


def plan_work(clients: int, per_client: int, offset: int, seed: int) -> list[Work]:
    rng = random.Random(seed)
    numbers = [n.msisdn for n in pool_numbers(offset, clients * per_client)]
    seen: set[str] = set()

    def fresh_document() -> str:
        # Thousands of random draws collide now and then (the birthday problem); a document
        # drawn twice would get more lines than planned and be refused.
        while (document := resident_id(rng)) in seen:
            pass
        seen.add(document)
        return document

    work = []
    for i in range(clients):
        documents: list[str] = []
        names: list[str] = []
        for n in range(per_client):
            if len(documents) >= per_client:
                break
            lines = LINES_PER_DOCUMENT[n % len(LINES_PER_DOCUMENT)]
            documents += [fresh_document()] * lines
            names += [person_name(rng)] * lines
        mine = numbers[i * per_client : (i + 1) * per_client]
        work.append(Work(mine, documents[:per_client], names[:per_client]))
    return work


class OutOfWork(Exception):
    pass


def run_clients(
    phase: Phase,
    clients: int,
    seconds: float,
    warmup: float,
    one: Callable[[int, int], None],
    probe: Probe,
    during: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> None:
    """Each client calls ``one(client, i)`` in a loop until the deadline. Only calls that start
    after the warm-up and end before the deadline are counted; CPU is sampled at both ends,
    and ``during`` (a profiler) runs over exactly the measured window."""
    # First calls go one at a time: the server loads some tables lazily (stdnum's region
    # list, 0.1 s of CPU), and eight concurrent first requests would each load it.
    for index in range(clients):
        one(index, 0)
    start = time.monotonic()
    measure_from = start + warmup
    deadline = measure_from + seconds
    lock = threading.Lock()
    failures: list[BaseException] = []

    def client(index: int) -> None:
        i = 1
        while time.monotonic() < deadline and not failures:
            began = time.monotonic()
            try:
                one(index, i)
            except BaseException as error:  # reported below; fails the run
                failures.append(error)
                return
            ended = time.monotonic()
            i += 1
            if began >= measure_from and ended <= deadline:
                with lock:
                    phase.ok += 1
                    phase.latencies.append(ended - began)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measure_from - time.monotonic()))
    with during():
        before = probe.snapshot()
        time.sleep(max(0.0, deadline - time.monotonic()))
        after = probe.snapshot()
    for thread in threads:
        thread.join(timeout=120)
    if failures:
        raise SystemExit(f"{phase.name}: a request failed: {failures[0]!r}")
    if any(thread.is_alive() for thread in threads):
        raise SystemExit(f"{phase.name}: a client did not finish within 120 s of the deadline")
    phase.seconds = seconds
    used = {k: after[k] - before[k] for k in after}
    # PostgreSQL's share is unknown (NaN) when its processes are not on this machine's /proc.
    pg = 0.0 if math.isnan(used["postgres"]) else used["postgres"]
    known = used["clients"] + used["server"] + pg
    per = max(phase.ok, 1)
    phase.cpu_ms = {k: used[k] / per * 1000 for k in ("clients", "server", "postgres")}
    # Everything else the machine did meanwhile: kernel networking, other people's jobs.
    phase.cpu_ms["other"] = (used["machine"] - known) / per * 1000
    phase.cores_busy = used["machine"] / seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def api_server(url: str, key: str, enforce: bool, workers: int) -> Iterator[tuple[str, int]]:
    """A real uvicorn server process on 127.0.0.1 serving create_app(bootstrap(Settings()))."""
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="simreg-bench-data-")
    env = {
        **os.environ,
        "SIMREG_DATABASE_URL": url,
        "SIMREG_MASTER_KEY": key,
        "SIMREG_DATA_DIR": data_dir,
        "SIMREG_ENFORCE_PER_ID_LIMIT": str(enforce).lower(),
    }
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "serve_for_bench.py"), str(port), str(workers)],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        ready_by = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the API server exited with status {server.returncode}")
            if time.monotonic() > ready_by:
                raise SystemExit("the API server did not answer /healthz within 60 s")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield base, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def py_spy(pid: int, seconds: float, output: Path) -> Iterator[None]:
    """Sample the server's processes (CPU only, not idle threads) while the block runs."""
    binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(binary).exists():
        raise SystemExit("--profile needs py-spy (pip install py-spy)")
    output.unlink(missing_ok=True)
    command = [binary, "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
    command += ["--rate", "200", "--format", "raw", "--output", str(output)]
    command += ["--duration", str(math.ceil(seconds))]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        try:
            spy.wait(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            spy.terminate()
            spy.wait(timeout=30)
    if not output.exists():
        error = spy.stderr.read().decode(errors="replace") if spy.stderr else ""
        raise SystemExit(f"py-spy wrote no profile: {error.strip()[-500:]}")


def api_phase(
    name: str,
    url: str,
    args: argparse.Namespace,
    offset: int,
    postgres_pid: int | None,
    profile_to: Path | None = None,
) -> Phase:
    key = generate_master_key()
    tokens = seed(url, key, args.clients, offset, args.per_client)
    work = plan_work(args.clients, args.per_client, offset, seed=offset)
    photo_front = specimen_photo("FRONT", size=PHOTO_SIZE)
    photo_back = specimen_photo("BACK", size=PHOTO_SIZE)
    phase = Phase(name)
    with api_server(url, key, name != "no-limit", args.workers) as (base, server_pid):
        sessions = [
            httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})
            for token in tokens
        ]

        def one(client: int, i: int) -> None:
            plan = work[client]
            if i >= len(plan.numbers):
                raise OutOfWork(f"client {client} used all {i} numbers; raise --per-client")
            response = sessions[client].post(
                "/api/v1/registrations",
                data={
                    "msisdn": plan.numbers[i],
                    "document_type": "resident_id",
                    "document_number": plan.documents[i],
                    "customer_name": plan.names[i],
                    "original_inspected": "true",
                    "inspection_method": "chip_reader",
                },
                files={
                    "photo_front": ("front.jpg", photo_front, "image/jpeg"),
                    "photo_back": ("back.jpg", photo_back, "image/jpeg"),
                },
            )
            if response.status_code != 201:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")

        probe = Probe(server_pid, postgres_pid)
        during: Callable[[], AbstractContextManager[None]] = nullcontext
        if profile_to is not None:
            during = partial(py_spy, server_pid, args.seconds, profile_to)
        try:
            run_clients(phase, args.clients, args.seconds, args.warmup, one, probe, during)
        finally:
            for session in sessions:
                session.close()
    return phase


# The statements simreg's registration transaction writes, without the reads it makes first
# (token, channel and outlet, line, the early RN-05 count) and without Python around them.
RAW_SQL = {
    # RN-05 as simreg runs it: one upsert creates the customer holding one line, or counts one
    # more line only while under the limit; no row back means the limit is reached.
    "claim": "INSERT INTO customers (doc_type, doc_index, doc_number_enc, doc_masked, "
    "held_lines, created_at) VALUES ('resident_id', %s, %s, %s, 1, now()) "
    "ON CONFLICT (doc_index) DO UPDATE SET held_lines = customers.held_lines + 1 "
    "WHERE customers.held_lines < %s RETURNING id",
    "line": "UPDATE lines SET state = 'pending_review', customer_id = %s, reserved_by = NULL, "
    "reserved_until = NULL, updated_at = now() WHERE msisdn = %s AND state = 'available' "
    "RETURNING id",
    "registration": "INSERT INTO registrations (id, state, customer_id, line_id, channel_id, "
    "outlet_id, clerk_id, name_enc, name_masked, inspection_method, submitted_at) "
    "VALUES (%s, 'pending_review', %s, %s, %s, %s, %s, %s, %s, 'chip_reader', now())",
    "photo": "INSERT INTO registration_photos (registration_id, kind, store_key, content_type, "
    "width, height, size, sha256) VALUES (%s, %s, %s, 'image/jpeg', %s, %s, %s, %s)",
    "audit": "INSERT INTO audit_events (at, action, outcome, actor_staff_id, channel_id, "
    "outlet_id, registration_id, msisdn, doc_index, details) VALUES (now(), "
    "'registration.submitted', 'ok', %s, %s, %s, %s, %s, %s, %s)",
}


def raw_phase(url: str, args: argparse.Namespace, offset: int, postgres_pid: int | None) -> Phase:
    key = generate_master_key()
    seed(url, key, args.clients, offset, args.per_client)
    work = plan_work(args.clients, args.per_client, offset, seed=offset)
    vault = IdentityVault(decode_master_key(key))
    # Ciphertexts of the right size, made once: the raw path measures SQL, not AES.
    doc_enc = vault.fields.encrypt_text("11010519491231002X", "customer.doc_number")
    name_enc = vault.fields.encrypt_text("张三丰", "registration.name")
    with psycopg.connect(url) as conn:
        channel_row = conn.execute("SELECT id FROM channels").fetchone()
        people = conn.execute("SELECT id, outlet_id FROM staff ORDER BY id").fetchall()
    if channel_row is None or len(people) != args.clients:
        raise SystemExit("raw: the seeded channel or clerks are missing")
    channel = channel_row[0]
    connections = [psycopg.connect(url) for _ in range(args.clients)]
    phase = Phase("raw")

    def one(client: int, i: int) -> None:
        plan = work[client]
        if i >= len(plan.numbers):
            raise OutOfWork(f"client {client} used all {i} numbers; raise --per-client")
        doc, msisdn = plan.documents[i], plan.numbers[i]
        index = vault.index.digest(f"resident_id:{doc}")
        staff_id, outlet_id = people[client]
        conn = connections[client]
        with conn.transaction():
            claimed = conn.execute(
                RAW_SQL["claim"],
                (index, doc_enc, f"{doc[:1]}****************{doc[-1:]}", PER_ID_LIMIT),
            ).fetchone()
            if claimed is None:
                raise RuntimeError(f"raw: RN-05 refused {doc}, which was planned under the limit")
            customer = claimed[0]
            line = conn.execute(RAW_SQL["line"], (customer, msisdn)).fetchone()
            if line is None:
                raise RuntimeError(f"raw: number {msisdn} was not available")
            reg = uuid.uuid4().hex
            name = plan.names[i]
            conn.execute(
                RAW_SQL["registration"],
                (reg, customer, line[0], channel, outlet_id, staff_id, name_enc, name[0] + "*"),
            )
            with conn.cursor() as cursor:
                cursor.executemany(
                    RAW_SQL["photo"],
                    [
                        (reg, kind, uuid.uuid4().hex, *PHOTO_SIZE, 5976, "0" * 64)
                        for kind in ("back", "front")
                    ],
                )
            details = {"document_type": "resident_id", "inspection_method": "chip_reader"}
            conn.execute(
                RAW_SQL["audit"],
                (staff_id, channel, outlet_id, reg, msisdn, index, json.dumps(details)),
            )

    try:
        run_clients(phase, args.clients, args.seconds, args.warmup, one, Probe(None, postgres_pid))
    finally:
        for conn in connections:
            conn.close()
    return phase


# -- database ---------------------------------------------------------------------------------


@dataclass
class Postgres:
    admin_url: str
    postmaster_pid: int | None
    stop: Callable[[], None]
    durable: bool | None  # None: a server we were given, settings unknown


def start_postgres(port: int) -> Postgres:
    """A fresh, durable (fsync, synchronous commit) cluster from .ci/postgres.sh."""
    base = Path(tempfile.mkdtemp(prefix="simreg-bench-pg-"))
    os.chmod(base, 0o755)  # noqa: S103 - the cluster runs as the postgres account
    data = base / "pg"
    out = subprocess.run(
        ["bash", str(ROOT / ".ci" / "postgres.sh"), str(data), str(port), "durable"],
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise SystemExit(f"could not start PostgreSQL:\n{out.stderr[-2000:]}")
    url = out.stdout.strip().splitlines()[-1]

    def stop() -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        command = [str(bins[-1]) if bins else "pg_ctl", "-D", str(data), "-m", "fast", "stop"]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=False, capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)

    return Postgres(url, _postmaster_pid(data), stop, durable=True)


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def given_postgres(url: str) -> Postgres:
    """A server we were pointed at; its CPU is counted only when its data directory is here."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('data_directory', true)").fetchone()
    pid = _postmaster_pid(Path(row[0])) if row and row[0] else None
    return Postgres(url, pid, lambda: None, durable=None)


def fresh_database(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def seed(url: str, key: str, clients: int, offset: int, per_client: int) -> list[str]:
    """Schema, an own channel with an outlet per client (own channels need no enrolled
    device, RN-09), a clerk and a bearer token each, and the number pool."""
    vault = IdentityVault(decode_master_key(key))
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    tokens = []
    with engine.begin() as conn:
        channel = directory.add_channel(conn, code="OWN", name="Hall", kind=ChannelKind.OWN, at=now)
        for i in range(clients):
            outlet = directory.add_outlet(
                conn, channel_id=channel, code=f"O{i}", name=f"Outlet {i}", at=now
            )
            staff = directory.add_staff(
                conn,
                username=f"clerk{i}",
                display_name=f"Clerk {i}",
                role=Role.CLERK,
                at=now,
                outlet_id=outlet,
            )
            tokens.append(directory.issue_token(conn, vault.tokens, at=now, staff_id=staff))
        directory.add_numbers(conn, pool_numbers(offset, clients * per_client), now)
    engine.dispose()
    return tokens


def verify_database(url: str, phase: str) -> dict[str, int]:
    """Row counts after a phase, and the invariants every phase must leave behind."""
    engine = make_engine(url)
    with engine.connect() as conn:

        def count(table: Any, *where: Any) -> int:
            return int(
                conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
            )

        rows = {
            "registrations": count(t.registrations),
            "registration_photos": count(t.registration_photos),
            "audit_submitted": count(
                t.audit_events, t.audit_events.c.action == "registration.submitted"
            ),
            "audit_refused": count(t.audit_events, t.audit_events.c.outcome == "refused"),
            "customers": count(t.customers),
            "lines_pending_review": count(t.lines, t.lines.c.state == "pending_review"),
            "held_lines_total": int(
                conn.execute(
                    select(func.coalesce(func.sum(t.customers.c.held_lines), 0))
                ).scalar_one()
            ),
            "held_lines_max": int(
                conn.execute(
                    select(func.coalesce(func.max(t.customers.c.held_lines), 0))
                ).scalar_one()
            ),
        }
    engine.dispose()
    regs = rows["registrations"]
    problems = []
    if rows["held_lines_max"] > PER_ID_LIMIT:
        problems.append(f"a document holds {rows['held_lines_max']} lines (RN-05: {PER_ID_LIMIT})")
    if rows["registration_photos"] != 2 * regs:
        problems.append(f"{rows['registration_photos']} photo rows for {regs} registrations")
    if rows["audit_submitted"] != regs or rows["audit_refused"]:
        problems.append(f"audit rows {rows['audit_submitted']} ok, {rows['audit_refused']} refused")
    if rows["held_lines_total"] != regs or rows["lines_pending_review"] != regs:
        problems.append(
            f"{rows['held_lines_total']} held lines, {rows['lines_pending_review']} lines "
            f"pending review, {regs} registrations"
        )
    if problems:
        raise SystemExit(f"{phase}: database check failed: " + "; ".join(problems))
    return rows


# -- profile summary --------------------------------------------------------------------------

# Innermost match wins: a sample in psycopg called from SQLAlchemy called from simreg is the
# driver's. Patterns match py-spy's "function (file:line)" frames.
LAYERS = [
    ("PostgreSQL driver (psycopg)", ("psycopg/", "psycopg_binary")),
    ("SQL building and results (SQLAlchemy)", ("sqlalchemy/",)),
    ("photo decode and verify (Pillow)", ("PIL/",)),
    ("AES-GCM, HMAC, HKDF", ("cryptography/", "simreg/core/crypto.py", "hmac.py")),
    ("photo files (temp file, write, fsync, rename)", ("simreg/adapters/photos.py", "tempfile.py")),
    ("multipart parsing", ("multipart/", "formparsers.py", "datastructures.py")),
    ("request validation and JSON (FastAPI, pydantic)", ("fastapi/", "pydantic")),
    ("document, name and rule checks (simreg, stdnum)", ("simreg/", "stdnum/")),
    ("HTTP server (uvicorn, h11, starlette)", ("uvicorn/", "h11/", "httptools", "starlette/")),
    ("event loop and thread pool (asyncio, anyio)", ("asyncio/", "anyio/", "threading.py")),
]
# Outermost match wins: which step of the request a sample belongs to.
STEPS = [
    ("token check (current_actor)", ("current_actor (",)),
    ("photo checks (verify_photo)", ("_check_photos (",)),
    ("registration transaction, SQL and Python (_submit)", ("._submit (",)),
    ("response read back (registration_detail)", ("registration_detail (",)),
    ("form and upload parsing", ("_get_form (", "formparsers.py", "multipart/")),
]
PHOTO_FILES = "photo files written in the transaction (AES, write, fsync)"


def summarise_profile(path: Path) -> dict[str, dict[str, float]]:
    layers: Counter[str] = Counter()
    steps: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, weight = line.rpartition(" ")
        if not stack or not weight.isdigit():
            continue
        frames = stack.split(";")
        n = int(weight)
        total += n
        layers[_first_match(reversed(frames), LAYERS, "other")] += n
        step = _first_match(frames, STEPS, "HTTP and framework outside the handler")
        if step == STEPS[2][0] and any("EncryptedPhotoStore." in f for f in frames):
            step = PHOTO_FILES  # written inside the transaction, but not SQL: counted apart
        steps[step] += n
    if not total:
        return {"layers": {}, "steps": {}}
    return {
        "layers": {k: round(v / total, 3) for k, v in layers.most_common()},
        "steps": {k: round(v / total, 3) for k, v in steps.most_common()},
    }


def _first_match(frames: Any, table: list[tuple[str, tuple[str, ...]]], default: str) -> str:
    for frame in frames:
        for label, patterns in table:
            if any(p in frame for p in patterns):
                return label
    return default


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (threads)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; median kept")
    parser.add_argument("--workers", type=int, default=2, help="API server processes")
    parser.add_argument(
        "--per-client", type=int, default=2500, help="numbers per client per phase (a bound)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SIMREG_BENCH_POSTGRES_URL"),
        help="PostgreSQL to use (needs CREATEDB); default: start one with .ci/postgres.sh",
    )
    parser.add_argument("--port", type=int, default=55442, help="for the PostgreSQL we start")
    parser.add_argument(
        "--profile", action="store_true", help="then profile the API server with py-spy"
    )
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0 or args.warmup < 0 or args.rounds < 1:
        parser.error("--clients and --rounds must be at least 1, --seconds positive")

    if args.database_url:
        postgres = given_postgres(args.database_url)
    else:
        console.print(f"starting PostgreSQL on 127.0.0.1:{args.port} (.ci/postgres.sh, durable)")
        postgres = start_postgres(args.port)
    load_before = os.getloadavg()
    names = ["api", "raw", "no-limit"]
    rounds: dict[str, list[Phase]] = {name: [] for name in names}
    profile: dict[str, dict[str, float]] | None = None
    try:
        # Every round runs each path once, each on a fresh database; the two API paths run
        # back to back, in alternating order, so a change in the machine's load between them
        # does not decide the limit check's cost. Ratios are taken within a round, then the
        # median over rounds is kept.
        for round_no in range(args.rounds):
            order = ["api", "no-limit", "raw"] if round_no % 2 == 0 else ["no-limit", "api", "raw"]
            for n, name in enumerate(order):
                offset = 1_000_000 * (1 + round_no * len(names) + n)
                database = f"simreg_bench_{name.replace('-', '_')}"
                url = fresh_database(postgres.admin_url, database)
                console.print(
                    f"round {round_no + 1}/{args.rounds}, {name}: {args.clients} clients, "
                    f"{args.warmup:g} s warm-up + {args.seconds:g} s"
                )
                if name == "raw":
                    phase = raw_phase(url, args, offset, postgres.postmaster_pid)
                else:
                    phase = api_phase(name, url, args, offset, postgres.postmaster_pid)
                phase.rows = verify_database(url, name)
                drop_database(postgres.admin_url, database)
                console.print(
                    f"  {phase.rate:.1f}/s, p50 {phase.pct(0.5):.1f} ms; "
                    f"{phase.rows['registrations']} registrations, most lines on one document "
                    f"{phase.rows['held_lines_max']}"
                )
                rounds[name].append(phase)
        if args.profile:
            RESULTS.mkdir(exist_ok=True)
            raw_profile = RESULTS / "api-profile.txt"
            url = fresh_database(postgres.admin_url, "simreg_bench_profile")
            console.print("profiling the API server with py-spy (not part of the figures)")
            api_phase("api", url, args, 99_000_000, postgres.postmaster_pid, raw_profile)
            drop_database(postgres.admin_url, "simreg_bench_profile")
            profile = summarise_profile(raw_profile)
    finally:
        postgres.stop()

    phases = {
        name: sorted(runs, key=lambda p: p.rate)[len(runs) // 2] for name, runs in rounds.items()
    }
    report(args, phases, rounds, profile, load_before, postgres.durable)


def own_cpu(phase: Phase) -> float:
    """CPU milliseconds one registration cost in the benchmark's own processes."""
    cpu = phase.cpu_ms
    return sum(cpu[k] for k in ("clients", "server", "postgres") if not math.isnan(cpu[k]))


def report(
    args: argparse.Namespace,
    phases: dict[str, Phase],
    rounds: dict[str, list[Phase]],
    profile: dict[str, dict[str, float]] | None,
    load_before: tuple[float, float, float],
    durable: bool | None,
) -> None:
    table = Table(
        title=f"registrations, {args.clients} clients, {os.cpu_count()} CPU cores, "
        f"median round of {args.rounds} x {args.seconds:g} s"
    )
    table.add_column("path")
    for column in ("reg/s", "p50 ms", "p95 ms"):
        table.add_column(column, justify="right")
    for column in ("clients", "server", "PostgreSQL", "other"):
        table.add_column(f"CPU ms/reg\n{column}", justify="right")
    table.add_column("cores\nbusy", justify="right")
    for phase in phases.values():
        cpu = phase.cpu_ms
        table.add_row(
            phase.name,
            f"{phase.rate:.1f}",
            f"{phase.pct(0.5):.1f}",
            f"{phase.pct(0.95):.1f}",
            *(f"{cpu.get(k, math.nan):.1f}" for k in ("clients", "server", "postgres", "other")),
            f"{phase.cores_busy:.2f}",
        )
    console.print(table)
    paired = list(zip(rounds["api"], rounds["raw"], rounds["no-limit"], strict=True))
    ratios = [a.rate / r.rate if r.rate else 0.0 for a, r, _ in paired]
    costs = [(n.rate - a.rate) / n.rate if n.rate else 0.0 for a, _, n in paired]
    ratio, cost = statistics.median(ratios), statistics.median(costs)
    # On a saturated machine throughput is inversely proportional to the CPU a registration
    # costs, and CPU time hardly depends on what else the machine runs: a steadier estimate.
    cpu_costs = [1 - own_cpu(n) / own_cpu(a) if own_cpu(a) else 0.0 for a, _, n in paired]
    cpu_cost = statistics.median(cpu_costs)
    mark = {True: "[green]met[/]", False: "[red]missed[/]"}
    console.print(
        f"api / raw = {ratio:.3f}  (target >= 0.25: {mark[ratio >= 0.25]}); "
        f"per round {', '.join(f'{x:.3f}' for x in ratios)}"
    )
    console.print(
        f"cost of the RN-05 check = (no-limit - api) / no-limit = {cost:+.1%}  "
        f"(target <= 10%: {mark[cost <= 0.10]}); per round "
        f"{', '.join(f'{x:+.1%}' for x in costs)}"
    )
    console.print(
        f"  the same from CPU per registration (clients + server + PostgreSQL) = "
        f"{cpu_cost:+.1%}; per round {', '.join(f'{x:+.1%}' for x in cpu_costs)}"
    )
    if profile:
        for title, shares in (
            ("API server CPU by step", profile["steps"]),
            ("by layer", profile["layers"]),
        ):
            breakdown = Table(title=title)
            breakdown.add_column("where")
            breakdown.add_column("share of samples", justify="right")
            for label, share in shares.items():
                breakdown.add_row(label, f"{share:.1%}")
            console.print(breakdown)
        console.print(f"raw py-spy samples: {RESULTS / 'api-profile.txt'}")
    RESULTS.mkdir(exist_ok=True)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpu_cores": os.cpu_count(), "load_average_before": load_before},
        "postgres": {
            None: "given by --database-url",
            True: ".ci/postgres.sh durable (fsync, synchronous_commit on)",
            False: "fast",
        }[durable],
        "settings": {k: v for k, v in vars(args).items() if k != "database_url"},
        "phases": {name: phase.summary() for name, phase in phases.items()},
        "rounds_per_second": {
            name: [round(p.rate, 2) for p in runs] for name, runs in rounds.items()
        },
        "api_over_raw": round(ratio, 4),
        "api_over_raw_per_round": [round(x, 4) for x in ratios],
        "limit_check_cost": round(cost, 4),
        "limit_check_cost_per_round": [round(x, 4) for x in costs],
        "limit_check_cost_from_cpu": round(cpu_cost, 4),
        "limit_check_cost_from_cpu_per_round": [round(x, 4) for x in cpu_costs],
        "targets": {"api_over_raw": ">= 0.25", "limit_check_cost": "<= 0.10"},
        "profile": profile,
    }
    (RESULTS / "registration.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    )
    console.print(f"written: {RESULTS / 'registration.json'}")


if __name__ == "__main__":
    main()
