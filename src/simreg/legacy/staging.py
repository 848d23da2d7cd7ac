"""From file rows to rows ready for the database: validated, identity encrypted and indexed.

This is where an import spends its CPU (number and document checks, AES-GCM, HMAC), so it can
run in a pool of processes; each worker builds its own keys from the master key once. Rows in
plain form are checked over the whole chunk at once (legacy.vector), leaving only the HMAC and
AES-GCM of their identity to do one by one; any other row goes through the per-row reader.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from simreg.core.crypto import IdentityVault
from simreg.identity.documents import Document, DocumentType, document_index
from simreg.identity.names import mask_name
from simreg.legacy.rows import COLUMNS, MALFORMED, LegacyLine, Rejection, RowReader
from simreg.legacy.vector import PlainRows, plain_rows
from simreg.lines.domain import RealNameState

DOC_NUMBER_PURPOSE = "customer.doc_number"
HOLDER_NAME_PURPOSE = "line.holder_name"


@dataclass(frozen=True, slots=True)
class RawChunk:
    """Consecutive rows of the file, column by column, with each row's line number (CSV: the
    physical line, the header being line 1; Parquet: the row number, from 1). Columns are
    Arrow arrays: strings, and opened_on possibly dates (Parquet)."""

    lines: list[int]
    columns: dict[str, pa.Array]
    # Rows that could not be split into the header's columns: (line, the row's text).
    malformed: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.lines) + len(self.malformed)

    def piece(self, start: int, stop: int) -> RawChunk:
        # Copied, not sliced: a slice would take the whole chunk's buffers to the worker.
        return RawChunk(
            self.lines[start:stop],
            {k: pa.concat_arrays([v.slice(start, stop - start)]) for k, v in self.columns.items()},
        )


class StagedLine(NamedTuple):
    """One line as the loader writes it; the field order is the staging table's."""

    line_no: int
    msisdn: str
    iccid: str
    imsi: str
    kind: str
    state: str
    real_name_state: str
    channel_id: int
    opened_on: str  # YYYY-MM-DD
    identity_issue: str | None
    holder_name_enc: bytes | None
    holder_name_masked: str | None
    doc_index: str | None
    doc_type: str | None
    doc_number_enc: bytes | None
    doc_masked: str | None


STAGE_COLUMNS = StagedLine._fields


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    msisdn: str  # as given in the file, for the reject report
    rejection: Rejection


@dataclass(slots=True)
class StagedChunk:
    """A chunk's staged lines column by column: one list per STAGE_COLUMNS name, in file
    order. A worker hands back sixteen lists rather than a tuple a row (pickled and rebuilt
    several times faster), the loader writes the stage from them, and repeats are looked for
    over whole columns."""

    columns: list[list[Any]]
    rejected: list[RejectedRow]
    rows_read: int

    def __len__(self) -> int:
        return len(self.columns[0])

    def column(self, name: str) -> list[Any]:
        return self.columns[_POSITION[name]]

    def rows(self) -> Iterator[tuple[Any, ...]]:
        return zip(*self.columns, strict=True)

    def lines(self) -> list[StagedLine]:
        return list(map(StagedLine._make, self.rows()))

    def without(self, positions: Collection[int]) -> StagedChunk:
        """The chunk less the rows at ``positions``, in the same order."""
        if not positions:
            return self
        pick = _picker([at for at in range(len(self)) if at not in positions])
        return StagedChunk([pick(column) for column in self.columns], self.rejected, self.rows_read)


_POSITION = {name: at for at, name in enumerate(STAGE_COLUMNS)}


def empty_columns() -> list[list[Any]]:
    return [[] for _ in STAGE_COLUMNS]


def _picker(positions: list[int]) -> Callable[[list[Any]], list[Any]]:
    """Takes the values at ``positions`` from a list, in C (itemgetter) rather than a loop."""
    if len(positions) > 1:
        get = itemgetter(*positions)
        return lambda values: list(get(values))
    return lambda values: [values[at] for at in positions]


def malformed_rows(chunk: RawChunk) -> list[RejectedRow]:
    return [
        RejectedRow(line, text.split(",", 1)[0][:64], MALFORMED) for line, text in chunk.malformed
    ]


