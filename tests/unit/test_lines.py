"""Numbers and cards as a clerk types them: separators, country prefixes, full-width digits."""

from __future__ import annotations

import pytest
from stdnum import luhn

from simreg.core.errors import InvalidInput
from simreg.lines.domain import LineKind, parse_iccid, parse_imsi, parse_msisdn


def with_luhn(digits: str) -> str:
    return digits + luhn.calc_check_digit(digits)


ICCID_19 = with_luhn("898600" + "123456789012")
ICCID_20 = with_luhn("898600" + "1234567890123")


def wrong_check(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def refusal(parse: object, raw: str) -> InvalidInput:
    assert callable(parse)
    with pytest.raises(InvalidInput) as caught:
        parse(raw)
    return caught.value


# --- MSISDN


@pytest.mark.parametrize(
    "typed",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138-0013-8000",
        "+8613800138000",
        "008613800138000",
        "0086 138 0013 8000",
        "(+86) 138 0013 8000",
        "１３８００１３８０００",
        "＋８６　１３８　００１３　８０００",
        " 13800138000 ",
    ],
)
def test_msisdn_as_typed_normalises_to_11_digits(typed: str) -> None:
    assert parse_msisdn(typed) == "13800138000"


@pytest.mark.parametrize("number", ["13912345678", "15012345678", "18612345678", "19912345678"])
def test_msisdn_accepts_mainland_mobile_ranges(number: str) -> None:
    assert parse_msisdn(number) == number


@pytest.mark.parametrize(
    "typed",
    [
        "010 12345678",  # Beijing landline
        "+86 10 1234 5678",
        "021-87654321",  # Shanghai landline
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "+1 650 253 0000",  # US
        "+852 9123 4567",  # Hong Kong mobile
        "+44 7911 123456",  # UK mobile
        "",
        "not a number",
        "1380013800x",
    ],
)
def test_msisdn_refuses_what_is_not_a_mainland_mobile(typed: str) -> None:
    error = refusal(parse_msisdn, typed)
    assert error.code == "LINE-MSISDN"
    assert "11-digit" in error.message
    assert "手机" in error.message_zh


@pytest.mark.parametrize(
    "typed",
    [
        "138OO138OOO",  # letter O typed for zero
        "138oo138ooo",
        "1-800-FLOWERS",  # vanity spelling
        "abc13800138000",  # stray letters in front
        "13800138000 ext. 123",  # an extension a mobile line cannot have
    ],
)
def test_msisdn_with_letters_is_refused_not_converted(typed: str) -> None:
    assert refusal(parse_msisdn, typed).code == "LINE-MSISDN"


# --- ICCID


@pytest.mark.parametrize("number", [ICCID_19, ICCID_20])
def test_iccid_with_a_valid_check_digit_is_accepted(number: str) -> None:
    assert parse_iccid(number) == number


def test_iccid_as_typed_with_spaces_and_full_width_digits() -> None:
    spaced = " ".join(ICCID_20[i : i + 4] for i in range(0, 20, 4))
    full_width = ICCID_19.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_iccid(spaced) == ICCID_20
    assert parse_iccid(full_width) == ICCID_19


@pytest.mark.parametrize("number", [ICCID_19, ICCID_20])
def test_iccid_with_a_wrong_check_digit_is_refused(number: str) -> None:
    error = refusal(parse_iccid, wrong_check(number))
    assert error.code == "LINE-ICCID-CHECK"
    assert "check digit" in error.message


def test_iccid_with_two_swapped_digits_is_refused() -> None:
    swapped = ICCID_19[:7] + ICCID_19[8] + ICCID_19[7] + ICCID_19[9:]
    assert swapped != ICCID_19
    assert refusal(parse_iccid, swapped).code == "LINE-ICCID-CHECK"


@pytest.mark.parametrize(
    "raw",
    [
        ICCID_19[:-1],  # 18 digits
        ICCID_20 + "0",  # 21 digits
        with_luhn("128600" + "123456789012"),  # Luhn-valid, wrong prefix
        ICCID_19[:-1] + "F",  # hex digit
        "",
    ],
    ids=["18 digits", "21 digits", "prefix 12", "letter", "empty"],
)
def test_iccid_of_wrong_shape_is_refused(raw: str) -> None:
    error = refusal(parse_iccid, raw)
    assert error.code == "LINE-ICCID"
    assert "89" in error.message


# --- IMSI


@pytest.mark.parametrize(
    "typed", ["460001234567890", "460 00 1234567890", "４６０００１２３４５６７８９０"]
)
def test_imsi_is_accepted(typed: str) -> None:
    assert parse_imsi(typed) == "460001234567890"


@pytest.mark.parametrize(
    "raw",
    ["46000123456789", "4600012345678901", "310001234567890", "46000123456789X", ""],
    ids=["14 digits", "16 digits", "US country code", "letter", "empty"],
)
def test_imsi_of_wrong_shape_is_refused(raw: str) -> None:
    error = refusal(parse_imsi, raw)
    assert error.code == "LINE-IMSI"
    assert "460" in error.message


@pytest.mark.parametrize(
    ("kind", "zh"), [(LineKind.VOICE, "移动电话卡"), (LineKind.DATA, "无线上网卡")]
)
def test_line_kinds_have_chinese_labels(kind: LineKind, zh: str) -> None:
    assert kind.label_zh == zh
