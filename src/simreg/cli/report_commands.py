"""`simreg report ...`: the compliance figures as a table or JSON, and the daily census for
cron. Reads act as the auditor role unless `--as` names a staff member; a census taken from
here is recorded as the system's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from simreg.bootstrap import Simreg
from simreg.cli.console import CliConsole
from simreg.cli.context import DatabaseUrl, DataDir, err, opened
from simreg.core.actors import Actor, Role
from simreg.db.over_limit_store import active_staff
from simreg.reporting.domain import (
    TABLE_FIGURES,
    Dimension,
    Figure,
    FigureTable,
    Grain,
    Period,
    Ratio,
)
from simreg.reporting.events import (
    FUNNEL_STEPS,
    WaitingTimes,
)
from simreg.reporting.monthly import ExportFormat, Language, parse_month

report_app = typer.Typer(help="Compliance figures, as of any day, and the daily census.")
console = CliConsole()
AsUser = Annotated[
    str | None, typer.Option("--as", help="staff member whose role reads the figures")
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="YYYY-MM-DD, end of that day (default: today)")
]
By = Annotated[str, typer.Option("--by", help="overall, org-unit, channel or kind")]
Parent = Annotated[
    str | None, typer.Option("--parent", help="org unit or channel code to drill into")
]
Month = Annotated[str, typer.Option("--month", help="YYYY-MM")]
SHORT = {
    Figure.REAL_NAME_RATE: "real-name",
    Figure.NEW_CUSTOMER_RATE: "new customers",
    Figure.APP_DEPLOYMENT_RATE: "app deployed",
    Figure.APP_REGISTRATION_SHARE: "via app",
}
# The terminal is the operator's own: without --as it reads as the auditor role does.
_READER = Actor(0, "cli", Role.AUDITOR)


@contextmanager
def _session(
    database_url: str | None, data_dir: Path | None, username: str | None
) -> Iterator[tuple[Simreg, Actor]]:
    with opened(database_url, data_dir) as simreg:
        actor = _READER
        if username:
            with simreg.engine.connect() as conn:
                found = active_staff(conn, username)
            if found is None:
                err.print(f"[red]STAFF-UNKNOWN[/red]: no active staff member {username!r}")
                raise typer.Exit(2)
            actor = found
        yield simreg, actor


def _day(raw: str | None, option: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        err.print(f"[red]INVALID_INPUT[/red]: {option} is a day written YYYY-MM-DD")
        raise typer.Exit(2) from None


def _emit(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _rate(ratio: Ratio | None) -> str:
    if ratio is None:
        return "—"
    rate = ratio.rate
    share = f"{rate * 100:.2f}%" if rate is not None else "—"
    return f"{share} ({ratio.numerator:,}/{ratio.denominator:,})"


@report_app.command("figures")
def figures(
    as_of: AsOf = None,
    by: By = "overall",
    parent: Parent = None,
    as_json: AsJson = False,
    username: AsUser = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Real-name rate, new-customer rate, app deployment and app share as of a day, overall
    or per org unit (drill down with --parent), channel or line kind."""
    day = _day(as_of, "--as-of")
    with _session(database_url, data_dir, username) as (simreg, actor):
        dimension = Dimension.parse(by)
        today = simreg.reports.today()
        # Without --as nobody is named to record a census under: the system takes it.
        if (
            actor is _READER
            and (day is None or day == today)
            and simreg.reports.census(actor, today) is None
        ):
            simreg.reports.take_census(None)
        table = simreg.reports.figures(actor, as_of=day, dimension=dimension, parent=parent)
    if as_json:
        _emit(table.as_dict())
        return
    _print_table(table)


