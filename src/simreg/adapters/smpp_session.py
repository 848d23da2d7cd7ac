"""One SMPP 3.4 transceiver connection (smpplib's PDU codec) and the thread that reads it.

smpplib's client is synchronous and reads replies inline; here one reader thread owns every
read, so a submit_sm_resp, a delivery receipt and an enquire_link can arrive in any order
while senders wait for their own reply by sequence number. Writes share one lock.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp

log = logging.getLogger(__name__)

_WIRE_ERRORS = (
    smpplib.exceptions.ConnectionError,
    smpplib.exceptions.PDUError,
    smpplib.exceptions.UnknownCommandError,
    OSError,
    ValueError,
)


class NotSubmitted(Exception):
    """The PDU never left whole: the SMSC cannot have accepted it."""


class NoAnswer(Exception):
    """The PDU left, but no reply came: the SMSC may have accepted it."""


class Refused(Exception):
    """The SMSC answered with an error status."""

    def __init__(self, status: int) -> None:
        description = smpplib.consts.DESCRIPTIONS.get(status, "unknown status")
        super().__init__(f"SMSC refused (0x{status:08X}) {description}")
        self.status = status


@dataclass(frozen=True)
class SmppAccount:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    timeout: float = 10.0  # connect, bind, and each reply
    enquire_link_every: float = 30.0


@dataclass
class _Waiter:
    done: threading.Event = field(default_factory=threading.Event)
    pdu: Any = None
    lost: bool = False


class SmppSession:
    """Bound as a transceiver on ``open``; ``alive`` until the connection drops or closes."""

    def __init__(self, account: SmppAccount, on_deliver: Callable[[Any], None]) -> None:
        self.account = account
        self._on_deliver = on_deliver
        self._client = smpplib.client.Client(
            account.host,
            account.port,
            timeout=account.timeout,
            logger_name="simreg.adapters.smpp_wire",
            allow_unknown_opt_params=True,
        )
        self._write = threading.RLock()
        self._pending: dict[int, _Waiter] = {}
        self._alive = False
        self._closing = False
        self._unbound = threading.Event()
        self._reader: threading.Thread | None = None
        self._last_read = time.monotonic()
        self._enquiry_since: float | None = None

    @property
    def alive(self) -> bool:
        return self._alive

    def open(self) -> None:
        """Connect and bind; raises NotSubmitted when either fails."""
        try:
            self._client.connect()
            # Small PDUs in both directions from two threads: without this, Nagle's algorithm
            # holds a submit_sm back until the previous write is acknowledged.
            self._client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._client.bind_transceiver(
                system_id=self.account.system_id,
                password=self.account.password,
                system_type=self.account.system_type,
            )
        except _WIRE_ERRORS as error:
            self._disconnect()
            reason = error or type(error).__name__
            raise NotSubmitted(f"cannot bind to {self._where()}: {reason}") from error
        self._alive = True
        self._last_read = time.monotonic()
        self._reader = threading.Thread(
            target=self._read_loop, name=f"smpp-reader-{self._where()}", daemon=True
        )
        self._reader.start()
        log.info("bound to SMSC %s as %s", self._where(), self.account.system_id)

    def submit(self, **params: Any) -> str:
        """Send one submit_sm and wait for its reply; return the SMSC's message id."""
        waiter = _Waiter()
        with self._write:
            if not self._alive:
                raise NotSubmitted("not connected")
            pdu = smpplib.smpp.make_pdu("submit_sm", client=self._client, **params)
            self._pending[pdu.sequence] = waiter
            try:
                self._client.send_pdu(pdu)
            except _WIRE_ERRORS as error:
                self._pending.pop(pdu.sequence, None)
                self._drop(f"write failed: {error or type(error).__name__}")
                raise NotSubmitted("connection lost while writing") from error
        if not waiter.done.wait(self.account.timeout):
            self._pending.pop(pdu.sequence, None)
            raise NoAnswer(f"no submit_sm_resp within {self.account.timeout:g} s")
        if waiter.lost:
            raise NoAnswer("connection lost before the SMSC answered")
        reply = waiter.pdu
        if reply.status != smpplib.consts.SMPP_ESME_ROK:
            raise Refused(int(reply.status))
        message_id = reply.message_id
        if isinstance(message_id, bytes):
            message_id = message_id.decode("ascii", "replace")
        return str(message_id or "")

    def close(self) -> None:
        """Unbind politely (waiting briefly for the reply), then disconnect."""
        self._closing = True
        if self._alive:
            try:
                with self._write:
                    self._client.send_pdu(smpplib.smpp.make_pdu("unbind", client=self._client))
                self._unbound.wait(min(self.account.timeout, 2.0))
            except _WIRE_ERRORS:
                pass
        self._drop("closed")
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=self.account.timeout)

    # -- the reader thread ----------------------------------------------------------------------

    def _read_loop(self) -> None:
        """Runs until the connection ends; never lets an exception kill the thread, since a
        dead reader would leave senders waiting for replies that nobody reads."""
        while self._alive:
            step = "read"
            try:
                sock = self._client._socket  # smpplib exposes no way to wait for readability
                if sock is None:
                    break
                readable, _, _ = select.select([sock], [], [], 0.5)
                if not readable:
                    self._keepalive()
                    continue
                pdu = self._client.read_pdu()
                self._last_read = time.monotonic()
                self._enquiry_since = None
                step = "reply"
                self._handle(pdu)
            except (TimeoutError, *_WIRE_ERRORS) as error:
                self._drop(f"{step} failed: {error or type(error).__name__}")
                break
            except Exception:
                # close() in another thread can pull the socket out from under a read.
                if self._alive and not self._closing:
                    log.exception("SMPP reader stopped by an unexpected error")
                self._drop("reader error")
                break

    def _keepalive(self) -> None:
        now = time.monotonic()
        if self._enquiry_since is not None:
            if now - self._enquiry_since > self.account.timeout:
                self._drop("no answer to enquire_link")
            return
        if now - self._last_read >= self.account.enquire_link_every:
            self._enquiry_since = now
            self._reply("enquire_link", None)

    def _handle(self, pdu: Any) -> None:
        command = pdu.command
        if command in ("submit_sm_resp", "generic_nack"):
            waiter = self._pending.pop(pdu.sequence, None)
            if waiter is not None:
                waiter.pdu = pdu
                waiter.done.set()
        elif command == "deliver_sm":
            try:
                self._on_deliver(pdu)
            except Exception:  # one unreadable receipt must not cost the connection
                log.exception("a deliver_sm could not be read")
            self._reply("deliver_sm_resp", pdu.sequence)
        elif command == "enquire_link":
            self._reply("enquire_link_resp", pdu.sequence)
        elif command == "unbind":
            self._reply("unbind_resp", pdu.sequence)
            self._drop("the SMSC unbound")
        elif command == "unbind_resp":
            self._unbound.set()
        elif command != "enquire_link_resp":
            log.debug("ignored %s from the SMSC", command)

    def _reply(self, command: str, sequence: int | None) -> None:
        with self._write:
            pdu = smpplib.smpp.make_pdu(command, client=self._client)
            if sequence is not None:
                pdu.sequence = sequence
            self._client.send_pdu(pdu)

    def _drop(self, reason: str) -> None:
        with self._write:
            was_alive, self._alive = self._alive, False
            pending, self._pending = self._pending, {}
            self._disconnect()
        for waiter in pending.values():
            waiter.lost = True
            waiter.done.set()
        if was_alive and not self._closing:
            log.warning("SMPP connection to %s dropped: %s", self._where(), reason)

    def _disconnect(self) -> None:
        sock = self._client._socket
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the reader if it is blocked in recv
            sock.close()
            self._client._socket = None
        self._client.state = smpplib.consts.SMPP_CLIENT_STATE_CLOSED

    def _where(self) -> str:
        return f"{self.account.host}:{self.account.port}"
