from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric

from simreg.core.errors import InvalidInput
from simreg.identity.documents import (
    Document,
    DocumentInvalid,
    DocumentType,
    mask_number,
    normalise_number,
    parse_document,
)
from simreg.identity.names import mask_name, validate_person_name

TODAY = date(2024, 6, 1)
STANDARD_EXAMPLE = "11010519491231002X"  # GB 11643-1999's own example


def with_check(first17: str) -> str:
    # stdnum's calc_check_digit drops the last character: it expects a full 18-char number.
    return first17 + ric.calc_check_digit(first17 + "0")


def rejection(doc_type: DocumentType | str, raw: str) -> DocumentInvalid:
    with pytest.raises(DocumentInvalid) as caught:
        parse_document(doc_type, raw, today=TODAY)
    return caught.value


# --- resident ID


def test_standard_example_is_a_valid_resident_id() -> None:
    doc = parse_document(DocumentType.RESIDENT_ID, STANDARD_EXAMPLE, today=TODAY)
    assert doc == Document(
        DocumentType.RESIDENT_ID, STANDARD_EXAMPLE, date(1949, 12, 31), "female", "北京市朝阳区"
    )
    assert doc.masked == "1101**********002X"


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105 19491231 002X",
        "  110105\u300019491231\u3000002x ",
        "110105-19491231-002X",
        "110105－19491231—002X",
        "110105‐1949–1231.002x",
    ],
)
def test_what_a_clerk_types_normalises_to_the_standard_example(typed: str) -> None:
    assert normalise_number(typed) == STANDARD_EXAMPLE
    assert parse_document("resident_id", typed, today=TODAY).number == STANDARD_EXAMPLE


def test_odd_sequence_is_male() -> None:
    doc = parse_document("resident_id", with_check("44030519900101001"), today=TODAY)
    assert doc.sex == "male"
    assert doc.region == "广东省深圳市南山区"


def test_temporary_resident_id_uses_the_same_rules() -> None:
    doc = parse_document("temporary_resident_id", STANDARD_EXAMPLE, today=TODAY)
    assert doc.type is DocumentType.TEMPORARY_RESIDENT_ID
    assert rejection("temporary_resident_id", "110105194912310021").code == "DOC-CHECKSUM"


def test_wrong_check_character_is_a_checksum_error_telling_the_clerk_to_recheck() -> None:
    error = rejection("resident_id", "110105194912310021")
    assert error.code == "DOC-CHECKSUM"
    assert "Re-check" in error.message
    assert "核对" in error.message_zh


def test_seventeen_characters_is_a_length_error() -> None:
    error = rejection("resident_id", STANDARD_EXAMPLE[:17])
    assert error.code == "DOC-LENGTH"
    assert "must be 18 characters, got 17" in error.message
    assert "18位" in error.message_zh
    assert error.details["length"] == 17


def test_letters_among_the_digits_are_a_format_error() -> None:
    assert rejection("resident_id", "1101051949123A002X").code == "DOC-FORMAT"
    assert rejection("resident_id", "11010519491231002Y").code == "DOC-FORMAT"


def test_impossible_birth_date_is_a_date_error() -> None:
    error = rejection("resident_id", with_check("11010519490231002"))
    assert error.code == "DOC-DATE"
    assert "not a real date" in error.message


def test_birth_date_after_today_is_a_future_date_error() -> None:
    error = rejection("resident_id", with_check("11010520240602002"))
    assert error.code == "DOC-FUTURE-DATE"
    assert parse_document("resident_id", with_check("11010520240601002"), today=TODAY)


def test_unknown_region_is_a_region_error() -> None:
    assert rejection("resident_id", with_check("99010519491231002")).code == "DOC-REGION"


def test_unknown_county_in_a_known_province_is_a_region_error() -> None:
    # stdnum raises KeyError here rather than one of its validation errors.
    assert rejection("resident_id", with_check("11999919491231002")).code == "DOC-REGION"


def test_district_created_after_the_birth_year_is_accepted() -> None:
    # Fangshan (110111) dates from 1986; people born before then hold numbers issued later.
    doc = parse_document("resident_id", with_check("11011119500101002"), today=TODAY)
    assert doc.region == "北京市房山区"


