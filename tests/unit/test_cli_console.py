"""The command line's output: whole rows when piped, fitted to the screen on a terminal."""

from __future__ import annotations

import io
import re

from rich.table import Table

from simreg.cli.console import CliConsole

LONG = "campaign:12345:target:67890:sms"


def _table() -> Table:
    table = Table("id", "dedupe key", "MSISDN", "claimed at", "why", title="uncertain")
    table.add_row("7", LONG, "13800138000", "2026-03-01 10:00:00", "x" * 70)
    return table


def test_a_table_piped_out_keeps_every_row_on_one_line_whatever_columns_says() -> None:
    # COLUMNS=80 is what a pytest-xdist worker (and many shells) export.
    console = CliConsole(file=io.StringIO(), _environ={"COLUMNS": "80"})
    console.print(_table())
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    (row,) = (line for line in lines if LONG in line)
    assert "13800138000" in row and "2026-03-01 10:00:00" in row and "x" * 70 in row
    assert all("…" not in line for line in lines)


def test_a_terminal_still_gets_output_fitted_to_its_width() -> None:
    console = CliConsole(file=io.StringIO(), force_terminal=True, _environ={"COLUMNS": "60"})
    console.print(_table())
    shown = re.sub(r"\x1b\[[0-9;]*m", "", console.file.getvalue())  # type: ignore[attr-defined]
    lines = shown.splitlines()
    assert console.width == 60
    assert max(len(line) for line in lines if line.strip()) <= 60
