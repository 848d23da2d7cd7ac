"""Identity documents (证件): normalise what a clerk typed, then validate it by document type.

Numbers are personal data: a rejection names the document type and the reason, never the
number, so nothing raised here can carry one into a log line or an error body.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from simreg.core.crypto import IdentityVault
from simreg.core.errors import InvalidInput


class DocumentType(StrEnum):
    RESIDENT_ID = "resident_id"
    TEMPORARY_RESIDENT_ID = "temporary_resident_id"
    PASSPORT = "passport"
    HOME_RETURN_PERMIT = "home_return_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"
    FOREIGN_PERMANENT_RESIDENT_ID = "foreign_permanent_resident_id"
    BUSINESS_LICENCE = "business_licence"

    @property
    def label_en(self) -> str:
        return _LABELS[self][0]

    @property
    def label_zh(self) -> str:
        return _LABELS[self][1]

    @property
    def is_personal(self) -> bool:
        return self is not DocumentType.BUSINESS_LICENCE

    @property
    def is_second_generation_resident_id(self) -> bool:
        """RN-07: the only document a social channel may accept."""
        return self is DocumentType.RESIDENT_ID


_LABELS: dict[DocumentType, tuple[str, str]] = {
    DocumentType.RESIDENT_ID: ("Resident Identity Card", "居民身份证"),
    DocumentType.TEMPORARY_RESIDENT_ID: ("Temporary Resident Identity Card", "临时居民身份证"),
    DocumentType.PASSPORT: ("Passport", "护照"),
    DocumentType.HOME_RETURN_PERMIT: (
        "Mainland Travel Permit for Hong Kong and Macao Residents",
        "港澳居民来往内地通行证",
    ),
    DocumentType.TAIWAN_PERMIT: (
        "Mainland Travel Permit for Taiwan Residents",
        "台湾居民来往大陆通行证",
    ),
    DocumentType.HMT_RESIDENCE_PERMIT: (
        "Residence Permit for Hong Kong, Macao and Taiwan Residents",
        "港澳台居民居住证",
    ),
    DocumentType.FOREIGN_PERMANENT_RESIDENT_ID: (
        "Foreign Permanent Resident ID Card",
        "外国人永久居留身份证",
    ),
    DocumentType.BUSINESS_LICENCE: (
        "Business Licence (Unified Social Credit Code)",
        "营业执照（统一社会信用代码）",
    ),
}


class DocumentInvalid(InvalidInput):
    """A document number failed validation; ``code`` is the DOC-* reason."""

    code = "DOC-INVALID"
    default_message = "The document number is not valid."
    default_message_zh = "证件号码无效。"


@dataclass(frozen=True, repr=False)
class Document:
    type: DocumentType
    number: str
    birth_date: date | None = None
    sex: str | None = None
    region: str | None = None

    @property
    def masked(self) -> str:
        return mask_number(self.number)

    def __repr__(self) -> str:
        # A Document ends up in log lines and debugger output; the full number must not.
        return f"Document(type={self.type.value!r}, number={self.masked!r})"


# Clerks and phone keyboards produce these between digit groups; none belong to any number.
_SEPARATORS = frozenset(".。·・\u2212")


def normalise_number(raw: str) -> str:
    if raw.isascii() and raw.isalnum():
        # Already plain letters and digits (bulk files, most API calls): NFKC and the
        # separator filter would change nothing, and this path is hot in the base import.
        return raw.upper()
    text = unicodedata.normalize("NFKC", raw)
    kept = (
        ch
        for ch in text
        if not (ch.isspace() or ch in _SEPARATORS or unicodedata.category(ch) in ("Pd", "Cf"))
    )
    return "".join(kept).upper()


def parse_document(doc_type: DocumentType | str, raw_number: str, *, today: date) -> Document:
    kind = _document_type(doc_type)
    number = normalise_number(raw_number)
    if not number:
        raise _rejected(
            kind,
            "DOC-EMPTY",
            f"Enter the {kind.label_en} number.",
            f"请输入{kind.label_zh}号码。",
        )
    return _PARSERS[kind](kind, number, today)


def _document_type(doc_type: DocumentType | str) -> DocumentType:
    if isinstance(doc_type, DocumentType):
        return doc_type
    try:
        return DocumentType(str(doc_type).strip().lower())
    except ValueError:
        raise DocumentInvalid(
            "Unknown document type.",
            code="DOC-TYPE",
            message_zh="不支持的证件类型。",
            # Bounded: the field is free text and could hold anything a client sent.
            document_type=str(doc_type)[:40],
            reason="DOC-TYPE",
            allowed=[t.value for t in DocumentType],
        ) from None


def _rejected(
    kind: DocumentType, code: str, message: str, message_zh: str, **extra: Any
) -> DocumentInvalid:
    return DocumentInvalid(
        message,
        code=code,
        message_zh=message_zh,
        document_type=kind.value,
        reason=code,
        **extra,
    )


def _wrong_length(kind: DocumentType, expected: str, expected_zh: str, got: int) -> DocumentInvalid:
    return _rejected(
        kind,
        "DOC-LENGTH",
        f"The {kind.label_en} number must be {expected}, got {got}.",
        f"{kind.label_zh}号码应为{expected_zh}，当前为{got}位。",
        length=got,
    )


def _broken_rule(kind: DocumentType, code: str, rule: str, rule_zh: str) -> DocumentInvalid:
    return _rejected(
        kind, code, f"The {kind.label_en} number {rule}.", f"{kind.label_zh}号码{rule_zh}。"
    )


def _wrong_checksum(kind: DocumentType) -> DocumentInvalid:
    return _rejected(
        kind,
        "DOC-CHECKSUM",
        f"The last character of the {kind.label_en} number (the check character) does not "
        "match the others. Re-check every character against the original document: one "
        "mistyped or two swapped characters cause this.",
        f"{kind.label_zh}号码最后一位校验码与前面各位不符。请对照证件原件逐位核对："
        "输错一位或两位颠倒都会导致此错误。",
    )


# --- numbers in the GB 11643 layout: resident IDs, HMT residence permits, 2017 foreigner IDs

_GB11643 = re.compile(r"[0-9]{17}[0-9X]")
_GB11643_RULE = ("must be 17 digits followed by a digit or X", "应为17位数字加1位数字或X")


def _birth_date(kind: DocumentType, number: str, today: date) -> date:
    try:
        # Characters 7-14 are ASCII digits here (checked by every caller's format check).
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _rejected(
            kind,
            "DOC-DATE",
            "The birth date in the number (characters 7 to 14, YYYYMMDD) is not a real date. "
            "Re-check those 8 digits against the document.",
            "号码中的出生日期（第7至14位，年月日）不是有效日期，请对照证件核对这8位数字。",
        ) from None
    if born > today:
        raise _rejected(
            kind,
            "DOC-FUTURE-DATE",
            "The birth date in the number (characters 7 to 14, YYYYMMDD) is in the future. "
            "Re-check those 8 digits against the document.",
            "号码中的出生日期（第7至14位，年月日）晚于今天，请对照证件核对这8位数字。",
        )
    return born


def _sex(number: str) -> str:
    return "male" if int(number[16]) % 2 else "female"


def _region(kind: DocumentType, number: str, born: date) -> str:
    region = _region_at_birth(number[:6], born.year)
    if region is None:
        raise _rejected(
            kind,
            "DOC-REGION",
            "The first 6 digits are not a known region code. Re-check them against the document.",
            "号码前6位不是有效的行政区划代码，请对照证件核对。",
        )
    return region


@functools.lru_cache(maxsize=65536)
def _region_at_birth(code: str, birth_year: int) -> str | None:
    """The region's name, or None when the code is unknown for that birth year. Depends on
    these two values only, and stdnum scans its whole region table on every lookup (about
    0.15 ms), so the answer is kept: bulk imports see the same few thousand codes again."""
    place: dict[str, str] | None
    # stdnum reads the birth year from characters 7-10; the rest does not matter here.
    probe = f"{code}{birth_year:04d}0101000"
    try:
        place = ric.get_birth_place(probe + "0")
    except (InvalidComponent, KeyError):
        # stdnum raises KeyError, not InvalidComponent, when the province is known and the
        # county is not; and it also refuses codes created after the birth year, which
        # wrongly rejects everyone whose number was issued under a later district code.
        place = _region_issued_after_birth(code, birth_year)
    if place is None:
        return None
    return _region_name(code, place)


def _region_issued_after_birth(code: str, birth_year: int) -> dict[str, str] | None:
    """The code's entry if it still existed at or after the birth year (numbers are issued
    at or after birth, never before), else None."""
    found = numdb.get("cn/loc").info(code)
    info: dict[str, str] = {k: v for _, props in found for k, v in props.items()}
    for county in info.get("county", "").split(","):
        if not county.startswith("["):
            continue
        span, name = county[1:].split("]", 1)
        end = span.split("-", 1)[1]
        if not end or int(end) >= birth_year:
            return {**info, "county": name}
    return None


def _region_name(code: str, place: dict[str, str]) -> str:
    parts = [place.get("province", ""), _prefecture(code), place.get("county", "")]
    named = [p for p in parts if p and p not in _PLACEHOLDER_REGIONS]
    return "".join(dict.fromkeys(named))


# Rows of GB/T 2260 that group counties without naming a place.
_PLACEHOLDER_REGIONS = frozenset(
    {"市辖区", "县", "省直辖行政单位", "省直辖县级行政单位", "自治区直辖县级行政单位"}
)


def _prefecture(code: str) -> str:
    """The city a county belongs to: stdnum's lookup skips this level."""
    if code[4:6] == "00":
        return ""
    found = numdb.get("cn/loc").info(code[:4] + "00")
    names = [v for _, props in found for k, v in props.items() if k == "county"]
    # The current name: the last era listed, without its [start-end] tag.
    return names[-1].split(",")[-1].split("]")[-1] if names else ""