def test_district_abolished_before_the_birth_year_is_a_region_error() -> None:
    # Chongwen (110103) was merged away in 2010: nobody born after could be issued it.
    assert rejection("resident_id", with_check("11010320150101002")).code == "DOC-REGION"


def test_residence_permit_number_entered_as_a_resident_id_is_refused() -> None:
    # Otherwise a permit would pass where RN-07 demands a 2nd-generation resident ID.
    error = rejection("resident_id", with_check("81000019900101002"))
    assert error.code == "DOC-PREFIX"


def test_empty_input_is_an_empty_error() -> None:
    assert rejection("resident_id", " \u3000- ").code == "DOC-EMPTY"


def test_unknown_document_type() -> None:
    error = rejection("library_card", STANDARD_EXAMPLE)
    assert error.code == "DOC-TYPE"
    assert error.details["reason"] == "DOC-TYPE"
    assert "resident_id" in error.details["allowed"]


# --- other documents


@pytest.mark.parametrize(
    ("doc_type", "raw", "expected"),
    [
        ("passport", "e12345678", "E12345678"),
        ("passport", "G 1234 5678", "G12345678"),
        ("passport", "X1234", "X1234"),
        ("passport", "123456789", "123456789"),
        ("home_return_permit", "h12345678", "H12345678"),
        ("home_return_permit", "M1234567890", "M1234567890"),
        ("taiwan_permit", "01234567", "01234567"),
        ("taiwan_permit", "0123456789", "0123456789"),
        ("taiwan_permit", "01234567(B)", "01234567B"),
        ("hmt_residence_permit", with_check("81000019900101002"), None),
        ("hmt_residence_permit", with_check("82000019900101003"), None),
        ("hmt_residence_permit", with_check("83000019900101002"), None),
        ("foreign_permanent_resident_id", with_check("93115619900101002"), None),
        ("foreign_permanent_resident_id", "usa310190010101", "USA310190010101"),
        ("business_licence", "91110000600037341L", None),
        ("business_licence", "9111 0000 6000 3734 1l", "91110000600037341L"),
    ],
)
def test_valid_documents(doc_type: str, raw: str, expected: str | None) -> None:
    doc = parse_document(doc_type, raw, today=TODAY)
    assert doc.number == (expected or raw)
    assert doc.type.is_personal == (doc_type != "business_licence")


@pytest.mark.parametrize(
    ("doc_type", "raw", "code"),
    [
        ("passport", "E12", "DOC-LENGTH"),
        ("passport", "E" * 18, "DOC-LENGTH"),
        ("passport", "ABCDEFGH", "DOC-FORMAT"),
        ("passport", "E1234/678", "DOC-FORMAT"),
        ("home_return_permit", "12345678", "DOC-LENGTH"),
        ("home_return_permit", "C12345678", "DOC-PREFIX"),
        ("home_return_permit", "H1234567A", "DOC-FORMAT"),
        ("taiwan_permit", "1234567", "DOC-LENGTH"),
        ("taiwan_permit", "1234567A", "DOC-FORMAT"),
        ("taiwan_permit", "12345678901", "DOC-LENGTH"),
        ("hmt_residence_permit", with_check("8100001990010100"), "DOC-LENGTH"),
        ("hmt_residence_permit", with_check("11010519491231002"), "DOC-PREFIX"),
        ("hmt_residence_permit", "810000199001010021", "DOC-CHECKSUM"),
        ("hmt_residence_permit", with_check("81000019900231002"), "DOC-DATE"),
        ("hmt_residence_permit", with_check("81000020300101002"), "DOC-FUTURE-DATE"),
        ("foreign_permanent_resident_id", with_check("13115619900101002"), "DOC-PREFIX"),
        ("foreign_permanent_resident_id", "931156199001010021", "DOC-CHECKSUM"),
        ("foreign_permanent_resident_id", with_check("93115619901301002"), "DOC-DATE"),
        ("foreign_permanent_resident_id", "US1310190010101", "DOC-FORMAT"),
        ("foreign_permanent_resident_id", "USA31019001010", "DOC-LENGTH"),
        ("business_licence", "91110000600037341", "DOC-LENGTH"),
        ("business_licence", "91110000600037341X", "DOC-CHECKSUM"),
        ("business_licence", "A1110000600037341L", "DOC-FORMAT"),
        ("business_licence", "9111000060003734IL", "DOC-FORMAT"),
    ],
)
def test_invalid_documents(doc_type: str, raw: str, code: str) -> None:
    error = rejection(doc_type, raw)
    assert error.code == code
    assert error.details["document_type"] == doc_type
    assert error.details["reason"] == code
    assert error.message != DocumentInvalid.default_message
    assert error.message_zh != DocumentInvalid.default_message_zh


