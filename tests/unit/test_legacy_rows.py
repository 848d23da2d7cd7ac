"""Reading one legacy base row: what is refused, what is kept, and the number-segment memo."""

from __future__ import annotations

import random
from datetime import date

import pytest

from simreg.core.errors import InvalidInput
from simreg.legacy.rows import ChunkKeys, LegacyLine, Rejection, RowReader, repeated_rows
from simreg.lines.domain import LineKind, LineState, RealNameState, parse_msisdn
from tests.support.legacy_base import BaseRow, line_numbers

TODAY = date(2026, 11, 29)


def reader() -> RowReader:
    return RowReader(today=TODAY, channel_codes={"OWN"})


def test_a_row_without_identity_is_a_legacy_unverified_line() -> None:
    msisdn, iccid, imsi = line_numbers(1)
    read = reader().read(BaseRow(msisdn, f" {iccid} ", imsi, kind="DATA").__dict__)
    assert isinstance(read, LegacyLine)
    assert (read.iccid, read.kind, read.state) == (iccid, LineKind.DATA, LineState.ACTIVE)
    assert read.opened_on == date(2012, 5, 1)
    assert read.real_name_state is RealNameState.LEGACY_UNVERIFIED
    assert (read.identity, read.identity_issue, read.holder_name) == (None, None, None)


def test_a_valid_identity_is_verified_and_never_shown_in_full() -> None:
    row = BaseRow(*line_numbers(2)).with_identity(random.Random(1))
    read = reader().read(row.__dict__)
    assert isinstance(read, LegacyLine)
    assert read.real_name_state is RealNameState.VERIFIED
    assert read.identity is not None and read.identity.document.number == row.doc_number
    assert row.doc_number not in repr(read) and row.holder_name not in repr(read)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"msisdn": ""}, "LINE-MSISDN"),
        ({"msisdn": "02012345678"}, "LINE-MSISDN"),
        ({"iccid": ""}, "LINE-ICCID"),
        ({"imsi": "46000"}, "LINE-IMSI"),
        ({"kind": ""}, "IMPORT-KIND"),
        ({"state": "pending_review"}, "IMPORT-STATE"),
        ({"opened_on": "2012-5-1"}, "IMPORT-DATE"),
        ({"opened_on": "2026-11-30"}, "IMPORT-DATE"),
        ({"channel_code": "own"}, "IMPORT-CHANNEL"),
    ],
)
def test_bad_line_data_refuses_the_row(change: dict[str, str], code: str) -> None:
    row = {**BaseRow(*line_numbers(3)).__dict__, **change}
    read = reader().read(row)
    assert isinstance(read, Rejection)
    assert read.code == code and read.message


def test_the_segment_memo_agrees_with_the_full_parser() -> None:
    """Plain 11-digit numbers are judged once per 7-digit segment; across every 3-digit
    prefix, a second number of each segment gets the answer the full parser gives it."""
    rng = random.Random(5)
    memo = reader()
    for prefix in range(100, 200):
        for _ in range(8):
            segment = f"{prefix}{rng.randrange(10_000):04d}"
            for _ in range(2):
                number = segment + f"{rng.randrange(10_000):04d}"
                try:
                    expected: str | None = parse_msisdn(number)
                except InvalidInput:
                    expected = None
                got = memo._msisdn(number)
                assert (got if isinstance(got, str) else None) == expected, number


@pytest.mark.parametrize("seed", range(20))
def test_repeats_found_over_whole_columns_are_those_refused_row_by_row(seed: int) -> None:
    """A refused row frees its keys for later rows (row 3 below may take an ICCID that row 2
    was refused with): the column check must refuse exactly what ChunkKeys refuses."""
    rng = random.Random(seed)
    width = rng.choice((3, 8, 40))
    rows = [
        (f"m{rng.randrange(width * 3)}", f"c{rng.randrange(width)}", f"i{rng.randrange(width)}")
        for _ in range(60)
    ]
    keys = ChunkKeys()
    expected = {at: why for at, row in enumerate(rows) if (why := keys.repeated(*row))}
    msisdns, iccids, imsis = (list(column) for column in zip(*rows, strict=True))
    assert repeated_rows(msisdns, iccids, imsis) == expected
    assert expected or width == 40


def test_a_row_refused_for_one_key_leaves_its_other_keys_free() -> None:
    rows = [("m1", "c1", "i1"), ("m2", "c2", "i1"), ("m3", "c2", "i3")]
    refused = repeated_rows(*(list(column) for column in zip(*rows, strict=True)))
    assert list(refused) == [1]
    assert "IMSI" in refused[1].message


def test_a_chunk_without_repeats_refuses_nothing() -> None:
    assert repeated_rows(["m1", "m2"], ["c1", "c2"], ["i1", "i2"]) == {}