class Stager:
    """Turns raw chunks into staged lines for one import run."""

    def __init__(self, master_key: bytes, channel_ids: dict[str, int], today: date) -> None:
        self._vault = IdentityVault(master_key)
        self._channel_ids = channel_ids
        self._reader = RowReader(today=today, channel_codes=channel_ids.keys())

    def stage(self, chunk: RawChunk) -> StagedChunk:
        # Tens of thousands of small acyclic objects a chunk: the cycle collector would run
        # hundreds of times for nothing (about a fifth of the time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._stage(chunk)
        finally:
            if collecting:
                gc.enable()

    def _stage(self, chunk: RawChunk) -> StagedChunk:
        rejected = malformed_rows(chunk)
        plain = plain_rows(chunk.columns, self._reader)
        where = np.flatnonzero(plain.accepted)
        columns = self._plain_columns(chunk, plain, where)
        rest = np.flatnonzero(~plain.accepted)
        if not len(rest):
            return StagedChunk(columns, rejected, chunk.rows_read)
        taken = pa.array(rest, pa.int64())
        values_of = [pc.take(chunk.columns[name], taken).to_pylist() for name in COLUMNS]
        read_values = self._reader.read_values
        others: list[StagedLine] = []
        others_at: list[int] = []
        for at, values in zip(rest.tolist(), zip(*values_of, strict=True), strict=True):
            line_no = chunk.lines[at]
            read = read_values(values)
            if isinstance(read, Rejection):
                given = "" if values[0] is None else str(values[0])[:64]
                rejected.append(RejectedRow(line_no, given, read))
            else:
                others.append(self._staged(line_no, read))
                others_at.append(at)
        if others:
            columns = _merged(where.tolist(), columns, others_at, others)
        return StagedChunk(columns, rejected, chunk.rows_read)

    def _plain_columns(
        self, chunk: RawChunk, plain: PlainRows, where: npt.NDArray[np.intp]
    ) -> list[list[Any]]:
        """The rows the vector checks accepted, as the per-row path would stage them, column
        by column. Each document of the chunk is indexed and encrypted once (its lines share
        them); names and numbers are sealed in batches."""
        if not len(where):
            return empty_columns()
        taken = pa.array(where, pa.int64())

        def column(name: str, rows: pa.Array = taken) -> list[Any]:
            values: list[Any] = pc.take(pc.fill_null(chunk.columns[name], ""), rows).to_pylist()
            return values

        size = len(where)
        identified = plain.identified[where]
        # Positions (within the accepted rows) of those with an identity, and their values.
        who = np.flatnonzero(identified).tolist()
        of_who = pa.array(where[identified], pa.int64())
        doc_types, numbers = column("doc_type", of_who), column("doc_number", of_who)
        names = column("holder_name", of_who)
        vault = self._vault
        distinct = list(dict.fromkeys(zip(doc_types, numbers, strict=True)))
        documents = [Document(DocumentType(kind), number) for kind, number in distinct]
        sealed = vault.fields.encrypt_texts([number for _, number in distinct], DOC_NUMBER_PURPOSE)
        known = {
            key: (document_index(vault, document), enc, document.masked)
            for key, document, enc in zip(distinct, documents, sealed, strict=True)
        }
        per_line = [known[key] for key in zip(doc_types, numbers, strict=True)]

        def spread(values: Iterable[Any]) -> list[Any]:
            out: list[Any] = [None] * size
            for at, value in zip(who, values, strict=True):
                out[at] = value
            return out

        return [
            _picker(where.tolist())(chunk.lines),
            column("msisdn"),
            column("iccid"),
            column("imsi"),
            column("kind"),
            column("state"),
            [_VERIFIED if flag else _UNVERIFIED for flag in identified.tolist()],
            list(map(self._channel_ids.__getitem__, column("channel_code"))),
            pc.take(plain.opened_on, taken).to_pylist(),
            [None] * size,
            spread(vault.fields.encrypt_texts(names, HOLDER_NAME_PURPOSE)),
            # mask_name of a name of Chinese characters only: the first one shown.
            spread(name[0] + _STARS[len(name) - 1] for name in names),
            spread(doc[0] for doc in per_line),
            spread(doc_types),
            spread(doc[1] for doc in per_line),
            spread(doc[2] for doc in per_line),
        ]

    def _staged(self, line_no: int, line: LegacyLine) -> StagedLine:
        fields = self._vault.fields
        name_enc = name_masked = None
        if line.holder_name is not None:
            name_enc = fields.encrypt_text(line.holder_name, HOLDER_NAME_PURPOSE)
            name_masked = mask_name(line.holder_name)
        doc_index = doc_type = doc_enc = doc_masked = None
        if line.identity is not None:
            document = line.identity.document
            doc_index = document_index(self._vault, document)
            doc_type = document.type.value
            doc_enc = fields.encrypt_text(document.number, DOC_NUMBER_PURPOSE)
            doc_masked = document.masked
        return StagedLine(
            line_no,
            line.msisdn,
            line.iccid,
            line.imsi,
            line.kind.value,
            line.state.value,
            line.real_name_state.value,
            self._channel_ids[line.channel_code],
            line.opened_on.isoformat(),
            line.identity_issue,
            name_enc,
            name_masked,
            doc_index,
            doc_type,
            doc_enc,
            doc_masked,
        )


