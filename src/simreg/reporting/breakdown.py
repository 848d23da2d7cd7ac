"""Where a fact (a census group, a channel's deployment, a group of registrations) lands in a
figures table: which row of the chosen dimension, under the chosen parent.

The org-unit dimension drills down province → city → county → channel → outlet: with no
parent the rows are the top units; under a unit, its child units and the channels it holds
directly; under a channel, its outlets (only registration figures know outlets).
"""

from __future__ import annotations

from dataclasses import dataclass

from simreg.core.errors import NotFound
from simreg.lines.domain import LineKind
from simreg.reporting.domain import Dimension, Level
from simreg.reporting.ports import ChannelRef, Directory, OrgUnitRef, OutletRef

UNASSIGNED_LABEL = "(no org unit or channel recorded)"


@dataclass(frozen=True)
class RowKey:
    key: str | None
    label: str
    level: Level
    drillable: bool = False


class Breakdown:
    def __init__(self, directory: Directory, dimension: Dimension, parent: str | None) -> None:
        self.dimension = dimension
        self.units = {u.id: u for u in directory.units}
        self.channels = {c.id: c for c in directory.channels}
        self.outlets = {o.id: o for o in directory.outlets}
        self._has_units = {u.parent_id for u in directory.units if u.parent_id is not None}
        self._has_channels = {c.org_unit_id for c in directory.channels}
        self._has_outlets = {o.channel_id for o in directory.outlets}
        self.parent_unit: OrgUnitRef | None = None
        self.parent_channel: ChannelRef | None = None
        if parent is not None:
            self._find_parent(directory, parent)
        self.parent = parent

    def _find_parent(self, directory: Directory, code: str) -> None:
        if self.dimension is Dimension.ORG_UNIT:
            self.parent_unit = next((u for u in directory.units if u.code == code), None)
        if self.dimension in (Dimension.ORG_UNIT, Dimension.CHANNEL) and self.parent_unit is None:
            self.parent_channel = next((c for c in directory.channels if c.code == code), None)
        if self.parent_unit is None and self.parent_channel is None:
            raise NotFound(
                f"Nothing to drill into under {code!r} for this breakdown.",
                code="REPORT-PARENT",
                message_zh="找不到可下钻的上级单位或渠道。",
            )

    @property
    def needs_channels(self) -> bool:
        """Whether rows tell channels apart; otherwise census groups summed per org unit do."""
        return self.dimension is Dimension.CHANNEL or self.parent_unit is not None

    def census_units(self) -> list[int] | None:
        """The org units whose census groups can land in a row under the parent (None: all)."""
        if self.parent_unit is None:
            return None
        below = [u.id for u in self.units.values() if self.parent_unit.id in self.chain(u.id)]
        return below

    @property
    def outlet_rows(self) -> bool:
        """Rows are outlets: only registration figures have values."""
        return self.parent_channel is not None

    def chain(self, unit_id: int | None) -> list[int]:
        """The unit and its ancestors, nearest first."""
        found: list[int] = []
        while unit_id is not None and unit_id in self.units and unit_id not in found:
            found.append(unit_id)
            unit_id = self.units[unit_id].parent_id
        return found

    def row(
        self,
        *,
        unit_id: int | None,
        channel_id: int | None,
        kind: str | None = None,
        outlet_id: int | None = None,
    ) -> RowKey | None:
        """The row a fact counts in, or None when it lies outside the parent."""
        if self.dimension is Dimension.OVERALL:
            return RowKey(None, "all", Level.OVERALL)
        if self.dimension is Dimension.KIND:
            return RowKey(kind, kind or "?", Level.KIND) if kind else None
        if self.parent_channel is not None:
            if channel_id != self.parent_channel.id:
                return None
            outlet = self.outlets.get(outlet_id) if outlet_id is not None else None
            return self._outlet_row(outlet)
        if self.dimension is Dimension.CHANNEL:
            channel = self.channels.get(channel_id) if channel_id is not None else None
            return self._channel_row(channel) if channel else _unassigned()
        chain = self.chain(unit_id)
        if self.parent_unit is None:
            return self._unit_row(self.units[chain[-1]]) if chain else _unassigned()
        if self.parent_unit.id not in chain:
            return None
        below = chain.index(self.parent_unit.id)
        if below > 0:
            return self._unit_row(self.units[chain[below - 1]])
        channel = self.channels.get(channel_id) if channel_id is not None else None
        return self._channel_row(channel) if channel else None

    def candidates(self) -> list[RowKey]:
        """Every row the view shows even when nothing counts in it yet."""
        if self.dimension is Dimension.OVERALL:
            return [RowKey(None, "all", Level.OVERALL)]
        if self.dimension is Dimension.KIND:
            return [RowKey(k.value, k.value, Level.KIND) for k in LineKind]
        if self.parent_channel is not None:
            pid = self.parent_channel.id
            return [self._outlet_row(o) for o in self.outlets.values() if o.channel_id == pid]
        if self.dimension is Dimension.CHANNEL:
            return [self._channel_row(c) for c in self.channels.values()]
        parent_id = self.parent_unit.id if self.parent_unit else None
        rows = [self._unit_row(u) for u in self.units.values() if u.parent_id == parent_id]
        if parent_id is not None:
            rows += [
                self._channel_row(c) for c in self.channels.values() if c.org_unit_id == parent_id
            ]
        return rows

    def _unit_row(self, unit: OrgUnitRef) -> RowKey:
        drillable = unit.id in self._has_units or unit.id in self._has_channels
        return RowKey(unit.code, unit.name, Level(unit.level), drillable)

    def _channel_row(self, channel: ChannelRef) -> RowKey:
        drillable = self.dimension is not Dimension.KIND and channel.id in self._has_outlets
        return RowKey(channel.code, channel.name, Level.CHANNEL, drillable)

    @staticmethod
    def _outlet_row(outlet: OutletRef | None) -> RowKey:
        if outlet is None:
            return RowKey(None, "(no outlet)", Level.OUTLET)
        return RowKey(outlet.code, outlet.name, Level.OUTLET)


def _unassigned() -> RowKey:
    return RowKey(None, UNASSIGNED_LABEL, Level.UNASSIGNED)
