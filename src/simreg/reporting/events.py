"""Event reports: review throughput, RN-14 cases, RN-13 funnels and channel compliance, each
computed again for any past date from timestamps that never change once written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from simreg.reporting.domain import Dimension, Level, Period, Ratio


@dataclass(frozen=True)
class WaitingTimes:
    """Review decisions and how long registrations waited for them (submitted → decided)."""

    decided: int
    approved: int
    rejected: int
    median_seconds: float | None  # the middle value (the mean of the two middle ones)
    p95_seconds: float | None  # nearest rank: 95% of decisions waited at most this long
    max_seconds: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "decided": self.decided,
            "approved": self.approved,
            "rejected": self.rejected,
            "median_seconds": self.median_seconds,
            "p95_seconds": self.p95_seconds,
            "max_seconds": self.max_seconds,
        }


@dataclass(frozen=True)
class ReviewerTimes:
    reviewer: str
    times: WaitingTimes

    def as_dict(self) -> dict[str, object]:
        return {"reviewer": self.reviewer, **self.times.as_dict()}


@dataclass(frozen=True)
class RowTimes:
    """Waiting times of the decisions on one row of a breakdown (an org unit, a channel, an
    outlet, a line kind); ``key`` and ``level`` as in a figures table."""

    key: str | None
    label: str
    level: Level
    times: WaitingTimes
    drillable: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "level": self.level.value,
            "drillable": self.drillable,
            **self.times.as_dict(),
        }


@dataclass(frozen=True)
class ReviewTimes:
    """Review throughput over a period: decisions made in it, their waiting times overall and
    per reviewer, and what was submitted and still waiting at the period's end. ``rows``: the
    same per row of ``dimension`` (of the registration's outlet, or its line's kind), when one
    was asked for."""

    period: Period
    overall: WaitingTimes
    per_reviewer: tuple[ReviewerTimes, ...]
    submitted: int
    waiting_at_end: int
    dimension: Dimension | None = None
    rows: tuple[RowTimes, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            **self.period.as_dict(),
            "overall": self.overall.as_dict(),
            "per_reviewer": [r.as_dict() for r in self.per_reviewer],
            "submitted": self.submitted,
            "waiting_at_end": self.waiting_at_end,
            "dimension": self.dimension.value if self.dimension else None,
            "rows": [r.as_dict() for r in self.rows],
        }


@dataclass(frozen=True)
class OverLimitDocument:
    """A document with an RN-14 case open at the report's date; the number masked only."""

    case_id: int
    doc_type: str
    doc_masked: str
    held_when_found: int
    found_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "doc_type": self.doc_type,
            "doc_masked": self.doc_masked,
            "held_when_found": self.held_when_found,
            "found_at": self.found_at.isoformat(),
        }


@dataclass(frozen=True)
class OverLimitRow:
    """RN-14 cases of one row of a breakdown, each counted at its home channel (the channel
    that opened most of the document's lines), so rows add up to the total."""

    key: str | None
    label: str
    level: Level
    found: int
    resolved: int
    drillable: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "level": self.level.value,
            "drillable": self.drillable,
            "found": self.found,
            "resolved": self.resolved,
            "open": self.found - self.resolved,
            "resolved_share": Ratio(self.resolved, self.found).as_dict(),
        }


@dataclass(frozen=True)
class OverLimitReport:
    """RN-14 as of the end of a day: cases found so far, resolved so far, open then; per row
    of ``dimension`` when one was asked for."""

    as_of: date
    found: int
    resolved: int
    documents: tuple[OverLimitDocument, ...]
    dimension: Dimension | None = None
    rows: tuple[OverLimitRow, ...] = ()

    @property
    def open(self) -> int:
        return self.found - self.resolved

    @property
    def resolved_share(self) -> Ratio:
        return Ratio(self.resolved, self.found)

    def as_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "found": self.found,
            "resolved": self.resolved,
            "open": self.open,
            "resolved_share": self.resolved_share.as_dict(),
            "documents": [d.as_dict() for d in self.documents],
            "dimension": self.dimension.value if self.dimension else None,
            "rows": [r.as_dict() for r in self.rows],
        }


FUNNEL_STEPS = (
    "targeted",
    "sms_sent",
    "sms_delivered",
    "re_registered_after_sms",
    "called",
    "re_registered_after_call",
    "suspended",
)


@dataclass(frozen=True)
class CampaignFunnel:
    """RN-13 re-registration funnel of one campaign, counting steps reached by the date."""

    campaign_id: int | None  # None: every campaign together
    name: str
    steps: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"campaign_id": self.campaign_id, "name": self.name, **self.steps}


@dataclass(frozen=True)
class FunnelReport:
    as_of: date
    total: CampaignFunnel
    campaigns: tuple[CampaignFunnel, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "total": self.total.as_dict(),
            "campaigns": [c.as_dict() for c in self.campaigns],
        }


COMPLIANCE_COUNTS = (
    "inspections_done",
    "inspections_passed",
    "inspections_failed",
    "violations",
    "warnings",
    "fines",
    "suspensions",
    "terminations",
    "fine_yuan",
    "points",
)


@dataclass(frozen=True)
class ComplianceRow:
    """RN-08/RN-15 for one channel (or all of them, or one row of a breakdown) over a period.
    ``level`` is set on rows of a breakdown only."""

    key: str | None
    label: str
    org_unit: str | None
    counts: Mapping[str, int]
    level: Level | None = None
    drillable: bool = False

    def as_dict(self) -> dict[str, object]:
        shape: dict[str, object] = {}
        if self.level is not None:
            shape = {"level": self.level.value, "drillable": self.drillable}
        return {
            "key": self.key,
            "label": self.label,
            "org_unit": self.org_unit,
            **shape,
            **self.counts,
        }


@dataclass(frozen=True)
class ComplianceReport:
    """``per_channel`` lists the channels with activity in the period; ``rows`` is the
    breakdown asked for (every row of it, zero or not), under ``parent``."""

    period: Period
    total: ComplianceRow
    per_channel: tuple[ComplianceRow, ...]
    dimension: Dimension | None = None
    parent: str | None = None
    rows: tuple[ComplianceRow, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            **self.period.as_dict(),
            "total": self.total.as_dict(),
            "per_channel": [r.as_dict() for r in self.per_channel],
            "dimension": self.dimension.value if self.dimension else None,
            "parent": self.parent,
            "rows": [r.as_dict() for r in self.rows],
        }
