"""The circuit breaker in front of the identity authority: opens after N consecutive failures,
refuses while open, lets one trial through when the open period ends."""

from __future__ import annotations

import threading

from simreg.adapters.circuit_breaker import BreakerState, CircuitBreaker


def state(breaker: CircuitBreaker) -> BreakerState:
    """Read afresh each time (a property narrowed once stays narrowed for the type checker)."""
    return breaker.state


class Ticker:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(3, 10.0, monotonic=Ticker())
    breaker.failed()
    breaker.failed()
    breaker.succeeded()  # a success in between starts the count again
    breaker.failed()
    breaker.failed()
    assert breaker.allow()
    breaker.failed()
    assert state(breaker) is BreakerState.OPEN
    assert not breaker.allow()


def test_half_open_lets_one_trial_through_and_closes_on_success() -> None:
    clock = Ticker()
    breaker = CircuitBreaker(1, 10.0, monotonic=clock)
    breaker.failed()
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.2
    assert state(breaker) is BreakerState.HALF_OPEN
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # everyone else waits for it
    breaker.succeeded()
    assert state(breaker) is BreakerState.CLOSED
    assert breaker.allow() and breaker.allow()


def test_a_failed_trial_opens_for_a_fresh_period() -> None:
    clock = Ticker()
    breaker = CircuitBreaker(2, 10.0, monotonic=clock)
    breaker.failed()
    breaker.failed()
    clock.now += 10
    assert breaker.allow()
    breaker.failed()
    clock.now += 9
    assert state(breaker) is BreakerState.OPEN
    clock.now += 1
    assert breaker.allow()


def test_only_one_of_many_threads_gets_the_trial() -> None:
    clock = Ticker()
    breaker = CircuitBreaker(1, 1.0, monotonic=clock)
    breaker.failed()
    clock.now += 1
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def ask() -> None:
        start.wait()
        got = breaker.allow()
        with lock:
            allowed.append(got)

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 1
