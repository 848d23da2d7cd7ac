"""Step 2 of RN-13: outbound calls. What an agent may record, and what each outcome means for
the task: done, or due again later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from simreg.core.errors import InvalidInput

CLAIM_FOR = timedelta(minutes=15)  # an unfinished call returns to the worklist after this
RETRY_AFTER = timedelta(hours=4)
MAX_NO_ANSWER = 3


class CallOutcome(StrEnum):
    REACHED_LINK_SENT = "reached_link_sent"  # holder reached; the link is sent again
    CALLBACK = "callback"  # holder asks to be called at a given time
    NO_ANSWER = "no_answer"
    REFUSED = "refused"
    NOT_HOLDER = "not_holder"  # whoever answered does not hold the line

    @property
    def label_en(self) -> str:
        return _LABELS[self][0]

    @property
    def label_zh(self) -> str:
        return _LABELS[self][1]


_LABELS = {
    CallOutcome.REACHED_LINK_SENT: ("Reached, link sent again", "已接通，已重发补登链接"),
    CallOutcome.CALLBACK: ("Call back later", "预约回拨"),
    CallOutcome.NO_ANSWER: ("No answer", "无人接听"),
    CallOutcome.REFUSED: ("Refused to re-register", "拒绝补登"),
    CallOutcome.NOT_HOLDER: ("Not the holder of the line", "非号码使用人"),
}


@dataclass(frozen=True)
class NextStep:
    done: bool
    due_at: datetime | None
    resend_link: bool


def next_step(
    outcome: CallOutcome, *, now: datetime, callback_at: datetime | None, no_answers: int
) -> NextStep:
    """``no_answers`` counts earlier unanswered calls on this task, this one excluded."""
    if outcome is CallOutcome.CALLBACK:
        if callback_at is None or callback_at <= now:
            raise InvalidInput(
                "Give the time the holder asked to be called back (in the future).",
                code="CALL-CALLBACK-TIME",
                message_zh="请填写客户约定的回拨时间（须晚于现在）。",
            )
        if callback_at > now + timedelta(days=30):
            raise InvalidInput(
                "A callback can be at most 30 days ahead.",
                code="CALL-CALLBACK-TIME",
                message_zh="回拨时间最多为 30 天后。",
            )
        return NextStep(False, callback_at, False)
    if outcome is CallOutcome.NO_ANSWER:
        if no_answers + 1 >= MAX_NO_ANSWER:
            return NextStep(True, None, False)
        return NextStep(False, now + RETRY_AFTER, False)
    return NextStep(True, None, outcome is CallOutcome.REACHED_LINK_SENT)


def parse_outcome(raw: str) -> CallOutcome:
    try:
        return CallOutcome(raw)
    except ValueError as exc:
        raise InvalidInput(
            "Choose the call outcome.",
            code="CALL-OUTCOME",
            message_zh="请选择外呼结果。",
            allowed=[o.value for o in CallOutcome],
        ) from exc
