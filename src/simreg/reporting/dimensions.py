"""Event reports broken down by the figures' dimensions: RN-14 cases, review waiting times
and channel compliance per org unit (drill-down province → city → county → channel, and
outlet where the facts know outlets), per channel and per line kind where that means
something.

Facts arrive grouped per channel (or outlet, or kind); the breakdown decides the row of each
group, so this is arithmetic over channels, never over lines or decisions. Waiting times are
the exception: percentiles do not add up, so the rows are handed to the analytics engine as a
map and it groups the decisions by row itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from simreg.core.errors import InvalidInput
from simreg.reporting.breakdown import Breakdown, RowKey
from simreg.reporting.domain import Dimension, Level
from simreg.reporting.events import (
    COMPLIANCE_COUNTS,
    ComplianceRow,
    OverLimitRow,
    RowTimes,
    WaitingTimes,
)
from simreg.reporting.ports import ChannelCompliance, OverLimitGroup, WaitGrouping

NONE_RECORDED = -1  # the id standing for "no channel / no outlet recorded" in a row map
NO_WAITS = WaitingTimes(0, 0, 0, None, None, None)


def per_channel_only(what: str, what_zh: str, *, kinds: bool = False) -> InvalidInput:
    """A breakdown the facts cannot support (they name a channel, not an outlet or a kind)."""
    detail = "line kind" if kinds else "outlet"
    detail_zh = "号码类型" if kinds else "网点"
    return InvalidInput(
        f"{what} are recorded per channel; they cannot be broken down by {detail}.",
        code="REPORT-DIMENSION",
        message_zh=f"{what_zh}按渠道记录，无法按{detail_zh}细分。",
    )


@dataclass
class _Rows:
    """Row keys in display order (every candidate first), each with its index."""

    keys: list[RowKey]

    def index(self, key: RowKey) -> int:
        if key not in self.keys:
            self.keys.append(key)
        return self.keys.index(key)


def _to_channels(key: RowKey) -> bool:
    """Drillable in a view whose facts stop at channels: units only."""
    return key.drillable and key.level is not Level.CHANNEL


def _channel_row(breakdown: Breakdown, channel_id: int | None) -> RowKey | None:
    channel = breakdown.channels.get(channel_id) if channel_id is not None else None
    return breakdown.row(unit_id=channel.org_unit_id if channel else None, channel_id=channel_id)


def _ordered(keys: Iterable[RowKey]) -> list[RowKey]:
    return sorted(keys, key=lambda k: (k.level is Level.UNASSIGNED, k.key or "", k.label))


# -- review waiting times -------------------------------------------------------------------


def wait_grouping(breakdown: Breakdown) -> tuple[list[RowKey], WaitGrouping]:
    """The rows of the view and the map the analytics engine groups decisions by: by outlet
    under a channel, by line kind, otherwise by the registration's channel (whose org unit
    places it in the tree)."""
    rows = _Rows(list(breakdown.candidates()))
    if breakdown.dimension is Dimension.KIND:
        return rows.keys, WaitGrouping("kind", {})
    mapping: dict[int, int] = {}
    if breakdown.outlet_rows:
        assert breakdown.parent_channel is not None
        for outlet in breakdown.outlets.values():
            if outlet.channel_id == breakdown.parent_channel.id:
                key = breakdown.row(unit_id=None, channel_id=outlet.channel_id, outlet_id=outlet.id)
                if key is not None:
                    mapping[outlet.id] = rows.index(key)
        return rows.keys, WaitGrouping("outlet", mapping)
    for channel_id in [*breakdown.channels, None]:
        key = _channel_row(breakdown, channel_id)
        if key is not None:
            mapping[NONE_RECORDED if channel_id is None else channel_id] = rows.index(key)
    return rows.keys, WaitGrouping("channel", mapping)


def review_rows(
    breakdown: Breakdown, keys: list[RowKey], found: Iterable[tuple[int | str, WaitingTimes]]
) -> tuple[RowTimes, ...]:
    """Every row the view always shows (a row without a decision shows zero decisions and no
    times), and the unassigned row when decisions landed there."""
    times: dict[RowKey, WaitingTimes] = {}
    by_kind = {k.key: k for k in keys}
    for row, waits in found:
        key = by_kind.get(row) if isinstance(row, str) else keys[row]
        if key is not None:
            times[key] = waits
    shown = set(breakdown.candidates()) | set(times)
    return tuple(
        RowTimes(k.key, k.label, k.level, times.get(k, NO_WAITS), k.drillable)
        for k in _ordered(keys)
        if k in shown
    )


# -- RN-14 cases ----------------------------------------------------------------------------


def check_over_limit(breakdown: Breakdown) -> None:
    if breakdown.dimension is Dimension.KIND:
        raise per_channel_only("Over-limit IDs", "一证多号", kinds=True)
    if breakdown.outlet_rows:
        raise per_channel_only("Over-limit IDs", "一证多号")


def over_limit_rows(
    breakdown: Breakdown, groups: Iterable[OverLimitGroup]
) -> tuple[OverLimitRow, ...]:
    check_over_limit(breakdown)
    found: dict[RowKey, list[int]] = {k: [0, 0] for k in breakdown.candidates()}
    for group in groups:
        key = _channel_row(breakdown, group.channel_id)
        if key is None:
            continue
        counts = found.setdefault(key, [0, 0])
        counts[0] += group.found
        counts[1] += group.resolved
    return tuple(
        OverLimitRow(k.key, k.label, k.level, found[k][0], found[k][1], _to_channels(k))
        for k in _ordered(found)
    )


# -- channel compliance ---------------------------------------------------------------------


def compliance_breakdown(
    breakdown: Breakdown,
    per_channel: Iterable[ChannelCompliance],
    unit_codes: Mapping[int, str],
) -> tuple[ComplianceRow, ...]:
    """Inspections, violations and penalties per row; an inspection or violation names its
    channel only, so the drill-down ends at channels."""
    if breakdown.dimension is Dimension.KIND:
        raise per_channel_only("Inspections and violations", "暗访检查与违规", kinds=True)
    if breakdown.outlet_rows:
        raise per_channel_only("Inspections and violations", "暗访检查与违规")
    sums: dict[RowKey, dict[str, int]] = {
        k: dict.fromkeys(COMPLIANCE_COUNTS, 0) for k in breakdown.candidates()
    }
    for item in per_channel:
        key = _channel_row(breakdown, item.channel_id)
        if key is None:
            continue
        into = sums.setdefault(key, dict.fromkeys(COMPLIANCE_COUNTS, 0))
        for name in COMPLIANCE_COUNTS:
            into[name] += item.counts[name]
    code_of_channel = {c.code: c for c in breakdown.channels.values()}
    out = []
    for key in _ordered(sums):
        channel = code_of_channel.get(key.key or "") if key.level is Level.CHANNEL else None
        unit = unit_codes.get(channel.org_unit_id) if channel and channel.org_unit_id else None
        out.append(ComplianceRow(key.key, key.label, unit, sums[key], key.level, _to_channels(key)))
    return tuple(out)
