"""The tables of the report pages, built once and shown two ways: as an HTML table (sortable
in the browser) and as a CSV download of the very same rows.

A cell carries the text shown and the value sorting and the CSV use; a ratio's CSV cells are
the rate in percent, the numerator and the denominator, so a spreadsheet can check the
arithmetic. Labels come from ``reports/_labels.html`` in the page's language, so the
translation check sees them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from fastapi.responses import Response

from simreg.core.spreadsheet import formula_safe
from simreg.reporting.domain import Ratio

CellValue = int | float | str | None


@dataclass(frozen=True)
class Cell:
    text: str
    value: CellValue
    detail: str = ""  # shown small beside the text: a ratio's parts
    link: str | None = None  # drill-down
    ratio: Ratio | None = None
    as_text_in_csv: bool = False  # a duration: sorted by seconds, written as shown


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False
    ratio: bool = False


@dataclass(frozen=True)
class ReportTable:
    name: str  # the table's id on the page and the CSV file's name
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: tuple[Cell, ...] | None = None  # kept under the rows whatever the sort
    keys: tuple[str, ...] = field(default=())  # a data attribute per row, for tests and links

    def csv_rows(self) -> list[list[CellValue]]:
        header: list[CellValue] = []
        for column in self.columns:
            if column.ratio:
                header += [f"{column.label} (%)", f"{column.label}: n", f"{column.label}: N"]
            else:
                header.append(column.label)
        out = [header]
        for row in (*self.rows, *([self.total] if self.total else [])):
            line: list[CellValue] = []
            for column, cell in zip(self.columns, row, strict=True):
                if column.ratio:
                    ratio = cell.ratio
                    line += [cell.value, ratio.numerator, ratio.denominator] if ratio else [""] * 3
                else:
                    line.append(cell.text if cell.as_text_in_csv else cell.value)
            out.append(line)
        return out


def csv_download(table: ReportTable, filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in table.csv_rows():
        writer.writerow([formula_safe(value) for value in row])
    # A BOM so spreadsheet programs read the Chinese labels as UTF-8. Never cached, like the
    # monthly files: a table may list masked documents, and today's figures change.
    return Response(
        content="\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


# -- cells ------------------------------------------------------------------------------------


def text(value: str | None, link: str | None = None) -> Cell:
    return Cell(value or "", value or "", link=link)


def count(value: int | None) -> Cell:
    if value is None:
        return Cell("—", None)
    return Cell(f"{value:,}", value)


def ratio(value: Ratio | None) -> Cell:
    """A share as a percentage with its parts; no share (nothing counted) shows a dash."""
    if value is None:
        return Cell("—", None)
    rate = value.rate
    parts = f"{value.numerator:,} / {value.denominator:,}"
    if rate is None:
        return Cell("—", None, parts, ratio=value)
    return Cell(f"{rate * 100:.1f}%", round(rate * 100, 2), parts, ratio=value)


def seconds(value: float | None) -> Cell:
    """A waiting time as h:mm:ss (the same in both languages), in the CSV too: its header
    says h:mm:ss, and a spreadsheet reads the text as a duration. The page sorts by seconds."""
    if value is None:
        return Cell("—", None)
    whole = round(value)
    shown = f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
    return Cell(shown, round(value, 1), as_text_in_csv=True)


def day(value: date | None) -> Cell:
    return Cell(value.isoformat(), value.isoformat()) if value else Cell("—", None)


def columns(labels: Mapping[str, str], spec: Sequence[tuple[str, str]]) -> tuple[Column, ...]:
    """Columns from (key, kind) pairs; kind is text, count or ratio."""
    return tuple(
        Column(key, labels.get(key, key), numeric=kind != "text", ratio=kind == "ratio")
        for key, kind in spec
    )
