"""Real places for the synthetic province: cities and counties of GB/T 2260, as python-stdnum
ships them (the same table resident-ID validation reads), so every generated region code and
org unit is one a regulator would recognise."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from stdnum import numdb

# Provinces with enough prefecture-level cities for a believable operator branch.
PROVINCES = ("33", "44", "32", "37", "43", "42", "35", "34", "51", "41", "36", "13")
# Rows that group counties without naming a place.
_PLACEHOLDERS = frozenset({"市辖区", "县", "郊区", "矿区", "市区"})


@dataclass(frozen=True)
class County:
    code: str
    name: str


@dataclass(frozen=True)
class City:
    code: str
    name: str
    counties: tuple[County, ...]


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    cities: tuple[City, ...]

    @property
    def counties(self) -> tuple[County, ...]:
        return tuple(county for city in self.cities for county in city.counties)


def _current_name(value: str) -> str | None:
    """The name in use today, or None when the code was withdrawn. Values look like
    ``西湖区``, ``[1983-]西湖区`` or ``[1985-1986]滨海区,[1987-]北仑区``."""
    latest = value.split(",")[-1]
    if latest.startswith("["):
        span, latest = latest[1:].split("]", 1)
        if span.split("-", 1)[1]:
            return None
    return latest


@functools.cache
def _table() -> dict[str, tuple[str, dict[str, str]]]:
    """Province code -> (name, {4-digit code below it: current name})."""
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for _, low, _high, props, children in numdb.get("cn/loc").prefixes:
        places = {}
        for _, code, _, child, _ in children:
            name = _current_name(child.get("county", ""))
            if name is not None and code != "0000":
                places[code] = name
        out[low] = (props.get("province", ""), places)
    return out


@functools.cache
def all_cities(province_code: str) -> tuple[City, ...]:
    """Every current prefecture-level city of a province with its current counties."""
    province, places = _table()[province_code]
    cities = []
    for code, name in sorted(places.items()):
        if code.endswith("00"):
            counties = tuple(
                County(province_code + sub, county)
                for sub, county in sorted(places.items())
                if sub[:2] == code[:2] and not sub.endswith("00") and county not in _PLACEHOLDERS
            )
            if counties:
                # Municipalities list their districts under a nameless group row.
                city = province if name in _PLACEHOLDERS else name
                cities.append(City(province_code + code, city, counties))
    return tuple(cities)


@functools.cache
def province_for(seed: int) -> Province:
    """The province a seed stands for: 6 to 10 of its cities, 3 to 6 counties in each (the
    capital always among them; a city's central districts first, as a branch network
    grows outward)."""
    rng = random.Random(f"province:{seed}")
    code = PROVINCES[seed % len(PROVINCES)]
    name, _ = _table()[code]
    capital, *others = [c for c in all_cities(code) if len(c.counties) >= 3]
    picked = rng.sample(others, min(len(others), rng.randint(5, 9)))
    chosen = sorted([capital, *picked], key=lambda c: c.code)
    return Province(
        code + "0000",
        name,
        tuple(
            City(c.code, c.name, c.counties[: rng.randint(3, min(6, len(c.counties)))])
            for c in chosen
        ),
    )


@functools.cache
def migrant_counties(seed: int, count: int = 400) -> tuple[County, ...]:
    """Counties outside the home province where some subscribers were born."""
    home = PROVINCES[seed % len(PROVINCES)]
    pool = [
        county
        for code in sorted(_table())
        if code != home and code not in ("71", "81", "82")
        for city in all_cities(code)
        for county in city.counties
    ]
    rng = random.Random(f"migrants:{seed}")
    return tuple(sorted(rng.sample(pool, min(count, len(pool))), key=lambda c: c.code))
