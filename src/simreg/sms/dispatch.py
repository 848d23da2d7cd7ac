"""The outbox dispatcher: sends what others queued in ``sms_outbox``, after their commit, at
most once per message.

A message moves queued -> sending in a short claiming transaction, is submitted, and is then
recorded sent (or failed) in a transaction of its own. A message found still in sending long
after its claim belonged to a dispatcher that died between submitting and recording: it may
have reached the phone, so it becomes uncertain and is never sent again automatically (see
ADR 7). Delivery receipts move sent messages to delivered or failed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from simreg.core.clock import Clock
from simreg.core.errors import DomainError
from simreg.sms.pacing import RateLimiter, SendWindow
from simreg.sms.ports import (
    OutboxMessage,
    OutboxUnitOfWork,
    PermanentSendError,
    Receipt,
    SendOutcomeUnknown,
    SmsGateway,
    TransientSendError,
)

log = logging.getLogger(__name__)

Personalise = Callable[[OutboxMessage], str]

MAX_UNMATCHED = 50_000
ABANDONED = "left in sending by a dispatcher that stopped; may have been sent"


def body_unchanged(message: OutboxMessage) -> str:
    return message.body


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    uncertain: int = 0
    deferred: int = 0  # claimed but put back unsent: gateway down, quiet hours, time budget
    receipts: int = 0
    quiet_until: datetime | None = None


@dataclass(frozen=True)
class DispatchTiming:
    """How long a dispatcher may hold claimed messages, and when others give up on them.

    ``batch_seconds`` bounds how long a live dispatcher keeps messages in sending (the rest of
    a batch goes back to the queue), so ``stale_after`` can safely declare anything older
    abandoned.
    """

    batch_seconds: float = 60.0
    stale_after: timedelta = timedelta(minutes=5)
    retry_after: timedelta = timedelta(minutes=1)
    receipt_patience: float = 600.0  # seconds an unmatched receipt waits for its message
    recover_every: float = 60.0
    # Sent outcomes are committed together, every so many messages or seconds: one commit
    # per message would bound throughput by the database's commit latency. A crash before
    # the commit leaves at most this many sent messages uncertain, never resent.
    record_every: int = 20
    record_seconds: float = 1.0


class SmsDispatcher:
    def __init__(
        self,
        *,
        uow: OutboxUnitOfWork,
        gateway: SmsGateway,
        clock: Clock,
        window: SendWindow,
        limiter: RateLimiter,
        personalise: Personalise = body_unchanged,
        timing: DispatchTiming | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if timing is None:
            timing = DispatchTiming()
        if timing.stale_after.total_seconds() <= timing.batch_seconds + 30:
            raise ValueError("stale_after must exceed batch_seconds by the longest send")
        self.uow = uow
        self.gateway = gateway
        self.clock = clock
        self.window = window
        self.limiter = limiter
        self.personalise = personalise
        self.timing = timing
        self._monotonic = monotonic
        # Receipts can overtake the commit that records their message id (another
        # dispatcher's message, or a very fast SMSC); they wait here a while.
        self._unmatched: list[tuple[float, Receipt]] = []
        self._sent: list[tuple[OutboxMessage, str, datetime]] = []
        self._sent_since = 0.0

    # -- recovery -------------------------------------------------------------------------------

    def recover(self) -> list[int]:
        """Mark messages abandoned in sending as uncertain; return their ids."""
        now = self.clock.now()
        with self.uow.begin() as tx:
            ids = tx.stale_sending(now - self.timing.stale_after)
            if ids:
                tx.mark_uncertain(ids, ABANDONED, now)
                tx.record_recovery(ids, now)
        if ids:
            log.warning(
                "%d SMS left in sending are now uncertain (never resent), first ids %s",
                len(ids),
                ids[:20],
            )
        return ids

    # -- sending --------------------------------------------------------------------------------

    def run_once(self, limit: int = 100) -> DispatchReport:
        """Claim due messages, send them at the rate limit, record each outcome."""
        report = DispatchReport()
        report.receipts += self.collect_receipts()
        now = self.clock.now()
        if self.window.in_quiet_hours(now):
            report.quiet_until = self.window.next_send_time(now)
            return report
        batch = max(1, min(limit, int(self.limiter.rate * self.timing.batch_seconds)))
        with self.uow.begin() as tx:
            messages = tx.claim(now, batch)
        report.claimed = len(messages)
        deadline = self._monotonic() + self.timing.batch_seconds
        for index, message in enumerate(messages):
            if self._monotonic() > deadline or self.window.in_quiet_hours(self.clock.now()):
                self._release(messages[index:], self.clock.now(), None)
                report.deferred += len(messages) - index
                break
            rest = messages[index + 1 :]
            try:
                go_on = self._send(message, rest, report)
            except Exception:
                # Recording failed (the database went away, say): what was sent is recorded
                # and what was not submitted goes back to the queue, if the database lets us,
                # rather than all of it turning uncertain later.
                with contextlib.suppress(Exception):
                    self._record_sent()
                with contextlib.suppress(Exception):
                    self._release(rest, self.clock.now(), None)
                raise
            if not go_on:
                break
        self._record_sent()
        report.receipts += self.collect_receipts()
        if report.claimed:
            log.info(
                "SMS: sent %d, failed %d, uncertain %d, back in queue %d; %d receipts",
                report.sent,
                report.failed,
                report.uncertain,
                report.deferred,
                report.receipts,
            )
        return report

    def _send(
        self, message: OutboxMessage, rest: list[OutboxMessage], report: DispatchReport
    ) -> bool:
        """Send one claimed message and record the outcome; False stops the batch."""
        try:
            text = self.personalise(message)
        except DomainError as error:
            self._finish_failed(message, f"{error.code}: {error.message}")
            report.failed += 1
            return True
        except Exception:
            self._release([message, *rest], self.clock.now(), None)
            raise
        self.limiter.acquire()
        try:
            message_id = self.gateway.send(message.msisdn, text, message.dedupe_key)
        except TransientSendError as error:
            later = self.clock.now() + self.timing.retry_after
            self._release([message, *rest], later, error.reason)
            report.deferred += 1 + len(rest)
            log.warning(
                "SMS gateway unavailable (%s); %d messages wait", error.reason, 1 + len(rest)
            )
            return False
        except PermanentSendError as error:
            self._finish_failed(message, error.reason)
            report.failed += 1
            return True
        except SendOutcomeUnknown as error:
            self._finish_uncertain(message, error.reason)
            report.uncertain += 1
            return True
        except Exception:
            # The submission may have left before this failure: never resend it.
            self._finish_uncertain(message, "gateway error during submission")
            self._release(rest, self.clock.now(), None)
            raise
        if not self._sent:
            self._sent_since = self._monotonic()
        self._sent.append((message, message_id, self.clock.now()))
        report.sent += 1
        if (
            len(self._sent) >= self.timing.record_every
            or self._monotonic() - self._sent_since >= self.timing.record_seconds
        ):
            self._record_sent()
        return True

    def _record_sent(self) -> None:
        if not self._sent:
            return
        with self.uow.begin() as tx:
            tx.mark_sent(self._sent)
        self._sent = []

    def _finish_failed(self, message: OutboxMessage, error: str) -> None:
        with self.uow.begin() as tx:
            tx.mark_failed(message, error, self.clock.now())

    def _finish_uncertain(self, message: OutboxMessage, error: str) -> None:
        with self.uow.begin() as tx:
            tx.mark_uncertain([message.id], error, self.clock.now())

    def _release(
        self, messages: list[OutboxMessage], not_before: datetime, error: str | None
    ) -> None:
        if not messages:
            return
        with self.uow.begin() as tx:
            tx.release([m.id for m in messages], not_before, error)

    # -- receipts -------------------------------------------------------------------------------

    def collect_receipts(self) -> int:
        """Record the receipts the gateway has received; return how many matched a message."""
        arrived = self._monotonic()
        waiting = self._unmatched + [(arrived, r) for r in self.gateway.receipts()]
        if not waiting:
            return 0
        with self.uow.begin() as tx:
            unmatched = tx.apply_receipts([r for _, r in waiting])
        left = {id(r) for r in unmatched}
        oldest = arrived - self.timing.receipt_patience
        kept = [(t, r) for t, r in waiting if id(r) in left and t >= oldest]
        # Receipts for messages this system never sent must not pile up without end.
        self._unmatched = kept[-MAX_UNMATCHED:]
        return len(waiting) - len(unmatched)

    # -- the loop -------------------------------------------------------------------------------

    def run_forever(
        self, stop: threading.Event, *, limit: int = 500, idle_seconds: float = 1.0
    ) -> None:
        """Send until ``stop`` is set. Database or gateway trouble is logged and retried."""
        last_recovery = float("-inf")
        while not stop.is_set():
            try:
                if self._monotonic() - last_recovery >= self.timing.recover_every:
                    self.recover()
                    last_recovery = self._monotonic()
                report = self.run_once(limit)
            except Exception:
                log.exception("SMS dispatch failed; retrying")
                stop.wait(max(idle_seconds, 5.0))
                continue
            if report.claimed == 0 or report.deferred:
                stop.wait(idle_seconds)
