"""Synthetic identities and numbers that pass every real check (and belong to nobody)."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

from PIL import Image, ImageDraw
from stdnum import luhn
from stdnum.cn import ric

from simreg.db.directory import PoolNumber
from simreg.lines.domain import LineKind

# County-level codes of GB/T 2260 (several only from a given year on).
REGIONS = [
    "110105",
    "110108",
    "310104",
    "310115",
    "440305",
    "440106",
    "330106",
    "510107",
    "420106",
    "320102",
    "370102",
    "610113",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌"


def resident_id(
    rng: random.Random,
    *,
    born_after: date = date(1950, 1, 1),
    born_before: date = date(2005, 12, 31),
) -> str:
    """A GB 11643 number with a real region, a real birth date and a correct check char.

    Some county codes only exist from a given year on; draws that miss are drawn again.
    """
    span = (born_before - born_after).days
    while True:
        born = born_after + timedelta(days=rng.randrange(span))
        body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1, 999):03d}"
        number = body + ric.calc_check_digit(body + "0")
        if ric.is_valid(number):
            return number


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def pool_numbers(start: int, count: int, *, prefix: str = "138") -> list[PoolNumber]:
    """Consecutive numbers ``prefix`` + 8 digits, each with a Luhn-valid ICCID and an IMSI."""
    out = []
    for i in range(start, start + count):
        msisdn = f"{prefix}{i:08d}"
        iccid_body = f"89860{i:013d}"
        out.append(
            PoolNumber(
                msisdn=msisdn,
                iccid=iccid_body + luhn.calc_check_digit(iccid_body),
                imsi=f"46000{i:010d}",
                kind=LineKind.DATA if i % 10 == 9 else LineKind.VOICE,
            )
        )
    return out


def specimen_photo(label: str, *, size: tuple[int, int] = (640, 400)) -> bytes:
    """A card-shaped JPEG marked SPECIMEN, standing in for a photographed document."""
    image = Image.new("RGB", size, (222, 232, 244))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((8, 8, w - 8, h - 8), outline=(40, 70, 120), width=4)
    draw.rectangle((w - 190, 60, w - 40, 250), fill=(180, 190, 205))
    for row in range(5):
        draw.rectangle((40, 70 + row * 45, w - 230, 90 + row * 45), fill=(150, 160, 180))
    draw.text((40, h - 70), f"SPECIMEN {label}", fill=(160, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
