"""The simulated authority's register of residents: who holds which resident ID number.

Generated people are functions of the seed and their position, so ``person(seed, i)`` is the
same in the simulator, in the demo and in a test without sharing any state: valid GB 11643
numbers (current county codes of GB/T 2260, birth dates 1945-2008, odd sequence for men) and
Chinese names whose given name suits the sex the number encodes. Positions map to distinct
(birth date, sequence) pairs, so no two generated people share a number. Named people (a
demo's customers, a test's applicants) are added on top and win over a generated holder of
the same number.
"""

from __future__ import annotations

import csv
import functools
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from stdnum import numdb
from stdnum.cn import ric

BORN_FROM = date(1945, 1, 1)
BORN_UNTIL = date(2008, 12, 31)
_DAYS = (BORN_UNTIL - BORN_FROM).days + 1
_SPACE = _DAYS * 999  # every (birth date, sequence 001-999) pair once
MAX_POPULATION = 2_000_000
_MASK = (1 << 64) - 1

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
_GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林阳建国志文博"
_GIVEN_FEMALE = "芳娜敏静丽艳娟秀霞燕玲桂英慧巧美娇红琳素云莲真环雪荣爱欣怡佳倩婷颖"


@dataclass(frozen=True, repr=False)
class Person:
    document_number: str
    name: str

    def __repr__(self) -> str:
        return f"Person(document_number={self.document_number[:6]}********)"


@functools.cache
def county_codes() -> tuple[str, ...]:
    """Current county-level codes of the mainland (a resident ID's first six digits)."""
    codes = []
    for _, province, _, _, children in numdb.get("cn/loc").prefixes:
        if province in ("71", "81", "82"):  # Taiwan, Hong Kong, Macao: other documents
            continue
        for _, code, _, props, _ in children:
            name = _current_name(props.get("county", ""))
            if name is None or code.endswith("00") or name in _PLACEHOLDERS:
                continue
            codes.append(province + code)
    return tuple(sorted(codes))


# Rows of GB/T 2260 that group counties without naming a place.
_PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


def _current_name(value: str) -> str | None:
    """The name in use today, or None when the code was withdrawn. Values look like
    ``西湖区``, ``[1983-]西湖区`` or ``[1985-1986]滨海区,[1987-]北仑区``."""
    latest = value.split(",")[-1]
    if latest.startswith("["):
        span, latest = latest[1:].split("]", 1)
        if span.split("-", 1)[1]:
            return None
    return latest or None


@functools.cache
def _multiplier(seed: int) -> int:
    """A step coprime to the space, so position -> (birth date, sequence) is a permutation."""
    step = 7_919 + (seed % 1_000_003) * 2
    while _gcd(step, _SPACE) != 1:
        step += 1
    return step


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def person(seed: int, position: int) -> Person:
    """The generated person at ``position`` (0-based) of the population of ``seed``."""
    spot = (position * _multiplier(seed) + seed * 104_729) % _SPACE
    born = BORN_FROM + timedelta(days=spot % _DAYS)
    sequence = spot // _DAYS + 1
    # Independent draws from one mixed 64-bit value: a random.Random per person would cost
    # ten times more, and a population of a million is generated at start.
    mixed = _mix(_mix(seed) ^ position)
    codes = county_codes()
    body = f"{codes[mixed % len(codes)]}{born.isoformat().replace('-', '')}{sequence:03d}"
    number = body + ric.calc_check_digit(body + "0")
    given = _GIVEN_MALE if sequence % 2 else _GIVEN_FEMALE
    name = _SURNAMES[(mixed >> 16) % len(_SURNAMES)] + given[(mixed >> 28) % len(given)]
    if (mixed >> 40) % 3:  # two people in three have a two-character given name
        name += given[(mixed >> 44) % len(given)]
    return Person(number, name)


def _mix(value: int) -> int:
    """splitmix64's finaliser: neighbouring inputs give unrelated outputs."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def normalise_name(name: str) -> str:
    """How the authority compares names: width and spacing do not matter, case neither."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def normalise_number(number: str) -> str:
    return "".join(unicodedata.normalize("NFKC", number).split()).upper()


class Population:
    """Resident ID number -> name. Thread-safe: people may be added while it serves."""

    def __init__(self, seed: int = 0, size: int = 10_000) -> None:
        if not 0 <= size <= MAX_POPULATION:
            raise ValueError(f"population size must be 0 to {MAX_POPULATION}")
        self.seed = seed
        self.size = size
        self._lock = threading.Lock()
        self._holders: dict[str, str] = {}
        for position in range(size):
            found = person(seed, position)
            self._holders[found.document_number] = found.name

    def __len__(self) -> int:
        return len(self._holders)

    def person(self, position: int) -> Person:
        if not 0 <= position < self.size:
            raise IndexError(position)
        return person(self.seed, position)

    def add(self, people: Iterable[Person]) -> int:
        added = 0
        with self._lock:
            for one in people:
                self._holders[normalise_number(one.document_number)] = one.name
                added += 1
        return added

    def holder(self, document_number: str) -> str | None:
        with self._lock:
            return self._holders.get(normalise_number(document_number))


def read_people(path: Path) -> list[Person]:
    """``doc_number,name`` per line, UTF-8, with or without that header row."""
    people = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.reader(handle):
            if len(row) < 2 or not row[0].strip():
                continue
            number, name = row[0].strip(), row[1].strip()
            if number.lower() in ("doc_number", "document_number"):
                continue
            people.append(Person(number, name))
    return people
