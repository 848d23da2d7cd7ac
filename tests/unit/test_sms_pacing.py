"""Quiet hours in the operator's time zone, the send rate on a fake clock, and reading what an
SMSC sends back (receipts) and receives (codings, concatenated parts)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from simreg.adapters.smpp_receipts import parse_receipt, receipt_text
from simreg.adapters.sms_smpp import PartsTracker
from simreg.adapters.sms_text import decode_text, split_header
from simreg.core.errors import ConfigurationError
from simreg.sms.pacing import RateLimiter, SendWindow
from simreg.sms.ports import Receipt, ReceiptState

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [
        (20, 59, False),
        (21, 0, True),
        (23, 30, True),
        (0, 0, True),
        (7, 59, True),
        (8, 0, False),
        (12, 0, False),
    ],
)
def test_quiet_hours_cross_midnight_in_local_time(hour: int, minute: int, quiet: bool) -> None:
    window = SendWindow.parse("21:00-08:00", "Asia/Shanghai")
    assert window.in_quiet_hours(local(hour, minute)) is quiet


def test_quiet_hours_within_one_day() -> None:
    window = SendWindow.parse("12:00-14:00", "Asia/Shanghai")
    assert [window.in_quiet_hours(local(h)) for h in (11, 12, 13, 14)] == [
        False,
        True,
        True,
        False,
    ]


def test_next_send_time_is_the_end_of_the_quiet_period() -> None:
    window = SendWindow.parse("21:00-08:00", "Asia/Shanghai")
    assert window.next_send_time(local(23, 15)) == local(8, 0, day=3)
    assert window.next_send_time(local(2, 0, day=3)) == local(8, 0, day=3)
    assert window.next_send_time(local(10, 0)) == local(10, 0)


def test_no_quiet_hours_means_always_open() -> None:
    window = SendWindow.parse("", "Asia/Shanghai")
    assert not any(window.in_quiet_hours(local(h)) for h in range(24))


@pytest.mark.parametrize("spec", ["08:00-08:00", "8-9", "21:00"])
def test_a_malformed_range_is_refused(spec: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        SendWindow.parse(spec, "Asia/Shanghai")
    assert refused.value.code == "SMS-QUIET-HOURS"


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_allows_a_burst_then_paces_at_the_rate() -> None:
    fake = FakeTime()
    limiter = RateLimiter(5, burst=2, clock=fake.clock, sleep=fake.sleep)
    for _ in range(12):
        limiter.acquire()
    # Two at once from the full bucket, then one every 0.2 s: ten more take 2 s.
    assert fake.now - 100.0 == pytest.approx(2.0)
    assert all(s == pytest.approx(0.2) for s in fake.slept)


def test_rate_limiter_refills_while_idle_but_not_beyond_the_burst() -> None:
    fake = FakeTime()
    limiter = RateLimiter(10, clock=fake.clock, sleep=fake.sleep)  # burst defaults to 1 s
    for _ in range(10):
        limiter.acquire()
    assert fake.slept == []
    fake.now += 60  # a long pause refills ten tokens, not six hundred
    for _ in range(10):
        limiter.acquire()
    assert fake.slept == []
    assert limiter.acquire() == pytest.approx(0.1)


def test_receipt_text_round_trip_and_optional_parameters_win() -> None:
    at = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    text = receipt_text("a1b2", ReceiptState.UNDELIVERABLE, at, at, 1)
    assert b"stat:UNDELIV" in text and text.startswith(b"id:a1b2 ")
    assert parse_receipt(text, at) == Receipt("a1b2", ReceiptState.UNDELIVERABLE, at)
    assert parse_receipt(text, at, receipted_message_id="X9", message_state=2) == Receipt(
        "X9", ReceiptState.DELIVERED, at
    )
    assert parse_receipt(b"no id here stat:DELIVRD", at) is None


def test_an_smsc_decodes_ucs2_gsm_and_concatenated_parts() -> None:
    assert decode_text("补登".encode("utf-16-be"), 8) == "补登"
    assert decode_text(bytes([0x00, 0x11, 0x02, 0x1B, 0x65, 0x48]), 0) == "@_$€H"
    part = split_header(b"\x05\x00\x03\x2a\x03\x02" + "链接".encode("utf-16-be"), 0x40)
    assert (part.reference, part.total, part.number) == (0x2A, 3, 2)
    assert decode_text(part.payload, 8) == "链接"
    assert split_header(b"plain", 0x00).reference is None


def test_parts_receipts_fold_into_one_for_the_message() -> None:
    at = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    tracker = PartsTracker()
    tracker.expect(["p1", "p2", "p3"])
    assert tracker.settle(Receipt("p2", ReceiptState.DELIVERED, at)) is None
    assert tracker.settle(Receipt("p1", ReceiptState.ENROUTE, at)) is None
    assert tracker.settle(Receipt("p1", ReceiptState.DELIVERED, at)) is None
    assert tracker.settle(Receipt("p3", ReceiptState.DELIVERED, at)) == Receipt(
        "p1", ReceiptState.DELIVERED, at
    )
    tracker.expect(["q1", "q2"])
    assert tracker.settle(Receipt("q2", ReceiptState.EXPIRED, at)) == Receipt(
        "q1", ReceiptState.EXPIRED, at
    )
    assert tracker.settle(Receipt("q1", ReceiptState.DELIVERED, at)) is None
    single = Receipt("s1", ReceiptState.DELIVERED, at)
    assert tracker.settle(single) is single
