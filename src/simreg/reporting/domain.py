"""What a report is made of: figure names, dimensions, periods, ratios, and the census.

Two kinds of figures (ADR 12). Line-state figures (real-name rates) depend on the current
state of every line, which changes; they are made reproducible by a daily census that stores
the counts. Event figures are computed from timestamps that never change once written (a
device enrolled, a registration decided, a case found), so they are computed again for any
past date and come out the same.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from enum import StrEnum

from simreg.core.actors import Role
from simreg.core.errors import InvalidInput
from simreg.reporting.census_gap import CensusGap

# Who reads figures: the regulator's auditor, administrators, risk and channel management.
READERS = (Role.AUDITOR, Role.ADMIN, Role.RISK_ANALYST, Role.CHANNEL_MANAGER)
# Who may take (or refresh) today's census by hand; the daily clock takes it on its own.
CENSUS_TAKERS = READERS
DEFAULT_CUTOFF = date(2013, 9, 1)  # the national real-name rule (DOMAIN: new-customer rate)


class Figure(StrEnum):
    REAL_NAME_RATE = "real_name_rate"  # verified / lines in service (census)
    NEW_CUSTOMER_RATE = "new_customer_rate"  # the same over lines opened since the cut-off
    APP_DEPLOYMENT_RATE = "app_deployment_rate"  # active social channels with an enrolled device
    APP_REGISTRATION_SHARE = "app_registration_share"  # social-channel registrations via the app
    OVER_LIMIT_RESOLVED = "over_limit_resolved"  # RN-14 cases resolved / found

    @property
    def from_census(self) -> bool:
        return self in (Figure.REAL_NAME_RATE, Figure.NEW_CUSTOMER_RATE)

    @property
    def label_en(self) -> str:
        return _LABELS[self][0]

    @property
    def label_zh(self) -> str:
        return _LABELS[self][1]


_LABELS = {
    Figure.REAL_NAME_RATE: ("Real-name rate", "实名率"),
    Figure.NEW_CUSTOMER_RATE: ("New-customer real-name rate", "新增用户实名率"),
    Figure.APP_DEPLOYMENT_RATE: ("Real-name app deployment", "实名制APP部署率"),
    Figure.APP_REGISTRATION_SHARE: ("Social-channel registrations through the app", "APP登记占比"),
    Figure.OVER_LIMIT_RESOLVED: ("Over-limit IDs resolved", "一证多号处理率"),
}
# The figures of a figures table, in the order they are shown.
TABLE_FIGURES = (
    Figure.REAL_NAME_RATE,
    Figure.NEW_CUSTOMER_RATE,
    Figure.APP_DEPLOYMENT_RATE,
    Figure.APP_REGISTRATION_SHARE,
)


class Dimension(StrEnum):
    OVERALL = "overall"
    ORG_UNIT = "org_unit"  # drill-down: province → city → county → channel → outlet
    CHANNEL = "channel"
    KIND = "kind"  # line kind: voice SIM or data card

    @classmethod
    def parse(cls, raw: str) -> Dimension:
        try:
            return cls(raw.strip().lower().replace("-", "_"))
        except ValueError:
            raise InvalidInput(
                "Break figures down by overall, org-unit, channel or kind.",
                code="REPORT-DIMENSION",
                message_zh="分组维度须为 overall、org-unit、channel 或 kind。",
            ) from None


class Level(StrEnum):
    """What a row of a figures table stands for."""

    OVERALL = "overall"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    CHANNEL = "channel"
    OUTLET = "outlet"
    KIND = "kind"
    UNASSIGNED = "unassigned"  # lines whose channel (or channel's org unit) is not recorded


class Grain(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday to Sunday
    MONTH = "month"

    def start_of(self, day: date) -> date:
        """The first day of the calendar day, ISO week or month holding ``day``."""
        if self is Grain.WEEK:
            return day - timedelta(days=day.weekday())
        if self is Grain.MONTH:
            return day.replace(day=1)
        return day


@dataclass(frozen=True)
class Period:
    """Calendar days from ``start`` to ``end``, both included, in the operator's timezone."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(
                "A period ends on or after the day it starts.",
                code="REPORT-PERIOD",
                message_zh="统计期的结束日期不能早于开始日期。",
            )

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, monthrange(year, month)[1]))

    @classmethod
    def parse_month(cls, raw: str) -> Period:
        """``YYYY-MM``: the whole calendar month."""
        try:
            text = raw.strip()
            if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
                raise ValueError(text)
            return cls.month(int(text[:4]), int(text[5:]))
        except ValueError:
            raise InvalidInput(
                "A month is written YYYY-MM.",
                code="REPORT-MONTH",
                message_zh="月份格式为 YYYY-MM。",
            ) from None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bucket_count(self, grain: Grain) -> int:
        """How many ``buckets`` there are, counted without building them: a request for a
        daily series since year 1 is refused at once, not after listing 740,000 days."""
        if grain is Grain.DAY:
            return self.days
        if grain is Grain.WEEK:
            return (grain.start_of(self.end) - grain.start_of(self.start)).days // 7 + 1
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def buckets(self, grain: Grain) -> list[Period]:
        """The day, ISO week or month periods covering this one, clipped to it."""
        out: list[Period] = []
        day = self.start
        while day <= self.end:
            if grain is Grain.DAY:
                last = day
            elif grain is Grain.WEEK:
                last = day + timedelta(days=6 - day.weekday())
            else:
                last = date(day.year, day.month, monthrange(day.year, day.month)[1])
            last = min(last, self.end)
            out.append(Period(day, last))
            day = last + timedelta(days=1)
        return out

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


