"""Lines (号码与卡): an MSISDN with its card (ICCID, IMSI), a kind, and a state."""

from __future__ import annotations

from enum import StrEnum

import phonenumbers

from simreg.core.errors import InvalidInput
from simreg.identity.documents import normalise_number


class LineKind(StrEnum):
    VOICE = "voice"  # voice SIM, 移动电话卡
    DATA = "data"  # wireless data card, 无线上网卡

    @property
    def label_zh(self) -> str:
        return {"voice": "移动电话卡", "data": "无线上网卡"}[self.value]


class LineState(StrEnum):
    AVAILABLE = "available"  # in the pool, nobody holds it
    RESERVED = "reserved"  # picked by a clerk, not yet submitted
    PENDING_REVIEW = "pending_review"
    ACTIVE = "active"
    SUSPENDED_ONE_WAY = "suspended_one_way"
    SUSPENDED_TWO_WAY = "suspended_two_way"
    CANCELLED = "cancelled"


class RealNameState(StrEnum):
    VERIFIED = "verified"
    LEGACY_UNVERIFIED = "legacy_unverified"
    REVERIFICATION_PENDING = "reverification_pending"


def parse_msisdn(raw: str) -> str:
    """An 11-digit mainland mobile number, accepting +86/0086 prefixes and typed separators."""
    compact = normalise_number(raw).replace("(", "").replace(")", "")
    # phonenumbers reads letters as keypad letters (vanity numbers): a letter O typed for a
    # zero would silently become another person's number. Only digits and a leading + pass.
    if not compact.lstrip("+").isdigit():
        raise _bad_msisdn()
    try:
        parsed = phonenumbers.parse(compact, "CN")
    except phonenumbers.NumberParseException as exc:
        raise _bad_msisdn() from exc
    national = str(parsed.national_number)
    if (
        parsed.country_code != 86
        or len(national) != 11
        or not national.startswith("1")
        or phonenumbers.number_type(parsed)
        not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
    ):
        raise _bad_msisdn()
    return national


def _bad_msisdn() -> InvalidInput:
    return InvalidInput(
        "The number is not an 11-digit mainland mobile number.",
        code="LINE-MSISDN",
        message_zh="号码不是 11 位大陆手机号码。",
    )


def parse_iccid(raw: str) -> str:
    """A card number: 19 or 20 digits, telecom prefix 89, Luhn check digit."""
    number = normalise_number(raw)
    if not number.isdigit() or len(number) not in (19, 20) or not number.startswith("89"):
        raise InvalidInput(
            "The card number (ICCID) must be 19 or 20 digits starting with 89.",
            code="LINE-ICCID",
            message_zh="卡号（ICCID）必须为以 89 开头的 19 或 20 位数字。",
        )
    if not _luhn_valid(number):
        raise InvalidInput(
            "The card number (ICCID) check digit is wrong; re-read it from the card.",
            code="LINE-ICCID-CHECK",
            message_zh="卡号（ICCID）校验位错误，请重新核对卡面号码。",
        )
    return number


# Luhn: every second digit from the right is doubled, and a doubled digit's digits summed.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def _luhn_valid(digits: str) -> bool:
    """The Luhn check, in a few microseconds (stdnum's takes 20; the base import checks
    millions of cards). Digits of other scripts fail, as they did with stdnum."""
    if not digits.isascii():
        return False
    kept = sum(map(int, digits[-1::-2]))
    doubled = sum(map(_DOUBLED.__getitem__, map(int, digits[-2::-2])))
    return (kept + doubled) % 10 == 0


def parse_imsi(raw: str) -> str:
    number = normalise_number(raw)
    if not number.isdigit() or len(number) != 15 or not number.startswith("460"):
        raise InvalidInput(
            "The IMSI must be 15 digits starting with the mainland country code 460.",
            code="LINE-IMSI",
            message_zh="IMSI 必须为以 460 开头的 15 位数字。",
        )
    return number
