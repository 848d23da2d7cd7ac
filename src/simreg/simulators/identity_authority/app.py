"""The simulated identity authority as an HTTP service (the protocol of
``simreg.adapters.identity_authority_http``).

- ``POST /v1/verify`` ``{document_number, name}`` -> ``{result, reference}``, result one of
  ``match``, ``mismatch`` (the number is held by someone of another name), ``not_found``.
- ``GET /health``.
- ``GET|PUT /admin/behaviour``: latency and failures, changeable while it runs, so a test or a
  demo can make the authority slow, failing or hanging; ``POST /admin/people`` adds named
  people; ``GET /admin/stats`` counts the verify requests received.

It answers in the authority's way: nothing about a person beyond the three results, and it
keeps no record of what was asked (only counts).
"""

from __future__ import annotations

import asyncio
import random
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from simreg.simulators.identity_authority.population import (
    Person,
    Population,
    normalise_name,
)

FailureMode = Literal["error", "hang"]


@dataclass(frozen=True)
class Behaviour:
    latency_ms: int = 0
    failure_rate: float = 0.0  # share of verify requests that fail
    failure_mode: FailureMode = "error"  # error: HTTP 503 at once; hang: no answer for a while
    hang_seconds: float = 30.0


class BehaviourUpdate(BaseModel):
    latency_ms: int | None = Field(default=None, ge=0, le=600_000)
    failure_rate: float | None = Field(default=None, ge=0, le=1)
    failure_mode: FailureMode | None = None
    hang_seconds: float | None = Field(default=None, ge=0, le=3600)


class VerifyRequest(BaseModel):
    document_number: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=128)


class VerifyResponse(BaseModel):
    result: Literal["match", "mismatch", "not_found"]
    reference: str
    checked_at: str


class PersonIn(BaseModel):
    document_number: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=128)


@dataclass
class Counters:
    requests: int = 0
    answered: int = 0
    failed: int = 0


class SimulatedAuthority:
    """State shared by the HTTP handlers and whoever runs the simulator in-process."""

    def __init__(
        self,
        population: Population,
        behaviour: Behaviour | None = None,
        *,
        token: str = "",
        seed: int = 0,
    ) -> None:
        self.population = population
        self.token = token
        self._behaviour = behaviour or Behaviour()
        self._lock = threading.Lock()
        # Which simulated requests fail: reproducible, not secret.
        self._random = random.Random(f"failures:{seed}")  # noqa: S311
        self.counters = Counters()

    @property
    def behaviour(self) -> Behaviour:
        with self._lock:
            return self._behaviour

    def configure(self, **changes: object) -> Behaviour:
        with self._lock:
            self._behaviour = replace(self._behaviour, **changes)  # type: ignore[arg-type]
            return self._behaviour

    def add_people(self, people: list[Person]) -> int:
        return self.population.add(people)

    def count_request(self, rate: float) -> bool:
        """Count a verify request and draw whether it fails."""
        with self._lock:
            self.counters.requests += 1
            failing = rate > 0 and self._random.random() < rate
            if failing:
                self.counters.failed += 1
            else:
                self.counters.answered += 1
            return failing

    def stats(self) -> Counters:
        with self._lock:
            return replace(self.counters)

    def answer(self, document_number: str, name: str) -> VerifyResponse:
        holder = self.population.holder(document_number)
        if holder is None:
            result: Literal["match", "mismatch", "not_found"] = "not_found"
        elif normalise_name(holder) == normalise_name(name):
            result = "match"
        else:
            result = "mismatch"
        now = datetime.now(UTC)
        return VerifyResponse(
            result=result,
            reference=f"IA{now:%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}",
            checked_at=now.isoformat(),
        )


async def _wait(request: Request, seconds: float) -> None:
    """Sleep without holding a thread, and stop early once the caller has given up: a slow
    or hanging authority must not pile up abandoned requests."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        if await request.is_disconnected():
            return
        await asyncio.sleep(min(left, 0.05))


def create_authority_app(authority: SimulatedAuthority) -> FastAPI:
    app = FastAPI(title="Identity authority (simulator)", docs_url=None, redoc_url=None)

    def authorise(authorization: str | None) -> None:
        if authority.token and authorization != f"Bearer {authority.token}":
            raise HTTPException(status_code=401, detail="missing or wrong bearer token")

    @app.get("/health")
    def health() -> dict[str, object]:
        return {"status": "ok", "population": len(authority.population)}

    @app.post("/v1/verify", response_model=VerifyResponse)
    async def verify(
        asked: VerifyRequest,
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
    ) -> VerifyResponse | JSONResponse:
        authorise(authorization)
        behaviour = authority.behaviour
        # Counted on arrival: a caller that gives up while it waits was still a request.
        failing = authority.count_request(behaviour.failure_rate)
        if behaviour.latency_ms:
            await _wait(request, behaviour.latency_ms / 1000)
        if failing:
            if behaviour.failure_mode == "hang":
                await _wait(request, behaviour.hang_seconds)
            return JSONResponse({"detail": "service unavailable"}, status_code=503)
        return authority.answer(asked.document_number, asked.name)

    @app.get("/admin/behaviour")
    def get_behaviour(authorization: Annotated[str | None, Header()] = None) -> Behaviour:
        authorise(authorization)
        return authority.behaviour

    @app.put("/admin/behaviour")
    def put_behaviour(
        update: BehaviourUpdate, authorization: Annotated[str | None, Header()] = None
    ) -> Behaviour:
        authorise(authorization)
        return authority.configure(**update.model_dump(exclude_none=True))

    @app.post("/admin/people")
    def add_people(
        people: list[PersonIn], authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, int]:
        authorise(authorization)
        added = authority.add_people([Person(p.document_number, p.name) for p in people])
        return {"added": added, "population": len(authority.population)}

    @app.get("/admin/stats")
    def stats(authorization: Annotated[str | None, Header()] = None) -> Counters:
        authorise(authorization)
        return authority.stats()

    return app
