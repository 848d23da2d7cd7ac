"""The online order's pure parts: order numbers, the retry pause, the throttle window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simreg.online.domain import (
    OrderStatus,
    new_order_no,
    next_check_delay,
    normalise_order_no,
)
from simreg.online.throttle import window_start

AT = datetime(2026, 11, 29, 6, 30, 15, tzinfo=UTC)


def test_order_numbers_are_dated_readable_and_typed_back_as_clerks_type_them() -> None:
    numbers = {new_order_no(AT) for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert number.startswith("261129") and len(number) == 12
        assert not set(number[6:]) & set("01IO")
    assert normalise_order_no(" 261129-ab cd ef ") == "261129ABCDEF"


def test_a_check_that_found_the_authority_down_waits_longer_each_time_up_to_an_hour() -> None:
    assert [next_check_delay(n, 60) for n in (1, 2, 3)] == [
        timedelta(seconds=60),
        timedelta(seconds=120),
        timedelta(seconds=240),
    ]
    assert next_check_delay(30, 60) == timedelta(hours=1)


def test_only_open_orders_hold_their_number_and_only_before_approval_may_be_cancelled() -> None:
    assert {s for s in OrderStatus if s.is_open} == {
        OrderStatus.RESERVED,
        OrderStatus.VERIFICATION_PENDING,
        OrderStatus.IN_REVIEW,
        OrderStatus.READY,
    }
    assert not OrderStatus.READY.customer_may_cancel
    assert OrderStatus.IN_REVIEW.customer_may_cancel


def test_throttle_windows_are_aligned_so_every_process_counts_in_the_same_one() -> None:
    assert window_start(AT, 600) == datetime(2026, 11, 29, 6, 30, tzinfo=UTC)
    assert window_start(AT + timedelta(minutes=9), 600) == window_start(AT, 600)
