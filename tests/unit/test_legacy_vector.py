"""The vector checks of a chunk agree, row for row, with the per-row reader: same lines staged
with the same values, same refusals with the same codes, messages and line numbers."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from simreg.adapters.base_files import open_base_file
from simreg.core.crypto import IdentityVault, decode_master_key, generate_master_key
from simreg.demo.base_generator import write_base
from simreg.identity.names import mask_name, validate_person_name
from simreg.legacy.rows import COLUMNS, Rejection
from simreg.legacy.staging import (
    DOC_NUMBER_PURPOSE,
    HOLDER_NAME_PURPOSE,
    RawChunk,
    RejectedRow,
    StagedLine,
    Stager,
)
from simreg.legacy.vector import plain_rows
from tests.support.legacy_base import BaseRow, base_rows, write_csv, write_parquet

TODAY = date(2026, 11, 29)
CHANNELS = {"OWN": 1, "CH2": 2}
KEY = decode_master_key(generate_master_key())

# What a legacy export gets wrong, one field at a time.
LINE_MUTATIONS: list[dict[str, str]] = [
    {"msisdn": ""},
    {"msisdn": " 13900000001"},
    {"msisdn": "１３９００００００１"},
    {"msisdn": "+8613900000001"},
    {"msisdn": "10012345678"},
    {"msisdn": "12012345678"},
    {"msisdn": "1390000000"},
    {"msisdn": "139000000012"},
    {"msisdn": "1390000000O"},
    {"iccid": ""},
    {"iccid": "8986200000000000001"},
    {"iccid": "898620000000000000012345"},
    {"iccid": "1234567890123456789"},
    {"iccid": "8986 200000000000000"},
    {"imsi": "46000"},
    {"imsi": "310000000000001"},
    {"imsi": " 460020000000001"},
    {"kind": "VOICE"},
    {"kind": "fax"},
    {"kind": ""},
    {"state": "Active"},
    {"state": "pending_review"},
    {"state": "cancelled "},
    {"opened_on": "2012-5-1"},
    {"opened_on": "2023-02-29"},
    {"opened_on": "2024-02-29"},
    {"opened_on": "2012-13-01"},
    {"opened_on": "2012-04-31"},
    {"opened_on": "0000-01-01"},
    {"opened_on": "2026-11-30"},
    {"opened_on": "2026-11-29"},
    {"opened_on": ""},
    {"channel_code": "own"},
    {"channel_code": " OWN"},
    {"channel_code": "NOPE"},
]
IDENTITY_MUTATIONS: list[dict[str, str]] = [
    {"doc_number": "__last__"},
    {"doc_number": "__lower_x__"},
    {"doc_number": "__hmt__"},
    {"doc_number": "__region__"},
    {"doc_number": "__feb30__"},
    {"doc_number": "__future__"},
    {"doc_number": ""},
    {"doc_type": ""},
    {"doc_type": "RESIDENT_ID"},
    {"doc_type": "temporary_resident_id"},
    {"doc_type": "passport", "doc_number": "E12345678"},
    {"doc_type": "driving_licence"},
    {"holder_name": ""},
    {"holder_name": "张 三"},
    {"holder_name": "阿依古丽·买买提"},
    {"holder_name": "Li Lei"},
    {"holder_name": "张3"},
    {"holder_name": "张😀"},
    {"holder_name": "\u3400\u3401"},
    {"holder_name": "张" * 65},
    {"holder_name": "张" * 64},
    {"holder_name": "  王五"},
]


def _with_check(body: str) -> str:
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    value = (12 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11) % 11
    return body + ("X" if value == 10 else str(value))


def _document(number: str, how: str, rng: random.Random) -> str:
    if how == "__last__":
        return number[:-1] + ("1" if number[-1] == "0" else "0")
    if how == "__lower_x__":
        for _ in range(200):
            body = number[:14] + f"{rng.randrange(1000):03d}"
            if _with_check(body).endswith("X"):
                return _with_check(body).lower()
        return number.lower()
    if how == "__hmt__":
        return _with_check("810000" + number[6:17])
    if how == "__region__":
        return _with_check("999999" + number[6:17])
    if how == "__feb30__":
        return _with_check(number[:6] + "19900230" + number[14:17])
    if how == "__future__":
        return _with_check(number[:6] + "20991231" + number[14:17])
    return how


def mutated_rows(count: int, seed: int) -> list[BaseRow]:
    rng = random.Random(seed)
    rows = base_rows(count, start=5000, seed=seed)
    out = []
    for n, row in enumerate(rows):
        if n % 4 == 0:
            change = dict(LINE_MUTATIONS[n // 4 % len(LINE_MUTATIONS)])
            row = replace(row, **change)
        elif n % 4 == 1:
            row = row.with_identity(rng)
            change = dict(IDENTITY_MUTATIONS[n // 4 % len(IDENTITY_MUTATIONS)])
            if "doc_number" in change and change["doc_number"].startswith("__"):
                change["doc_number"] = _document(row.doc_number, change["doc_number"], rng)
            row = replace(row, **change)
        out.append(row)
    # Repeats within the file are the loader's business, not the checks': both paths keep them.
    return out + out[:50]


def per_row(stager: Stager, chunk: RawChunk) -> tuple[list[StagedLine], list[RejectedRow]]:
    """The reference: every row through the per-row reader."""
    reader = stager._reader
    staged, rejected = [], []
    columns = [chunk.columns[name].to_pylist() for name in COLUMNS]
    for line_no, values in zip(chunk.lines, zip(*columns, strict=True), strict=True):
        read = reader.read_values(values)
        if isinstance(read, Rejection):
            given = "" if values[0] is None else str(values[0])[:64]
            rejected.append(RejectedRow(line_no, given, read))
        else:
            staged.append(stager._staged(line_no, read))
    return staged, rejected


def comparable(line: StagedLine, vault: IdentityVault) -> tuple[object, ...]:
    """The line with its ciphertexts opened (each is freshly random)."""
    fields = asdict_line(line)
    for name, purpose in (
        ("holder_name_enc", HOLDER_NAME_PURPOSE),
        ("doc_number_enc", DOC_NUMBER_PURPOSE),
    ):
        blob = fields[name]
        if isinstance(blob, bytes):
            fields[name] = vault.fields.decrypt_text(blob, purpose)
    return tuple(fields.values())


def asdict_line(line: StagedLine) -> dict[str, object]:
    return dict(line._asdict())


def assert_same(path: Path) -> None:
    stager = Stager(KEY, CHANNELS, TODAY)
    reference = Stager(KEY, CHANNELS, TODAY)
    vault = IdentityVault(KEY)
    plain_total = rows_total = 0
    for chunk in open_base_file(path).chunks(700):
        got = stager.stage(chunk)
        want_staged, want_rejected = per_row(reference, chunk)
        assert [comparable(line, vault) for line in got.lines()] == [
            comparable(line, vault) for line in want_staged
        ]
        assert sorted(got.rejected, key=lambda r: r.line) == sorted(
            want_rejected, key=lambda r: r.line
        )
        plain_total += int(np.count_nonzero(plain_rows(chunk.columns, stager._reader).accepted))
        rows_total += len(chunk.lines)
    # The comparison means something only if the vector path took most rows.
    assert plain_total > rows_total // 3


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_vector_and_per_row_paths_agree_on_every_kind_of_bad_row(
    tmp_path: Path, suffix: str
) -> None:
    rows = mutated_rows(len(LINE_MUTATIONS) * len(IDENTITY_MUTATIONS), seed=11)
    if suffix == ".csv":
        path = write_csv(tmp_path / "base.csv", rows)
    else:
        dated = [r for r in rows if _iso(r.opened_on)]
        path = write_parquet(tmp_path / "base.parquet", dated)
    assert_same(path)


def _iso(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_vector_and_per_row_paths_agree_on_a_synthetic_province(
    tmp_path: Path, suffix: str
) -> None:
    """The demo generator's base: both kinds, every state, other document types on own
    channels, invalid identities of every reason."""
    path = tmp_path / f"base{suffix}"
    write_base(path, 6000, 3, list(CHANNELS), own_channels={"OWN"})
    assert_same(path)


def test_rows_given_as_plain_text_lists_keep_their_line_numbers(tmp_path: Path) -> None:
    rows = [list(asdict(row).values()) for row in base_rows(5)]
    path = write_csv(tmp_path / "base.csv", [*rows[:2], ["too", "few"], *rows[2:]])
    chunk = next(open_base_file(path).chunks(100))
    staged = Stager(KEY, CHANNELS, TODAY).stage(chunk)
    assert [line.line_no for line in staged.lines()] == [2, 3, 5, 6, 7]
    assert [row.line for row in staged.rejected] == [4]


def test_chinese_characters_of_the_fast_name_check_are_letters_left_alone_by_nfkc() -> None:
    """The vector check takes names of U+4E00..U+9FFF as they stand; that is sound only if
    each of them is a letter NFKC does not change, in this Python's Unicode tables."""
    for code in range(0x4E00, 0xA000):
        char = chr(code)
        assert unicodedata.category(char) == "Lo", hex(code)
        assert unicodedata.normalize("NFKC", char) == char, hex(code)
    assert validate_person_name("龘䶵") == "龘䶵"
    assert mask_name("欧阳娜娜") == "欧***"
