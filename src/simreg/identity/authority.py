"""The identity authority (RN-10): "is this document number held by a person of this name?".

Online and group registrations are checked against it before they reach review. The port is
one call; adapters speak to the authority over HTTP (``adapters/identity_authority_http.py``),
and a simulator of the authority ships with simreg for the demo and the tests.

An answer is one of four: match, mismatch, not found, or unavailable (timeout, error, breaker
open). Only the first three are answers about the person; ``unavailable`` means "ask again
later", and nothing is activated on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class CheckResult(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"  # the number exists, the name is not its holder's
    NOT_FOUND = "not_found"  # no such document number
    UNAVAILABLE = "unavailable"  # no answer now: retry later, never treat as a pass

    @property
    def is_definite(self) -> bool:
        """An answer about the person, fit to record against a registration and to cache."""
        return self is not CheckResult.UNAVAILABLE


class CheckPurpose(StrEnum):
    ONLINE_ORDER = "online_order"
    ACTUAL_USER = "actual_user"
    ENTERPRISE_AGENT = "enterprise_agent"


@dataclass(frozen=True)
class AuthorityAnswer:
    result: CheckResult
    reference: str | None = None  # the authority's own reference, kept as proof of the check
    elapsed_ms: int | None = None
    reason: str | None = None  # why unavailable (timeout, HTTP 503, breaker open); no identity


class IdentityAuthority(Protocol):
    """Ask the authority once. Never raises for a failed call: that is ``UNAVAILABLE``."""

    def verify(self, document_number: str, name: str) -> AuthorityAnswer: ...


@dataclass(frozen=True)
class RecordedCheck:
    """An answer as simreg keeps it: the ``identity_checks`` row it was written to."""

    id: int
    result: CheckResult
    reference: str | None
    from_cache: bool


class IdentityVerifier(Protocol):
    """The authority behind a cache and a record: a definite answer for the same document and
    name is reused for a configurable time, and every answer (unavailable too) is written to
    ``identity_checks`` in a transaction of its own. Call it outside any other transaction:
    it may wait for the network."""

    def check(self, document_number: str, name: str, purpose: CheckPurpose) -> RecordedCheck: ...
