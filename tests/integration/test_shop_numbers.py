"""Number search in the shop on SQLite and PostgreSQL: by the last digits, by digits anywhere,
by the number's home region, page by page, free pool numbers only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stdnum import luhn

from simreg.bootstrap import Simreg
from simreg.core.settings import Settings
from simreg.db import directory
from simreg.db.directory import PoolNumber
from simreg.lines.domain import LineKind
from simreg.online.numbers import parse_query, segment_region
from tests.support.shop import ShopWorld, shop_world

LIANYUNGANG = "1381234"  # 江苏省连云港市
GUANGZHOU = "1350000"  # 广东省广州市


def add_segment(app: Simreg, segment: str, count: int, offset: int) -> list[str]:
    numbers = []
    for i in range(count):
        body = f"89861{offset + i:013d}"
        numbers.append(
            PoolNumber(
                msisdn=f"{segment}{i:04d}",
                iccid=body + luhn.calc_check_digit(body),
                imsi=f"46001{offset + i:010d}",
                kind=LineKind.VOICE,
            )
        )
    with app.engine.begin() as conn:
        directory.add_numbers(conn, numbers, app.clock.now())
    return [n.msisdn for n in numbers]


@pytest.fixture
def shop(settings: Settings) -> Iterator[ShopWorld]:
    with shop_world(settings) as built:
        add_segment(built.simreg, LIANYUNGANG, 30, 500_000)
        add_segment(built.simreg, GUANGZHOU, 10, 600_000)
        yield built


def test_regions_are_the_home_cities_of_the_free_segments(shop: ShopWorld) -> None:
    regions = shop.simreg.numbers.regions()
    keys = {r.key for r in regions}
    assert {"北京市", "江苏省连云港市", "广东省广州市"} <= keys
    assert segment_region(LIANYUNGANG) is not None
    assert segment_region(LIANYUNGANG).name("en") == "Lianyungang, Jiangsu"  # type: ignore[union-attr]


def test_search_by_region_and_last_digits(shop: ShopWorld) -> None:
    numbers = shop.simreg.numbers
    page = numbers.search(parse_query("", "ends", "江苏省连云港市", "", ""))
    assert len(page.numbers) == 24 and page.next_after is not None
    assert all(n.msisdn.startswith(LIANYUNGANG) for n in page.numbers)
    rest = numbers.search(parse_query("", "ends", "江苏省连云港市", "", page.next_after))
    assert len(rest.numbers) == 6 and rest.next_after is None
    assert rest.numbers[0].msisdn > page.numbers[-1].msisdn

    tail = numbers.search(parse_query("0007", "ends", "", "", ""))
    assert [n.msisdn for n in tail.numbers] == ["13500000007", "13800000007", "13812340007"]
    inside = numbers.search(parse_query("1234", "contains", "", "", ""))
    assert {n.msisdn[:7] for n in inside.numbers} == {LIANYUNGANG}


def test_reserved_and_allocated_numbers_are_not_offered(shop: ShopWorld) -> None:
    shop.reserve("13500000003")
    found = shop.simreg.numbers.search(parse_query("", "ends", "广东省广州市", "", ""))
    assert "13500000003" not in [n.msisdn for n in found.numbers]
    assert len(found.numbers) == 9


def test_a_pattern_is_digits_only(shop: ShopWorld) -> None:
    from simreg.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        parse_query("88' OR 1=1", "ends", "", "", "")
    assert parse_query("８８ ８８", "ends", "", "", "").pattern == "8888"