_VERIFIED = RealNameState.VERIFIED.value
_UNVERIFIED = RealNameState.LEGACY_UNVERIFIED.value
_STARS = ["*" * n for n in range(64)]


def _merged(
    first_at: list[int], first: list[list[Any]], second_at: list[int], second: list[StagedLine]
) -> list[list[Any]]:
    """Two sets of staged rows, each in file order, merged column by column into file order."""
    order = np.argsort(np.array(first_at + second_at, dtype=np.int64), kind="stable")
    pick = _picker(order.tolist())
    theirs = [list(values) for values in zip(*second, strict=True)]
    return [pick(mine + other) for mine, other in zip(first, theirs, strict=True)]


class ChunkStaging(Protocol):
    def stage_all(self, chunks: Iterable[RawChunk]) -> Iterator[StagedChunk]: ...

    def close(self) -> None: ...


class SerialStaging:
    """Stages in this process, one chunk after the other."""

    def __init__(self, stager: Stager) -> None:
        self._stager = stager

    def stage_all(self, chunks: Iterable[RawChunk]) -> Iterator[StagedChunk]:
        for chunk in chunks:
            yield self._stager.stage(chunk)

    def close(self) -> None:
        pass


_worker_stager: Stager | None = None


def _start_worker(master_key: bytes, channel_ids: dict[str, int], today: date) -> None:
    global _worker_stager
    _worker_stager = Stager(master_key, channel_ids, today)


def _stage_in_worker(chunk: RawChunk) -> StagedChunk:
    assert _worker_stager is not None, "worker started without its initialiser"
    return _worker_stager.stage(chunk)


class PooledStaging:
    """Stages each chunk in pieces across worker processes, and the next chunk while the
    caller loads this one; chunks come back in file order (the first of repeated rows wins).
    Workers are spawned, not forked: they inherit no database connection or lock."""

    def __init__(
        self, workers: int, master_key: bytes, channel_ids: dict[str, int], today: date
    ) -> None:
        self._workers = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(master_key, channel_ids, today),
        )

    def stage_all(self, chunks: Iterable[RawChunk]) -> Iterator[StagedChunk]:
        in_flight: deque[tuple[RawChunk, list[Future[StagedChunk]]]] = deque()
        for chunk in chunks:
            in_flight.append((chunk, self._submit(chunk)))
            if len(in_flight) > 1:
                yield self._collect(*in_flight.popleft())
        while in_flight:
            yield self._collect(*in_flight.popleft())

    def _submit(self, chunk: RawChunk) -> list[Future[StagedChunk]]:
        size = max(1, -(-len(chunk.lines) // self._workers))
        return [
            self._pool.submit(_stage_in_worker, chunk.piece(start, start + size))
            for start in range(0, len(chunk.lines), size)
        ]

    @staticmethod
    def _collect(chunk: RawChunk, futures: list[Future[StagedChunk]]) -> StagedChunk:
        columns = empty_columns()
        rejected = malformed_rows(chunk)
        for future in futures:
            part = future.result()
            for mine, theirs in zip(columns, part.columns, strict=True):
                mine += theirs
            rejected += part.rejected
        return StagedChunk(columns, rejected, chunk.rows_read)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
