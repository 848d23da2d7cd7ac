"""The production SMS gateway: an SMPP 3.4 ESME bound as a transceiver to the operator's SMSC.

Chinese text goes as UCS-2 (data_coding 8), plain text in the GSM default alphabet; a text
longer than one SMS is split into concatenated parts (a user data header per part). Every
submission asks for a delivery receipt; receipts arrive on the same connection and are
handed to the dispatcher by ``receipts()``. A dropped connection is re-established on the
next send or receipt poll, a few seconds apart at most.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import smpplib.consts
import smpplib.exceptions
import smpplib.gsm

from simreg.adapters.smpp_receipts import is_delivery_receipt, parse_receipt
from simreg.adapters.smpp_session import NoAnswer, NotSubmitted, Refused, SmppAccount, SmppSession
from simreg.core.clock import Clock
from simreg.core.settings import Settings
from simreg.sms.ports import (
    PermanentSendError,
    Receipt,
    SendOutcomeUnknown,
    TransientSendError,
)

log = logging.getLogger(__name__)

# The SMSC refused for now, not for good: nothing was accepted, so the message may wait.
RETRY_LATER = {
    smpplib.consts.SMPP_ESME_RTHROTTLED,
    smpplib.consts.SMPP_ESME_RMSGQFUL,
    smpplib.consts.SMPP_ESME_RSYSERR,
    smpplib.consts.SMPP_ESME_RINVBNDSTS,
}


class PartsTracker:
    """A long message is several SMSC messages, each with its own receipt. The outbox knows
    the first part's id; this folds the parts' receipts into one for it: delivered once every
    part is, failed as soon as one part fails (later receipts of that message are dropped)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._first_of: OrderedDict[str, str] = OrderedDict()
        self._waiting: OrderedDict[str, set[str]] = OrderedDict()

    def expect(self, part_ids: list[str]) -> None:
        first = part_ids[0]
        self._waiting[first] = set(part_ids)
        for part in part_ids:
            self._first_of[part] = first
        # Receipts that never come must not keep memory forever.
        while len(self._waiting) > self.capacity:
            self._waiting.popitem(last=False)
        while len(self._first_of) > self.capacity * 4:
            self._first_of.popitem(last=False)

    def settle(self, receipt: Receipt) -> Receipt | None:
        """The receipt to record for the message, or None while its parts are incomplete."""
        first = self._first_of.get(receipt.message_id)
        if first is None:
            return receipt
        outcome = receipt.state.outcome
        if outcome is None:
            return None  # interim (accepted, en route): the final one follows
        del self._first_of[receipt.message_id]
        waiting = self._waiting.get(first)
        if waiting is None:
            return None  # the message is settled already
        waiting.discard(receipt.message_id)
        if outcome == "delivered" and waiting:
            return None
        del self._waiting[first]
        return Receipt(first, receipt.state, receipt.at)


