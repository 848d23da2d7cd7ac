"""What reporting needs from storage (small grouped reads, the stored census) and from the
analytics engine (the heavy scans: every line in service, every review decision)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from simreg.core.audit import AuditEvent
from simreg.reporting.domain import (
    Census,
    CensusGroup,
    Grain,
)
from simreg.reporting.events import (
    COMPLIANCE_COUNTS,
    CampaignFunnel,
    OverLimitDocument,
    WaitingTimes,
)


@dataclass(frozen=True)
class OrgUnitRef:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


@dataclass(frozen=True)
class ChannelRef:
    id: int
    code: str
    name: str
    kind: str
    org_unit_id: int | None


@dataclass(frozen=True)
class OutletRef:
    id: int
    code: str
    name: str
    channel_id: int


@dataclass(frozen=True)
class Directory:
    """Org units, channels and outlets: few rows, read whole to label and roll up figures."""

    units: Sequence[OrgUnitRef]
    channels: Sequence[ChannelRef]
    outlets: Sequence[OutletRef]


@dataclass(frozen=True)
class Deployment:
    """A social channel active at the report's moment, and whether one of its outlets had an
    enrolled, unrevoked real-name app device then (RN-09)."""

    channel_id: int
    deployed: bool


@dataclass(frozen=True)
class DeploymentGroup:
    """Social channels active at the end of series period ``bucket`` (its index), and how many
    of them had the app then; per channel or org unit when those are not None."""

    bucket: int
    org_unit_id: int | None
    channel_id: int | None
    active: int
    deployed: int


@dataclass(frozen=True)
class OverLimitGroup:
    """RN-14 cases counted at their home channel (the channel that opened most of the
    document's lines; None: unknown or not asked): found and resolved, on one operator
    ``day`` (None: up to a moment, or before a series' range)."""

    day: date | None
    channel_id: int | None
    found: int
    resolved: int


@dataclass(frozen=True)
class WaitGrouping:
    """How the analytics engine groups review waiting times into rows: by the registration's
    ``channel``, ``outlet`` or line ``kind``; ``rows`` maps a channel or outlet id (-1: none
    recorded) to the row's index; ids absent from it are outside the view."""

    by: str
    rows: dict[int, int]


@dataclass(frozen=True)
class RegistrationGroup:
    """Social-channel registrations submitted in a window, grouped; ``through_app`` came
    through an enrolled device. ``bucket`` is the first day of the series period, if any."""

    channel_id: int
    outlet_id: int | None
    kind: str
    total: int
    through_app: int
    bucket: date | None = None


@dataclass(frozen=True)
class ChannelCompliance:
    channel_id: int
    counts: dict[str, int]

    def __post_init__(self) -> None:
        for name in COMPLIANCE_COUNTS:
            self.counts.setdefault(name, 0)


@dataclass(frozen=True)
class ReviewerWait:
    reviewer_id: int
    times: WaitingTimes


class ReportTransaction(Protocol):
    def census_on(self, day: date) -> Census | None: ...

    def census_before(self, day: date) -> Census | None:
        """The latest census taken for a day before ``day``."""
        ...

    def censuses_between(self, start: date, end: date) -> list[Census]: ...

    def census_groups(
        self,
        census_ids: Sequence[int],
        *,
        per_channel: bool = True,
        units: Sequence[int] | None = None,
    ) -> dict[int, list[CensusGroup]]:
        """The censuses' groups; without ``per_channel`` summed per org unit (channel None),
        which is all the org-unit tree's upper levels need; ``units`` keeps those org units'
        groups only."""
        ...

    def store_census(
        self,
        *,
        day: date,
        cutoff: date,
        taken_at: datetime,
        elapsed_ms: int,
        taken_by: int | None,
        groups: Sequence[CensusGroup],
    ) -> Census:
        """Write the census of ``day``, replacing one already stored for that same day."""
        ...

    def directory(self) -> Directory: ...

    def app_deployment(self, at: datetime) -> list[Deployment]: ...

    def app_registrations(self, since: datetime, until: datetime) -> list[RegistrationGroup]: ...

    def deployment_series(
        self, ends: Sequence[datetime], *, per_channel: bool, per_unit: bool
    ) -> list[DeploymentGroup]:
        """App deployment at every moment of ``ends`` in one statement."""
        ...

    def over_limit_by_channel(self, at: datetime) -> list[OverLimitGroup]: ...

    def over_limit_days(
        self, since: datetime, until: datetime, offset_hours: int, *, per_channel: bool
    ) -> list[OverLimitGroup]:
        """RN-14 cases found and resolved per operator day in one statement; those before
        ``since`` summed as day None."""
        ...

    def census_from(self, day: date) -> Census | None:
        """The earliest census taken for ``day`` or a later day."""
        ...

    def over_limit_counts(self, at: datetime) -> tuple[int, int]:
        """RN-14 cases found by ``at`` and, of those, resolved by ``at``."""
        ...

    def over_limit_open(self, at: datetime, limit: int) -> list[OverLimitDocument]: ...

    def funnels(self, at: datetime) -> list[CampaignFunnel]: ...

    def compliance(self, since: datetime, until: datetime) -> list[ChannelCompliance]: ...

    def reviewer_names(self, ids: Sequence[int]) -> dict[int, str]: ...

    def review_backlog(self, since: datetime, until: datetime) -> tuple[int, int]:
        """Registrations submitted in the window, and how many waited undecided at its end."""
        ...

    def record(self, event: AuditEvent) -> None: ...


class ReportUnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[ReportTransaction]: ...


class Analytics(Protocol):
    """Scans of whole tables, set-based, outside any write transaction."""

    def census_groups(self, *, cutoff_at: datetime) -> list[CensusGroup]:
        """Every line in service counted by (org unit, channel, kind, opened since the
        cut-off) and real-name class."""
        ...

    def waiting_times(
        self, since: datetime, until: datetime
    ) -> tuple[WaitingTimes, list[ReviewerWait]]:
        """Registrations decided in the window: waiting times overall and per reviewer."""
        ...

    def waiting_times_by(
        self, since: datetime, until: datetime, grouping: WaitGrouping
    ) -> list[tuple[int | str, WaitingTimes]]:
        """Waiting times of the window's decisions per row of ``grouping`` (row index, or the
        line kind when grouped by kind)."""
        ...

    def registration_buckets(
        self, since: datetime, until: datetime, grain: Grain, offset_hours: int
    ) -> list[RegistrationGroup]:
        """Social-channel registrations per operator day, ISO week or month of submission."""
        ...