_HMT_REGIONS = {
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
    "830000": "台湾地区",
}


def _check_gb11643(kind: DocumentType, number: str) -> None:
    if number[-1] != ric.calc_check_digit(number):
        raise _wrong_checksum(kind)


def _parse_resident_id(kind: DocumentType, number: str, today: date) -> Document:
    # The checks of stdnum's ric.validate, in its order, without its region lookup (a scan
    # of the whole table, done once below through the cache instead).
    if len(number) != 18:
        raise _wrong_length(kind, "18 characters", "18位", len(number))
    if not (number[:-1].isascii() and number[:-1].isdigit()):
        raise _broken_rule(kind, "DOC-FORMAT", *_GB11643_RULE)
    if number[-1] != ric.calc_check_digit(number):
        if not _GB11643.fullmatch(number):
            raise _broken_rule(kind, "DOC-FORMAT", *_GB11643_RULE)
        raise _wrong_checksum(kind)
    # An impossible date or an unknown region: told apart below.
    if number[:6] in _HMT_REGIONS:
        # Same layout and check character, so only the prefix tells them apart; accepting it
        # here would let a residence permit pass where RN-07 demands a resident ID.
        raise _broken_rule(
            kind,
            "DOC-PREFIX",
            "starts like a Hong Kong, Macao or Taiwan residence permit; "
            "choose that document type instead",
            "以港澳台居民居住证的代码开头，请改选“港澳台居民居住证”",
        )
    born = _birth_date(kind, number, today)
    region = _region(kind, number, born)
    return Document(kind, number, born, _sex(number), region)


