"""Number selection in the shop: by pattern (the last digits, or digits anywhere) and by
region, where a number's region is its home city (号码归属地) as the numbering plan assigns
it to the 7-digit segment (号段); the offline geocoder of ``phonenumbers`` knows it.

The pool is asked which segments have free numbers (one index seek per segment), each
segment is placed once in Python (a few thousand at most), and the search itself is one SQL
query over msisdn ranges, in number order, a page at a time.
"""

from __future__ import annotations

import functools
import threading
import time
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import geocoder

from simreg.core.errors import InvalidInput
from simreg.online.ports import NumberPool, PickupHall

PAGE_SIZE = 24
SEGMENTS_FOR = 300.0  # seconds the segment list is reused; the pool changes slowly


@dataclass(frozen=True)
class Region:
    key: str  # the Chinese name, e.g. 江苏省连云港市: stable, and what customers read
    name_zh: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh" else self.name_en


@functools.lru_cache(maxsize=20_000)
def segment_region(segment: str) -> Region | None:
    """The home city of a 7-digit segment, or None where the plan does not say."""
    try:
        number = phonenumbers.parse("+86" + segment + "0000")
    except phonenumbers.NumberParseException:
        return None
    zh = geocoder.description_for_number(number, "zh")
    if not zh:
        return None
    return Region(zh, zh, geocoder.description_for_number(number, "en") or zh)


@dataclass(frozen=True)
class NumberQuery:
    pattern: str = ""
    mode: str = "ends"  # "ends": the last digits (尾号); "contains": anywhere
    region: str = ""
    kind: str = ""
    after: str = ""


@dataclass(frozen=True)
class FoundNumber:
    msisdn: str
    kind: str
    region: Region | None


@dataclass(frozen=True)
class NumberPage:
    numbers: list[FoundNumber]
    next_after: str | None  # pass as ``after`` for the next page


def parse_query(pattern: str, mode: str, region: str, kind: str, after: str) -> NumberQuery:
    # People type full-width digits and spaces between groups (NFKC folds the former).
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", pattern) if not ch.isspace())
    if digits and (not digits.isascii() or not digits.isdigit() or len(digits) > 11):
        raise InvalidInput(
            "Search with up to 11 digits.",
            code="SHOP-PATTERN",
            message_zh="请输入不超过 11 位的数字进行搜索。",
        )
    if mode not in ("ends", "contains"):
        mode = "ends"
    if kind not in ("", "voice", "data"):
        kind = ""
    if after and not (after.isascii() and after.isdigit() and len(after) == 11):
        after = ""
    return NumberQuery(digits, mode, region[:64], kind, after)


class NumberSearch:
    def __init__(self, pool: NumberPool, *, page_size: int = PAGE_SIZE) -> None:
        self.pool = pool
        self.page_size = page_size
        self._lock = threading.Lock()
        self._segments: tuple[float, list[str]] | None = None

    def _free_segments(self) -> list[str]:
        with self._lock:
            if self._segments is not None and time.monotonic() - self._segments[0] < SEGMENTS_FOR:
                return self._segments[1]
        found = self.pool.segments()
        with self._lock:
            self._segments = (time.monotonic(), found)
        return found

    def regions(self) -> list[Region]:
        """Regions with free numbers, for the search form."""
        seen = {r.key: r for s in self._free_segments() if (r := segment_region(s)) is not None}
        return sorted(seen.values(), key=lambda r: r.name_en)

    def search(self, query: NumberQuery) -> NumberPage:
        segments: list[str] | None = None
        if query.region:
            segments = [
                s
                for s in self._free_segments()
                if (r := segment_region(s)) is not None and r.key == query.region
            ]
            if not segments:
                return NumberPage([], None)
        rows = self.pool.search(
            ends_with=query.pattern if query.pattern and query.mode == "ends" else None,
            contains=query.pattern if query.pattern and query.mode == "contains" else None,
            segments=segments,
            kind=query.kind or None,
            after=query.after or None,
            limit=self.page_size + 1,
        )
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        return NumberPage(
            [FoundNumber(r.msisdn, r.kind, segment_region(r.msisdn[:7])) for r in rows],
            rows[-1].msisdn if more and rows else None,
        )

    def pickup_halls(self) -> list[PickupHall]:
        return self.pool.pickup_halls()
