"""``simreg base``: the legacy subscriber base (issue 5)."""

from __future__ import annotations

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

from simreg.adapters.base_files import open_base_file
from simreg.bootstrap import Simreg, master_key
from simreg.cli.console import CliConsole
from simreg.cli.context import DatabaseUrl, DataDir, fail, opened
from simreg.core.errors import DomainError
from simreg.db.base_import import SqlBaseImportTransaction
from simreg.db.unit_of_work import SqlUnitOfWork
from simreg.legacy.importing import (
    DEFAULT_CHUNK_SIZE,
    BaseImportService,
    ImportReport,
    ImportTotals,
    default_rejects_path,
)

base_app = typer.Typer(help="The legacy subscriber base: import it.", no_args_is_help=True)
console = CliConsole()
err = CliConsole(stderr=True)


def base_import_service(simreg: Simreg) -> BaseImportService:
    return BaseImportService(
        uow=SqlUnitOfWork(simreg.engine, SqlBaseImportTransaction),
        master_key=master_key(simreg.settings),
        clock=simreg.clock,
    )


class _RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("—" if speed is None else f"{speed:,.0f} rows/s", style="progress.data.speed")


@base_app.command("import")
def import_base(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet")],
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="reject report; default: FILE.rejects.csv"),
    ] = None,
    chunk_size: Annotated[
        int,
        typer.Option("--chunk-size", min=1, max=1_000_000, help="rows per transaction"),
    ] = DEFAULT_CHUNK_SIZE,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="processes checking rows")
    ] = 1,
    bulk: Annotated[
        bool | None,
        typer.Option(
            "--bulk/--no-bulk",
            help="take lines' non-unique indexes and foreign keys off during the load and "
            "rebuild them at the end (ADR 0011: a brief exclusive lock on lines, queries on it "
            "slower until the end); default: when the file has 100,000 rows or more and at "
            "least as many as the lines already there",
            show_default=False,
        ),
    ] = None,
    encoding: Annotated[
        str,
        typer.Option(
            "--encoding",
            help="CSV text encoding: auto (UTF-8, else GB18030/GBK as Excel on Chinese "
            "Windows saves it, judged on the first megabyte), utf-8, or gb18030 (gbk too)",
        ),
    ] = "auto",
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Import the legacy base (msisdn, iccid, imsi, kind, state, opened_on, channel_code,
    doc_type, doc_number, holder_name). Re-running a file changes nothing; a run stopped
    half-way is finished by running it again."""
    reject_path = rejects or default_rejects_path(file)
    try:
        source = open_base_file(file, encoding.lower().replace("gbk", "gb18030"))
    except DomainError as error:
        fail(error)
    with (
        opened(database_url, data_dir) as simreg,
        Progress(
            TextColumn("importing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            _RowsPerSecond(),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        ) as bar,
    ):
        task = bar.add_task(source.name, total=source.total_rows or None)

        def moved(totals: ImportTotals) -> None:
            bar.update(task, completed=totals.read)

        report = base_import_service(simreg).run(
            source,
            rejects=reject_path,
            chunk_size=chunk_size,
            workers=workers,
            progress=moved,
            bulk=bulk,
        )
        # The total was counted in lines; quoted fields may span lines, so end on the rows read.
        bar.update(task, total=report.totals.read, completed=report.totals.read)
        # The report pages read line-state figures from today's census (ADR 12): retaken
        # now, so they show the imported base at once rather than at the next hourly census.
        census = simreg.reports.take_census(None) if report.totals.loaded else None
    _summary(report)
    if census is not None:
        console.print(
            f"today's census retaken for the reports: {census.lines_in_service:,} lines in "
            f"service ({census.elapsed_ms / 1000:.1f} s)",
            highlight=False,
        )


def _summary(report: ImportReport) -> None:
    totals = report.totals
    table = Table(title=f"Import of {report.file_name} (run {report.run_id})")
    table.add_column("rows")
    table.add_column("count", justify="right")
    share = totals.verified_share
    for label, value in (
        ("read", f"{totals.read:,}"),
        ("loaded", f"{totals.loaded:,}"),
        ("unchanged (already there)", f"{totals.unchanged:,}"),
        ("rejected", f"{totals.rejected:,}"),
        ("identity invalid (kept, legacy-unverified)", f"{totals.identity_invalid:,}"),
        ("verified share", "—" if share is None else f"{share:.1%}"),
    ):
        table.add_row(label, value)
    console.print(table)
    rate = totals.read / report.seconds if report.seconds else 0.0
    console.print(f"{report.seconds:.1f} s, {rate:,.0f} rows/s", highlight=False)
    if report.bulk:
        console.print("bulk-load mode: lines' indexes and foreign keys rebuilt after the load")
    if totals.rejected:
        console.print(f"rejected rows, with line and reason: {report.rejects}", highlight=False)
