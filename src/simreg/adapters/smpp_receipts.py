"""SMPP 3.4 delivery receipts: the conventional text an SMSC puts in a deliver_sm
("id:... sub:001 dlvrd:001 submit date:... done date:... stat:DELIVRD err:000 text:..."), and
the message_state values of the optional parameters that some SMSCs send instead."""

from __future__ import annotations

import re
from datetime import datetime

from simreg.sms.ports import Receipt, ReceiptState

# esm_class bits 2-5 give the message type; 0x04 is "SMSC delivery receipt".
ESM_CLASS_TYPE_MASK = 0x3C
ESM_CLASS_DELIVERY_RECEIPT = 0x04

STAT_CODES = {
    "DELIVRD": ReceiptState.DELIVERED,
    "EXPIRED": ReceiptState.EXPIRED,
    "DELETED": ReceiptState.DELETED,
    "UNDELIV": ReceiptState.UNDELIVERABLE,
    "ACCEPTD": ReceiptState.ACCEPTED,
    "UNKNOWN": ReceiptState.UNKNOWN,
    "REJECTD": ReceiptState.REJECTED,
    "ENROUTE": ReceiptState.ENROUTE,
}
STAT_OF_STATE = {state: code for code, state in STAT_CODES.items()}
MESSAGE_STATES = {
    1: ReceiptState.ENROUTE,
    2: ReceiptState.DELIVERED,
    3: ReceiptState.EXPIRED,
    4: ReceiptState.DELETED,
    5: ReceiptState.UNDELIVERABLE,
    6: ReceiptState.ACCEPTED,
    7: ReceiptState.UNKNOWN,
    8: ReceiptState.REJECTED,
}
MESSAGE_STATE_OF = {state: value for value, state in MESSAGE_STATES.items()}

_ID = re.compile(rb"(?:^|\s)id:(\S+)", re.IGNORECASE)
_STAT = re.compile(rb"(?:^|\s)stat:(\w+)", re.IGNORECASE)


def is_delivery_receipt(esm_class: int) -> bool:
    return esm_class & ESM_CLASS_TYPE_MASK == ESM_CLASS_DELIVERY_RECEIPT


def parse_receipt(
    text: bytes,
    at: datetime,
    *,
    receipted_message_id: str | None = None,
    message_state: int | None = None,
) -> Receipt | None:
    """The receipt a deliver_sm carries, or None if it names no message. The optional
    parameters win over the text when both are present (they are the standard's)."""
    message_id = receipted_message_id or None
    if message_id is None:
        found = _ID.search(text)
        message_id = found.group(1).decode("ascii", "replace") if found else None
    state = MESSAGE_STATES.get(message_state) if message_state is not None else None
    if state is None:
        stat = _STAT.search(text)
        code = stat.group(1).decode("ascii", "replace").upper() if stat else "UNKNOWN"
        state = STAT_CODES.get(code, ReceiptState.UNKNOWN)
    if not message_id:
        return None
    return Receipt(message_id, state, at)


def receipt_text(
    message_id: str, state: ReceiptState, submitted: datetime, done: datetime, error: int = 0
) -> bytes:
    """The receipt text an SMSC sends (the local SMSC uses it)."""
    delivered = 1 if state is ReceiptState.DELIVERED else 0
    return (
        f"id:{message_id} sub:001 dlvrd:{delivered:03d} "
        f"submit date:{submitted:%y%m%d%H%M} done date:{done:%y%m%d%H%M} "
        f"stat:{STAT_OF_STATE[state]} err:{error:03d} text:"
    ).encode("ascii")
