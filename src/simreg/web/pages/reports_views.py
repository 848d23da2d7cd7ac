"""What the report pages show, built from the report service's results: the tables (shared
with their CSV downloads) and the charts' data (read by static/reports.js)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from simreg.reporting.domain import Figure, FigureRow, FigureTable, Grain, Level, Series
from simreg.reporting.events import (
    COMPLIANCE_COUNTS,
    FUNNEL_STEPS,
    ComplianceReport,
    ComplianceRow,
    FunnelReport,
    OverLimitReport,
    ReviewTimes,
    WaitingTimes,
)
from simreg.web.pages.reports_tables import (
    Cell,
    ReportTable,
    columns,
    count,
    ratio,
    seconds,
    text,
)

FIGURE_COLUMNS = (
    Figure.REAL_NAME_RATE,
    Figure.NEW_CUSTOMER_RATE,
    Figure.APP_DEPLOYMENT_RATE,
    Figure.APP_REGISTRATION_SHARE,
)


@dataclass(frozen=True)
class Labels:
    """The label dictionaries of ``reports/_labels.html`` in one language."""

    columns: Mapping[str, str]
    levels: Mapping[str, str]
    rows: Mapping[str, str]
    figures: Mapping[str, str]
    grains: Mapping[str, str]
    views: Mapping[str, str]
    chart: Mapping[str, str]

    @classmethod
    def of(cls, module: Any) -> Labels:
        def read(name: str) -> dict[str, str]:
            return {str(k): str(v) for k, v in getattr(module, name).items()}

        return cls(
            read("column_labels"),
            read("level_labels"),
            read("row_labels"),
            read("figure_labels"),
            read("grain_labels"),
            read("view_labels"),
            read("chart_texts"),
        )


def row_label(row: FigureRow, labels: Labels) -> str:
    if row.level is Level.UNASSIGNED:
        return labels.rows["unassigned"]
    if row.level is Level.KIND:
        return labels.rows.get(row.key or "", row.label)
    if row.level is Level.OUTLET and row.key is None:
        return labels.rows["no_outlet"]
    if row.key and row.label and row.label != row.key:
        return f"{row.key} · {row.label}"
    return row.label or (row.key or "")


def figure_table(
    table: FigureTable, labels: Labels, view: str, as_of_query: Mapping[str, str]
) -> ReportTable:
    """One row per unit, channel, outlet or line kind: lines in service by real-name class
    and every figure, each linked one level down where there is one."""
    spec = [(f"name_{view}", "text"), ("level", "text")]
    spec += [(c, "count") for c in ("in_service", "verified", "legacy_unverified")]
    spec += [(c, "count") for c in ("reverification_pending",)]
    spec += [(f.value, "ratio") for f in FIGURE_COLUMNS]
    rows = []
    for row in table.rows:
        link = None
        if row.drillable and row.key:
            link = "/reports/breakdown?" + urlencode(
                {**as_of_query, "view": view, "parent": row.key}
            )
        rows.append(_figure_cells(row, row_label(row, labels), labels, link))
    total = (
        text(labels.rows["total"]),
        text(""),
        *_figure_cells(table.total, "", labels, None)[2:],
    )
    return ReportTable(
        name="figures",
        columns=columns(labels.columns, spec),
        rows=tuple(rows),
        total=total,
        keys=tuple(row.key or "" for row in table.rows),
    )


def _figure_cells(row: FigureRow, label: str, labels: Labels, link: str | None) -> tuple[Cell, ...]:
    lines = row.lines
    return (
        text(label, link),
        text(labels.levels.get(row.level.value, row.level.value)),
        count(lines.in_service if lines else None),
        count(lines.verified if lines else None),
        count(lines.legacy_unverified if lines else None),
        count(lines.reverification_pending if lines else None),
        *(ratio(row.figures.get(f)) for f in FIGURE_COLUMNS),
    )


def rows_chart(table: FigureTable, labels: Labels) -> dict[str, Any]:
    """A bar per row of the drill-down: the real-name rate, or, where rows are outlets (the
    census counts no outlets), the share of registrations through the app."""
    figure = Figure.REAL_NAME_RATE
    if all(Figure.REAL_NAME_RATE not in row.figures for row in table.rows):
        figure = Figure.APP_REGISTRATION_SHARE
    values = []
    for row in table.rows:
        found = row.figures.get(figure)
        rate = found.rate if found else None
        values.append(round(rate * 100, 2) if rate is not None else None)
    return {
        "kind": "bar",
        "title": labels.figures[figure.value],
        "categories": [row_label(row, labels) for row in table.rows],
        "series": [{"name": labels.figures[figure.value], "data": values}],
        "axis": labels.chart["rate"],
        "empty": labels.chart["empty"],
    }


def bucket_label(start: str, end: str, grain: Grain) -> str:
    if grain is Grain.MONTH:
        return start[:7]
    if grain is Grain.WEEK:
        return f"{start}–{end[5:]}"
    return start


def series_chart(series: Series, labels: Labels) -> dict[str, Any]:
    name = labels.figures[series.figure.value]
    categories: list[str] = []
    lines = []
    for line in series.lines:
        categories = [
            bucket_label(p.period.start.isoformat(), p.period.end.isoformat(), series.grain)
            for p in line.points
        ]
        data = []
        for point in line.points:
            rate = point.value.rate if point.value else None
            data.append(round(rate * 100, 2) if rate is not None else None)
        lines.append({"name": name if len(series.lines) == 1 else line.label, "data": data})
    return {
        "kind": "line",
        "title": f"{name} · {labels.grains[series.grain.value]}",
        "categories": categories,
        "series": lines,
        "axis": labels.chart["rate"],
        "empty": labels.chart["empty"],
    }


def series_table(series: Series, labels: Labels) -> ReportTable:
    spec = [("period", "text"), (series.figure.value, "ratio")]
    if series.figure.from_census:
        spec.append(("census_day", "text"))
    rows = []
    line = series.lines[0] if series.lines else None
    for point in line.points if line else ():
        label = bucket_label(
            point.period.start.isoformat(), point.period.end.isoformat(), series.grain
        )
        cells: tuple[Cell, ...] = (text(label), ratio(point.value))
        if series.figure.from_census:
            census = point.census_day.isoformat() if point.census_day else None
            cells += (text(census) if census else Cell("—", None),)
        rows.append(cells)
    return ReportTable("series", columns(labels.columns, spec), tuple(rows))


# -- event reports ----------------------------------------------------------------------------


def _waits(times: WaitingTimes) -> tuple[Cell, ...]:
    return (
        count(times.decided),
        count(times.approved),
        count(times.rejected),
        seconds(times.median_seconds),
        seconds(times.p95_seconds),
        seconds(times.max_seconds),
    )


def review_table(report: ReviewTimes, labels: Labels) -> ReportTable:
    spec = [("reviewer", "text")]
    spec += [(c, "count") for c in ("decided", "approved", "rejected")]
    spec += [(c, "count") for c in ("median_seconds", "p95_seconds", "max_seconds")]
    rows = tuple((text(r.reviewer), *_waits(r.times)) for r in report.per_reviewer)
    total = (text(labels.rows["total"]), *_waits(report.overall))
    return ReportTable("review-times", columns(labels.columns, spec), rows, total)


def over_limit_table(
    report: OverLimitReport, labels: Labels, doc_types: Mapping[str, str], local: Any
) -> ReportTable:
    spec = [
        ("case_id", "count"),
        ("doc_type", "text"),
        ("doc_masked", "text"),
        ("held_when_found", "count"),
        ("found_at", "text"),
    ]
    rows = tuple(
        (
            count(d.case_id),
            text(doc_types.get(d.doc_type, d.doc_type)),
            text(d.doc_masked),
            count(d.held_when_found),
            text(local(d.found_at)),
        )
        for d in report.documents
    )
    return ReportTable("over-limit", columns(labels.columns, spec), rows)


def funnel_table(report: FunnelReport, labels: Labels) -> ReportTable:
    spec = [("campaign", "text"), *((step, "count") for step in FUNNEL_STEPS)]
    rows = tuple(
        (text(c.name), *(count(c.steps.get(step, 0)) for step in FUNNEL_STEPS))
        for c in report.campaigns
    )
    total = (
        text(labels.rows["all_campaigns"]),
        *(count(report.total.steps.get(step, 0)) for step in FUNNEL_STEPS),
    )
    return ReportTable("funnel", columns(labels.columns, spec), rows, total)


def compliance_table(report: ComplianceReport, labels: Labels) -> ReportTable:
    spec = [("channel", "text"), ("org_unit", "text"), *((c, "count") for c in COMPLIANCE_COUNTS)]

    def cells(row: ComplianceRow, label: str) -> tuple[Cell, ...]:
        return (
            text(label),
            text(row.org_unit),
            *(count(row.counts.get(c, 0)) for c in COMPLIANCE_COUNTS),
        )

    rows = tuple(
        cells(r, f"{r.key} · {r.label}" if r.key != r.label else r.label)
        for r in report.per_channel
    )
    total = cells(report.total, labels.rows["total"])
    return ReportTable(
        "compliance",
        columns(labels.columns, spec),
        rows,
        total,
        keys=tuple(r.key or "" for r in report.per_channel),
    )
