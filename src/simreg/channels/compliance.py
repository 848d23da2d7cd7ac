"""Mystery-shopper inspections (RN-15) and the penalty scale for channel violations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from simreg.core.errors import ConfigurationError

# What an inspector checks, drawn from the rules: the two musts, the three prohibitions,
# document types, sub-agents and the unified app.
# What an inspector can find wrong at an outlet, one item per rule: each is worded as the
# failure, since ticking it records a violation of that rule.
CHECKLIST: list[tuple[str, str, str]] = [
    (
        "RN-02",
        "The original document was not asked for, or not inspected",
        "未要求出示或未查验证件原件",
    ),
    ("RN-03", "The document was not photographed and uploaded for review", "证件未拍照上传审核"),
    ("RN-04", "A card was sold without a valid document", "无有效证件售卡"),
    ("RN-05", "More lines than allowed were sold on one document", "一证售出超过规定号码数"),
    ("RN-06", "A line was opened before back-office approval", "未经后台审核即开通"),
    (
        "RN-07",
        "A document other than the 2nd-generation resident ID was accepted",
        "受理了二代身份证以外的证件",
    ),
    ("RN-08", "A sub-agent sells on this channel's behalf", "发展了下级代理"),
    ("RN-09", "A registration bypassed the unified real-name app", "未通过统一实名制APP办理"),
]
CHECKLIST_RULES = frozenset(rule for rule, _en, _zh in CHECKLIST)


class Penalty(StrEnum):
    WARNING = "warning"
    FINE = "fine"
    SUSPENSION = "suspension"
    TERMINATION = "termination"


LADDER = [Penalty.WARNING, Penalty.FINE, Penalty.SUSPENSION, Penalty.TERMINATION]
# Selling without a document or through a sub-agent is punished heavily from the first time.
SEVERE_START = {"RN-04": 2, "RN-08": 2}
REPEAT_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class PenaltyScale:
    """Where each rule's violations start on the ladder, and the ladder itself; an operator
    sets its own with SIMREG_PENALTY_SCALE (JSON: {"ladder": [...], "start": {"RN-04": 2}})."""

    ladder: tuple[Penalty, ...] = tuple(LADDER)
    start: tuple[tuple[str, int], ...] = tuple(SEVERE_START.items())
    # Demerit points and fines (yuan) that come with each penalty, from the channel agreement.
    points: tuple[tuple[str, int], ...] = (
        ("warning", 1),
        ("fine", 3),
        ("suspension", 6),
        ("termination", 12),
    )
    fines: tuple[tuple[str, int], ...] = (
        ("fine", 2000),
        ("suspension", 5000),
        ("termination", 10000),
    )

    def points_for(self, penalty: Penalty) -> int:
        return dict(self.points).get(penalty.value, 0)

    def fine_for(self, penalty: Penalty) -> int:
        return dict(self.fines).get(penalty.value, 0)

    def penalty_for(self, rule: str, earlier_violations: int) -> Penalty:
        """Repeat violations escalate one step each within a year (从重处罚直至解除合作)."""
        step = dict(self.start).get(rule, 0) + earlier_violations
        return self.ladder[min(step, len(self.ladder) - 1)]

    @classmethod
    def from_json(cls, raw: str) -> PenaltyScale:
        if not raw.strip():
            return cls()
        try:
            data = json.loads(raw)
            ladder = tuple(Penalty(p) for p in data.get("ladder", LADDER))
            start = tuple((str(k), int(v)) for k, v in data.get("start", {}).items())
            points = tuple(
                (Penalty(k).value, int(v)) for k, v in data.get("points", dict(cls.points)).items()
            )
            fines = tuple(
                (Penalty(k).value, int(v))
                for k, v in data.get("fines_yuan", dict(cls.fines)).items()
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise ConfigurationError(
                "SIMREG_PENALTY_SCALE must be JSON like "
                '{"ladder": ["warning", "fine", "suspension", "termination"], '
                '"start": {"RN-08": 2}}.',
                code="PENALTY-SCALE",
            ) from exc
        if not ladder:
            raise ConfigurationError("The penalty ladder is empty.", code="PENALTY-SCALE")
        return cls(ladder, start, points, fines)


# A channel is flagged when at least this share of at least this many decided registrations
# in the window were rejected; then not again for PATTERN_QUIET.
PATTERN_RATE = 0.3
PATTERN_MIN_DECIDED = 10
PATTERN_QUIET = timedelta(days=30)
REASON_RULES = {
    "not_original": "RN-02",
    "photo_unreadable": "RN-03",
}


@dataclass(frozen=True)
class RejectionPattern:
    channel_id: int
    decided: int
    rejected: int
    dominant_reason: str


def rule_for_reason(reason: str) -> str:
    """Copies instead of originals break RN-02, unreadable photos RN-03; wrong names, numbers
    or faces mean the document was not valid for this customer (RN-04)."""
    return REASON_RULES.get(reason, "RN-04")


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def check_period(period: str) -> str:
    period = period.strip().upper()
    if len(period) != 6 or not period[:4].isdigit() or period[4] != "Q" or period[5] not in "1234":
        raise ValueError("a period is written like 2026Q4")
    return period