def _print_table(table: FigureTable) -> None:
    if table.census is not None:
        c = table.census
        console.print(
            f"As of {table.as_of} (census taken {c.taken_at:%Y-%m-%d %H:%M} UTC, "
            f"{c.lines_in_service:,} lines in service); new customers since {table.cutoff}",
            highlight=False,
        )
    elif table.census_gap is not None:
        gap = table.census_gap
        console.print(f"{gap.code}: {gap.message}", highlight=False)
    else:
        nearest = table.nearest_census.isoformat() if table.nearest_census else "none"
        console.print(
            f"As of {table.as_of}: no census was taken that day (nearest earlier: {nearest}); "
            "real-name rates are not shown",
            highlight=False,
        )
    out = Table(
        title=f"Figures by {table.dimension.value}"
        + (f" under {table.parent}" if table.parent else "")
    )
    out.add_column("key", no_wrap=True)
    out.add_column("name")
    out.add_column("level")
    for figure in TABLE_FIGURES:
        out.add_column(SHORT[figure], justify="right")
    # By overall, the one row is the total already; every other view ends with its total.
    shown = table.rows if table.dimension is Dimension.OVERALL else (*table.rows, table.total)
    for row in shown:
        out.add_row(
            row.key or "—",
            row.label,
            row.level.value,
            *(_rate(row.figures.get(f)) for f in TABLE_FIGURES),
            style="bold" if row is table.total else None,
        )
    console.print(out)


@report_app.command("series")
def series(
    figure: Annotated[Figure, typer.Option("--figure")],
    start: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="YYYY-MM-DD")],
    grain: Annotated[Grain, typer.Option("--grain")] = Grain.MONTH,
    by: By = "overall",
    parent: Parent = None,
    as_json: AsJson = False,
    username: AsUser = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """One figure per day, ISO week or month over a range."""
    first, last = _day(start, "--from"), _day(end, "--to")
    assert first is not None and last is not None
    with _session(database_url, data_dir, username) as (simreg, actor):
        found = simreg.reports.series(
            actor, figure, grain, first, last, dimension=Dimension.parse(by), parent=parent
        )
    if as_json:
        _emit(found.as_dict())
        return
    out = Table(title=f"{figure.label_en} per {grain.value}")
    out.add_column("period", no_wrap=True)
    for line in found.lines:
        out.add_column(line.key or line.label, justify="right")
    for i, point in enumerate(found.lines[0].points if found.lines else ()):
        period = f"{point.period.start}..{point.period.end}"
        out.add_row(period, *(_rate(line.points[i].value) for line in found.lines))
    console.print(out)


@report_app.command("census")
def census(
    day: Annotated[
        str | None,
        typer.Option("--date", help="the day the census is for; only today is accepted"),
    ] = None,
    as_json: AsJson = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Count every line in service now and store it as today's census (replacing one taken
    earlier today). Run it daily from cron, late in the day, if `simreg serve` does not."""
    wanted = _day(day, "--date")
    with _session(database_url, data_dir, None) as (simreg, _actor):
        taken = simreg.reports.take_census(None, day=wanted)
    if as_json:
        _emit(taken.as_dict())
        return
    console.print(
        f"census of {taken.day}: {taken.lines_in_service:,} lines in service, "
        f"cut-off {taken.cutoff}, {taken.elapsed_ms:,} ms",
        highlight=False,
    )


def _times_row(name: str, t: WaitingTimes) -> list[str]:
    def minutes(value: float | None) -> str:
        return f"{value / 60:.1f}" if value is not None else "—"

    return [
        name,
        f"{t.decided:,}",
        f"{t.approved:,}",
        f"{t.rejected:,}",
        minutes(t.median_seconds),
        minutes(t.p95_seconds),
        minutes(t.max_seconds),
    ]


# --by for the event reports: not given means overall only (no breakdown rows).
ByRows = Annotated[
    str | None,
    typer.Option("--by", help="also per org-unit, channel or kind (what the report supports)"),
]


def _rows_dimension(by: str | None) -> Dimension | None:
    return Dimension.parse(by) if by else None


@report_app.command("review-times")
def review_times(
    month: Month,
    by: ByRows = None,
    parent: Parent = None,
    as_json: AsJson = False,
    username: AsUser = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Review decisions of a month and how long registrations waited for them (minutes):
    median and 95th percentile, overall and per reviewer; with --by, also per org unit or
    channel of the registration's outlet (drill down with --parent), or per line kind."""
    with _session(database_url, data_dir, username) as (simreg, actor):
        found = simreg.reports.review_times(
            actor, Period.parse_month(month), dimension=_rows_dimension(by), parent=parent
        )
    if as_json:
        _emit(found.as_dict())
        return
    out = Table(title=f"Review waiting times, {month} (minutes)")
    for name in ("reviewer", "decided", "approved", "rejected", "median", "p95", "max"):
        out.add_column(name, justify="left" if name == "reviewer" else "right")
    for r in found.per_reviewer:
        out.add_row(*_times_row(r.reviewer, r.times))
    out.add_row(*_times_row("all", found.overall), style="bold")
    console.print(out)
    if found.dimension is not None:
        rows = Table(title=f"Per {found.dimension.value}" + (f" under {parent}" if parent else ""))
        for name in ("row", "decided", "approved", "rejected", "median", "p95", "max"):
            rows.add_column(name, justify="left" if name == "row" else "right")
        for row in found.rows:
            rows.add_row(*_times_row(f"{row.key or '—'} {row.label}", row.times))
        console.print(rows)
    console.print(f"submitted {found.submitted:,}; waiting at month end {found.waiting_at_end:,}")