MAX_SERIES_POINTS = 1000
# The calendar days a report may name. The operator's day starts before midnight UTC east of
# Greenwich, so 0001-01-01 has no UTC start, and 9999-12-31 has no next day to end on.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


@dataclass(frozen=True)
class Ratio:
    """A share with its parts, so a reader can check the arithmetic (and add rows up)."""

    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.numerator + other.numerator, self.denominator + other.denominator)

    def as_dict(self) -> dict[str, int | float | None]:
        rate = self.rate
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": round(rate, 6) if rate is not None else None,
        }


@dataclass(frozen=True)
class LineCounts:
    """Lines in service of one census group, by real-name class (DOMAIN: line states)."""

    in_service: int = 0
    verified: int = 0
    legacy_unverified: int = 0
    reverification_pending: int = 0
    suspended: int = 0  # one-way or two-way; still in service, still counted above

    def __add__(self, other: LineCounts) -> LineCounts:
        # Spelled out: this runs once per census group on every dashboard request.
        return LineCounts(
            self.in_service + other.in_service,
            self.verified + other.verified,
            self.legacy_unverified + other.legacy_unverified,
            self.reverification_pending + other.reverification_pending,
            self.suspended + other.suspended,
        )

    @property
    def real_name(self) -> Ratio:
        return Ratio(self.verified, self.in_service)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(LineCounts)}


@dataclass(frozen=True)
class CensusGroup:
    """Counts of one (org unit, channel, line kind, opened since the cut-off) group. The org
    unit is the channel's when the census was taken, so moving a channel later does not move
    past figures."""

    org_unit_id: int | None
    channel_id: int | None
    kind: str
    since_cutoff: bool
    counts: LineCounts


@dataclass(frozen=True)
class Census:
    """One stored daily snapshot: which day it stands for, the cut-off used, when it was
    taken and how long that took."""

    id: int
    day: date
    cutoff: date
    taken_at: datetime
    elapsed_ms: int
    lines_in_service: int

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "day": self.day.isoformat(),
            "cutoff": self.cutoff.isoformat(),
            "taken_at": self.taken_at.isoformat(),
            "elapsed_ms": self.elapsed_ms,
            "lines_in_service": self.lines_in_service,
        }


@dataclass(frozen=True)
class FigureRow:
    """One row of a figures table. ``key`` is the code of the unit, channel or outlet (the
    line kind, for kinds); ``figures`` holds only the figures that apply to the row (an outlet
    has no census figures, a line kind no app deployment)."""

    key: str | None
    label: str
    level: Level
    figures: Mapping[Figure, Ratio]
    lines: LineCounts | None = None
    drillable: bool = False  # a parent= of this key lists the rows below it

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "level": self.level.value,
            "drillable": self.drillable,
            "figures": {f.value: r.as_dict() for f, r in self.figures.items()},
            "lines": self.lines.as_dict() if self.lines is not None else None,
        }


@dataclass(frozen=True)
class FigureTable:
    """Figures as of the end of one day, broken down by one dimension.

    ``census`` is the census the line-state figures were read from; when none was taken on
    ``as_of``, it is None and ``nearest_census`` names the closest earlier day that has one
    (the line-state figures are then absent rather than silently taken from another day), and
    ``census_gap`` says which case it is with a code (a gap, or a day before any census).
    """

    as_of: date
    dimension: Dimension
    parent: str | None
    cutoff: date
    census: Census | None
    nearest_census: date | None
    total: FigureRow
    rows: tuple[FigureRow, ...]
    census_gap: CensusGap | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "dimension": self.dimension.value,
            "parent": self.parent,
            "cutoff": self.cutoff.isoformat(),
            "census": self.census.as_dict() if self.census else None,
            "nearest_census": self.nearest_census.isoformat() if self.nearest_census else None,
            "census_gap": self.census_gap.as_dict() if self.census_gap else None,
            "total": self.total.as_dict(),
            "rows": [row.as_dict() for row in self.rows],
        }


@dataclass(frozen=True)
class SeriesPoint:
    """The figure for one day, week or month. Census figures take the last census inside the
    period (``census_day``); None when the period has none."""

    period: Period
    value: Ratio | None
    census_day: date | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            **self.period.as_dict(),
            "value": self.value.as_dict() if self.value else None,
            "census_day": self.census_day.isoformat() if self.census_day else None,
        }


@dataclass(frozen=True)
class SeriesLine:
    key: str | None
    label: str
    points: tuple[SeriesPoint, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "points": [p.as_dict() for p in self.points],
        }


@dataclass(frozen=True)
class Series:
    figure: Figure
    grain: Grain
    period: Period
    dimension: Dimension
    lines: tuple[SeriesLine, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "figure": self.figure.value,
            "grain": self.grain.value,
            **self.period.as_dict(),
            "dimension": self.dimension.value,
            "lines": [line.as_dict() for line in self.lines],
        }
