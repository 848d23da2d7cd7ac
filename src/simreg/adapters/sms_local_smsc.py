"""A local SMSC for development and tests (`simreg sms smsc`), built on the smpp34 package: an
SMPP 3.4 server from an implementation independent of the smpplib client simreg sends with.

It accepts every bind, answers each submit_sm with a fresh message id, reassembles
concatenated messages, records each complete message (in memory, and as one JSON line in a
journal file), and sends a delivery receipt for every part it accepted: "DELIVRD", or
"UNDELIV" for every ``fail_every``-th message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import smpp34

from simreg.adapters.smpp_receipts import (
    ESM_CLASS_DELIVERY_RECEIPT,
    MESSAGE_STATE_OF,
    receipt_text,
)
from simreg.adapters.sms_text import Part, decode_text, split_header
from simreg.sms.ports import ReceiptState

log = logging.getLogger(__name__)

# SMPP 3.4 optional parameter tags (section 5.3.2): what a receipt's TLVs are.
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427


@dataclass(frozen=True)
class ReceivedMessage:
    message_ids: list[str]
    system_id: str
    source: str
    destination: str
    text: str
    data_coding: int
    parts: int
    receipt: str
    at: str


@dataclass
class _Assembly:
    """The parts of one concatenated message seen so far."""

    ordinal: int
    parts: dict[int, bytes] = field(default_factory=dict)
    ids: dict[int, str] = field(default_factory=dict)


class LocalSmsc:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 2775,
        *,
        system_id: str = "simreg-smsc",
        fail_every: int = 0,
        journal: Path | None = None,
        on_message: Callable[[ReceivedMessage], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.system_id = system_id
        self.fail_every = fail_every
        self.journal = journal
        self.on_message = on_message
        self.messages: list[ReceivedMessage] = []
        self.submits = 0
        self._lock = threading.Lock()
        self._sessions: dict[str, smpp34.Esme] = {}
        self._assemblies: dict[tuple[str, str, int], _Assembly] = {}
        self._ordinal = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- running --------------------------------------------------------------------------------

    async def serve(self) -> None:
        """Serve until ``stop`` is called; bound sessions are unbound on the way out."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = smpp34.Server(self.host, self.port, system_id=self.system_id)
        await server.start()
        self._ready.set()
        log.info("SMSC listening on %s:%d", self.host, self.port)
        stopping = asyncio.ensure_future(self._stop.wait())
        event: asyncio.Future[Any] = asyncio.ensure_future(server.next())
        try:
            while True:
                done, _ = await asyncio.wait({event, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stopping in done:
                    break
                self._dispatch(event.result())
                event = asyncio.ensure_future(server.next())
        finally:
            event.cancel()
            stopping.cancel()
            for task in list(self._tasks):
                task.cancel()
            for esme in list(self._sessions.values()):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(esme.unbind(), 2.0)
            self._sessions.clear()
            await server.stop()

    def start(self) -> LocalSmsc:
        """Serve on a thread of its own; returns once the port is listening."""
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="local-smsc", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _run(self) -> None:
        try:
            asyncio.run(self.serve())
        except BaseException as error:  # reported to start(), which waits for the port
            self._error = error
            self._ready.set()

    def texts_to(self, destination: str) -> list[str]:
        with self._lock:
            return [m.text for m in self.messages if m.destination == destination]

    # -- events ---------------------------------------------------------------------------------

    def _dispatch(self, event: Any) -> None:
        if isinstance(event, smpp34.Esme):
            self._sessions[event.session_id] = event
            log.info("ESME %s bound", event.system_id)
        elif isinstance(event, smpp34.Unbound):
            esme = self._sessions.pop(event.session_id, None)
            log.info("ESME %s unbound", esme.system_id if esme else event.session_id)
        elif isinstance(event, smpp34.SubmitSmEvent):
            self._submitted(event)

    def _submitted(self, event: smpp34.SubmitSmEvent) -> None:
        message_id = uuid.uuid4().hex[:20]
        part = split_header(event.short_message, event.esm_class)
        esme = self._sessions.get(event.session_id)
        system_id = esme.system_id if esme is not None else ""
        key = (event.session_id, event.destination_addr, part.reference or -1)
        with self._lock:
            self.submits += 1
            assembly = self._assemblies.get(key) if part.reference is not None else None
            if assembly is None:
                self._ordinal += 1
                assembly = _Assembly(self._ordinal)
                if part.reference is not None:
                    self._assemblies[key] = assembly
            assembly.parts[part.number] = part.payload
            assembly.ids[part.number] = message_id
            complete = len(assembly.parts) >= part.total
            if complete and part.reference is not None:
                self._assemblies.pop(key, None)
        failing = self.fail_every > 0 and assembly.ordinal % self.fail_every == 0
        state = ReceiptState.UNDELIVERABLE if failing else ReceiptState.DELIVERED
        if complete:
            self._record(event, assembly, part, system_id, state)
        # Acknowledged only once kept, as a store-and-forward SMSC does.
        event.accept(message_id)
        if event.registered_delivery & 0x03:
            task = asyncio.ensure_future(self._receipt(event, message_id, state))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _record(
        self,
        event: smpp34.SubmitSmEvent,
        assembly: _Assembly,
        part: Part,
        system_id: str,
        state: ReceiptState,
    ) -> None:
        payload = b"".join(assembly.parts[n] for n in sorted(assembly.parts))
        message = ReceivedMessage(
            message_ids=[assembly.ids[n] for n in sorted(assembly.ids)],
            system_id=system_id,
            source=event.source_addr,
            destination=event.destination_addr,
            text=decode_text(payload, event.data_coding),
            data_coding=event.data_coding,
            parts=part.total,
            receipt=state.value,
            at=datetime.now(UTC).isoformat(),
        )
        with self._lock:
            self.messages.append(message)
            if self.journal is not None:
                self.journal.parent.mkdir(parents=True, exist_ok=True)
                with self.journal.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(asdict(message), ensure_ascii=False) + "\n")
        if self.on_message is not None:
            self.on_message(message)

    async def _receipt(
        self, event: smpp34.SubmitSmEvent, message_id: str, state: ReceiptState
    ) -> None:
        esme = self._sessions.get(event.session_id) or next(
            (e for e in self._sessions.values() if e.can_receive), None
        )
        if esme is None:
            log.warning("receipt for %s dropped: no ESME bound to receive it", message_id)
            return
        now = datetime.now(UTC)
        try:
            await esme.deliver_sm(
                event.source_addr,
                receipt_text(message_id, state, now, now, 0 if state.outcome == "delivered" else 1),
                source_addr=event.destination_addr,
                esm_class=ESM_CLASS_DELIVERY_RECEIPT,
                tlvs=[
                    smpp34.Tlv(TLV_RECEIPTED_MESSAGE_ID, message_id.encode() + b"\0"),
                    smpp34.Tlv(TLV_MESSAGE_STATE, bytes([MESSAGE_STATE_OF[state]])),
                ],
            )
        except Exception as error:  # the ESME went away; a real SMSC would retry later
            log.warning("receipt for %s not delivered: %s", message_id, error)
