"""Channel compliance over a period (RN-08, RN-15): per channel, and the total."""

from __future__ import annotations

from collections.abc import Sequence

from simreg.reporting.events import (
    COMPLIANCE_COUNTS,
    ComplianceRow,
)
from simreg.reporting.ports import ChannelCompliance, Directory


def compliance_rows(
    per_channel: Sequence[ChannelCompliance], directory: Directory
) -> tuple[ComplianceRow, list[ComplianceRow]]:
    """The total and one row per channel that had an inspection or a violation in the period,
    ordered by channel code."""
    channels = {c.id: c for c in directory.channels}
    units = {u.id: u for u in directory.units}
    total = dict.fromkeys(COMPLIANCE_COUNTS, 0)
    rows: list[ComplianceRow] = []
    for item in per_channel:
        for name in COMPLIANCE_COUNTS:
            total[name] += item.counts[name]
        channel = channels.get(item.channel_id)
        unit = units.get(channel.org_unit_id) if channel and channel.org_unit_id else None
        rows.append(
            ComplianceRow(
                key=channel.code if channel else str(item.channel_id),
                label=channel.name if channel else str(item.channel_id),
                org_unit=unit.code if unit else None,
                counts={name: item.counts[name] for name in COMPLIANCE_COUNTS},
            )
        )
    rows.sort(key=lambda r: r.key or "")
    return ComplianceRow(None, "all", None, total), rows
