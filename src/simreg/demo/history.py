"""The demo's past, seeded after its present: the network backdated to the story's start,
legacy re-registrations and mystery-shopper visits over the past year, then the censuses the
daily clock would have taken on the past days, and today's census taken for real."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from simreg.bootstrap import Simreg
from simreg.core.actors import Actor, Role
from simreg.demo.census_history import seed_censuses
from simreg.demo.history_network import backdate_network, seed_inspections
from simreg.demo.history_reregistrations import seed_reregistrations

RECENT_CHANNELS = ("GD-SOC-031",)  # the applicant applied days ago, not a year ago


@dataclass(frozen=True)
class HistorySeed:
    reregistrations: int
    violations: int
    censuses: int
    first_census: date | None


def seed_history(
    simreg: Simreg, *, staff_ids: dict[str, int], hall: tuple[int, int], rng: random.Random
) -> HistorySeed:
    backdate_network(simreg, keep_recent=RECENT_CHANNELS)
    reregistered = seed_reregistrations(simreg, staff_ids=staff_ids, hall=hall, rng=rng)
    manager = Actor(staff_ids["manager"], "manager", Role.CHANNEL_MANAGER)
    violations = seed_inspections(simreg, manager, rng)
    days = seed_censuses(simreg)
    simreg.reports.take_census(None)  # today's, as the census clock takes it when serving
    return HistorySeed(reregistered, violations, len(days), days[0] if days else None)