def _parse_hmt_residence_permit(kind: DocumentType, number: str, today: date) -> Document:
    if len(number) != 18:
        raise _wrong_length(kind, "18 characters", "18位", len(number))
    if not _GB11643.fullmatch(number):
        raise _broken_rule(kind, "DOC-FORMAT", *_GB11643_RULE)
    region = _HMT_REGIONS.get(number[:6])
    if region is None:
        raise _broken_rule(
            kind,
            "DOC-PREFIX",
            "must start with 810000 (Hong Kong), 820000 (Macao) or 830000 (Taiwan)",
            "应以810000（香港）、820000（澳门）或830000（台湾）开头",
        )
    _check_gb11643(kind, number)
    born = _birth_date(kind, number, today)
    return Document(kind, number, born, _sex(number), region)


_FOREIGN_2004 = re.compile(r"[A-Z]{3}[0-9]{12}")


def _parse_foreign_permanent_resident_id(kind: DocumentType, number: str, today: date) -> Document:
    if len(number) == 15:
        # The pre-2017 card: nationality letters then digits. Its date is two-digit-year
        # and its check scheme is unpublished, so only the shape is checked.
        if not _FOREIGN_2004.fullmatch(number):
            raise _broken_rule(
                kind,
                "DOC-FORMAT",
                "in the 15-character format must be 3 letters followed by 12 digits",
                "（15位旧版）应为3位字母加12位数字",
            )
        return Document(kind, number)
    if len(number) != 18:
        raise _wrong_length(kind, "15 or 18 characters", "15位或18位", len(number))
    if not _GB11643.fullmatch(number):
        raise _broken_rule(kind, "DOC-FORMAT", *_GB11643_RULE)
    if not number.startswith("9"):
        raise _broken_rule(
            kind, "DOC-PREFIX", "in the 18-digit format must start with 9", "（18位）应以9开头"
        )
    _check_gb11643(kind, number)
    born = _birth_date(kind, number, today)
    return Document(kind, number, born, _sex(number))


