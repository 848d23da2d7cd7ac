"""Periods, series buckets, ratios and parsing of the reporting domain."""

from __future__ import annotations

from datetime import date

import pytest

from simreg.core.errors import InvalidInput
from simreg.reporting.domain import Dimension, Grain, LineCounts, Period, Ratio


def test_a_month_is_its_calendar_days() -> None:
    assert Period.parse_month("2024-02") == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert Period.parse_month(" 2026-12 ").days == 31
    for bad in ("2026-13", "March", "2026/03", ""):
        with pytest.raises(InvalidInput):
            Period.parse_month(bad)


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidInput) as refused:
        Period(date(2026, 3, 2), date(2026, 3, 1))
    assert refused.value.code == "REPORT-PERIOD"


def test_buckets_are_clipped_calendar_periods() -> None:
    period = Period(date(2026, 2, 26), date(2026, 3, 3))  # Thursday to Tuesday
    assert [b.start.day for b in period.buckets(Grain.DAY)] == [26, 27, 28, 1, 2, 3]
    assert period.buckets(Grain.WEEK) == [
        Period(date(2026, 2, 26), date(2026, 3, 1)),  # ISO week ends on Sunday
        Period(date(2026, 3, 2), date(2026, 3, 3)),
    ]
    assert period.buckets(Grain.MONTH) == [
        Period(date(2026, 2, 26), date(2026, 2, 28)),
        Period(date(2026, 3, 1), date(2026, 3, 3)),
    ]
    assert Grain.WEEK.start_of(date(2026, 2, 26)) == date(2026, 2, 23)
    assert Grain.MONTH.start_of(date(2026, 2, 26)) == date(2026, 2, 1)


def test_ratios_keep_their_parts_and_add_up() -> None:
    assert Ratio(0, 0).rate is None
    assert Ratio(1, 3) + Ratio(1, 1) == Ratio(2, 4)
    assert Ratio(2, 3).as_dict() == {"numerator": 2, "denominator": 3, "rate": 0.666667}
    counts = LineCounts(10, 7, 2, 1, 3) + LineCounts(5, 5, 0, 0, 0)
    assert counts.real_name == Ratio(12, 15)
    assert counts.as_dict()["suspended"] == 3


def test_dimensions_read_as_typed() -> None:
    assert Dimension.parse("org-unit") is Dimension.ORG_UNIT
    assert Dimension.parse("Kind") is Dimension.KIND
    with pytest.raises(InvalidInput) as refused:
        Dimension.parse("colour")
    assert refused.value.code == "REPORT-DIMENSION"
