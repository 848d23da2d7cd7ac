"""The monthly report for the regulator (issue 7): what one month's export holds.

Everything in it is read through `ReportService`, so the export shows the numbers the
dashboards and `/api/v1/reports` show for the same day. Line-state figures come from the
census of the month's last day, or the nearest earlier one, and the report names which
(ADR 12: a figure is never silently taken from another day).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from simreg.core.errors import InvalidInput
from simreg.reporting.domain import Census, Figure, FigureRow, Period, Ratio
from simreg.reporting.events import ComplianceReport, FunnelReport, OverLimitReport, ReviewTimes

# The daily chart and table of the report, in this order.
DAILY_FIGURES = (
    Figure.REAL_NAME_RATE,
    Figure.NEW_CUSTOMER_RATE,
    Figure.APP_DEPLOYMENT_RATE,
    Figure.APP_REGISTRATION_SHARE,
)


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    PDF = "pdf"

    @property
    def media_type(self) -> str:
        if self is ExportFormat.XLSX:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return "application/pdf"

    @classmethod
    def parse(cls, raw: str) -> ExportFormat:
        try:
            return cls(raw.strip().lower())
        except ValueError:
            raise InvalidInput(
                "A monthly report is exported as xlsx or pdf.",
                code="REPORT-FORMAT",
                message_zh="月报导出格式须为 xlsx 或 pdf。",
            ) from None


class Language(StrEnum):
    ZH = "zh"
    EN = "en"

    @classmethod
    def parse(cls, raw: str | None) -> Language:
        if raw is None or not raw.strip():
            return cls.ZH
        try:
            return cls(raw.strip().lower())
        except ValueError:
            raise InvalidInput(
                "A monthly report is written in zh or en.",
                code="REPORT-LANGUAGE",
                message_zh="月报语言须为 zh 或 en。",
            ) from None


def parse_month(raw: str) -> Period:
    """``YYYY-MM`` strictly (four-digit year, two-digit month), the whole calendar month."""
    text = raw.strip()
    if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
        raise InvalidInput(
            "A month is written YYYY-MM.",
            code="REPORT-MONTH",
            message_zh="月份格式为 YYYY-MM。",
        )
    return Period.parse_month(text)


@dataclass(frozen=True)
class DailyFigures:
    """One day of the month: each daily figure, None where the day has none (no census that
    day for the real-name rates)."""

    day: date
    figures: Mapping[Figure, Ratio | None]


@dataclass(frozen=True)
class OverLimitMonth:
    """RN-14 over the month: the state at its end, and what was found and resolved in it."""

    at_end: OverLimitReport
    found_before: int  # cases found before the month began
    resolved_before: int

    @property
    def found_in_month(self) -> int:
        return self.at_end.found - self.found_before

    @property
    def resolved_in_month(self) -> int:
        return self.at_end.resolved - self.resolved_before


@dataclass(frozen=True)
class MonthlyReport:
    """One month as the regulator reads it.

    ``as_of`` is the month's last day, or today while the month is still running
    (``complete`` False). ``census`` is the census the line-state figures were read from:
    that of ``as_of`` when ``census_exact``, else the nearest earlier one; None when no census
    was taken on or before ``as_of`` (the real-name rates are then absent, not zero).
    """

    month: str  # YYYY-MM
    period: Period
    as_of: date
    complete: bool
    cutoff: date
    census: Census | None
    census_exact: bool
    generated_at: datetime
    timezone: str
    operator: str
    overall: FigureRow
    org_units: tuple[FigureRow, ...]  # each top unit, then the units and channels under it
    channels: tuple[FigureRow, ...]
    kinds: tuple[FigureRow, ...]
    daily: tuple[DailyFigures, ...]
    review: ReviewTimes
    over_limit: OverLimitMonth
    funnel: FunnelReport
    compliance: ComplianceReport

    @property
    def covered(self) -> Period:
        """The days the event figures cover: the month, up to today while it runs."""
        return Period(self.period.start, self.as_of)

    @property
    def filename_stem(self) -> str:
        return f"simreg-report-{self.month}"

    def summary_counts(self) -> tuple[tuple[str, int], ...]:
        """The summary's plain counts, in the order both renderers show them, keyed by the
        label each looks up in its wording."""
        o, review = self.over_limit, self.review
        return (
            ("found_total", o.at_end.found),
            ("resolved_total", o.at_end.resolved),
            ("open", o.at_end.open),
            ("found_month", o.found_in_month),
            ("resolved_month", o.resolved_in_month),
            ("decided", review.overall.decided),
            ("submitted", review.submitted),
            ("waiting_at_end", review.waiting_at_end),
        )
