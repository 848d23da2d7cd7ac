"""What the monthly export needs from a file format: bytes for a report in a language."""

from __future__ import annotations

from typing import Protocol

from simreg.reporting.monthly import Language, MonthlyReport


class MonthlyRenderer(Protocol):
    def render(self, report: MonthlyReport, language: Language) -> bytes:
        """The whole file. The same report and language give the same bytes, so two exports
        of a past month can be compared byte for byte."""
        ...
