"""The synthetic legacy base: what an importer and a regulator would notice in the file."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from stdnum import luhn
from stdnum.cn import ric

from simreg.core.errors import DomainError, InvalidInput
from simreg.demo import base_numbers as nums
from simreg.demo.base_generator import COLUMNS, BaseSummary, write_base
from simreg.demo.base_identities import INVALID_CODES
from simreg.demo.base_plan import CUTOFF, OPENED_FROM, OPENED_UNTIL
from simreg.demo.province import network_for
from simreg.demo.regions import province_for
from simreg.identity.documents import DocumentType, parse_document
from simreg.identity.names import validate_person_name
from simreg.lines.domain import parse_iccid, parse_imsi, parse_msisdn

ROWS = 20_000
SEED = 11
TODAY = date(2026, 11, 29)
OWN = ["330106-OWN-01", "330102-OWN-01"]
CHANNELS = [*OWN, "330106-SOC-01", "330106-SOC-02", "330108-SOC-01", "33-WEB-01"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], BaseSummary]:
    path = tmp_path_factory.mktemp("base") / "base.parquet"
    summary = write_base(path, ROWS, SEED, CHANNELS, own_channels=OWN)
    return pq.read_table(path).to_pylist(), summary


def _parsed(row: dict[str, Any]) -> str:
    """'ok', or the code the identity is refused with."""
    try:
        parse_document(row["doc_type"], row["doc_number"], today=TODAY)
    except DomainError as error:
        return error.code
    return "ok"


def test_the_file_has_the_shared_columns_and_one_row_a_line(
    generated: tuple[list[dict[str, Any]], BaseSummary],
) -> None:
    rows, summary = generated
    assert len(rows) == ROWS == summary.lines
    assert tuple(rows[0]) == COLUMNS
    assert {r["kind"] for r in rows} == {"voice", "data"}
    assert {r["state"] for r in rows} == {
        "active",
        "suspended_one_way",
        "suspended_two_way",
        "cancelled",
    }
    assert {r["channel_code"] for r in rows} == set(CHANNELS)
    assert all(OPENED_FROM <= r["opened_on"] <= OPENED_UNTIL for r in rows)


def test_numbers_are_valid_and_unique(generated: tuple[list[dict[str, Any]], BaseSummary]) -> None:
    rows, _ = generated
    for column, parse in (("msisdn", parse_msisdn), ("iccid", parse_iccid), ("imsi", parse_imsi)):
        values = [r[column] for r in rows]
        assert len(set(values)) == ROWS, column
        assert all(parse(v) == v for v in values), column
    assert all(r["msisdn"][:2] in ("13", "15", "18", "19") for r in rows)
    assert all(r["iccid"].startswith("89860") and len(r["iccid"]) == 20 for r in rows)
    assert all(r["imsi"].startswith("46000") for r in rows)
    # 19x numbers were only issued from 2017 on.
    assert all(r["opened_on"].year >= 2017 for r in rows if r["msisdn"].startswith("19"))


def test_identity_shares_match_the_summary_and_the_targets(
    generated: tuple[list[dict[str, Any]], BaseSummary],
) -> None:
    rows, summary = generated
    outcome = Counter(_parsed(r) if r["doc_type"] else "none" for r in rows)
    assert outcome["ok"] == summary.valid_identity
    assert outcome["none"] == summary.no_identity
    assert {code: outcome[code] for code in INVALID_CODES} == summary.invalid_identity
    assert set(outcome) <= {"ok", "none", *INVALID_CODES}
    assert summary.valid_share == pytest.approx(0.70, abs=0.015)
    assert summary.no_identity / ROWS == pytest.approx(0.25, abs=0.015)
    assert sum(summary.invalid_identity.values()) / ROWS == pytest.approx(0.05, abs=0.01)
    assert all(count > 0 for count in summary.invalid_identity.values())
    assert summary.kinds["data"] / ROWS == pytest.approx(0.15, abs=0.01)
    assert summary.states["active"] / ROWS > 0.8
    assert 0.6 < summary.real_name_rate < 0.8


def test_lines_before_the_real_name_rule_are_mostly_unverified(
    generated: tuple[list[dict[str, Any]], BaseSummary],
) -> None:
    rows, _ = generated
    before = [r for r in rows if r["opened_on"] < CUTOFF]
    since = [r for r in rows if r["opened_on"] >= CUTOFF]
    assert len(before) > ROWS * 0.3

    def verified(part: list[dict[str, Any]]) -> float:
        return sum(bool(r["doc_type"]) and _parsed(r) == "ok" for r in part) / len(part)

    assert verified(before) < 0.45
    assert verified(since) > 0.95


def test_identities_carry_names_and_other_documents_appear_only_at_own_halls(
    generated: tuple[list[dict[str, Any]], BaseSummary],
) -> None:
    rows, summary = generated
    with_identity = [r for r in rows if r["doc_type"]]
    assert all(validate_person_name(r["holder_name"]) == r["holder_name"] for r in with_identity)
    assert all(not r["doc_number"] and not r["holder_name"] for r in rows if not r["doc_type"])
    others = [r for r in with_identity if r["doc_type"] != DocumentType.RESIDENT_ID.value]
    assert len(others) == summary.other_documents > 0
    assert {r["channel_code"] for r in others} <= set(OWN)  # RN-07
    assert len({r["doc_type"] for r in others}) >= 4
    assert all(_parsed(r) == "ok" for r in others)


def test_resident_ids_come_mostly_from_the_province_and_holders_are_adults(
    generated: tuple[list[dict[str, Any]], BaseSummary],
) -> None:
    rows, _ = generated
    valid = [r for r in rows if r["doc_type"] == "resident_id" and _parsed(r) == "ok"]
    home = province_for(SEED).code[:2]
    assert sum(r["doc_number"].startswith(home) for r in valid) / len(valid) > 0.7
    for r in valid:
        born = date(int(r["doc_number"][6:10]), int(r["doc_number"][10:12]), 1)
        assert r["opened_on"] >= born + timedelta(days=16 * 365)


def test_some_documents_hold_more_lines_than_the_limit(
    generated: tuple[list[dict[str, Any]], BaseSummary],
) -> None:
    rows, summary = generated
    held: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["doc_type"] and r["state"] != "cancelled" and _parsed(r) == "ok":
            held[(r["doc_type"], r["doc_number"])].append(r)
    over = {doc: lines for doc, lines in held.items() if len(lines) > 5}
    assert len(over) == summary.over_limit_documents > 0
    assert sum(len(lines) for lines in over.values()) == summary.over_limit_lines
    assert all(len(lines) <= 15 for lines in over.values())
    # One person, one name, on every line they hold.
    assert all(len({r["holder_name"] for r in lines}) == 1 for lines in held.values())
    # Most people hold one line, many two or three.
    sizes = Counter(len(lines) for lines in held.values())
    assert sizes[1] > sizes[2] > sizes[3] > 0


def test_same_seed_same_file_other_seed_other_file(tmp_path: Path) -> None:
    first = write_base(tmp_path / "a.csv", 3000, 5, CHANNELS, own_channels=OWN)
    again = write_base(tmp_path / "b.csv", 3000, 5, CHANNELS, own_channels=OWN)
    other = write_base(tmp_path / "c.csv", 3000, 6, CHANNELS, own_channels=OWN)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()
    assert first.valid_identity == again.valid_identity
    assert other.lines == 3000
    assert not list(tmp_path.glob("*.part"))


def test_csv_and_parquet_hold_the_same_rows(tmp_path: Path) -> None:
    write_base(tmp_path / "base.csv", 2000, 3, CHANNELS)
    write_base(tmp_path / "base.parquet", 2000, 3, CHANNELS)
    text = (tmp_path / "base.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    options = pa_csv.ConvertOptions(column_types=dict.fromkeys(COLUMNS, "string"))
    from_csv = pa_csv.read_csv(tmp_path / "base.csv", convert_options=options).to_pylist()
    from_parquet = pq.read_table(tmp_path / "base.parquet").to_pylist()
    for row in from_parquet:
        row["opened_on"] = row["opened_on"].isoformat()
    assert from_csv == from_parquet
    # Without own halls, every identity is a resident ID (RN-07 holds for any channel).
    assert {r["doc_type"] for r in from_csv} == {"", "resident_id"}


def test_refuses_what_it_cannot_write(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"\.parquet or \.csv"):
        write_base(tmp_path / "base.xlsx", 10, 1, CHANNELS)
    with pytest.raises(InvalidInput):
        write_base(tmp_path / "base.csv", 0, 1, CHANNELS)
    with pytest.raises(InvalidInput):
        write_base(tmp_path / "base.csv", 10, 1, [])


def test_check_characters_agree_with_the_standards() -> None:
    rng = random.Random(4)
    bodies = [f"{rng.randrange(10**17):017d}" for _ in range(500)]
    matrix = np.array([[int(ch) for ch in body] for body in bodies], dtype=np.uint8)
    checks = nums.gb11643_check(matrix)
    assert [chr(c) for c in checks] == [ric.calc_check_digit(body + "0") for body in bodies]
    cards = nums.luhn_check(matrix)[:, 0]
    assert [str(c) for c in cards] == [luhn.calc_check_digit(body) for body in bodies]


def test_spread_is_a_bijection() -> None:
    for modulus in (999, 10**4, 23_376 * 999):
        values = nums.spread(np.arange(min(modulus, 50_000), dtype=np.int64), modulus, 7)
        assert len(np.unique(values)) == len(values)
        assert values.min() >= 0 and values.max() < modulus


@pytest.mark.parametrize("seed", [0, 1, 2013, 7777])
def test_every_seed_gives_a_province_of_real_places(seed: int) -> None:
    province = province_for(seed)
    assert 6 <= len(province.cities) <= 10
    assert all(3 <= len(city.counties) <= 6 for city in province.cities)
    for county in province.counties:
        assert county.code.startswith(province.code[:2])
        body = f"{county.code}19900101001"
        number = body + ric.calc_check_digit(body + "0")
        assert parse_document("resident_id", number, today=TODAY).region
    network = network_for(seed)
    codes = network.channel_codes
    assert len(codes) == len(set(codes)) and all(len(code) <= 32 for code in codes)
    assert network.own_channel_codes and len(codes) > 3 * len(province.cities)
