"""Throttling of the public pages and API (the online shop): requests per client address and
identity submissions per document, counted in fixed windows shared by every server process;
and of the clerks' live document checks, per staff member.

Buckets are keyed hashes, never the address or the document number itself, so the table
says nothing about who asked. Each request is one conditional upsert (``ThrottleStore.hit``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from simreg.core.clock import Clock
from simreg.core.crypto import BlindIndex
from simreg.core.errors import TooManyRequests
from simreg.online.ports import ThrottleStore


@dataclass(frozen=True)
class ThrottleLimits:
    per_address: int
    per_document: int
    window_seconds: int
    # Live document checks (how many lines an ID holds) one staff member may make a window.
    lookups_per_staff: int = 120
    # Log-in attempts from one address a window (each account also locks after 5 failures).
    logins_per_address: int = 100


class PublicThrottle:
    def __init__(
        self, *, store: ThrottleStore, keys: BlindIndex, clock: Clock, limits: ThrottleLimits
    ) -> None:
        self.store = store
        self.keys = keys
        self.clock = clock
        self.limits = limits

    def address(self, client_address: str) -> None:
        """One public request from this address; TooManyRequests past the limit."""
        self._hit("addr:" + self.keys.digest("throttle-address:" + client_address), "address")

    def document(self, doc_index: str) -> None:
        """One identity submission naming this document: this is what stops anyone trying
        names against a number (or numbers against a name) from many addresses."""
        self._hit("doc:" + self.keys.digest("throttle-document:" + doc_index), "document")

    def link(self, token: str) -> None:
        """One submission through a re-registration link, counted like a document's."""
        self._hit("link:" + self.keys.digest("throttle-link:" + token), "document")

    def document_lookup(self, staff_id: int) -> None:
        """One live document check by a clerk. The check says how many lines any ID number
        holds; a clerk serves a customer at a time, so hundreds a window is someone
        harvesting, not registering."""
        self._hit("lookup:" + self.keys.digest(f"throttle-lookup:{staff_id}"), "lookup")

    def login(self, client_address: str) -> None:
        """One log-in attempt from this address: without it, one address could lock every
        account in turn (five wrong passwords each)."""
        self._hit("login:" + self.keys.digest("throttle-login:" + client_address), "login")

    def _hit(self, bucket: str, kind: str) -> None:
        limit = {
            "address": self.limits.per_address,
            "document": self.limits.per_document,
            "lookup": self.limits.lookups_per_staff,
            "login": self.limits.logins_per_address,
        }[kind]
        now = self.clock.now()
        start = window_start(now, self.limits.window_seconds)
        if not self.store.hit(bucket, start, limit):
            retry = start + timedelta(seconds=self.limits.window_seconds) - now
            raise TooManyRequests(
                "Too many requests from here; wait a little and try again.",
                message_zh="操作过于频繁，请稍后再试。",
                retry_after=max(1, math.ceil(retry.total_seconds())),
                limit=kind,
            )

    def forget_old(self) -> int:
        """Drop finished windows (the sweep calls this)."""
        now = self.clock.now()
        return self.store.forget_before(window_start(now, self.limits.window_seconds))


def window_start(now: datetime, window_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=UTC)
