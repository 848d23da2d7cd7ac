"""The HTTP adapter against the identity-authority simulator over real HTTP: answers, retries
on timeouts and 503s (never on an answer), the bearer token, and the circuit breaker."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from simreg.adapters.circuit_breaker import BreakerState, CircuitBreaker
from simreg.adapters.identity_authority_http import HttpIdentityAuthority
from simreg.identity.authority import CheckResult
from simreg.simulators.identity_authority import (
    AuthorityServer,
    Population,
    running_authority,
)

TOKEN = "authority-token"
UNKNOWN = "11010519491231002X"  # the standard's example: valid, held by nobody here


def state(breaker: CircuitBreaker) -> BreakerState:
    """Read afresh each time (a property narrowed once stays narrowed for the type checker)."""
    return breaker.state


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def authority() -> Iterator[AuthorityServer]:
    with running_authority(Population(seed=11, size=200), token=TOKEN) as server:
        yield server


def adapter(
    server: AuthorityServer, *, token: str = TOKEN, sleeps: list[float] | None = None, **kw: object
) -> HttpIdentityAuthority:
    waits = sleeps if sleeps is not None else []
    return HttpIdentityAuthority(
        server.url,
        token=token,
        sleep=waits.append,  # backoff pauses recorded, not slept
        **kw,  # type: ignore[arg-type]
    )


def requests_seen(server: AuthorityServer, expected: int) -> int:
    """The simulator's count once it settles (a request abandoned by the caller may still be
    arriving)."""
    deadline = time.monotonic() + 3
    while server.authority.stats().requests < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    return server.authority.stats().requests


def test_match_mismatch_and_not_found_each_with_a_reference(authority: AuthorityServer) -> None:
    resident = authority.authority.population.person(17)
    client = adapter(authority)
    try:
        match = client.verify(resident.document_number, resident.name)
        mismatch = client.verify(resident.document_number, "欧阳某某")
        missing = client.verify(UNKNOWN, "张三")
    finally:
        client.close()
    assert [match.result, mismatch.result, missing.result] == [
        CheckResult.MATCH,
        CheckResult.MISMATCH,
        CheckResult.NOT_FOUND,
    ]
    references = {match.reference, mismatch.reference, missing.reference}
    assert None not in references and len(references) == 3
    # A definite answer is never asked again.
    assert requests_seen(authority, 3) == 3


def test_a_wrong_token_is_unavailable_and_not_retried(authority: AuthorityServer) -> None:
    resident = authority.authority.population.person(1)
    client = adapter(authority, token="wrong", retries=3)
    try:
        answer = client.verify(resident.document_number, resident.name)
    finally:
        client.close()
    assert answer.result is CheckResult.UNAVAILABLE
    assert answer.reason == "HTTP 401"


def test_latency_beyond_the_timeout_is_unavailable_after_the_retries(
    authority: AuthorityServer,
) -> None:
    resident = authority.authority.population.person(2)
    authority.authority.configure(latency_ms=1_500)
    sleeps: list[float] = []
    client = adapter(authority, timeout=0.3, retries=2, sleeps=sleeps)
    started = time.monotonic()
    try:
        answer = client.verify(resident.document_number, resident.name)
    finally:
        client.close()
    assert answer.result is CheckResult.UNAVAILABLE
    assert answer.reason == "timeout"
    assert answer.reference is None
    assert time.monotonic() - started < 1.5  # three short waits, not the authority's delay
    assert sleeps == [0.2, 0.4]  # growing pauses between attempts
    assert requests_seen(authority, 3) == 3


def test_a_failing_authority_is_unavailable_after_the_retries(authority: AuthorityServer) -> None:
    resident = authority.authority.population.person(3)
    authority.authority.configure(failure_rate=1.0)
    client = adapter(authority, retries=1)
    try:
        answer = client.verify(resident.document_number, resident.name)
    finally:
        client.close()
    assert (answer.result, answer.reason) == (CheckResult.UNAVAILABLE, "HTTP 503")
    assert requests_seen(authority, 2) == 2


def test_a_hanging_authority_times_out(authority: AuthorityServer) -> None:
    resident = authority.authority.population.person(4)
    authority.authority.configure(failure_rate=1.0, failure_mode="hang", hang_seconds=20)
    client = adapter(authority, timeout=0.3, retries=0)
    try:
        answer = client.verify(resident.document_number, resident.name)
    finally:
        client.close()
    assert (answer.result, answer.reason) == (CheckResult.UNAVAILABLE, "timeout")


def test_the_breaker_opens_stops_calling_and_recovers_through_one_trial(
    authority: AuthorityServer,
) -> None:
    resident = authority.authority.population.person(5)
    ticker = Ticker()
    breaker = CircuitBreaker(3, 30.0, monotonic=ticker)
    client = adapter(authority, retries=1, breaker=breaker)
    authority.authority.configure(failure_rate=1.0)
    try:
        for _ in range(3):
            failed = client.verify(resident.document_number, resident.name)
            assert failed.reason == "HTTP 503"
        assert state(breaker) is BreakerState.OPEN
        assert requests_seen(authority, 6) == 6  # 3 calls of 2 attempts each

        refused = client.verify(resident.document_number, resident.name)
        assert (refused.result, refused.reason) == (CheckResult.UNAVAILABLE, "breaker open")
        assert requests_seen(authority, 6) == 6  # the authority was not called

        authority.authority.configure(failure_rate=0.0)  # the authority is back
        ticker.now += 29
        assert client.verify(resident.document_number, resident.name).reason == "breaker open"
        ticker.now += 1
        trial = client.verify(resident.document_number, resident.name)
        assert trial.result is CheckResult.MATCH
        assert state(breaker) is BreakerState.CLOSED
        assert requests_seen(authority, 7) == 7
    finally:
        client.close()


def test_a_stopped_authority_is_unavailable_until_it_is_back(authority: AuthorityServer) -> None:
    resident = authority.authority.population.person(6)
    client = adapter(authority, retries=1)
    try:
        authority.stop()
        down = client.verify(resident.document_number, resident.name)
        assert down.result is CheckResult.UNAVAILABLE
        assert down.reason is not None and down.reason.startswith("connection failed")
        authority.start()
        back = client.verify(resident.document_number, resident.name)
        assert back.result is CheckResult.MATCH
    finally:
        client.close()


def test_the_admin_endpoint_changes_behaviour_while_it_runs(authority: AuthorityServer) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=authority.url, headers=headers) as admin:
        changed = admin.put("/admin/behaviour", json={"latency_ms": 50, "failure_rate": 0.5})
        assert changed.status_code == 200
        assert changed.json()["failure_rate"] == 0.5
        added = admin.post("/admin/people", json=[{"document_number": UNKNOWN, "name": "张三"}])
        assert added.json() == {"added": 1, "population": 201}
        assert admin.get("/health").json()["status"] == "ok"
        assert admin.put("/admin/behaviour", json={"failure_rate": 2}).status_code == 422
    assert authority.authority.behaviour.latency_ms == 50
    assert authority.authority.population.holder(UNKNOWN) == "张三"
