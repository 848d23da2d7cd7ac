"""The command line's consoles.

Output to a terminal fits the screen. Output to a pipe or a file is bound by no screen: a
script reading `simreg sms status | grep ...` must see whole rows, so tables keep every column
in full on one line whatever the terminal it was started from (or a stray COLUMNS) says. Rich
alone would wrap such output at the width found when the module was imported, 80 by default.
"""

from __future__ import annotations

from rich.console import Console, ConsoleDimensions

# Wide enough for any row the commands print; a table only takes the width it needs.
PIPED_WIDTH = 1000


class CliConsole(Console):
    """A rich console that decides at each print whether it writes to a terminal: the same
    module-level console serves a terminal, a pipe and a test runner's captured stdout."""

    @property
    def size(self) -> ConsoleDimensions:
        measured = super().size
        if self.is_terminal:
            return measured
        return ConsoleDimensions(PIPED_WIDTH, measured.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]