class SmppGateway:
    def __init__(
        self,
        account: SmppAccount,
        *,
        source_addr: str,
        clock: Clock,
        reconnect_delay: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account = account
        self.source_addr = source_addr
        self.clock = clock
        self.reconnect_delay = reconnect_delay
        self._monotonic = monotonic
        self._session: SmppSession | None = None
        self._connect_lock = threading.Lock()
        self._last_attempt = float("-inf")
        self._wanted = False
        self._receipts_lock = threading.Lock()
        self._receipts: list[Receipt] = []
        self._parts = PartsTracker()

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> SmppGateway:
        account = SmppAccount(
            host=settings.smpp_host,
            port=settings.smpp_port,
            system_id=settings.smpp_system_id,
            password=settings.smpp_password,
        )
        return cls(account, source_addr=settings.smpp_source_addr, clock=clock)

    def send(self, to: str, text: str, reference: str) -> str:
        session = self._connected()
        try:
            parts, coding, esm_class = smpplib.gsm.make_parts(text)
        except (smpplib.exceptions.MessageTooLong, UnicodeError, ValueError) as error:
            raise PermanentSendError(f"text cannot be sent as SMS: {error}") from error
        ids: list[str] = []
        for number, part in enumerate(parts, start=1):
            try:
                ids.append(session.submit(**self._submit_params(to, part, coding, esm_class)))
            except NotSubmitted as error:
                if not ids:
                    raise TransientSendError(str(error)) from error
                raise SendOutcomeUnknown(self._partial(number, len(parts), error)) from error
            except NoAnswer as error:
                if not ids:
                    raise SendOutcomeUnknown(str(error)) from error
                raise SendOutcomeUnknown(self._partial(number, len(parts), error)) from error
            except Refused as error:
                if ids:
                    raise SendOutcomeUnknown(self._partial(number, len(parts), error)) from error
                if error.status in RETRY_LATER:
                    raise TransientSendError(str(error)) from error
                raise PermanentSendError(str(error)) from error
        if len(ids) > 1:
            self._parts.expect(ids)
        log.debug("submitted %s as %s (%d parts)", reference, ids[0], len(ids))
        return ids[0]

    def receipts(self) -> list[Receipt]:
        if self._wanted:
            with contextlib.suppress(TransientSendError):
                self._connected()  # receipts only flow on a live connection
        with self._receipts_lock:
            arrived, self._receipts = self._receipts, []
        # Settled here, in the sending thread, not as they arrive: a part's receipt can come
        # before the message's last part is submitted and its parts are known.
        settled = (self._parts.settle(receipt) for receipt in arrived)
        return [receipt for receipt in settled if receipt is not None]

    def close(self) -> None:
        with self._connect_lock:
            self._wanted = False
            session, self._session = self._session, None
        if session is not None:
            session.close()

    # -- internals ------------------------------------------------------------------------------

    def _submit_params(self, to: str, part: bytes, coding: int, esm_class: int) -> dict[str, Any]:
        return {
            "source_addr_ton": smpplib.consts.SMPP_TON_UNK,
            "source_addr_npi": smpplib.consts.SMPP_NPI_UNK,
            "source_addr": self.source_addr,
            "dest_addr_ton": smpplib.consts.SMPP_TON_UNK,
            "dest_addr_npi": smpplib.consts.SMPP_NPI_ISDN,
            "destination_addr": to,
            "short_message": part,
            "data_coding": coding,
            "esm_class": esm_class,
            "registered_delivery": smpplib.consts.SMPP_SMSC_DELIVERY_RECEIPT_BOTH,
        }

    @staticmethod
    def _partial(number: int, total: int, error: Exception) -> str:
        return f"part {number} of {total} not confirmed ({error}); earlier parts were sent"

    def _connected(self) -> SmppSession:
        with self._connect_lock:
            if self._session is not None and self._session.alive:
                return self._session
            waited = self._monotonic() - self._last_attempt
            if waited < self.reconnect_delay:
                raise TransientSendError("SMSC not connected; reconnecting shortly")
            self._last_attempt = self._monotonic()
            session = SmppSession(self.account, self._delivered)
            try:
                session.open()
            except NotSubmitted as error:
                raise TransientSendError(str(error)) from error
            self._session = session
            self._wanted = True
            return session

    def _delivered(self, pdu: Any) -> None:
        """A deliver_sm from the SMSC (reader thread): keep delivery receipts, log the rest."""
        if not is_delivery_receipt(int(pdu.esm_class or 0)):
            log.info("ignored a mobile-originated message from the SMSC")
            return
        receipted = pdu.receipted_message_id
        if isinstance(receipted, bytes):
            receipted = receipted.decode("ascii", "replace")
        receipt = parse_receipt(
            pdu.short_message or b"",
            self.clock.now(),
            receipted_message_id=receipted or None,
            message_state=pdu.message_state,
        )
        if receipt is None:
            log.warning("a delivery receipt without a message id was ignored")
            return
        with self._receipts_lock:
            self._receipts.append(receipt)