@pytest.mark.parametrize(
    ("doc_type", "raw"),
    [
        ("resident_id", "110105194912310021"),
        ("resident_id", "11010519491231002"),
        ("resident_id", with_check("11010519490231002")),
        ("resident_id", with_check("99010519491231002")),
        ("passport", "ABCDEFGH"),
        ("business_licence", "91110000600037341X"),
    ],
)
def test_rejections_never_carry_the_number(doc_type: str, raw: str) -> None:
    error = rejection(doc_type, raw)
    everything = " ".join(
        [str(error), repr(error), error.message, error.message_zh, repr(error.details)]
    )
    assert raw not in everything
    assert normalise_number(raw) not in everything
    # Nothing chained: error reporters that capture frame locals would find the number there.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_document_repr_masks_the_number() -> None:
    doc = parse_document("resident_id", STANDARD_EXAMPLE, today=TODAY)
    assert STANDARD_EXAMPLE not in repr(doc)
    assert "1101**********002X" in repr(doc)


def test_document_type_labels_and_channel_flags() -> None:
    assert DocumentType.HOME_RETURN_PERMIT.label_zh == "港澳居民来往内地通行证"
    assert DocumentType.TAIWAN_PERMIT.label_zh == "台湾居民来往大陆通行证"
    assert DocumentType.RESIDENT_ID.label_en == "Resident Identity Card"
    assert [t for t in DocumentType if t.is_second_generation_resident_id] == [
        DocumentType.RESIDENT_ID
    ]
    assert [t for t in DocumentType if not t.is_personal] == [DocumentType.BUSINESS_LICENCE]
    assert all(t.label_en and t.label_zh for t in DocumentType)


# --- masking and names


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "1101**********002X"),
        ("810000199408230021", "8100**********0021"),
        ("E12345678", "E1*****78"),  # passport: 4 of 9 shown
        ("H1234567801", "H1*******01"),  # Home-Return Permit, 11 characters
        ("12345678", "1******8"),  # Taiwan compatriot permit
        ("X1234", "X***4"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_number(number: str, masked: str) -> None:
    assert mask_number(number) == masked
    assert len(mask_number(number)) == len(number)


@pytest.mark.parametrize("length", range(1, 41))
def test_a_mask_never_shows_more_than_half(length: int) -> None:
    masked = mask_number("9" * length)
    assert masked.count("9") <= length // 2


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张**"),
        ("李四", "李*"),
        ("欧阳娜娜", "欧***"),
        ("阿依古丽·买买提", "阿***·***"),
        ("John Smith", "J*** S****"),
        ("Ann", "A**"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_validate_person_name_tidies_whitespace() -> None:
    assert validate_person_name("  John \t  Smith ") == "John Smith"
    assert validate_person_name("张三丰") == "张三丰"
    assert validate_person_name("阿依古丽·买买提") == "阿依古丽·买买提"
    assert validate_person_name("Ｊｏｈｎ") == "John"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("  \u3000 ", "empty"),
        ("张" * 65, "too_long"),
        ("John 2", "digits"),
        ("张三３", "digits"),
        ("John\u200bSmith", "control"),
        ("John 😀", "symbols"),
        ("- .", "no_letters"),
    ],
)
def test_validate_person_name_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_person_name(raw)
    assert caught.value.code == "NAME-INVALID"
    assert caught.value.details["reason"] == reason
    assert caught.value.message_zh != caught.value.message
