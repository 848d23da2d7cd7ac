"""Identity-authority checks: what the adapter, the cache and the record cost beside bare HTTP.

The simulator (`simreg identity-authority serve`, in a process of its own, no added latency)
is asked --checks times for residents it holds, four ways:
  raw       httpx.Client.post to /v1/verify in a loop: the floor
  adapter   HttpIdentityAuthority.verify: the circuit breaker and the answer parsed
  verifier  Simreg.identity.check with the cache off: number and name validated, blind
            indexes, the authority asked, the answer recorded in identity_checks
  cached    Simreg.identity.check again within the cache time: no HTTP, the reuse recorded
Prints checks/s for each and the ratio to raw.

Run: .venv/bin/python bench/identity_checks.py [--checks 2000] [--database-url URL]
     (default: a fresh SQLite file; with a PostgreSQL URL, a database of its own is created
     and dropped, which needs CREATEDB)
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from rich.table import Table

from registration import console, drop_database, fresh_database
from simreg.adapters.identity_authority_http import HttpIdentityAuthority
from simreg.core.clock import SystemClock
from simreg.core.crypto import IdentityVault, decode_master_key, generate_master_key
from simreg.db.engine import make_engine
from simreg.db.identity_check_store import SqlIdentityCheckStore
from simreg.db.migrate import upgrade
from simreg.identity.authority import CheckPurpose, CheckResult
from simreg.identity.verification import CachedIdentityVerifier
from simreg.simulators.identity_authority import Person, person

SEED = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def simulator(population: int) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "simreg.cli", "identity-authority", "serve"),
            *("--port", str(port), "--population", str(population), "--seed", str(SEED)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("the simulator did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def timed(checks: list[Person], ask: Callable[[Person], CheckResult]) -> float:
    started = time.perf_counter()
    for resident in checks:
        if ask(resident) is not CheckResult.MATCH:
            raise SystemExit("a resident was not matched: the run is not measuring answers")
    return len(checks) / (time.perf_counter() - started)


def run(url: str, database_url: str, checks: list[Person]) -> dict[str, float]:
    rates: dict[str, float] = {}
    with httpx.Client(base_url=url) as raw:

        def post(resident: Person) -> CheckResult:
            body = {"document_number": resident.document_number, "name": resident.name}
            return CheckResult(raw.post("/v1/verify", json=body).json()["result"])

        timed(checks[:50], post)  # connections and the server warmed up
        rates["raw"] = timed(checks, post)
    adapter = HttpIdentityAuthority(url, retries=0)
    rates["adapter"] = timed(checks, lambda p: adapter.verify(p.document_number, p.name).result)
    engine = make_engine(database_url)
    upgrade(engine)
    vault = IdentityVault(decode_master_key(generate_master_key()))
    store = SqlIdentityCheckStore(engine)
    clock = SystemClock()
    uncached = CachedIdentityVerifier(adapter, store, vault, clock, cache_seconds=0)
    rates["verifier"] = timed(
        checks,
        lambda p: uncached.check(p.document_number, p.name, CheckPurpose.ONLINE_ORDER).result,
    )
    cached = CachedIdentityVerifier(adapter, store, vault, clock, cache_seconds=3600)
    rates["cached"] = timed(
        checks,
        lambda p: cached.check(p.document_number, p.name, CheckPurpose.ONLINE_ORDER).result,
    )
    adapter.close()
    engine.dispose()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    checks = [person(SEED, i) for i in range(args.checks)]
    created = ""
    if args.database_url:
        created = f"bench_identity_{uuid.uuid4().hex[:8]}"
        database_url = fresh_database(args.database_url, created)
    else:
        database_url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    try:
        with simulator(args.checks) as url:
            rates = run(url, database_url, checks)
    finally:
        if created:
            drop_database(args.database_url, created)
    table = Table("path", "checks/s", "time vs raw", title=f"{args.checks} identity checks")
    for path, rate in rates.items():
        table.add_row(path, f"{rate:,.0f}", f"{rates['raw'] / rate:.2f}x")
    console.print(table)
    console.print(f"database: {make_engine(database_url).dialect.name}")


if __name__ == "__main__":
    main()
