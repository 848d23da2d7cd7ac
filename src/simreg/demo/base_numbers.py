"""Vectorised numbers for the synthetic base: decimal digit matrices turned into ASCII columns,
the GB 11643 and Luhn check characters, and keyed bijections that make numbers unique without
remembering which were handed out. One row a person or a line, thousands at a time."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Digits = npt.NDArray[np.uint8]  # one row of decimal digits (0-9) a number
Ascii = npt.NDArray[np.bytes_]  # fixed-width ASCII strings, one a row

_EPOCH = date(1970, 1, 1).toordinal()
# ISO 7064 MOD 11-2 weights of GB 11643 for the first 17 characters.
_GB11643_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_LUHN_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.int64)
_X = ord("X")
_MASK64 = (1 << 64) - 1


def epoch_days(day: date) -> int:
    """Days since 1970-01-01: the unit of Arrow's date32 and numpy's datetime64[D]."""
    return day.toordinal() - _EPOCH


def from_epoch_days(days: int) -> date:
    return date.fromordinal(days + _EPOCH)


def digits(values: Ints, width: int) -> Digits:
    """Zero-padded decimal digits of non-negative integers, most significant first."""
    out = np.empty((len(values), width), dtype=np.uint8)
    rest = values
    # Column by column: division by a scalar is several times faster than by a broadcast row.
    for column in range(width - 1, -1, -1):
        quotient = rest // 10
        out[:, column] = rest - quotient * 10
        rest = quotient
    return out


def constant_digits(text: str, rows: int) -> Digits:
    return np.tile(np.frombuffer(text.encode(), dtype=np.uint8) - ord("0"), (rows, 1))


def ascii_column(matrix: Digits, *, last: npt.NDArray[np.uint8] | None = None) -> Ascii:
    """Digits (and an optional last character, already ASCII) as one fixed-width string each."""
    chars = matrix + np.uint8(ord("0"))
    if last is not None:
        chars = np.concatenate([chars, last[:, None]], axis=1)
    chars = np.ascontiguousarray(chars)
    return chars.view(f"S{chars.shape[1]}").ravel()


def ymd(days: Ints) -> tuple[Ints, Ints, Ints]:
    """Year, month and day of each day number."""
    stamps = days.astype("datetime64[D]")
    months = stamps.astype("datetime64[M]")
    year = stamps.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (stamps - months).astype(np.int64) + 1
    return year, month, day


def date_digits(year: Ints, month: Ints, day: Ints) -> Digits:
    """YYYYMMDD; the parts are taken as given, so impossible dates can be written too."""
    return digits(year * 10000 + month * 100 + day, 8)


def gb11643_check(body: Digits) -> npt.NDArray[np.uint8]:
    """The 18th character (ASCII) for 17 leading digits: ISO 7064 MOD 11-2, 10 written as X."""
    check = (12 - (body.astype(np.int64) @ _GB11643_WEIGHTS) % 11) % 11
    return np.where(check == 10, _X, check + ord("0")).astype(np.uint8)


def luhn_check(body: Digits) -> Digits:
    """The Luhn digit to append: counted from the right, the body's last digit is doubled."""
    doubled = (body.shape[1] - 1 - np.arange(body.shape[1])) % 2 == 0
    values = body.astype(np.int64)
    total = np.where(doubled, _LUHN_DOUBLED[values], values).sum(axis=1)
    check: Digits = ((10 - total % 10) % 10).astype(np.uint8)
    return check[:, None]


def spread(counter: Ints, modulus: int, key: int) -> Ints:
    """A keyed bijection on [0, modulus): distinct counters give distinct values that do not
    run in sequence. Counters must stay below the modulus."""
    offset = _mix_one(key) % modulus
    return (counter % modulus * _coprime_multiplier(modulus, key) + offset) % modulus


def _coprime_multiplier(modulus: int, key: int) -> int:
    # Large for spread-out values, small enough that counter * multiplier fits in int64.
    bound = max(3, min(modulus, (1 << 62) // modulus))
    candidate = bound // 2 + _mix_one(key + 1) % (bound // 2) | 1
    while math.gcd(candidate, modulus) != 1:
        candidate -= 2
    return candidate


def _mix_one(value: int) -> int:
    return int(mix(np.array([value], dtype=np.int64), 0)[0])


def mix(values: Ints, key: int) -> npt.NDArray[np.uint64]:
    """SplitMix64 of each value under a key: independent-looking draws that depend only on the
    value, so a person keeps the same name and birthplace on every line they hold."""
    z = values.astype(np.uint64) ^ np.uint64(key & _MASK64)
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def pick(values: npt.NDArray[np.uint64], size: int, shift: int = 0) -> Ints:
    """An index below ``size`` taken from some bits of mixed values."""
    return ((values >> np.uint64(shift)) % np.uint64(size)).astype(np.int64)
