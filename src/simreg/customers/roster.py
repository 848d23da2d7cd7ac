"""An enterprise's roster of actual users, as a spreadsheet export: one row per line with
msisdn, doc_type, doc_number, name (English or Chinese headers; document types by code or by
their Chinese name). Rows are read here, checked in ``bindings.py``; a row that cannot even be
read carries its problem along so the reject report keeps every line number."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from simreg.core.errors import DomainError, InvalidInput
from simreg.core.spreadsheet import formula_safe
from simreg.identity.documents import DocumentType

MAX_ROWS = 5000
COLUMNS = ("msisdn", "doc_type", "doc_number", "name")
_HEADER_ALIASES = {
    "号码": "msisdn",
    "手机号码": "msisdn",
    "证件类型": "doc_type",
    "证件号码": "doc_number",
    "姓名": "name",
    "实际使用人": "name",
}
_TYPE_ALIASES = {t.label_zh: t.value for t in DocumentType} | {
    "身份证": DocumentType.RESIDENT_ID.value,
    "": DocumentType.RESIDENT_ID.value,  # an empty type column means the usual card
}


@dataclass(frozen=True, repr=False)
class RosterRow:
    line: int  # the line of the file, header = 1, as a spreadsheet shows it
    msisdn: str
    doc_type: str
    doc_number: str
    name: str
    problem: DomainError | None = None

    def __repr__(self) -> str:
        # Rows carry identity data; only the line and number may reach a log or a debugger.
        return f"RosterRow(line={self.line}, msisdn={self.msisdn!r})"


def read_roster(rows: Iterable[Mapping[str, str | None]]) -> Iterator[RosterRow]:
    """Rows of a ``csv.DictReader``; refuses the whole file only when its header lacks a
    column or it is too long, so a half-read file is never half-bound."""
    seen: dict[str, int] = {}
    for count, raw in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise InvalidInput(
                f"A roster has at most {MAX_ROWS} rows; split the file.",
                code="ROSTER-TOO-LONG",
                message_zh=f"名单最多{MAX_ROWS}行，请拆分文件。",
            )
        row = {
            _HEADER_ALIASES.get((k or "").strip(), (k or "").strip().lower()): (v or "").strip()
            for k, v in raw.items()
            if k is not None
        }
        if count == 1:
            _check_header(row)
        line = count + 1
        msisdn = row.get("msisdn", "")
        doc_type = _TYPE_ALIASES.get(row.get("doc_type", ""), row.get("doc_type", ""))
        problem: DomainError | None = None
        if not msisdn or not row.get("doc_number") or not row.get("name"):
            problem = InvalidInput(
                "The row needs a number, a document number and a name.",
                code="ROSTER-FIELDS",
                message_zh="该行须填写号码、证件号码和姓名。",
            )
        elif msisdn in seen:
            problem = InvalidInput(
                f"The number is already on line {seen[msisdn]} of the file.",
                code="ROSTER-DUPLICATE",
                message_zh=f"该号码已在文件第{seen[msisdn]}行出现。",
                first_line=seen[msisdn],
            )
        else:
            seen[msisdn] = line
        yield RosterRow(
            line, msisdn[:20], doc_type, row.get("doc_number", ""), row.get("name", ""), problem
        )


def _check_header(row: Mapping[str, str]) -> None:
    missing = [c for c in COLUMNS if c not in row]
    if missing:
        raise InvalidInput(
            "The file needs the columns msisdn, doc_type, doc_number and name.",
            code="ROSTER-COLUMNS",
            message_zh="文件须包含 msisdn、doc_type、doc_number、name 四列。",
            missing=missing,
        )


def reject_report_csv(rejects: Iterable[Iterable[object]], language: str = "en") -> str:
    """The reject report as a spreadsheet: line, number, code, reason (no identity data)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["行号", "号码", "代码", "原因"]
        if language == "zh"
        else ["line", "msisdn", "code", "reason"]
    )
    for reject in rejects:
        line, msisdn, code, reason, reason_zh = list(reject)
        writer.writerow(
            [line, formula_safe(str(msisdn)), code, reason_zh if language == "zh" else reason]
        )
    return out.getvalue()
