"""``simreg demo-data``: a synthetic province (org units, channels, outlets) in the database
and a legacy base file of its lines, ready for ``simreg base import``."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url

from simreg.cli.console import CliConsole
from simreg.cli.context import DatabaseUrl, DataDir, fail, opened
from simreg.core.errors import DomainError
from simreg.demo.base_generator import BaseSummary, write_base
from simreg.demo.base_identities import PERSON_SPACE
from simreg.demo.province import ProvinceReport, create_province

console = CliConsole()
err = CliConsole(stderr=True)

# Every person's document is distinct only while there are fewer people than this.
MAX_LINES = min(20_000_000, PERSON_SPACE // 2)


class _LinesPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} lines/s", style="progress.data.speed")


def demo_data(
    lines: Annotated[
        int, typer.Option("--lines", min=1, max=MAX_LINES, help="lines in the base file")
    ] = 1_000_000,
    out: Annotated[
        Path, typer.Option("--out", help="the base file to write: .parquet or .csv")
    ] = Path("simreg-base.parquet"),
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="same seed, same province and file")
    ] = 2013,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Create a synthetic province (cities, counties, own halls, resellers, an online shop)
    in the database and write a legacy base of its lines: about 70% with valid identities,
    25% without any, a few percent with broken ones, some IDs over the per-ID limit."""
    if out.suffix.lower() not in (".parquet", ".csv"):
        err.print("[red]DEMO-FORMAT[/red]: --out must end in .parquet or .csv")
        raise typer.Exit(2)
    with opened(database_url, data_dir) as simreg:
        province = create_province(simreg, seed)
        per_id_limit = simreg.settings.per_id_limit
    _show_province(province)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with Progress(
            TextColumn("writing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _LinesPerSecond(),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task(out.name, total=lines)
            summary = write_base(
                out,
                lines,
                seed,
                province.network.channel_codes,
                own_channels=province.network.own_channel_codes,
                per_id_limit=per_id_limit,
                progress=lambda done: bar.advance(task, done),
            )
    except DomainError as error:
        fail(error)
    _show_summary(summary)
    console.print("\nNext, load it:", highlight=False)
    console.print(
        f"  {_import_command(out, database_url, data_dir)}", highlight=False, soft_wrap=True
    )


def _show_province(report: ProvinceReport) -> None:
    network = report.network
    units = network.org_units
    outlets = sum(len(c.outlets) for c in network.channels)
    created = (
        f"{report.created_channels} channels, {report.created_outlets} outlets and "
        f"{report.created_devices} app devices created"
        if report.created_channels or report.created_outlets or report.created_devices
        else "already in the database"
    )
    console.print(
        f"Province {units[0].name} ({units[0].code}): "
        f"{sum(u.level == 'city' for u in units)} cities, "
        f"{sum(u.level == 'county' for u in units)} counties, "
        f"{len(network.channels)} channels ({len(network.own_channel_codes)} own halls), "
        f"{outlets} outlets; {created}",
        highlight=False,
        soft_wrap=True,
    )


def _show_summary(s: BaseSummary) -> None:
    size = s.path.stat().st_size / 1e6
    rate = s.lines / s.seconds if s.seconds else 0.0
    console.print(
        f"Wrote {s.lines:,} lines to {s.path} ({size:,.1f} MB) in {s.seconds:.1f} s "
        f"({rate:,.0f} lines/s)",
        highlight=False,
        soft_wrap=True,
    )
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)

    def share(count: int) -> str:
        return f"{count:,} ({count / s.lines:.1%})"

    invalid = sum(s.invalid_identity.values())
    suspended = s.states["suspended_one_way"] + s.states["suspended_two_way"]
    table.add_row("voice / data", f"{s.kinds['voice']:,} / {s.kinds['data']:,}")
    table.add_row("active", share(s.states["active"]))
    table.add_row("suspended / cancelled", f"{suspended:,} / {s.states['cancelled']:,}")
    table.add_row("valid identity", share(s.valid_identity))
    table.add_row("  other documents, own halls", f"{s.other_documents:,}")
    table.add_row("no identity (legacy)", share(s.no_identity))
    table.add_row("invalid identity", share(invalid))
    for code, count in s.invalid_identity.items():
        table.add_row(f"  {code}", f"{count:,}")
    table.add_row(f"documents over the limit of {s.per_id_limit}", f"{s.over_limit_documents:,}")
    table.add_row("  lines they hold", f"{s.over_limit_lines:,}")
    table.add_row(
        "expected real-name rate",
        f"{s.real_name_rate:.1%} of lines in service (active or suspended), as the reports count",
    )
    console.print(table)


def _import_command(path: Path, database_url: str | None, data_dir: Path | None) -> str:
    words = ["simreg", "base", "import", str(path)]
    if database_url:
        # Shown on screen: the password stays out of it.
        words += ["--database-url", make_url(database_url).render_as_string(hide_password=True)]
    if data_dir:
        words += ["--data-dir", str(data_dir)]
    return shlex.join(words)
