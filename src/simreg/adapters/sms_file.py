"""The demo's SMS gateway: every message becomes one JSON line in a file (``tail -f`` it), and
counts as delivered at once so the campaign funnel moves without an SMSC."""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path

from simreg.core.clock import Clock
from simreg.sms.ports import Receipt, ReceiptState, SendOutcomeUnknown, TransientSendError


class FileSmsGateway:
    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        self._receipts: list[Receipt] = []

    def send(self, to: str, text: str, reference: str) -> str:
        message_id = uuid.uuid4().hex
        at = self.clock.now()
        line = json.dumps(
            {
                "id": message_id,
                "to": to,
                "text": text,
                "reference": reference,
                "at": at.isoformat(),
            },
            ensure_ascii=False,
        )
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            except OSError as error:
                raise TransientSendError(f"cannot open {self.path}: {error.strerror}") from error
            try:
                # One write of the whole line: readers never see half a message.
                os.write(fd, (line + "\n").encode("utf-8"))
                os.fsync(fd)
            except OSError as error:
                raise SendOutcomeUnknown(f"writing {self.path}: {error.strerror}") from error
            finally:
                os.close(fd)
            self._receipts.append(Receipt(message_id, ReceiptState.DELIVERED, at))
        return message_id

    def receipts(self) -> list[Receipt]:
        with self._lock:
            drained, self._receipts = self._receipts, []
        return drained

    def close(self) -> None:
        """Nothing is held open between messages."""