@report_app.command("over-limit")
def over_limit(
    as_of: AsOf = None,
    by: ByRows = None,
    parent: Parent = None,
    username: AsUser = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """RN-14 as of a day (JSON): cases found, resolved, open, and the open documents (masked);
    with --by org-unit or channel, also per row, each case at its home channel."""
    day = _day(as_of, "--as-of")
    with _session(database_url, data_dir, username) as (simreg, actor):
        found = simreg.reports.over_limit(actor, day, dimension=_rows_dimension(by), parent=parent)
        _emit(found.as_dict())


@report_app.command("funnel")
def funnel(
    as_of: AsOf = None,
    username: AsUser = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    day = _day(as_of, "--as-of")
    with _session(database_url, data_dir, username) as (simreg, actor):
        _emit(simreg.reports.campaign_funnel(actor, day).as_dict())


funnel.__doc__ = "RN-13 campaign funnels as of a day (JSON): " + ", ".join(FUNNEL_STEPS) + "."


@report_app.command("compliance")
def compliance(
    month: Month,
    by: ByRows = None,
    parent: Parent = None,
    username: AsUser = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Inspections, violations and penalties of a month, per channel (JSON); with --by
    org-unit, also per org unit down to channels (drill down with --parent)."""
    with _session(database_url, data_dir, username) as (simreg, actor):
        found = simreg.reports.compliance(
            actor, Period.parse_month(month), dimension=_rows_dimension(by), parent=parent
        )
        _emit(found.as_dict())


@report_app.command("monthly")
def monthly(
    month: Month,
    fmt: Annotated[str, typer.Option("--format", help="xlsx or pdf")] = "xlsx",
    lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="file to write (default: simreg-report-YYYY-MM.FORMAT here)"),
    ] = None,
    username: AsUser = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """The regulator's monthly report as XLSX or PDF: the figures as of the month's last day
    (today for the current month), their daily series, review times, over-limit IDs (masked),
    campaign funnel and channel compliance. Each export is audited."""
    with _session(database_url, data_dir, username) as (simreg, actor):
        export_format, language = ExportFormat.parse(fmt), Language.parse(lang)
        period = parse_month(month)
        today = simreg.reports.today()
        # The current month reads today's census; without --as the system takes it (as for
        # `report figures`), since the command line's reader is no staff member.
        if (
            actor is _READER
            and period.start <= today <= period.end
            and simreg.reports.census(actor, today) is None
        ):
            simreg.reports.take_census(None)
        export = simreg.monthly_reports.export(actor, month, export_format, language)
    target = out or Path(export.filename)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_bytes(export.content)
        partial.replace(target)  # a reader never sees half a report
    except OSError as error:
        partial.unlink(missing_ok=True)
        err.print(f"[red]REPORT-WRITE[/red]: cannot write {target}: {error.strerror}")
        raise typer.Exit(2) from None
    report = export.report
    if report.census is None:
        census = "no census on or before that day: real-name rates not available"
    elif report.census_exact:
        census = f"census of {report.census.day}"
    else:
        census = f"no census that day; nearest earlier census {report.census.day} used"
    console.print(
        f"{target}: {len(export.content):,} bytes; figures as of {report.as_of} ({census})",
        highlight=False,
    )
