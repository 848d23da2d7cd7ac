"""Text that people typed, written back into a CSV a spreadsheet will open.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) is
run as a formula by spreadsheet programs: a channel named ``=HYPERLINK(...)``, or a "number"
in an import file, must come back as the text it was. Such text gets a leading apostrophe.
"""

from __future__ import annotations

from typing import TypeVar

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")


def formula_safe(value: T) -> T | str:
    """``value`` itself, unless it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value
