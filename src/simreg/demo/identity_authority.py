"""The demo's identity authority: the simulator shipped with simreg, started in-process beside
the demo server, so online orders and group bindings are checked over real HTTP.

Its residents are the simulator's generated population of ``AUTHORITY_SEED``: demo code that
needs a person the authority knows takes ``known_person(i)``; people it makes up itself are
added with ``register_people`` (over the simulator's admin endpoint, so it works the same
when the authority runs as its own process). A person not added is "not found", and a wrong
name is a "mismatch", as with the real authority.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from simreg.core.settings import Settings
from simreg.simulators.identity_authority import (
    AuthorityServer,
    Person,
    Population,
    SimulatedAuthority,
    person,
)

AUTHORITY_SEED = 2015  # the year of the source report
AUTHORITY_POPULATION = 20_000


def known_person(position: int) -> Person:
    """A resident the demo's authority knows (0 <= position < AUTHORITY_POPULATION)."""
    if not 0 <= position < AUTHORITY_POPULATION:
        raise IndexError(position)
    return person(AUTHORITY_SEED, position)


def start_demo_authority(host: str = "127.0.0.1", port: int = 0) -> AuthorityServer:
    """Start the simulator on a background thread; the caller stops it."""
    authority = SimulatedAuthority(
        Population(seed=AUTHORITY_SEED, size=AUTHORITY_POPULATION), seed=AUTHORITY_SEED
    )
    return AuthorityServer(authority, host=host, port=port).start()


def register_people(settings: Settings, people: Iterable[Person]) -> int:
    """Add named residents to the configured simulator (not to a real authority: it has no
    such endpoint and the call fails). Returns how many were added."""
    listed = [{"document_number": p.document_number, "name": p.name} for p in people]
    if not listed:
        return 0
    headers = {}
    if settings.identity_authority_token:
        headers["Authorization"] = f"Bearer {settings.identity_authority_token}"
    with httpx.Client(base_url=settings.identity_authority_url, timeout=10.0) as client:
        response = client.post("/admin/people", json=listed, headers=headers)
        response.raise_for_status()
        return int(response.json()["added"])
