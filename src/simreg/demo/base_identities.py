"""Holders' identities for the synthetic base, a batch at a time.

A person is a number. Their resident ID, birthplace and name are functions of it (and the
seed), so a person holding several lines carries the same identity on each, and no two
people share a document, without a table of who was already drawn.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
from stdnum.cn import ric

from simreg.core.errors import DomainError
from simreg.demo import base_numbers as nums
from simreg.demo.base_numbers import Ascii, Ints
from simreg.demo.regions import County, all_cities, migrant_counties, province_for
from simreg.identity.documents import DocumentType, parse_document

Names = npt.NDArray[np.str_]

BORN_FROM = date(1945, 1, 1)
BORN_UNTIL = date(2008, 12, 31)
_BIRTH_DAYS = (BORN_UNTIL - BORN_FROM).days + 1
# Every (birth date, sequence) pair once: the space persons are spread over.
PERSON_SPACE = _BIRTH_DAYS * 999
HOME_SHARE = 0.82  # subscribers born in the province; the rest moved in

# Family names with rough weights (the commonest few cover a third of the population).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
)
_COMPOUND = ("欧阳", "司马", "上官", "诸葛", "东方")
_GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建国志文博"
_GIVEN_FEMALE = "芳娜敏静丽艳娟秀霞燕玲桂英慧巧美娇红琳素云莲真环雪荣爱妹欣怡佳倩婷颖"
_LATIN_GIVEN = ("JOHN", "MARIA", "DAVID", "ANNA", "JAMES", "SOFIA", "PETER", "ELENA", "KENJI")
_LATIN_FAMILY = ("SMITH", "MULLER", "GARCIA", "KIM", "TANAKA", "IVANOV", "NGUYEN", "MARTIN")
# ISO 3166 numeric codes as the 2017 foreigner's permanent residence ID carries them.
_COUNTRIES = ("840", "826", "392", "410", "276", "250", "036", "124", "702", "643")

INVALID_CODES = ("DOC-CHECKSUM", "DOC-DATE", "DOC-REGION", "DOC-LENGTH")
INVALID_WEIGHTS = (0.4, 0.2, 0.2, 0.2)
OTHER_TYPES = (
    DocumentType.TEMPORARY_RESIDENT_ID,
    DocumentType.PASSPORT,
    DocumentType.HOME_RETURN_PERMIT,
    DocumentType.TAIWAN_PERMIT,
    DocumentType.HMT_RESIDENCE_PERMIT,
    DocumentType.FOREIGN_PERMANENT_RESIDENT_ID,
)
OTHER_WEIGHTS = (0.2, 0.35, 0.2, 0.08, 0.07, 0.1)


def _region_matrix(codes: list[str]) -> nums.Digits:
    return np.frombuffer("".join(codes).encode(), dtype=np.uint8).reshape(-1, 6) - ord("0")


@functools.cache
def _unknown_regions(province: str) -> tuple[str, ...]:
    """Codes shaped like the province's own that no county ever had (a typo, a made-up
    place): a resident ID starting with one fails with DOC-REGION."""
    out = []
    for tail in range(9901, 9999, 7):
        code = f"{province[:2]}{tail}"
        body = f"{code}19800101001"
        try:
            parse_document(
                DocumentType.RESIDENT_ID,
                body + ric.calc_check_digit(body + "0"),
                today=date(2026, 1, 1),
            )
        except DomainError as error:
            if error.code == "DOC-REGION":
                out.append(code)
    return tuple(out)


@dataclass(frozen=True)
class People:
    """Identities of the persons of one seed."""

    seed: int

    @functools.cached_property
    def _home(self) -> nums.Digits:
        return _region_matrix([c.code for c in _home_counties(self.seed)])

    @functools.cached_property
    def _migrant(self) -> nums.Digits:
        return _region_matrix([c.code for c in migrant_counties(self.seed)])

    @functools.cached_property
    def _surnames(self) -> tuple[Names, npt.NDArray[np.float64]]:
        names = [*_SURNAMES, *_COMPOUND]
        weights = np.array([1 / (rank + 8) for rank in range(len(names))])
        return np.array(names, dtype="U2"), np.cumsum(weights) / weights.sum()

    def birth_and_sequence(self, person: Ints) -> tuple[Ints, Ints]:
        """Birth day number and 3-digit sequence: distinct per person."""
        spot = nums.spread(person, PERSON_SPACE, self.seed * 7919 + 17)
        born = nums.epoch_days(BORN_FROM) + spot % _BIRTH_DAYS
        return born, spot // _BIRTH_DAYS + 1

    def regions(self, person: Ints) -> nums.Digits:
        mixed = nums.mix(person, self.seed * 31 + 1)
        home = nums.pick(mixed, 1000, 48) < HOME_SHARE * 1000
        return np.where(
            home[:, None],
            self._home[nums.pick(mixed, len(self._home), 10)],
            self._migrant[nums.pick(mixed, len(self._migrant), 10)],
        )

    def resident_ids(self, person: Ints) -> tuple[Ascii, Ints]:
        """Valid 2nd-generation resident ID numbers (odd sequence: male) and birth days."""
        born, sequence = self.birth_and_sequence(person)
        body = np.concatenate(
            [self.regions(person), nums.date_digits(*nums.ymd(born)), nums.digits(sequence, 3)],
            axis=1,
        )
        return nums.ascii_column(body, last=nums.gb11643_check(body)), born

    def names(self, person: Ints) -> Names:
        """Chinese names, given names matching the sex the ID number encodes."""
        mixed = nums.mix(person, self.seed * 131 + 7)
        surnames, cumulative = self._surnames
        family = surnames[np.searchsorted(cumulative, nums.pick(mixed, 1 << 20) / (1 << 20))]
        _, sequence = self.birth_and_sequence(person)
        male = sequence % 2 == 1
        given = np.where(
            male,
            _chars(_GIVEN_MALE)[nums.pick(mixed, len(_GIVEN_MALE), 20)],
            _chars(_GIVEN_FEMALE)[nums.pick(mixed, len(_GIVEN_FEMALE), 20)],
        )
        second = np.where(
            male,
            _chars(_GIVEN_MALE)[nums.pick(mixed, len(_GIVEN_MALE), 30)],
            _chars(_GIVEN_FEMALE)[nums.pick(mixed, len(_GIVEN_FEMALE), 30)],
        )
        # A third of people have a one-character given name.
        second = np.where(nums.pick(mixed, 3, 40) == 0, "", second)
        return np.strings.add(np.strings.add(family, given), second)

    def invalid_ids(self, rng: np.random.Generator, count: int) -> tuple[Ascii, Ints]:
        """Resident IDs as legacy systems held them, each failing validation for one reason:
        a wrong check character, an impossible birth date, an unknown region, or a
        15-digit 1st-generation number. Returns the numbers (padded) and the reason index."""
        reason = rng.choice(len(INVALID_CODES), size=count, p=INVALID_WEIGHTS)
        born = rng.integers(nums.epoch_days(BORN_FROM), nums.epoch_days(BORN_UNTIL), count)
        year, month, day = nums.ymd(born)
        region = self._home[rng.integers(0, len(self._home), count)]
        impossible = reason == 1
        # Month 13, or the 30th of February.
        month_13 = impossible & (rng.random(count) < 0.5)
        month = np.where(month_13, 13, np.where(impossible, 2, month))
        day = np.where(impossible & ~month_13, 30, day)
        unknown = _region_matrix(list(_unknown_regions(province_for(self.seed).code)))
        region = np.where(
            (reason == 2)[:, None], unknown[rng.integers(0, len(unknown), count)], region
        )
        sequence = nums.digits(rng.integers(1, 1000, count), 3)
        body = np.concatenate([region, nums.date_digits(year, month, day), sequence], axis=1)
        check = nums.gb11643_check(body)
        wrong = (check - ord("0") + rng.integers(1, 10, count)) % 10 + ord("0")
        check = np.where(reason == 0, wrong, check).astype(np.uint8)
        full = nums.ascii_column(body, last=check).astype("S18")
        first_generation = nums.ascii_column(
            np.concatenate([region, nums.date_digits(year, month, day)[:, 2:], sequence], axis=1)
        )
        return np.where(reason == 3, first_generation.astype("S18"), full), reason

    def other_documents(
        self, rng: np.random.Generator, person: Ints
    ) -> tuple[Ints, list[str], list[str]]:
        """Documents own halls accept besides the resident ID (RN-07): the type (an index of
        OTHER_TYPES), the number and the holder's name. Few rows take this path, so it is
        plain Python."""
        kinds = rng.choice(len(OTHER_TYPES), size=len(person), p=OTHER_WEIGHTS)
        ids, _ = self.resident_ids(person)
        names = self.names(person)
        born, sequence = self.birth_and_sequence(person)
        serial = nums.spread(person, 10**8, self.seed + 3)
        local = random.Random(f"other:{self.seed}:{int(person[0]) if len(person) else 0}")
        numbers, holders = [], []
        for i, kind in enumerate(kinds.tolist()):
            doc_type = OTHER_TYPES[kind]
            name = str(names[i])
            tail = f"{nums.from_epoch_days(int(born[i])):%Y%m%d}{int(sequence[i]):03d}"
            if doc_type is DocumentType.TEMPORARY_RESIDENT_ID:
                number = ids[i].decode()
            elif doc_type is DocumentType.PASSPORT:
                if local.random() < 0.5:
                    number = f"E{int(serial[i]):08d}"
                else:
                    letters = local.choice("GKPXN") + local.choice("ABCD")
                    number = f"{letters}{int(serial[i]) % 10**7:07d}"
                    name = f"{local.choice(_LATIN_GIVEN)} {local.choice(_LATIN_FAMILY)}"
            elif doc_type is DocumentType.HOME_RETURN_PERMIT:
                number = f"{local.choice('HM')}{int(serial[i]):08d}"
            elif doc_type is DocumentType.TAIWAN_PERMIT:
                number = f"{int(serial[i]):08d}"
            elif doc_type is DocumentType.HMT_RESIDENCE_PERMIT:
                number = _with_check(f"{local.choice(('810000', '820000', '830000'))}{tail}")
            else:
                province = province_for(self.seed).code[:2]
                number = _with_check(f"9{province}{local.choice(_COUNTRIES)}{tail}")
                name = f"{local.choice(_LATIN_GIVEN)} {local.choice(_LATIN_FAMILY)}"
            numbers.append(number)
            holders.append(name)
        return kinds, numbers, holders


def _with_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


@functools.cache
def _chars(text: str) -> Names:
    return np.array(list(text), dtype="U1")


@functools.cache
def _home_counties(seed: int) -> tuple[County, ...]:
    """Every county of the province, not only those with channels: people are born all over."""
    code = province_for(seed).code[:2]
    return tuple(county for city in all_cities(code) for county in city.counties)
