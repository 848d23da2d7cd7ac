"""`simreg identity-authority serve`: the identity-authority simulator as a service of its own;
`simreg identity retry-pending`: check again what waits on an unavailable authority."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simreg.cli.console import CliConsole
from simreg.cli.context import DatabaseUrl, DataDir, opened
from simreg.cli.identity_retry_clock import retry_pending_checks
from simreg.simulators.identity_authority.app import Behaviour, SimulatedAuthority
from simreg.simulators.identity_authority.population import (
    MAX_POPULATION,
    Population,
    read_people,
)
from simreg.simulators.identity_authority.server import serve_forever

identity_authority_app = typer.Typer(
    help="A simulator of the identity authority (RN-10) for demos and tests.",
    no_args_is_help=True,
)
identity_app = typer.Typer(help="Identity-authority checks.", no_args_is_help=True)
console = CliConsole()
err = CliConsole(stderr=True)


@identity_authority_app.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8700,
    population: Annotated[
        int, typer.Option(min=0, max=MAX_POPULATION, help="generated residents")
    ] = 10_000,
    seed: Annotated[int, typer.Option(min=0, help="the same seed gives the same residents")] = 0,
    people: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="CSV of doc_number,name: residents added by name"
        ),
    ] = None,
    latency_ms: Annotated[int, typer.Option(min=0, help="delay before every answer")] = 0,
    failure_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="share of requests that fail")
    ] = 0.0,
    failure_mode: Annotated[
        str, typer.Option(help="error: HTTP 503 at once; hang: no answer for --hang-seconds")
    ] = "error",
    hang_seconds: Annotated[float, typer.Option(min=0)] = 30.0,
    token: Annotated[
        str,
        typer.Option(envvar="SIMREG_IDENTITY_AUTHORITY_TOKEN", help="bearer token required"),
    ] = "",
) -> None:
    """Serve the simulated identity authority: POST /v1/verify, GET /health, and
    /admin/behaviour to change latency and failures while it runs."""
    if failure_mode not in ("error", "hang"):
        err.print("[red]--failure-mode must be error or hang[/red]")
        raise typer.Exit(2)
    residents = Population(seed=seed, size=population)
    added = residents.add(read_people(people)) if people else 0
    authority = SimulatedAuthority(
        residents,
        Behaviour(
            latency_ms=latency_ms,
            failure_rate=failure_rate,
            failure_mode="hang" if failure_mode == "hang" else "error",
            hang_seconds=hang_seconds,
        ),
        token=token,
        seed=seed,
    )
    console.print(
        f"identity authority (simulator) on http://{host}:{port}: {len(residents)} residents "
        f"(seed {seed}, {added} named), latency {latency_ms} ms, failure rate {failure_rate:g} "
        f"({failure_mode}); Ctrl-C stops",
        highlight=False,
        soft_wrap=True,
    )
    serve_forever(authority, host, port)


@identity_app.command("retry-pending")
def retry_pending(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Check again, once, every registration waiting on an unavailable identity authority
    (`simreg serve` does this every SIMREG_IDENTITY_RETRY_SECONDS)."""
    with opened(database_url, data_dir) as simreg:
        retried = retry_pending_checks(simreg)
    where = simreg.settings.identity_authority_url or "no identity authority configured"
    console.print(f"retried {retried} waiting checks ({where})", highlight=False)
