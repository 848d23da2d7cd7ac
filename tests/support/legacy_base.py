"""Small legacy base files for import tests, written the way an operator's export looks."""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from stdnum import luhn

from simreg.bootstrap import Simreg, master_key
from simreg.db.base_import import SqlBaseImportTransaction
from simreg.db.unit_of_work import SqlUnitOfWork
from simreg.demo.synthetic import person_name, resident_id
from simreg.legacy.importing import BaseImportService
from simreg.legacy.rows import COLUMNS


@dataclass(frozen=True)
class BaseRow:
    msisdn: str
    iccid: str
    imsi: str
    kind: str = "voice"
    state: str = "active"
    opened_on: str = "2012-05-01"
    channel_code: str = "OWN"
    doc_type: str = ""
    doc_number: str = ""
    holder_name: str = ""

    def with_identity(self, rng: random.Random) -> BaseRow:
        return replace(
            self, doc_type="resident_id", doc_number=resident_id(rng), holder_name=person_name(rng)
        )


def line_numbers(n: int) -> tuple[str, str, str]:
    """The n-th test line: a 139 mobile number, a Luhn-valid ICCID, an IMSI."""
    body = f"89862{n:013d}"
    return f"139{n:08d}", body + luhn.calc_check_digit(body), f"46002{n:010d}"


def base_rows(count: int, *, start: int = 0, seed: int = 5) -> list[BaseRow]:
    """``count`` valid rows; two in three carry a valid identity."""
    rng = random.Random(seed)
    rows = []
    for n in range(start, start + count):
        row = BaseRow(*line_numbers(n), kind="data" if n % 7 == 6 else "voice")
        rows.append(row.with_identity(rng) if n % 3 else row)
    return rows


def write_csv(
    path: Path, rows: Sequence[BaseRow | Sequence[str]], *, encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(list(asdict(row).values()) if isinstance(row, BaseRow) else row)
    return path


def write_parquet(path: Path, rows: Sequence[BaseRow]) -> Path:
    columns = {name: [getattr(row, name) for row in rows] for name in COLUMNS}
    table = pa.table(columns)
    # Tools that write Parquet type dates as dates; the importer takes either.
    dates = [date.fromisoformat(value) for value in columns["opened_on"]]
    table = table.set_column(COLUMNS.index("opened_on"), "opened_on", pa.array(dates, pa.date32()))
    pq.write_table(table, path)
    return path


def import_service(simreg: Simreg) -> BaseImportService:
    return BaseImportService(
        uow=SqlUnitOfWork(simreg.engine, SqlBaseImportTransaction),
        master_key=master_key(simreg.settings),
        clock=simreg.clock,
    )
