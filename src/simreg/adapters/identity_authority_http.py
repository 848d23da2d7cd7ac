"""The identity authority over HTTP (RN-10): ``POST {base}/v1/verify``.

Request ``{"document_number": ..., "name": ...}``; answer ``{"result": "match" | "mismatch" |
"not_found", "reference": ...}``. The simulator shipped with simreg
(``simreg identity-authority serve``) speaks the same protocol.

A definite answer is returned at once. Timeouts, connection errors, HTTP 429 and 5xx are
retried a bounded number of times with a short, growing pause; anything else (a refused
token, a malformed answer) is not, since asking again would get the same. When every attempt
failed the answer is ``unavailable`` with the reason, and the failure counts toward the
circuit breaker. Nothing here raises for a failed call, and no log line or reason carries the
number or the name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from simreg.adapters.circuit_breaker import CircuitBreaker
from simreg.core.settings import Settings
from simreg.identity.authority import AuthorityAnswer, CheckResult

log = logging.getLogger("simreg.identity.authority")

VERIFY_PATH = "/v1/verify"
BREAKER_OPEN = "breaker open"
_ANSWERS = {r.value: r for r in CheckResult if r.is_definite}
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class _Attempt:
    answer: AuthorityAnswer | None  # a definite answer, or None
    reason: str
    retry: bool


class HttpIdentityAuthority:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 3.0,
        retries: int = 2,
        token: str = "",
        breaker: CircuitBreaker | None = None,
        backoff: float = 0.2,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.retries = retries
        self.backoff = backoff
        self.breaker = breaker or CircuitBreaker(5, 30.0)
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout),
            headers=headers,
            transport=transport,
            follow_redirects=False,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpIdentityAuthority:
        return cls(
            settings.identity_authority_url,
            timeout=settings.identity_authority_timeout,
            retries=settings.identity_authority_retries,
            token=settings.identity_authority_token,
            breaker=CircuitBreaker(
                settings.identity_authority_breaker_failures,
                settings.identity_authority_breaker_seconds,
            ),
        )

    def verify(self, document_number: str, name: str) -> AuthorityAnswer:
        if not self.breaker.allow():
            return AuthorityAnswer(CheckResult.UNAVAILABLE, elapsed_ms=0, reason=BREAKER_OPEN)
        started = time.monotonic()
        payload = {"document_number": document_number, "name": name}
        attempt = _Attempt(None, "not asked", retry=True)
        attempts = 0
        while attempts <= self.retries:
            if attempts:
                # 0.2 s, 0.4 s, 0.8 s ... capped: short enough for a person waiting on a page.
                self._sleep(min(self.backoff * 2 ** (attempts - 1), 2.0))
            attempts += 1
            attempt = self._ask(payload)
            if attempt.answer is not None or not attempt.retry:
                break
        elapsed = int((time.monotonic() - started) * 1000)
        if attempt.answer is not None:
            self.breaker.succeeded()
            return AuthorityAnswer(
                attempt.answer.result, attempt.answer.reference, elapsed_ms=elapsed
            )
        self.breaker.failed()
        log.warning(
            "identity authority call failed after %s attempt(s): %s", attempts, attempt.reason
        )
        return AuthorityAnswer(CheckResult.UNAVAILABLE, elapsed_ms=elapsed, reason=attempt.reason)

    def close(self) -> None:
        self._client.close()

    def _ask(self, payload: dict[str, str]) -> _Attempt:
        try:
            response = self._client.post(VERIFY_PATH, json=payload)
        except httpx.TimeoutException:
            return _Attempt(None, "timeout", retry=True)
        except httpx.TransportError as error:
            # The class name only (ConnectError, RemoteProtocolError): messages may echo URLs.
            return _Attempt(None, f"connection failed ({type(error).__name__})", retry=True)
        if response.status_code != 200:
            return _Attempt(
                None,
                f"HTTP {response.status_code}",
                retry=response.status_code in _RETRY_STATUSES,
            )
        try:
            body = response.json()
            result = _ANSWERS[body["result"]]
            reference = body.get("reference")
        except (ValueError, KeyError, TypeError, AttributeError):
            return _Attempt(None, "malformed answer", retry=False)
        if reference is not None and not isinstance(reference, str):
            reference = str(reference)
        return _Attempt(AuthorityAnswer(result, reference), "", retry=False)
