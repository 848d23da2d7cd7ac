"""Adding facts up into rows. The facts are already grouped (census groups number org units ×
channels × kinds; registration groups number outlets × kinds), so this is arithmetic over a
few thousand groups at most, never over lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from simreg.reporting.breakdown import Breakdown, RowKey
from simreg.reporting.domain import (
    CensusGroup,
    Dimension,
    Figure,
    FigureRow,
    Level,
    LineCounts,
    Ratio,
)
from simreg.reporting.ports import ChannelRef, Deployment, DeploymentGroup, RegistrationGroup


@dataclass
class Tally:
    """What one row has gathered: lines (all, and opened since the cut-off), deployment and
    app registrations, each only where the row has such facts."""

    lines: LineCounts | None = None
    since_cutoff: LineCounts | None = None
    deployment: Ratio | None = None
    app_share: Ratio | None = None

    def add_census(self, group: CensusGroup) -> None:
        self.lines = (self.lines or LineCounts()) + group.counts
        recent = group.counts if group.since_cutoff else LineCounts()
        self.since_cutoff = (self.since_cutoff or LineCounts()) + recent

    def figures(self) -> dict[Figure, Ratio]:
        out: dict[Figure, Ratio] = {}
        if self.lines is not None:
            out[Figure.REAL_NAME_RATE] = self.lines.real_name
        if self.since_cutoff is not None:
            out[Figure.NEW_CUSTOMER_RATE] = self.since_cutoff.real_name
        if self.deployment is not None:
            out[Figure.APP_DEPLOYMENT_RATE] = self.deployment
        if self.app_share is not None:
            out[Figure.APP_REGISTRATION_SHARE] = self.app_share
        return out


@dataclass
class Rollup:
    """Rows of one view, plus the total over everything inside the view's parent."""

    breakdown: Breakdown
    with_census: bool
    rows: dict[RowKey, Tally] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)

    def __post_init__(self) -> None:
        for key in self.breakdown.candidates():
            self.rows[key] = self._empty()
        self.total = self._empty()

    def _empty(self) -> Tally:
        tally = Tally()
        # A census day with no line in some row still shows 0 of 0, not "no figure".
        if self.with_census and not self.breakdown.outlet_rows:
            tally.lines, tally.since_cutoff = LineCounts(), LineCounts()
        return tally

    def _tally(self, key: RowKey) -> Tally:
        if key not in self.rows:
            self.rows[key] = self._empty()
        return self.rows[key]

    def add_census(self, groups: Iterable[CensusGroup]) -> None:
        if self.breakdown.outlet_rows:
            return  # the census counts channels, not outlets
        seen: dict[tuple[int | None, int | None, str], RowKey | None] = {}
        for group in groups:
            where = (group.org_unit_id, group.channel_id, group.kind)
            if where not in seen:
                seen[where] = self.breakdown.row(
                    unit_id=group.org_unit_id, channel_id=group.channel_id, kind=group.kind
                )
            key = seen[where]
            if key is not None:
                self._tally(key).add_census(group)
                self.total.add_census(group)

    def _deployment_rows(self) -> bool | None:
        """Whether the rows take deployment (True), only the total (False: line kinds have
        none of their own, but the total is every channel's, as the overall figure), or
        nothing (None: outlets)."""
        if self.breakdown.outlet_rows:
            return None  # deployment is a channel's, not an outlet's
        self.total.deployment = Ratio(0, 0)
        if self.breakdown.dimension is Dimension.KIND:
            return False
        for row_key, row_tally in self.rows.items():
            if row_key.level is not Level.OUTLET:
                row_tally.deployment = row_tally.deployment or Ratio(0, 0)
        return True

    def _count_deployment(self, per_row: bool, key: RowKey | None, counted: Ratio) -> None:
        if not per_row:
            self.total.deployment = (self.total.deployment or Ratio(0, 0)) + counted
            return
        if key is None:
            return
        tally = self._tally(key)
        tally.deployment = (tally.deployment or Ratio(0, 0)) + counted
        self.total.deployment = (self.total.deployment or Ratio(0, 0)) + counted

    def add_deployment_groups(self, groups: Iterable[DeploymentGroup]) -> None:
        """Deployment already counted per channel, org unit or overall (a series period)."""
        per_row = self._deployment_rows()
        if per_row is None:
            return
        for group in groups:
            key = self.breakdown.row(unit_id=group.org_unit_id, channel_id=group.channel_id)
            self._count_deployment(per_row, key, Ratio(group.deployed, group.active))

    def add_deployment(
        self, found: Iterable[Deployment], channels: Mapping[int, ChannelRef]
    ) -> None:
        per_row = self._deployment_rows()
        if per_row is None:
            return
        for item in found:
            channel = channels.get(item.channel_id)
            key = self.breakdown.row(
                unit_id=channel.org_unit_id if channel else None, channel_id=item.channel_id
            )
            self._count_deployment(per_row, key, Ratio(1 if item.deployed else 0, 1))

    def add_registrations(
        self, groups: Iterable[RegistrationGroup], channels: Mapping[int, ChannelRef]
    ) -> None:
        for tally in self.rows.values():
            tally.app_share = tally.app_share or Ratio(0, 0)
        self.total.app_share = Ratio(0, 0)
        for group in groups:
            channel = channels.get(group.channel_id)
            key = self.breakdown.row(
                unit_id=channel.org_unit_id if channel else None,
                channel_id=group.channel_id,
                kind=group.kind,
                outlet_id=group.outlet_id,
            )
            if key is None:
                continue
            share = Ratio(group.through_app, group.total)
            tally = self._tally(key)
            tally.app_share = (tally.app_share or Ratio(0, 0)) + share
            self.total.app_share += share

    def table_rows(self) -> tuple[FigureRow, ...]:
        ordered = sorted(
            self.rows.items(),
            key=lambda item: (item[0].level is Level.UNASSIGNED, item[0].key or "", item[0].label),
        )
        return tuple(_row(key, tally) for key, tally in ordered)

    def total_row(self, label: str) -> FigureRow:
        return _row(RowKey(self.breakdown.parent, label, Level.OVERALL), self.total)


def _row(key: RowKey, tally: Tally) -> FigureRow:
    return FigureRow(
        key=key.key,
        label=key.label,
        level=key.level,
        figures=tally.figures(),
        lines=tally.lines,
        drillable=key.drillable,
    )
