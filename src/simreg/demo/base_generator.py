"""The synthetic legacy base: millions of lines as an operator's export would hold them, in the
shared file format (CSV or Parquet) that ``simreg base import`` reads.

The shape of a province's base: lines opened since 2005, most in service; before the real-name
rule (2013-09-01) most were sold without identity data, since then nearly all with it; some
identities are broken (bad check character, impossible date, unknown region, old 15-digit
numbers); a few people hold more lines than the per-ID limit (RN-05, found by RN-14).

Rows are made a batch at a time with numpy, never one Python object a row. The output depends
only on the seed, the line count and the channel codes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from simreg.core.errors import InvalidInput
from simreg.demo import base_numbers as nums
from simreg.demo.base_identities import INVALID_CODES, OTHER_TYPES, People
from simreg.demo.base_plan import (
    CUTOFF,
    OPENED_FROM,
    OPENED_UNTIL,
    HolderPlan,
    IdentityShares,
    plan_holders,
)

COLUMNS = (
    "msisdn",
    "iccid",
    "imsi",
    "kind",
    "state",
    "opened_on",
    "channel_code",
    "doc_type",
    "doc_number",
    "holder_name",
)
BATCH_ROWS = 50_000  # part of the output's definition: changing it changes every file
KINDS = ("voice", "data")
DATA_SHARE = 0.15
STATES = ("active", "suspended_one_way", "suspended_two_way", "cancelled")
# Older lines are more often cancelled or suspended.
_STATE_BEFORE = np.cumsum([0.80, 0.04, 0.03, 0.13])
_STATE_SINCE = np.cumsum([0.91, 0.025, 0.015, 0.05])
# China Mobile prefixes in the order they came into use: 13x and 15x, 18x from 2009, 19x 2017.
PREFIXES = (
    *(134, 135, 136, 137, 138, 139, 150, 151, 152, 157, 158, 159),
    *(182, 183, 184, 187, 188, 195, 197, 198),
)
_PREFIXES_BY_ERA = ((date(2009, 1, 1), 12), (date(2017, 1, 1), 17), (date.max, 20))
OWN_HALL_WEIGHT = 5.0  # an own hall sells several times what a reseller does
OTHER_DOCUMENT_SHARE = 0.06  # of own-hall holders, those who showed another document
ADULT_DAYS = 16 * 365 + 4  # nobody opened a line before turning 16

_VALID, _NONE, _INVALID = 0, 1, 2
# Index 0: no document; 1: resident ID; then the other types own halls accept.
_DOC_TYPES = pa.array(["", "resident_id", *(kind.value for kind in OTHER_TYPES)])


@dataclass
class BaseSummary:
    path: Path
    lines: int
    seed: int
    valid_identity: int = 0
    no_identity: int = 0
    invalid_identity: dict[str, int] = field(default_factory=dict)
    other_documents: int = 0
    # Lines in service (active, or suspended one-way or two-way): the reports' denominator.
    in_service: int = 0
    valid_in_service: int = 0
    states: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    per_id_limit: int = 5
    over_limit_documents: int = 0
    over_limit_lines: int = 0
    seconds: float = 0.0

    @property
    def valid_share(self) -> float:
        return self.valid_identity / self.lines if self.lines else 0.0

    @property
    def real_name_rate(self) -> float:
        """Lines in service with a valid identity over all lines in service: the rate the
        reports show after the import."""
        return self.valid_in_service / self.in_service if self.in_service else 0.0


def write_base(
    path: Path,
    lines: int,
    seed: int,
    channel_codes: Sequence[str],
    *,
    own_channels: Collection[str] = (),
    per_id_limit: int = 5,
    progress: Callable[[int], None] | None = None,
) -> BaseSummary:
    """Write ``lines`` rows to ``path`` (.parquet or .csv). Documents other than the resident
    ID appear only on lines of ``own_channels`` (RN-07)."""
    if lines < 1:
        raise InvalidInput("Generate at least one line.", code="DEMO-LINES")
    if not channel_codes:
        raise InvalidInput("The lines need channels to belong to.", code="DEMO-CHANNELS")
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise InvalidInput("Write the base as .parquet or .csv.", code="DEMO-FORMAT")
    started = time.perf_counter()
    generator = _Generator(lines, seed, channel_codes, own_channels, per_id_limit)
    partial = path.with_name(path.name + ".part")
    writer = _ParquetSink(partial) if suffix == ".parquet" else _CsvSink(partial)
    try:
        for start in range(0, lines, BATCH_ROWS):
            stop = min(lines, start + BATCH_ROWS)
            writer.write(generator.batch(start, stop))
            if progress:
                progress(stop - start)
    finally:
        writer.close()
    # A file is complete or absent: an interrupted run leaves only the .part file.
    os.replace(partial, path)
    summary = generator.summary
    summary.path = path
    summary.seconds = time.perf_counter() - started
    return summary


class _Generator:
    def __init__(
        self,
        lines: int,
        seed: int,
        channel_codes: Sequence[str],
        own_channels: Collection[str],
        per_id_limit: int,
    ) -> None:
        self.seed = seed
        self.people = People(seed)
        self.plan: HolderPlan = plan_holders(lines, seed)
        self.shares = IdentityShares.for_plan(self.plan.share)
        self.channels = pa.array(list(channel_codes))
        own = np.array([code in own_channels for code in channel_codes])
        weights = np.where(own, OWN_HALL_WEIGHT, 1.0) * np.random.default_rng([seed, 1]).lognormal(
            0.0, 0.5, len(channel_codes)
        )
        self.channel_cumulative = np.cumsum(weights) / weights.sum()
        self.own = own
        self.next_person = self.plan.holders_count
        self.prefix_used = np.zeros(len(PREFIXES), dtype=np.int64)
        over = self.plan.counts > per_id_limit
        self.summary = BaseSummary(
            Path(),
            lines,
            seed,
            invalid_identity=dict.fromkeys(INVALID_CODES, 0),
            states=dict.fromkeys(STATES, 0),
            kinds=dict.fromkeys(KINDS, 0),
            per_id_limit=per_id_limit,
            over_limit_documents=int(over.sum()),
            over_limit_lines=int(self.plan.counts[over].sum()),
        )

    def batch(self, start: int, stop: int) -> pa.RecordBatch:
        rng = np.random.default_rng([self.seed, 2, start])
        n = stop - start
        rows = np.arange(start, stop, dtype=np.int64)
        opened = rng.integers(nums.epoch_days(OPENED_FROM), nums.epoch_days(OPENED_UNTIL) + 1, n)
        held, holders = self.plan.within(start, stop)
        before = opened < nums.epoch_days(CUTOFF)
        category = self.shares.draw(rng.random(n), before)
        category[held] = _VALID
        kind = (rng.random(n) < DATA_SHARE).astype(np.int64)
        state = np.where(
            before,
            np.searchsorted(_STATE_BEFORE, rng.random(n), side="right"),
            np.searchsorted(_STATE_SINCE, rng.random(n), side="right"),
        ).clip(0, len(STATES) - 1)
        # Lines of people holding several stay in service: their count is what RN-14 checks.
        state[held & (state == 3)] = 0
        channel = np.searchsorted(self.channel_cumulative, rng.random(n), side="right")
        channel = channel.clip(0, len(self.channel_cumulative) - 1)

        valid = category == _VALID
        person = np.zeros(n, dtype=np.int64)
        person[held] = holders
        single = valid & ~held
        person[single] = self.next_person + np.arange(int(single.sum()))
        self.next_person += int(single.sum())
        other = single & self.own[channel] & (rng.random(n) < OTHER_DOCUMENT_SHARE)
        resident = valid & ~other

        doc_type = np.zeros(n, dtype=np.int64)
        doc_type[resident | (category == _INVALID)] = 1
        numbers = np.zeros(n, dtype="S18")
        names = np.zeros(n, dtype="U40")
        ids, _ = self.people.resident_ids(person[resident])
        numbers[resident] = ids
        names[resident] = self.people.names(person[resident])
        born, _ = self.people.birth_and_sequence(person[valid])
        opened[valid] = np.maximum(opened[valid], born + ADULT_DAYS)

        broken = category == _INVALID
        bad_ids, reasons = self.people.invalid_ids(rng, int(broken.sum()))
        numbers[broken] = bad_ids
        names[broken] = self.people.names(rows[broken] + (1 << 40))

        if other.any():
            types, other_numbers, other_names = self.people.other_documents(rng, person[other])
            doc_type[other] = types + 2
            numbers[other] = [number.encode() for number in other_numbers]
            names[other] = other_names

        self._count(category, reasons, other, state, kind, valid)
        return pa.RecordBatch.from_arrays(
            [
                *self._numbers(rows, opened),
                pa.array(KINDS).take(pa.array(kind)),
                pa.array(STATES).take(pa.array(state)),
                pa.array(opened.astype(np.int32)).cast(pa.date32()),
                self.channels.take(pa.array(channel)),
                _DOC_TYPES.take(pa.array(doc_type)),
                pa.array(numbers).cast(pa.string()),
                pa.array(names),
            ],
            names=list(COLUMNS),
        )

    def _numbers(self, rows: nums.Ints, opened: nums.Ints) -> list[pa.Array]:
        """MSISDN, ICCID and IMSI, each unique in the file: a prefix in use when the line
        opened with a per-prefix running count spread over 8 digits; a card serial and an
        IMSI spread from the row number."""
        n = len(rows)
        era_sizes = np.array([size for _, size in _PREFIXES_BY_ERA])
        era = np.searchsorted(
            np.array([nums.epoch_days(until) for until, _ in _PREFIXES_BY_ERA[:-1]]),
            opened,
            side="right",
        )
        prefix = nums.pick(nums.mix(rows, self.seed * 11 + 5), 1 << 30) % era_sizes[era]
        suffix = np.zeros(n, dtype=np.int64)
        for index in range(len(PREFIXES)):
            mask = prefix == index
            count = int(mask.sum())
            if count:
                used = self.prefix_used[index] + np.arange(count)
                suffix[mask] = nums.spread(used, 10**8, self.seed * 1000 + index)
                self.prefix_used[index] += count
        msisdn = np.array(PREFIXES, dtype=np.int64)[prefix] * 10**8 + suffix
        year, _, _ = nums.ymd(opened)
        body = np.concatenate(
            [
                nums.constant_digits("898600", n),
                nums.digits(year % 100, 2),
                nums.digits(nums.spread(rows, 10**11, self.seed * 3 + 1), 11),
            ],
            axis=1,
        )
        iccid = np.concatenate([body, nums.luhn_check(body)], axis=1)
        imsi = np.concatenate(
            [
                nums.constant_digits("46000", n),
                nums.digits(nums.spread(rows, 10**10, self.seed * 5 + 2), 10),
            ],
            axis=1,
        )
        return [
            pa.array(column).cast(pa.string())
            for column in (
                nums.ascii_column(nums.digits(msisdn, 11)),
                nums.ascii_column(iccid),
                nums.ascii_column(imsi),
            )
        ]

    def _count(
        self,
        category: nums.Ints,
        reasons: nums.Ints,
        other: np.ndarray,
        state: nums.Ints,
        kind: nums.Ints,
        valid: np.ndarray,
    ) -> None:
        s = self.summary
        s.valid_identity += int(valid.sum())
        s.no_identity += int((category == _NONE).sum())
        s.other_documents += int(other.sum())
        for index, count in enumerate(np.bincount(reasons, minlength=len(INVALID_CODES))):
            s.invalid_identity[INVALID_CODES[index]] += int(count)
        for index, count in enumerate(np.bincount(state, minlength=len(STATES))):
            s.states[STATES[index]] += int(count)
        for index, count in enumerate(np.bincount(kind, minlength=len(KINDS))):
            s.kinds[KINDS[index]] += int(count)
        in_service = state < STATES.index("cancelled")
        s.in_service += int(in_service.sum())
        s.valid_in_service += int((in_service & valid).sum())


class _ParquetSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if self.writer is None:
            self.writer = pq.ParquetWriter(
                self.path,
                batch.schema,
                compression="zstd",
                # Only where values repeat: dictionaries of unique numbers cost time and space.
                use_dictionary=["kind", "state", "opened_on", "channel_code", "doc_type"],
            )
        self.writer.write_batch(batch)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _CsvSink:
    """CSV with a header row; every column as text (dates as YYYY-MM-DD). Nothing the
    generator writes needs quoting, so nothing is quoted (Arrow would quote the header)."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("wb")
        self.handle.write((",".join(COLUMNS) + "\n").encode())
        self.writer: pa_csv.CSVWriter | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        columns = [c.cast(pa.string()) if c.type == pa.date32() else c for c in batch.columns]
        text = pa.RecordBatch.from_arrays(columns, names=batch.schema.names)
        if self.writer is None:
            options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
            self.writer = pa_csv.CSVWriter(self.handle, text.schema, write_options=options)
        self.writer.write_batch(text)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.handle.close()
