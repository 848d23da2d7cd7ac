"""Report tables: what a cell shows and what its CSV cell holds."""

from __future__ import annotations

import pytest

from simreg.core.spreadsheet import formula_safe
from simreg.reporting.domain import Ratio
from simreg.web.pages.reports_tables import (
    Column,
    ReportTable,
    count,
    ratio,
    seconds,
    text,
)


@pytest.mark.parametrize("typed", ["=1+1", "+86 137", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_text_a_spreadsheet_would_run_is_quoted(typed: str) -> None:
    assert formula_safe(typed) == "'" + typed


def test_plain_text_and_numbers_are_left_alone() -> None:
    assert formula_safe("K1 · =County") == "K1 · =County"
    assert formula_safe(-5) == -5  # a number is never a formula
    assert formula_safe(None) is None


def test_cells() -> None:
    shown = ratio(Ratio(10, 17))
    assert (shown.text, shown.value, shown.detail) == ("58.8%", 58.82, "10 / 17")
    empty = ratio(Ratio(0, 0))
    assert (empty.text, empty.value, empty.detail) == ("—", None, "0 / 0")
    assert ratio(None).text == "—"
    assert (count(1234567).text, count(1234567).value) == ("1,234,567", 1234567)
    assert (seconds(2100).text, seconds(3725.4).text, seconds(None).text) == (
        "0:35:00",
        "1:02:05",
        "—",
    )


def test_a_ratio_column_is_three_csv_columns() -> None:
    table = ReportTable(
        "t",
        (Column("name", "Name"), Column("rate", "Rate", numeric=True, ratio=True)),
        ((text("A"), ratio(Ratio(1, 4))), (text("B"), ratio(None))),
        total=(text("Total"), ratio(Ratio(1, 4))),
    )
    assert table.csv_rows() == [
        ["Name", "Rate (%)", "Rate: n", "Rate: N"],
        ["A", 25.0, 1, 4],
        ["B", "", "", ""],
        ["Total", 25.0, 1, 4],
    ]
