"""The simulated authority's residents: valid resident IDs, the same for the same seed, no two
alike, and named people added on top."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from simreg.identity.documents import DocumentType, parse_document
from simreg.simulators.identity_authority.population import (
    Person,
    Population,
    person,
    read_people,
)


def test_generated_residents_hold_valid_resident_ids_with_the_sex_they_encode() -> None:
    population = Population(seed=7, size=2_000)
    assert len(population) == 2_000  # no two share a number
    for position in range(0, 2_000, 13):
        resident = population.person(position)
        document = parse_document(
            DocumentType.RESIDENT_ID, resident.document_number, today=date(2026, 1, 1)
        )
        assert document.region  # a real county of GB/T 2260
        assert document.birth_date is not None
        assert date(1945, 1, 1) <= document.birth_date <= date(2008, 12, 31)
        assert 2 <= len(resident.name) <= 3
        assert population.holder(resident.document_number) == resident.name


def test_the_same_seed_gives_the_same_people_and_another_seed_others() -> None:
    assert person(3, 42) == Population(seed=3, size=50).person(42)
    assert person(3, 42) != person(4, 42)


def test_named_people_are_added_and_replace_a_generated_holder(tmp_path: Path) -> None:
    population = Population(seed=1, size=10)
    taken = population.person(2)
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        f"doc_number,name\n11010519491231002x,张三\n{taken.document_number},李四\n",
        encoding="utf-8",
    )
    people = read_people(csv_file)
    assert people == [Person("11010519491231002x", "张三"), Person(taken.document_number, "李四")]
    assert population.add(people) == 2
    assert population.holder("11010519491231002X") == "张三"  # typed lower-case x, found
    assert population.holder(taken.document_number) == "李四"
    assert len(population) == 11
