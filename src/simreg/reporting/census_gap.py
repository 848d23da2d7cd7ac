"""Why a day has no line-state figures, said so a reader can act on it (ADR 12).

A census counts the lines as they are when it is taken; lines keep no state history, so a
census for a past day cannot be made afterwards. A day without one therefore has no real-name
rate, and the table says which case it is: a gap after the first census (the nearest earlier
census is named) or a day before any census at all (the first census is named, if any).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

NO_CENSUS_ON_DAY = "REPORT-NO-CENSUS"
BEFORE_FIRST_CENSUS = "REPORT-BEFORE-FIRST-CENSUS"


@dataclass(frozen=True)
class CensusGap:
    code: str
    message: str
    message_zh: str
    nearest_before: date | None = None
    first_census: date | None = None  # the earliest census, when the day precedes it

    @classmethod
    def for_day(cls, day: date, before: date | None, first: date | None) -> CensusGap:
        if before is not None:
            return cls(
                NO_CENSUS_ON_DAY,
                f"No census was taken on {day.isoformat()}; the nearest earlier one is of "
                f"{before.isoformat()}. Line-state figures are shown only for days with a "
                "census.",
                f"{day.isoformat()} 未生成普查，最近一次为 {before.isoformat()}；"
                "号码状态类指标仅在有普查的日期提供。",
                nearest_before=before,
            )
        since = (
            f" The first census is of {first.isoformat()}."
            if first is not None
            else " No census has been taken yet."
        )
        since_zh = (
            f"首次普查为 {first.isoformat()}。" if first is not None else "尚未生成任何普查。"
        )
        return cls(
            BEFORE_FIRST_CENSUS,
            f"{day.isoformat()} is before the first census: line states keep no history, so "
            f"the real-name rates of that day cannot be reconstructed.{since}",
            f"{day.isoformat()} 早于首次普查：号码状态没有历史记录，无法还原当日实名率。{since_zh}",
            first_census=first,
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "message_zh": self.message_zh,
            "nearest_before": self.nearest_before.isoformat() if self.nearest_before else None,
            "first_census": self.first_census.isoformat() if self.first_census else None,
        }
