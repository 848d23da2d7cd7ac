"""What a figures table says about a day without a census (ADR 12)."""

from __future__ import annotations

from datetime import date

from simreg.reporting.census_gap import BEFORE_FIRST_CENSUS, NO_CENSUS_ON_DAY, CensusGap


def test_a_gap_after_the_first_census_names_the_nearest_earlier_one() -> None:
    gap = CensusGap.for_day(date(2026, 3, 17), date(2026, 3, 15), None)
    assert gap.code == NO_CENSUS_ON_DAY
    assert gap.as_dict()["nearest_before"] == "2026-03-15"
    assert "2026-03-15" in gap.message and "2026-03-15" in gap.message_zh


def test_a_day_before_any_census_cannot_be_reconstructed() -> None:
    gap = CensusGap.for_day(date(2026, 1, 1), None, date(2026, 3, 15))
    assert gap.code == BEFORE_FIRST_CENSUS
    assert gap.first_census == date(2026, 3, 15)
    assert "cannot be reconstructed" in gap.message and "无法还原" in gap.message_zh
    none_yet = CensusGap.for_day(date(2026, 1, 1), None, None)
    assert none_yet.first_census is None and "No census has been taken yet" in none_yet.message
