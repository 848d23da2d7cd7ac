"""The demo's group customer (RN-12): an enterprise with 20 lines, an account manager to run
it, two actual users already verified, reviewed and active, and a roster CSV in the demo data
directory to upload at /enterprises/{id}: most of its people are known to the demo's identity
authority (they go to review), one name does not match its ID number and one number has a
wrong check character (both rejected, with the reasons in the reject report)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from simreg.bootstrap import Simreg
from simreg.core.actors import Actor, Role
from simreg.core.errors import DomainError
from simreg.customers.bindings import BindActualUser
from simreg.customers.domain import Agreement
from simreg.customers.services import NewEnterprise
from simreg.db import directory
from simreg.db import tables as t
from simreg.demo.identity_authority import known_person
from simreg.lines.domain import LineState

ACCOUNT_MANAGER = "account.manager"
ROSTER_FILE = "demo-actual-users.csv"
LINES = 20
FIRST_PERSON = 18_000  # positions in the demo authority's population kept for this demo
CREDIT_CODE = "91440106MA59C7XY1A"  # valid GB 32100 check character; belongs to nobody


@dataclass
class EnterpriseDemo:
    enterprise_id: int | None = None
    status: str = "not created"
    account_manager: str = ACCOUNT_MANAGER
    lines: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    roster: Path | None = None
    roster_rows: int = 0
    problem: str | None = None  # why the seed stopped early (the identity authority was down)


def seed_enterprise(
    simreg: Simreg, *, data_dir: Path | None = None, password_hash: str | None = None
) -> EnterpriseDemo:
    """Create the demo's group customer; safe to call once on a seeded demo database."""
    demo = EnterpriseDemo()
    manager = _account_manager(simreg, password_hash)
    reviewer = _staff(simreg, Role.REVIEWER)
    service = simreg.enterprises
    today = simreg.clock.today()
    agent = known_person(FIRST_PERSON)
    try:
        demo.enterprise_id = service.create(
            manager,
            NewEnterprise(
                name="广州星河物流有限公司",
                credit_code=CREDIT_CODE,
                agent_name=agent.name,
                agent_doc_number=agent.document_number,
                org_unit="GD-GZ-TH" if _has_org_unit(simreg, "GD-GZ-TH") else None,
                agreement=Agreement(
                    "JT-GZ-2026-0042", today - timedelta(days=10), today + timedelta(days=730)
                ),
            ),
        )
        demo.status = service.activate(manager, demo.enterprise_id, "agreement signed").status.value
        demo.lines = service.allocate_lines(
            manager, demo.enterprise_id, msisdns=_top_of_pool(simreg, LINES)
        )
        for i, msisdn in enumerate(demo.lines[:2]):
            user = known_person(FIRST_PERSON + 1 + i)
            outcome = service.bind(
                manager,
                demo.enterprise_id,
                BindActualUser(msisdn, "resident_id", user.document_number, user.name),
            )
            if reviewer is not None and outcome.registration_id is not None:
                simreg.registrations.approve(reviewer, outcome.registration_id, open_line=True)
                demo.active.append(msisdn)
    except DomainError as stopped:
        demo.problem = f"{stopped.code}: {stopped.message}"
    if demo.lines:
        demo.roster = write_roster(data_dir or simreg.settings.data_dir, demo.lines[2:16])
        demo.roster_rows = 14
    return demo


def write_roster(directory_path: Path, lines: list[str]) -> Path:
    """14 rows for 14 lines: 12 known people, a wrong name, a mistyped ID number."""
    directory_path.mkdir(parents=True, exist_ok=True)
    path = directory_path / ROSTER_FILE
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["msisdn", "doc_type", "doc_number", "name"])
        for i, msisdn in enumerate(lines):
            someone = known_person(FIRST_PERSON + 10 + i)
            number, name = someone.document_number, someone.name
            if i == len(lines) - 2:
                name = "钱不符"  # the authority holds this number under another name
            elif i == len(lines) - 1:
                number = number[:-1] + ("1" if number[-1] != "1" else "2")  # mistyped
            writer.writerow([msisdn, "居民身份证" if i % 2 else "resident_id", number, name])
    return path


def _account_manager(simreg: Simreg, password_hash: str | None) -> Actor:
    found = _staff(simreg, Role.ACCOUNT_MANAGER, ACCOUNT_MANAGER)
    if found is not None:
        return found
    with simreg.engine.begin() as conn:
        staff_id = directory.add_staff(
            conn,
            username=ACCOUNT_MANAGER,
            display_name="集团客户经理 吴企 (Account manager)",
            role=Role.ACCOUNT_MANAGER,
            at=simreg.clock.now(),
            password_hash=password_hash,
        )
    return Actor(staff_id, ACCOUNT_MANAGER, Role.ACCOUNT_MANAGER)


def _staff(simreg: Simreg, role: Role, username: str | None = None) -> Actor | None:
    query = select(t.staff.c.id, t.staff.c.username).where(t.staff.c.role == role.value)
    if username is not None:
        query = query.where(t.staff.c.username == username)
    with simreg.engine.connect() as conn:
        row = conn.execute(query.order_by(t.staff.c.id).limit(1)).first()
    return Actor(int(row.id), str(row.username), role) if row is not None else None


def _has_org_unit(simreg: Simreg, code: str) -> bool:
    with simreg.engine.connect() as conn:
        return (
            conn.execute(select(t.org_units.c.id).where(t.org_units.c.code == code)).first()
            is not None
        )


def _top_of_pool(simreg: Simreg, count: int) -> list[str]:
    """The highest free numbers of the demo's counter pool (``synthetic.pool_numbers``, 138…):
    the demo's printed examples come from its bottom, the shop keeps numbers of its own."""
    with simreg.engine.connect() as conn:
        return [
            str(m)
            for m in conn.execute(
                select(t.lines.c.msisdn)
                .where(
                    t.lines.c.state == LineState.AVAILABLE.value,
                    t.lines.c.enterprise_id.is_(None),
                    t.lines.c.msisdn.like("138%"),
                )
                .order_by(t.lines.c.msisdn.desc())
                .limit(count)
            ).scalars()
        ]
