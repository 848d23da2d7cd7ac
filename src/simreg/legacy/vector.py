"""The row checks over a whole chunk at once (Arrow and numpy), for the rows in plain form.

A legacy base is millions of rows in the same plain shape: 11 ASCII digits, a 19-20 digit
card, a resident ID of 17 digits and a check character, a name of Chinese characters. Checked
one row at a time in Python that costs some 80 µs a row; here the same rules run over the
chunk's columns. The vector checks only ever ACCEPT: a row they accept is one the per-row
reader (rows.RowReader) accepts with the very same values, and every other row (a wrong check
digit, a full-width digit, a passport, a Latin name, a stray space) goes to that reader, so
refusals and identity issues keep their exact codes and messages.
tests/unit/test_legacy_vector.py holds the two paths side by side on every kind of bad row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from simreg.core.errors import InvalidInput
from simreg.identity.documents import DocumentType, parse_document
from simreg.legacy.rows import IMPORTABLE_STATES, RowReader
from simreg.lines.domain import LineKind

Mask = npt.NDArray[np.bool_]

_MSISDN = r"^1[0-9]{10}$"
_ICCID = r"^89[0-9]{17,18}$"
_IMSI = r"^460[0-9]{12}$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_RESIDENT_ID = r"^[0-9]{17}[0-9X]$"
# Unified ideographs only: every one is a letter (Lo) that NFKC leaves alone, so such a name
# passes validate_person_name unchanged and mask_name hides all but its first character
# (checked in the tests against the running Python's Unicode tables). Names of up to 64.
_HAN_NAME = r"^[\x{4E00}-\x{9FFF}]{1,64}$"
_KINDS = pa.array([kind.value for kind in LineKind])
_STATES = pa.array(sorted(state.value for state in IMPORTABLE_STATES))
# The document types parsed as resident IDs (same layout, same checks).
_GB11643_TYPES = pa.array(
    [DocumentType.RESIDENT_ID.value, DocumentType.TEMPORARY_RESIDENT_ID.value]
)
_HMT_PREFIXES = pa.array(["810000", "820000", "830000"])
_LUHN_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.int64)
_GB11643_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)


@dataclass(frozen=True)
class PlainRows:
    """Which rows of a chunk the vector checks accepted.

    ``accepted``: the row is valid as it stands, every field already in the form the per-row
    reader would produce; ``identified``: among those, the row carries a valid resident ID and
    name (the others carry no identity at all); ``opened_on``: the opening dates as
    YYYY-MM-DD text."""

    accepted: Mask
    identified: Mask
    opened_on: pa.Array


def plain_rows(columns: dict[str, pa.Array], reader: RowReader) -> PlainRows:
    def text(name: str) -> pa.Array:
        # Parquet may hold nulls; the per-row reader reads them as empty text.
        return pc.fill_null(columns[name], "")

    msisdn = text("msisdn")
    accepted = (
        _matches(msisdn, _MSISDN)
        & _matches(text("iccid"), _ICCID)
        & _matches(text("imsi"), _IMSI)
        & _member(text("kind"), _KINDS)
        & _member(text("state"), _STATES)
        & _member(text("channel_code"), pa.array(sorted(reader.channel_codes), pa.string()))
    )
    opened_ok, opened_on = _opened_on(columns["opened_on"], reader.today)
    accepted &= opened_ok
    accepted &= _segments_allowed(msisdn, accepted, reader)
    accepted &= _luhn(text("iccid"), accepted)

    doc_type, doc_number, name = text("doc_type"), text("doc_number"), text("holder_name")
    anonymous = _equal_empty(doc_type) & _equal_empty(doc_number) & _equal_empty(name)
    identified = (
        accepted
        & _member(doc_type, _GB11643_TYPES)
        & _matches(doc_number, _RESIDENT_ID)
        & _matches(name, _HAN_NAME)
    )
    identified &= _resident_id_valid(doc_type, doc_number, identified, reader.today)
    return PlainRows(accepted & (anonymous | identified), identified, opened_on)


def _mask(array: pa.Array) -> Mask:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _matches(values: pa.Array, pattern: str) -> Mask:
    return _mask(pc.match_substring_regex(values, pattern))


def _member(values: pa.Array, allowed: pa.Array) -> Mask:
    return _mask(pc.is_in(values, value_set=allowed))


def _equal_empty(values: pa.Array) -> Mask:
    return _mask(pc.equal(pc.utf8_length(values), 0))


def _fixed_width(values: pa.Array, width: int) -> npt.NDArray[np.int64]:
    """The characters of ASCII values all ``width`` bytes long, as a matrix of byte values."""
    values = pa.concat_arrays([values]) if len(values) else values
    if not len(values):
        return np.zeros((0, width), dtype=np.int64)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)
    start = int(offsets[values.offset])
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)
    return data[start : start + width * len(values)].reshape(-1, width).astype(np.int64)


def _opened_on(values: pa.Array, today: date) -> tuple[Mask, pa.Array]:
    """Real dates, written YYYY-MM-DD (or typed as dates in Parquet), not after today."""
    if pa.types.is_date(values.type):
        days = pc.cast(values, pa.date32())
        ok = _mask(pc.fill_null(pc.less_equal(days, pa.scalar(today, pa.date32())), False))
        return ok, pc.cast(days, pa.string())
    values = pc.fill_null(values, "")
    ok = _matches(values, _ISO_DATE)
    where = np.flatnonzero(ok)
    digits = _fixed_width(pc.take(values, pa.array(where, pa.int64())), 10) - 48
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    month = digits[:, 5] * 10 + digits[:, 6]
    day = digits[:, 8] * 10 + digits[:, 9]
    ok[where] = _real_date(year, month, day, today)
    return ok, values


def _real_date(
    year: npt.NDArray[np.int64],
    month: npt.NDArray[np.int64],
    day: npt.NDArray[np.int64],
    today: date,
) -> Mask:
    """date(year, month, day) exists (years 1 to 9999, as Python's date) and is not after
    today."""
    ok = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    first = (np.where(ok, year, 1970) - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    first = first + (np.where(ok, month, 1) - 1).astype("timedelta64[M]")
    month_days = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(
        np.int64
    )
    ok &= day <= month_days
    born = first.astype("datetime64[D]") + (np.where(ok, day, 1) - 1).astype("timedelta64[D]")
    ok &= born <= np.datetime64(today, "D")
    return ok


def _segments_allowed(msisdn: pa.Array, candidates: Mask, reader: RowReader) -> Mask:
    """Plain numbers whose 7-digit segment is a mainland mobile one: the reader's own memo,
    asked once per segment present."""
    ok = np.zeros(len(msisdn), dtype=np.bool_)
    where = np.flatnonzero(candidates)
    if not len(where):
        return ok
    numbers = pc.take(msisdn, pa.array(where, pa.int64()))
    segments = pc.utf8_slice_codeunits(numbers, 0, 7)
    encoded = segments.dictionary_encode()
    first_of_each = np.unique(encoded.indices.to_numpy(), return_index=True)[1]
    plain = numbers.to_pylist()
    allowed = [
        s
        for s, i in zip(encoded.dictionary.to_pylist(), first_of_each, strict=True)
        if reader.plain_msisdn(plain[int(i)])
    ]
    ok[where] = _member(segments, pa.array(allowed, pa.string()))
    return ok


def _luhn(iccid: pa.Array, candidates: Mask) -> Mask:
    ok = np.zeros(len(iccid), dtype=np.bool_)
    where = np.flatnonzero(candidates)
    # A leading zero leaves the Luhn sum alone: 19-digit cards are padded to 20.
    padded = pc.utf8_lpad(pc.take(iccid, pa.array(where, pa.int64())), 20, "0")
    digits = _fixed_width(padded, 20) - 48
    total = digits[:, 1::2].sum(axis=1) + _LUHN_DOUBLED[digits[:, 0::2]].sum(axis=1)
    ok[where] = total % 10 == 0
    return ok


def _resident_id_valid(
    doc_type: pa.Array, doc_number: pa.Array, candidates: Mask, today: date
) -> Mask:
    """GB 11643 numbers that parse_document accepts: check character, not a residence
    permit's prefix, a real birth date not after today, a region known at birth."""
    ok = np.zeros(len(doc_number), dtype=np.bool_)
    where = np.flatnonzero(candidates)
    if not len(where):
        return ok
    numbers = pc.take(doc_number, pa.array(where, pa.int64()))
    chars = _fixed_width(numbers, 18)
    digits = chars[:, :17] - 48
    check = (12 - (digits @ _GB11643_WEIGHTS) % 11) % 11
    given = np.where(chars[:, 17] == ord("X"), 10, chars[:, 17] - 48)
    valid = check == given
    valid &= ~_member(pc.utf8_slice_codeunits(numbers, 0, 6), _HMT_PREFIXES)
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    valid &= _real_date(year, month, day, today)
    valid &= _regions_known(pc.take(doc_type, pa.array(where, pa.int64())), numbers, valid, today)
    ok[where] = valid
    return ok


def _regions_known(doc_type: pa.Array, numbers: pa.Array, candidates: Mask, today: date) -> Mask:
    """A region code is valid or not for a birth year, whatever the rest of the number: the
    document parser is asked once for each (region, birth year) present, with the first
    number carrying it, all of whose other checks passed above. Any refusal, of whatever
    reason, leaves the rows to the per-row reader."""
    ok = np.zeros(len(numbers), dtype=np.bool_)
    where = np.flatnonzero(candidates)
    if not len(where):
        return ok
    picked = pc.take(numbers, pa.array(where, pa.int64()))
    keys = pc.utf8_slice_codeunits(picked, 0, 10).dictionary_encode()
    first_of_each = np.unique(keys.indices.to_numpy(), return_index=True)[1]
    plain, types = picked.to_pylist(), pc.take(doc_type, pa.array(where, pa.int64())).to_pylist()
    known = []
    for key, i in zip(keys.dictionary.to_pylist(), first_of_each, strict=True):
        try:
            parse_document(types[int(i)], plain[int(i)], today=today)
        except InvalidInput:
            continue
        known.append(key)
    ok[where] = _member(pc.utf8_slice_codeunits(picked, 0, 10), pa.array(known, pa.string()))
    return ok
