"""A small base with every figure countable by hand (tests/integration/test_reports.py).

Written straight into the tables with known timestamps: two counties of one city, an own
channel and a social one in the first county, a social channel in the second; lines of every
state and real-name class, some opened at the counter (no channel on the line: the active
registration's channel counts); registrations with and without an app device and known
review waiting times; RN-14 cases found and resolved on known days; a campaign; an
inspection and violations. The operator's timezone is Asia/Shanghai (UTC+8).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from simreg.adapters.passwords import Argon2Passwords
from simreg.bootstrap import Simreg, bootstrap
from simreg.core.actors import Actor, Role
from simreg.core.clock import Clock, FixedClock
from simreg.core.settings import Settings
from simreg.db import tables as t

CREATED = datetime(2025, 1, 1, tzinfo=UTC)


def at(day: str, hour: int = 2, minute: int = 0) -> datetime:
    """A UTC instant; 02:00 UTC is 10:00 the same day in Shanghai."""
    y, m, d = (int(p) for p in day.split("-"))
    return datetime(y, m, d, hour, minute, tzinfo=UTC)


# The report tests' "now": 04:00 UTC, noon in Shanghai.
REPORT_NOW = at("2026-03-15", 4)


@contextmanager
def report_app(settings: Settings, clock: Clock | None = None) -> Iterator[Simreg]:
    """simreg on the test's database with the report tests' clock (fixed at REPORT_NOW
    unless the test brings its own)."""
    app = bootstrap(
        settings,
        clock=clock or FixedClock(REPORT_NOW),
        passwords=Argon2Passwords(fast_for_tests=True),
    )
    try:
        yield app
    finally:
        app.close()


# (channel, kind, state, real-name state, opened at); None channel: see COUNTER and LOOSE.
LINES: list[tuple[str | None, str, str, str | None, datetime | None]] = [
    ("OWN1", "voice", "active", "verified", at("2020-05-01")),  # 1
    ("OWN1", "voice", "active", "verified", at("2020-05-01")),  # 2
    ("OWN1", "voice", "active", "verified", at("2020-05-01")),  # 3
    ("OWN1", "voice", "active", "legacy_unverified", at("2010-05-01")),  # 4
    ("OWN1", "voice", "active", "legacy_unverified", at("2010-05-01")),  # 5
    ("OWN1", "data", "suspended_one_way", "verified", at("2015-05-01")),  # 6
    ("OWN1", "voice", "cancelled", "verified", at("2020-05-01")),  # 7
    ("SOC1", "voice", "active", "verified", at("2019-05-01")),  # 8
    ("SOC1", "voice", "active", "verified", at("2019-05-01")),  # 9
    ("SOC1", "voice", "active", "reverification_pending", at("2012-05-01")),  # 10
    ("SOC1", "data", "active", "legacy_unverified", at("2014-01-01")),  # 11
    ("SOC1", "voice", "available", None, None),  # 12
    ("SOC2", "voice", "active", "verified", at("2021-05-01")),  # 13
    ("SOC2", "voice", "suspended_two_way", "legacy_unverified", at("2012-05-01")),  # 14
    # 01:00 on 2013-09-01 in Shanghai: opened since the cut-off.
    ("SOC2", "voice", "active", "verified", at("2013-08-31", 17)),  # 15
    # 23:00 on 2013-08-31 in Shanghai: before the cut-off.
    ("SOC2", "voice", "active", "legacy_unverified", at("2013-08-31", 15)),  # 16
    (None, "voice", "active", "verified", at("2026-03-01")),  # 17: opened at SOC2's counter
    (None, "voice", "active", "verified", at("2026-03-01")),  # 18: opened at SOC2's counter
    (None, "voice", "active", "legacy_unverified", at("2009-05-01")),  # 19: no channel known
]


@dataclass
class ReportBase:
    ids: dict[str, int] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)  # line ids, in LINES order
    actors: dict[str, Actor] = field(default_factory=dict)

    def line(self, number: int) -> int:
        """The id of line ``number`` (1-based, as numbered in LINES)."""
        return self.lines[number - 1]


def build_report_base(simreg: Simreg) -> ReportBase:
    base = ReportBase()
    with simreg.engine.begin() as conn:
        _directory(conn, base)
        _staff(conn, base)
        _lines(conn, base)
        _registrations(conn, base)
        _over_limit(conn, base)
        _campaign(conn, base)
        _compliance(conn, base)
    return base


def _add(conn: Connection, table: Any, **values: Any) -> int:
    return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def _directory(conn: Connection, base: ReportBase) -> None:
    ids = base.ids
    ids["P"] = _add(
        conn, t.org_units, code="P", name="Province", level="province", created_at=CREATED
    )
    ids["C1"] = _add(
        conn,
        t.org_units,
        code="C1",
        name="City",
        level="city",
        parent_id=ids["P"],
        created_at=CREATED,
    )
    for county in ("K1", "K2"):
        ids[county] = _add(
            conn,
            t.org_units,
            code=county,
            name=f"County {county}",
            level="county",
            parent_id=ids["C1"],
            created_at=CREATED,
        )
    for code, kind, unit in (
        ("OWN1", "own", "K1"),
        ("SOC1", "social", "K1"),
        ("SOC2", "social", "K2"),
    ):
        ids[code] = _add(
            conn,
            t.channels,
            code=code,
            name=f"Channel {code}",
            kind=kind,
            status="active",
            org_unit_id=ids[unit],
            created_at=CREATED,
        )
    for code, channel in (
        ("O-OWN1", "OWN1"),
        ("O-SOC1A", "SOC1"),
        ("O-SOC1B", "SOC1"),
        ("O-SOC2", "SOC2"),
    ):
        ids[code] = _add(
            conn,
            t.outlets,
            channel_id=ids[channel],
            code=code,
            name=code,
            active=True,
            created_at=CREATED,
        )
    ids["DEV-SOC1"] = _add(
        conn,
        t.devices,
        outlet_id=ids["O-SOC1A"],
        serial="DEV-SOC1",
        active=True,
        enrolled_at=at("2026-01-01"),
    )
    # SOC2 had a device from 1 January to 1 February 2026, then none.
    ids["DEV-SOC2-OLD"] = _add(
        conn,
        t.devices,
        outlet_id=ids["O-SOC2"],
        serial="DEV-SOC2-OLD",
        active=False,
        enrolled_at=at("2026-01-01"),
        revoked_at=at("2026-02-01"),
    )


def _staff(conn: Connection, base: ReportBase) -> None:
    roles = {
        "rev1": Role.REVIEWER,
        "rev2": Role.REVIEWER,
        "auditor": Role.AUDITOR,
        "admin": Role.ADMIN,
        "risk": Role.RISK_ANALYST,
        "manager": Role.CHANNEL_MANAGER,
        "calls": Role.CALL_CENTRE,
        "clerk": Role.CLERK,
    }
    for name, role in roles.items():
        outlet = base.ids["O-OWN1"] if role is Role.CLERK else None
        staff_id = _add(
            conn,
            t.staff,
            username=f"r_{name}",  # apart from the shared world's staff
            display_name=name,
            role=role.value,
            outlet_id=outlet,
            active=True,
            created_at=CREATED,
        )
        base.ids[name] = staff_id
        base.actors[name] = Actor(staff_id, f"r_{name}", role, outlet)


def _lines(conn: Connection, base: ReportBase) -> None:
    for n, (channel, kind, state, real_name, opened) in enumerate(LINES, start=1):
        base.lines.append(
            _add(
                conn,
                t.lines,
                msisdn=f"137{n:08d}",
                iccid=f"898699{n:013d}",
                imsi=f"46001{n:010d}",
                kind=kind,
                state=state,
                real_name_state=real_name,
                opened_at=opened,
                updated_at=CREATED,
                channel_id=base.ids[channel] if channel else None,
            )
        )


_customer_numbers = itertools.count(1)


def _customer(conn: Connection, masked: str = "110105********002X") -> int:
    n = next(_customer_numbers)
    return _add(
        conn,
        t.customers,
        doc_type="resident_id",
        doc_index=f"idx-{n}-{masked}",
        doc_number_enc=b"ciphertext",
        doc_masked=masked,
        held_lines=1,
        created_at=CREATED,
    )


# (id, channel, outlet, device, line, state, submitted, waited minutes, reviewer)
REGISTRATIONS = [
    ("A1", "SOC1", "O-SOC1A", "DEV-SOC1", 8, "active", at("2026-03-02"), 10, "rev1"),
    ("A2", "SOC1", "O-SOC1A", "DEV-SOC1", 9, "active", at("2026-03-03"), 20, "rev1"),
    ("A3", "SOC1", "O-SOC1A", "DEV-SOC1", 12, "rejected", at("2026-03-04"), 30, "rev2"),
    ("A4", "SOC2", "O-SOC2", None, 17, "active", at("2026-03-05"), 40, "rev2"),
    ("A5", "SOC2", "O-SOC2", None, 18, "active", at("2026-03-06"), 50, "rev2"),
    ("A6", "OWN1", "O-OWN1", None, 1, "active", at("2026-03-07"), 60, "rev1"),
    ("A7", "OWN1", "O-OWN1", None, 2, "pending_review", at("2026-03-08"), None, None),
    ("A8", "OWN1", "O-OWN1", None, 3, "active", at("2026-02-20"), 5, "rev1"),
]


def _registrations(conn: Connection, base: ReportBase) -> None:
    ids = base.ids
    for rid, channel, outlet, device, line, state, submitted, waited, reviewer in REGISTRATIONS:
        decided = submitted + timedelta(minutes=waited) if waited is not None else None
        approved = decided if state == "active" else None
        conn.execute(
            insert(t.registrations).values(
                id=rid,
                state=state,
                customer_id=_customer(conn),
                line_id=base.line(line),
                channel_id=ids[channel],
                outlet_id=ids[outlet],
                device_id=ids[device] if device else None,
                clerk_id=ids["clerk"],
                source="counter",
                name_enc=b"ciphertext",
                name_masked="*三",
                inspection_method="chip_reader",
                submitted_at=submitted,
                reviewer_id=ids[reviewer] if reviewer else None,
                approved_at=approved,
                decided_at=decided,
                activated_at=approved,
            )
        )


def _over_limit(conn: Connection, base: ReportBase) -> None:
    for name, masked, found, resolved in (
        ("case1", "110105********0011", at("2026-03-01"), at("2026-03-10")),
        ("case2", "110105********0022", at("2026-03-05"), None),
    ):
        customer = _customer(conn, masked)
        base.ids[name] = _add(
            conn,
            t.over_limit_cases,
            customer_id=customer,
            open_customer_id=None if resolved else customer,
            status="resolved" if resolved else "open",
            held_when_found=7,
            found_at=found,
            resolved_at=resolved,
            resolved_by=base.ids["risk"] if resolved else None,
        )


def add_case(simreg: Simreg, base: ReportBase, masked: str, found: datetime) -> None:
    with simreg.engine.begin() as conn:
        customer = _customer(conn, masked)
        _add(
            conn,
            t.over_limit_cases,
            customer_id=customer,
            open_customer_id=customer,
            status="open",
            held_when_found=6,
            found_at=found,
        )


def _campaign(conn: Connection, base: ReportBase) -> None:
    campaign = _add(
        conn,
        t.campaigns,
        name="March re-registration",
        status="running",
        filters={},
        sms_template="x",
        call_after_days=7,
        link_valid_days=30,
        created_by=base.ids["admin"],
        created_at=at("2026-02-28"),
        started_at=at("2026-03-01"),
    )
    day1 = at("2026-03-01")
    for line, extra in (
        (
            4,
            {
                "sms_delivered_at": day1,
                "re_registered_at": at("2026-03-03"),
                "re_registered_after": "sms",
            },
        ),
        (
            5,
            {
                "sms_delivered_at": at("2026-03-02"),
                "called_at": at("2026-03-10"),
                "re_registered_at": at("2026-03-12"),
                "re_registered_after": "call",
            },
        ),
        (
            14,
            {
                "sms_failed_at": day1,
                "called_at": at("2026-03-10"),
                "suspended_one_way_at": at("2026-03-14"),
            },
        ),
    ):
        _add(
            conn,
            t.campaign_targets,
            campaign_id=campaign,
            line_id=base.line(line),
            targeted_at=day1,
            sms_sent_at=day1,
            **extra,
        )


def _compliance(conn: Connection, base: ReportBase) -> None:
    ids = base.ids
    for channel, done, result in (
        ("SOC1", at("2026-03-05"), "fail"),
        ("SOC2", at("2026-02-10"), "pass"),
    ):
        _add(
            conn,
            t.inspections,
            channel_id=ids[channel],
            period="2026Q1",
            reason="quarterly",
            status="done",
            result=result,
            planned_at=at("2026-01-05"),
            done_at=done,
        )
    for channel, when, penalty, fine, points in (
        ("SOC1", at("2026-03-05"), "fine", 5000, 3),
        ("SOC2", at("2026-03-06"), "warning", 0, 1),
        ("SOC2", at("2026-04-02"), "suspension", 0, 6),
    ):
        _add(
            conn,
            t.violations,
            channel_id=ids[channel],
            rule="RN-09",
            source="inspection",
            at=when,
            recorded_by=ids["manager"],
            penalty=penalty,
            points=points,
            fine_yuan=fine,
        )


def set_line(simreg: Simreg, base: ReportBase, number: int, **values: Any) -> None:
    with simreg.engine.begin() as conn:
        conn.execute(update(t.lines).where(t.lines.c.id == base.line(number)).values(**values))


def enrol(simreg: Simreg, base: ReportBase, outlet: str, serial: str, when: datetime) -> None:
    with simreg.engine.begin() as conn:
        _add(
            conn,
            t.devices,
            outlet_id=base.ids[outlet],
            serial=serial,
            active=True,
            enrolled_at=when,
        )


def audit_actions(simreg: Simreg) -> list[str]:
    with simreg.engine.connect() as conn:
        return [str(a) for a in conn.execute(select(t.audit_events.c.action)).scalars()]