# --- travel documents: shape only, there is no public check character

_PASSPORT = re.compile(r"[A-Z0-9]+")


def _parse_passport(kind: DocumentType, number: str, today: date) -> Document:
    if not 5 <= len(number) <= 17:
        raise _wrong_length(kind, "5 to 17 characters", "5至17位", len(number))
    if not _PASSPORT.fullmatch(number) or not any(ch.isdigit() for ch in number):
        raise _broken_rule(
            kind,
            "DOC-FORMAT",
            "must be letters A-Z and digits only, with at least one digit",
            "只能包含英文字母和数字，且至少包含一位数字",
        )
    return Document(kind, number)


def _parse_home_return_permit(kind: DocumentType, number: str, today: date) -> Document:
    if len(number) not in (9, 11):
        raise _wrong_length(
            kind,
            "9 or 11 characters (H or M followed by 8 or 10 digits)",
            "9位或11位（H或M加8位或10位数字）",
            len(number),
        )
    if number[0] not in "HM":
        raise _broken_rule(
            kind,
            "DOC-PREFIX",
            "must start with H (Hong Kong) or M (Macao)",
            "应以H（香港）或M（澳门）开头",
        )
    if not number[1:].isascii() or not number[1:].isdigit():
        raise _broken_rule(
            kind, "DOC-FORMAT", "must have only digits after H or M", "在H或M之后只能是数字"
        )
    return Document(kind, number)


_TAIWAN_PERMIT = re.compile(r"[0-9]{8}[0-9A-Z]{0,2}")


def _parse_taiwan_permit(kind: DocumentType, number: str, today: date) -> Document:
    # Older cards print the version after the number in brackets, e.g. 01234567(B).
    number = number.replace("(", "").replace(")", "")
    if not 8 <= len(number) <= 10:
        raise _wrong_length(
            kind,
            "8 digits, optionally followed by a 1 or 2 character version",
            "8位数字（旧版可另加1至2位版本号）",
            len(number),
        )
    if not _TAIWAN_PERMIT.fullmatch(number):
        raise _broken_rule(
            kind,
            "DOC-FORMAT",
            "must be 8 digits, optionally followed by a letter or digit version",
            "应为8位数字，旧版可另加字母或数字版本号",
        )
    return Document(kind, number)


def _parse_business_licence(kind: DocumentType, number: str, today: date) -> Document:
    try:
        uscc.validate(number)
    except InvalidLength:
        raise _wrong_length(kind, "18 characters", "18位", len(number)) from None
    except InvalidChecksum:
        raise _wrong_checksum(kind) from None
    except (InvalidFormat, ValidationError):
        raise _broken_rule(
            kind,
            "DOC-FORMAT",
            "must start with 8 digits, then digits or capital letters other than I, O, S, V, Z",
            "前8位应为数字，其余为数字或大写字母（不含I、O、S、V、Z）",
        ) from None
    return Document(kind, number)


_PARSERS: dict[DocumentType, Callable[[DocumentType, str, date], Document]] = {
    DocumentType.RESIDENT_ID: _parse_resident_id,
    DocumentType.TEMPORARY_RESIDENT_ID: _parse_resident_id,
    DocumentType.PASSPORT: _parse_passport,
    DocumentType.HOME_RETURN_PERMIT: _parse_home_return_permit,
    DocumentType.TAIWAN_PERMIT: _parse_taiwan_permit,
    DocumentType.HMT_RESIDENCE_PERMIT: _parse_hmt_residence_permit,
    DocumentType.FOREIGN_PERMANENT_RESIDENT_ID: _parse_foreign_permanent_resident_id,
    DocumentType.BUSINESS_LICENCE: _parse_business_licence,
}


# --- masking and names


def mask_number(number: str) -> str:
    """A document number as staff and exports see it: never more than half of it shown, so a
    masked passport or permit (8 to 11 characters) cannot be guessed from what is left. An
    18-character resident ID shows its first four (province, city) and last four."""
    if len(number) <= 4:
        # Nothing can be shown of so short a value without showing most of it.
        return "*" * len(number)
    keep = 1 if len(number) <= 8 else 2 if len(number) < 16 else 4
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def document_index(vault: IdentityVault, document: Document) -> str:
    """Blind index of a document: type family and number, so one person's card is one key.
    Every writer (registration, legacy import, transfers) must key customers with this."""
    return vault.index.digest(f"{document.type.value}:{document.number}")
