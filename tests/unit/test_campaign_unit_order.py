"""The campaign's funnel by organisation unit lists each county under its own city."""

from __future__ import annotations

from types import SimpleNamespace

from simreg.db.campaign_queries import _tree_path


def test_counties_follow_their_own_city_and_unassigned_lines_come_last() -> None:
    tree = {
        1: ("P", None),
        2: ("C1", 1),
        3: ("C2", 1),
        4: ("K1", 2),  # a county of C1
        5: ("A9", 3),  # a county of C2 whose code sorts before C1's county
        6: ("K2", 2),
    }
    units = {i: SimpleNamespace(code=code, parent_id=parent) for i, (code, parent) in tree.items()}
    rows = [None, 5, 3, 6, 1, 4, 2]
    ordered = sorted(rows, key=lambda unit_id: _tree_path(units, unit_id))
    assert [units[i].code if i else None for i in ordered] == [
        "P",
        "C1",
        "K1",
        "K2",
        "C2",
        "A9",
        None,
    ]
