"""Bulk import of the legacy subscriber base (issue 5): millions of existing lines, with the
holder's identity where the old systems knew it.

The file is read in chunks; each chunk is staged (validated, encrypted, indexed; in worker
processes when asked) and loaded in ONE transaction that also moves the run's counters, so a
run killed half-way leaves whole chunks behind and a re-run finds them: lines are keyed by
MSISDN, existing ones are counted unchanged, and each document's held-line count grows only by
lines that transaction really inserted. Every refused row goes to the reject file with its line
number; none is dropped silently.
"""

from __future__ import annotations

import contextlib
import csv
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.errors import DomainError
from simreg.core.spreadsheet import formula_safe
from simreg.legacy.bulk import bulk_wanted
from simreg.legacy.rows import repeated_rows
from simreg.legacy.staging import (
    ChunkStaging,
    PooledStaging,
    RawChunk,
    RejectedRow,
    SerialStaging,
    StagedChunk,
    Stager,
)
from simreg.lines.domain import RealNameState

DEFAULT_CHUNK_SIZE = 50_000


class BaseFile(Protocol):
    """A legacy base file opened for reading (CSV or Parquet)."""

    @property
    def name(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def total_rows(self) -> int: ...

    def chunks(self, size: int) -> Iterator[RawChunk]: ...


@dataclass(frozen=True)
class ChunkOutcome:
    loaded: int
    # Rows the database refused: repeated in this run, or a card held by another number.
    rejected: list[RejectedRow]


@dataclass(frozen=True)
class ImportTotals:
    read: int = 0
    loaded: int = 0
    unchanged: int = 0
    rejected: int = 0
    # Over the rows now in the database (loaded or unchanged), as the file describes them.
    verified: int = 0
    identity_invalid: int = 0

    @property
    def accepted(self) -> int:
        return self.loaded + self.unchanged

    @property
    def verified_share(self) -> float | None:
        return self.verified / self.accepted if self.accepted else None


@dataclass(frozen=True)
class ImportRun:
    id: int
    stamp: datetime


@dataclass(frozen=True)
class ImportReport:
    run_id: int
    file_name: str
    totals: ImportTotals
    rejects: Path
    seconds: float
    # Loaded in bulk-load mode (ADR 0011): lines' secondary indexes and keys rebuilt at the end.
    bulk: bool = False


class BaseImportTransaction(Protocol):
    def channel_ids(self) -> dict[str, int]: ...

    def start_run(
        self, *, file_name: str, sha256: str, at: datetime, actor_staff_id: int | None
    ) -> ImportRun:
        """Record the run as running. Its stamp (every line's imported_at) is later than any
        earlier run's, so the lines this run inserted can be told apart."""
        ...

    def lines_present(self, at_most: int) -> int:
        """How many lines the database holds, counted up to ``at_most``."""
        ...

    def bulk_pending(self) -> bool:
        """Whether an earlier bulk run left lines' secondary indexes and keys off (killed
        before it rebuilt them)."""
        ...

    def drop_for_bulk(self, run_id: int) -> None:
        """Takes lines' secondary indexes and keys off and records it on the run."""
        ...

    def restore_after_bulk(self) -> list[str]:
        """Rebuilds whatever of them is missing, marks every run that dropped them as
        restored, and returns what it rebuilt."""
        ...

    def load_chunk(self, stamp: datetime, staged: StagedChunk) -> ChunkOutcome: ...

    def save_progress(
        self, run_id: int, totals: ImportTotals, *, status: str, finished_at: datetime | None
    ) -> None: ...

    def record(self, event: AuditEvent) -> None: ...


class BaseImportUnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[BaseImportTransaction]: ...


Progress = Callable[[ImportTotals], None]


class RejectFile:
    """The reject report: line, msisdn as given, code, reason. Rewritten by every run."""

    HEADER = ("line", "msisdn", "code", "reason")

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(self.HEADER)

    def write(self, rows: list[RejectedRow]) -> None:
        for row in sorted(rows, key=lambda r: r.line):
            # The number is as the file gave it: it goes back to a spreadsheet as text.
            msisdn = formula_safe(row.msisdn)
            self._writer.writerow((row.line, msisdn, row.rejection.code, row.rejection.message))
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def default_rejects_path(source: Path) -> Path:
    return source.with_name(source.name + ".rejects.csv")


class BaseImportService:
    def __init__(self, *, uow: BaseImportUnitOfWork, master_key: bytes, clock: Clock) -> None:
        self.uow = uow
        self._master_key = master_key
        self.clock = clock

    def run(
        self,
        source: BaseFile,
        *,
        rejects: Path,
        actor: Actor | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        workers: int = 1,
        progress: Progress | None = None,
        bulk: bool | None = None,
    ) -> ImportReport:
        """Import ``source``. ``actor`` is None for the operator's command line, which has
        the database credentials anyway; any other caller must be an administrator.
        ``bulk``: force bulk-load mode on or off; None decides by the sizes (legacy.bulk)."""
        if actor is not None:
            actor.require(Role.ADMIN)
        began = time.monotonic()
        actor_id = actor.staff_id if actor else None
        with self.uow.begin() as tx:
            channel_ids = tx.channel_ids()
            started = tx.start_run(
                file_name=source.name,
                sha256=source.sha256,
                at=self.clock.now(),
                actor_staff_id=actor_id,
            )
            present = tx.lines_present(at_most=source.total_rows + 1)
            pending = tx.bulk_pending()
        run_id, stamp = started.id, started.stamp
        in_bulk = bulk_wanted(bulk, file_rows=source.total_rows, lines_present=present)
        totals = ImportTotals()
        try:
            if pending and not in_bulk:
                # A bulk run was killed before it rebuilt them: this run loads with them.
                self._restore()
            if in_bulk:
                # Committed before the first chunk, so a kill from here on leaves the record
                # that tells the next run to rebuild.
                with self.uow.begin() as tx:
                    tx.drop_for_bulk(run_id)
            staging = self._staging(workers, channel_ids)
            reject_file = RejectFile(rejects)
            try:
                for staged in staging.stage_all(source.chunks(chunk_size)):
                    totals = self._load(run_id, stamp, staged, totals, reject_file)
                    if progress is not None:
                        progress(totals)
            finally:
                reject_file.close()
                staging.close()
            if in_bulk:
                self._restore()
        except BaseException as failure:
            if in_bulk:
                self._restore_after(failure)
            self._finish(run_id, source, totals, actor_id, failure, in_bulk)
            raise
        self._finish(run_id, source, totals, actor_id, None, in_bulk)
        seconds = time.monotonic() - began
        return ImportReport(run_id, source.name, totals, rejects, seconds, bulk=in_bulk)

    def _restore(self) -> None:
        with self.uow.begin() as tx:
            tx.restore_after_bulk()

    def _restore_after(self, failure: BaseException) -> None:
        """A failed or interrupted bulk run still puts the indexes and keys back, so the
        database is not left without them until someone runs the import again. Only a run
        killed outright (or interrupted again while rebuilding) leaves them to the next run,
        which finds the run's record still 'dropped'."""
        # The original failure is the one to report.
        with contextlib.suppress(Exception):
            self._restore()

    def _staging(self, workers: int, channel_ids: dict[str, int]) -> ChunkStaging:
        today = self.clock.today()
        if workers > 1:
            return PooledStaging(workers, self._master_key, channel_ids, today)
        return SerialStaging(Stager(self._master_key, channel_ids, today))

    def _load(
        self,
        run_id: int,
        stamp: datetime,
        chunk: StagedChunk,
        totals: ImportTotals,
        reject_file: RejectFile,
    ) -> ImportTotals:
        msisdns = chunk.column("msisdn")
        repeats = repeated_rows(msisdns, chunk.column("iccid"), chunk.column("imsi"))
        line_nos = chunk.column("line_no")
        rejected = list(chunk.rejected)
        rejected += [RejectedRow(line_nos[at], msisdns[at], why) for at, why in repeats.items()]
        keep = chunk.without(repeats.keys())
        with self.uow.begin() as tx:
            outcome = tx.load_chunk(stamp, keep)
            rejected += outcome.rejected
            verified, invalid = _identity_counts(keep, {row.line for row in outcome.rejected})
            totals = replace(
                totals,
                read=totals.read + chunk.rows_read,
                loaded=totals.loaded + outcome.loaded,
                unchanged=totals.unchanged + len(keep) - len(outcome.rejected) - outcome.loaded,
                rejected=totals.rejected + len(rejected),
                verified=totals.verified + verified,
                identity_invalid=totals.identity_invalid + invalid,
            )
            tx.save_progress(run_id, totals, status="running", finished_at=None)
        # Written after the commit: a run killed in between rewrites the report on re-run.
        reject_file.write(rejected)
        return totals

    def _finish(
        self,
        run_id: int,
        source: BaseFile,
        totals: ImportTotals,
        actor_id: int | None,
        failure: BaseException | None,
        in_bulk: bool,
    ) -> None:
        at = self.clock.now()
        details = {
            "bulk_load": in_bulk,
            "base_import_id": run_id,
            "file_name": source.name,
            "file_sha256": source.sha256,
            "rows_read": totals.read,
            "rows_loaded": totals.loaded,
            "rows_unchanged": totals.unchanged,
            "rows_rejected": totals.rejected,
            "identity_invalid": totals.identity_invalid,
            "verified": totals.verified,
        }
        codes: tuple[str, ...] = ()
        if failure is not None:
            codes = (failure.code if isinstance(failure, DomainError) else "IMPORT-FAILED",)
        event = AuditEvent(
            action="base.import",
            outcome="refused" if failure else "ok",
            at=at,
            actor_staff_id=actor_id,
            codes=codes,
            details=details,
        )
        try:
            with self.uow.begin() as tx:
                status = "failed" if failure else "done"
                tx.save_progress(run_id, totals, status=status, finished_at=at)
                tx.record(event)
        except Exception:
            if failure is None:
                raise
            # The original failure is what the operator must see; the run stays 'running'.


_VERIFIED = RealNameState.VERIFIED.value


def _identity_counts(staged: StagedChunk, refused: set[int]) -> tuple[int, int]:
    """Verified lines and lines with an invalid identity among ``staged``, less the rows
    (by line number) the database refused."""
    states, issues = staged.column("real_name_state"), staged.column("identity_issue")
    verified, invalid = states.count(_VERIFIED), len(issues) - issues.count(None)
    if refused:
        for line_no, state, issue in zip(staged.column("line_no"), states, issues, strict=True):
            if line_no in refused:
                verified -= state == _VERIFIED
                invalid -= issue is not None
    return verified, invalid
