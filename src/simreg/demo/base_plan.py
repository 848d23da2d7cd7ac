"""What the synthetic base is made of, decided before any row is written: which lines belong
to people holding several, and how likely a line is to carry a valid identity, no identity
or a broken one, before and after the real-name rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from simreg.demo import base_numbers as nums

OPENED_FROM = date(2005, 1, 1)
OPENED_UNTIL = date(2026, 10, 31)  # fixed, so a seed gives the same file on any day
CUTOFF = date(2013, 9, 1)  # the national real-name rule: every line since then registered

# Identity shares over the whole base, and over lines opened since the rule.
VALID_SHARE, NONE_SHARE, INVALID_SHARE = 0.70, 0.25, 0.05
_SINCE_RULE = np.array([0.985, 0.005, 0.010])

# People per line holding 2, 3, 4 or 5 lines, and those holding 6 to 15 (over the limit).
_MULTI_HOLDERS = {2: 0.040, 3: 0.010, 4: 0.003, 5: 0.001}
_OVER_LIMIT_HOLDERS = 0.0006
_OVER_LIMIT_LINES = (6, 15)


@dataclass(frozen=True)
class HolderPlan:
    """Lines held by people with several lines: rows (sorted) and the person at each row.
    Persons 0..holders_count-1 are these holders; everyone else holds one line."""

    rows: npt.NDArray[np.int64]
    persons: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]  # lines per holder
    lines: int

    @property
    def holders_count(self) -> int:
        return len(self.counts)

    @property
    def share(self) -> float:
        return len(self.rows) / self.lines if self.lines else 0.0

    def within(self, start: int, stop: int) -> tuple[npt.NDArray[np.bool_], nums.Ints]:
        """Which rows of [start, stop) are held by a multi-line holder, and whose they are."""
        low, high = np.searchsorted(self.rows, [start, stop])
        held = np.zeros(stop - start, dtype=bool)
        held[self.rows[low:high] - start] = True
        return held, self.persons[low:high]


def plan_holders(lines: int, seed: int) -> HolderPlan:
    rng = np.random.default_rng([seed, 0])
    counts: list[int] = []
    for held, rate in _MULTI_HOLDERS.items():
        counts += [held] * int(lines * rate)
    over = max(1, int(lines * _OVER_LIMIT_HOLDERS)) if lines >= 100 else 0
    counts += rng.integers(_OVER_LIMIT_LINES[0], _OVER_LIMIT_LINES[1] + 1, over).tolist()
    per_holder = np.array(counts, dtype=np.int64)
    # Each holder's lines land anywhere in the file, as in an export ordered by number.
    rows = rng.choice(lines, size=int(per_holder.sum()), replace=False).astype(np.int64)
    persons = np.repeat(np.arange(len(per_holder), dtype=np.int64), per_holder)
    order = np.argsort(rows)
    return HolderPlan(rows[order], persons[order], per_holder, lines)


@dataclass(frozen=True)
class IdentityShares:
    """Cumulative chances of (valid, none, invalid) for a line not planned to a multi-line
    holder, before and after the rule; chosen so the whole base meets the shares above."""

    before: npt.NDArray[np.float64]
    since: npt.NDArray[np.float64]

    @classmethod
    def for_plan(cls, planned_share: float) -> IdentityShares:
        span = (OPENED_UNTIL - OPENED_FROM).days + 1
        early = (CUTOFF - OPENED_FROM).days / span
        target = np.array([VALID_SHARE, NONE_SHARE, INVALID_SHARE])
        before = (target - (1 - early) * _SINCE_RULE) / early
        return cls(
            np.cumsum(_without_planned(before, planned_share)),
            np.cumsum(_without_planned(_SINCE_RULE, planned_share)),
        )

    def draw(self, chance: npt.NDArray[np.float64], before: npt.NDArray[np.bool_]) -> nums.Ints:
        """0 valid, 1 none, 2 invalid for each line."""
        return np.where(
            before,
            np.searchsorted(self.before, chance, side="right"),
            np.searchsorted(self.since, chance, side="right"),
        ).clip(0, 2)


def _without_planned(shares: npt.NDArray[np.float64], planned: float) -> npt.NDArray[np.float64]:
    """Shares for the other lines, given that ``planned`` of all lines are already valid."""
    valid = max(0.0, (shares[0] - planned) / (1 - planned))
    rest = shares[1:] / shares[1:].sum() * (1 - valid)
    return np.array([valid, *rest])
