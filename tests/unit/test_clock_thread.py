"""The background clocks beside the web server: steady rounds, failures survived, clean stop."""

from __future__ import annotations

import itertools
import logging
import threading
import time

import pytest

from simreg.cli.clock_thread import ClockThread

log = logging.getLogger("simreg.test-clock")


def test_the_first_round_runs_at_once_without_waiting_a_period() -> None:
    ran = threading.Event()
    halt = ClockThread("test-clock", ran.set, 30.0, log, "round failed").start()
    try:
        assert ran.wait(5)
    finally:
        halt()


def test_rounds_follow_at_the_pace_given() -> None:
    rounds: list[float] = []
    third = threading.Event()

    def tick() -> None:
        rounds.append(time.monotonic())
        if len(rounds) == 3:
            third.set()

    halt = ClockThread("test-clock", tick, 0.05, log, "round failed").start()
    try:
        assert third.wait(5)
    finally:
        halt()
    assert all(later - earlier >= 0.04 for earlier, later in itertools.pairwise(rounds))


def test_a_failing_round_is_logged_and_the_next_one_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []
    recovered = threading.Event()

    def tick() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        recovered.set()

    with caplog.at_level(logging.ERROR, logger=log.name):
        halt = ClockThread("test-clock", tick, 0.01, log, "round failed").start()
        try:
            assert recovered.wait(5)
        finally:
            halt()
    assert [r.message for r in caplog.records] == ["round failed"]


def test_wait_first_holds_the_first_round_and_halt_stops_a_clock_that_never_ran() -> None:
    ran = threading.Event()
    halt = ClockThread("test-clock", ran.set, 30.0, log, "round failed", wait_first=True).start()
    time.sleep(0.1)
    stopping = time.monotonic()
    halt()
    assert time.monotonic() - stopping < 2.0
    assert not ran.is_set()
    assert not any(t.name == "test-clock" and t.is_alive() for t in threading.enumerate())
