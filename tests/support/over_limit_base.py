"""A small legacy base for real-name figures and RN-14 tests, written straight into the tables
the way the bulk import leaves them: documents encrypted and blind-indexed as customers
(held_lines may exceed the limit), verified lines bound to them, legacy lines with no customer
and sometimes an identity issue."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select

from simreg.bootstrap import Simreg
from simreg.db import tables as t
from simreg.demo.synthetic import person_name, resident_id
from simreg.identity.documents import document_index, parse_document
from simreg.identity.names import mask_name
from simreg.legacy.staging import DOC_NUMBER_PURPOSE, HOLDER_NAME_PURPOSE
from simreg.lines.domain import LineKind, LineState, RealNameState

OPENED = datetime(2012, 5, 1, tzinfo=UTC)
_serial = itertools.count(1)
_rng = random.Random(14)


@dataclass(frozen=True)
class Holder:
    customer_id: int
    doc_type: str
    doc_number: str
    doc_index: str
    msisdns: list[str]
    line_ids: list[int]


def _numbers() -> tuple[str, str, str]:
    n = next(_serial)
    return f"1370000{n:04d}", f"898601{n:013d}", f"46001{n:010d}"


def channel_id(simreg: Simreg, code: str) -> int:
    with simreg.engine.connect() as conn:
        return int(
            conn.execute(select(t.channels.c.id).where(t.channels.c.code == code)).scalar_one()
        )


def new_document_number() -> str:
    return resident_id(_rng)


def document_holding(
    simreg: Simreg,
    count: int,
    *,
    doc_type: str = "resident_id",
    doc_number: str | None = None,
    channel: str = "OWN",
    kind: LineKind = LineKind.VOICE,
    state: LineState = LineState.ACTIVE,
    real_name: RealNameState = RealNameState.VERIFIED,
    held_lines: int | None = None,
) -> Holder:
    """A document with ``count`` lines opened at ``channel``; held_lines counts the lines not
    cancelled unless given (legacy counts may be off)."""
    vault, now = simreg.vault, simreg.clock.now()
    document = parse_document(doc_type, doc_number or new_document_number(), today=now.date())
    index = document_index(vault, document)
    held = held_lines if held_lines is not None else (0 if state is LineState.CANCELLED else count)
    with simreg.engine.begin() as conn:
        customer = int(
            conn.execute(
                insert(t.customers)
                .values(
                    doc_type=document.type.value,
                    doc_index=index,
                    doc_number_enc=vault.fields.encrypt_text(document.number, DOC_NUMBER_PURPOSE),
                    doc_masked=document.masked,
                    held_lines=held,
                    created_at=now,
                )
                .returning(t.customers.c.id)
            ).scalar_one()
        )
        numbers = _insert_lines(
            simreg,
            conn,
            count,
            channel=channel,
            kind=kind,
            state=state,
            real_name=real_name,
            customer_id=customer,
        )
    return Holder(customer, document.type.value, document.number, index, *numbers)


def unverified_lines(
    simreg: Simreg,
    count: int,
    *,
    channel: str = "OWN",
    kind: LineKind = LineKind.VOICE,
    state: LineState = LineState.ACTIVE,
    identity_issue: str | None = None,
    real_name: RealNameState = RealNameState.LEGACY_UNVERIFIED,
) -> list[str]:
    """Legacy lines with no customer (the base knew no valid identity for them)."""
    with simreg.engine.begin() as conn:
        msisdns, _ids = _insert_lines(
            simreg,
            conn,
            count,
            channel=channel,
            kind=kind,
            state=state,
            real_name=real_name,
            customer_id=None,
            identity_issue=identity_issue,
        )
    return msisdns


def _insert_lines(
    simreg: Simreg,
    conn: Connection,
    count: int,
    *,
    channel: str,
    kind: LineKind,
    state: LineState,
    real_name: RealNameState,
    customer_id: int | None,
    identity_issue: str | None = None,
) -> tuple[list[str], list[int]]:
    now = simreg.clock.now()
    ch = conn.execute(select(t.channels.c.id).where(t.channels.c.code == channel)).scalar_one()
    msisdns, ids = [], []
    for _ in range(count):
        msisdn, iccid, imsi = _numbers()
        name = person_name(_rng) if customer_id is not None else None
        line_id = conn.execute(
            insert(t.lines)
            .values(
                msisdn=msisdn,
                iccid=iccid,
                imsi=imsi,
                kind=kind.value,
                state=state.value,
                real_name_state=real_name.value,
                customer_id=customer_id,
                channel_id=ch,
                identity_issue=identity_issue,
                holder_name_enc=(
                    simreg.vault.fields.encrypt_text(name, HOLDER_NAME_PURPOSE) if name else None
                ),
                holder_name_masked=mask_name(name) if name else None,
                opened_at=OPENED,
                updated_at=now,
                imported_at=now,
            )
            .returning(t.lines.c.id)
        ).scalar_one()
        msisdns.append(msisdn)
        ids.append(int(line_id))
    return msisdns, ids
