"""The identity authority behind a cache and a record (RN-10, RN-12).

``CachedIdentityVerifier`` is what the online shop and group customers call. It validates the
resident ID number and the name, looks for a definite answer about the same document and name
younger than the cache time, and otherwise asks the authority. Every check is written to
``identity_checks`` through ``IdentityCheckStore``, in a transaction of its own:

- an answer from the authority is one row (``from_cache`` false), unavailable answers too, so
  the record shows every attempt and why it failed;
- an answer reused from the cache is written again as a new row with ``from_cache`` true and
  the authority's reference of the answer it reuses. Each registration then points at a row
  of its own purpose and time, and the reuse is visible. Only rows that came from the
  authority are looked up as cache entries, so reuse never stretches an answer's life.

``unavailable`` is never cached: the next check asks the authority again. Nothing here stores
or logs the number or the name; rows carry only blind indexes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from simreg.core.clock import Clock
from simreg.core.crypto import IdentityVault
from simreg.identity.authority import (
    AuthorityAnswer,
    CheckPurpose,
    CheckResult,
    IdentityAuthority,
    RecordedCheck,
)
from simreg.identity.documents import Document, DocumentType, document_index, parse_document
from simreg.identity.names import validate_person_name

log = logging.getLogger("simreg.identity")

# Keeps name digests apart from every other use of the blind-index key (documents use
# "<type>:<number>"), so a name can never collide with a document's index.
NAME_INDEX_PREFIX = "person-name:"
NOT_CONFIGURED = "not configured"


@dataclass(frozen=True)
class CheckToRecord:
    doc_index: str
    name_index: str
    purpose: CheckPurpose
    result: CheckResult
    reference: str | None
    checked_at: datetime
    elapsed_ms: int | None
    from_cache: bool


class IdentityCheckStore(Protocol):
    """Where checks are kept; each call is one short transaction of its own."""

    def reuse_answer(
        self, doc_index: str, name_index: str, since: datetime, purpose: CheckPurpose, at: datetime
    ) -> RecordedCheck | None:
        """Record a reuse (``from_cache``) of the newest definite answer the authority itself
        gave for this document and name at or after ``since``; None when there is none."""
        ...

    def record(self, check: CheckToRecord) -> int: ...


class UnconfiguredAuthority:
    """Stands in where no authority URL is configured: every check is unavailable, so online
    and group registrations wait instead of being activated unchecked."""

    def verify(self, document_number: str, name: str) -> AuthorityAnswer:
        return AuthorityAnswer(CheckResult.UNAVAILABLE, reason=NOT_CONFIGURED)


@dataclass(frozen=True)
class CheckKeys:
    document: Document
    doc_index: str
    name: str
    name_index: str


def check_keys(vault: IdentityVault, document_number: str, name: str, *, today: date) -> CheckKeys:
    """Validate and index what is checked. The authority holds resident ID numbers only, so
    the number is read as one (a bad number raises ``DocumentInvalid`` with its reason)."""
    document = parse_document(DocumentType.RESIDENT_ID, document_number, today=today)
    normalised = validate_person_name(name)
    return CheckKeys(
        document=document,
        doc_index=document_index(vault, document),
        name=normalised,
        name_index=vault.index.digest(NAME_INDEX_PREFIX + normalised),
    )


class CachedIdentityVerifier:
    def __init__(
        self,
        authority: IdentityAuthority,
        store: IdentityCheckStore,
        vault: IdentityVault,
        clock: Clock,
        *,
        cache_seconds: int,
    ) -> None:
        self.authority = authority
        self.store = store
        self.vault = vault
        self.clock = clock
        self.cache_for = timedelta(seconds=cache_seconds)

    def check(self, document_number: str, name: str, purpose: CheckPurpose) -> RecordedCheck:
        keys = check_keys(self.vault, document_number, name, today=self.clock.today())
        now = self.clock.now()
        if self.cache_for > timedelta(0):
            reused = self.store.reuse_answer(
                keys.doc_index, keys.name_index, now - self.cache_for, purpose, now
            )
            if reused is not None:
                return reused
        started = time.monotonic()
        answer = self.authority.verify(keys.document.number, keys.name)
        elapsed = answer.elapsed_ms
        if elapsed is None:
            elapsed = int((time.monotonic() - started) * 1000)
        if answer.result is CheckResult.UNAVAILABLE:
            # The reason says which part failed (timeout, HTTP 503, breaker open); no identity.
            log.warning("identity authority unavailable for a %s check: %s", purpose, answer.reason)
        # The clock is read again: the answer is as of when it arrived, after any retries.
        return self._record(
            keys, purpose, answer.result, answer.reference, self.clock.now(), elapsed
        )

    def close(self) -> None:
        close = getattr(self.authority, "close", None)
        if callable(close):
            close()

    def _record(
        self,
        keys: CheckKeys,
        purpose: CheckPurpose,
        result: CheckResult,
        reference: str | None,
        at: datetime,
        elapsed_ms: int | None,
    ) -> RecordedCheck:
        check_id = self.store.record(
            CheckToRecord(
                doc_index=keys.doc_index,
                name_index=keys.name_index,
                purpose=purpose,
                result=result,
                reference=reference[:64] if reference else None,
                checked_at=at,
                elapsed_ms=elapsed_ms,
                from_cache=False,
            )
        )
        return RecordedCheck(id=check_id, result=result, reference=reference, from_cache=False)
