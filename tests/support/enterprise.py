"""Group customers for tests: the identity-authority simulator over real HTTP, an account
manager, and an active enterprise with lines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from simreg.bootstrap import Simreg
from simreg.core.actors import Actor, Role
from simreg.core.crypto import generate_master_key
from simreg.core.settings import Settings
from simreg.customers.domain import Agreement
from simreg.customers.services import NewEnterprise
from simreg.db import directory
from simreg.simulators.identity_authority import AuthorityServer, Population, running_authority
from tests.support.world import World

AUTHORITY_SEED = 61
# A valid unified social credit code (GB 32100) and one more, for a second enterprise.
CREDIT_CODE = "91110000600037341L"
OTHER_CREDIT_CODE = "91310000MA1FL0EL1X"


class MovableClock:
    """The present, moved forward by hand (retries fall due without waiting)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def today(self) -> date:
        return self.now().date()

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def authority() -> Iterator[AuthorityServer]:
    with running_authority(Population(seed=AUTHORITY_SEED, size=500)) as server:
        yield server


def authority_settings(
    database_url: str, tmp_path: Path, server: AuthorityServer, **overrides: object
) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": tmp_path / "data",
        "master_key": generate_master_key(),
        "identity_authority_url": server.url,
        "identity_authority_timeout": 2.0,
        "identity_authority_retries": 0,
        # The tests switch failures on and off; a breaker would outlast the switch.
        "identity_authority_breaker_failures": 1000,
        "identity_retry_seconds": 60,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def resident(server: AuthorityServer, position: int) -> tuple[str, str]:
    """(resident ID number, name) of someone the simulated authority knows."""
    known = server.authority.population.person(position)
    return known.document_number, known.name


def account_manager(world: World, username: str = "account_mgr") -> tuple[Actor, str]:
    simreg = world.simreg
    now = simreg.clock.now()
    with simreg.engine.begin() as conn:
        staff_id = directory.add_staff(
            conn,
            username=username,
            display_name="集团客户经理 测试",
            role=Role.ACCOUNT_MANAGER,
            at=now,
            password_hash=simreg.staff.hasher.hash("correct-horse-42"),
        )
        token = directory.issue_token(conn, simreg.vault.tokens, at=now, staff_id=staff_id)
    actor = Actor(staff_id, username, Role.ACCOUNT_MANAGER)
    world.actors[username] = actor
    world.tokens[username] = token
    return actor, token


@dataclass
class Group:
    id: int
    manager: Actor
    lines: list[str]


def active_group(
    simreg: Simreg,
    manager: Actor,
    server: AuthorityServer,
    *,
    lines: int = 5,
    credit_code: str = CREDIT_CODE,
    agent_position: int = 0,
) -> Group:
    number, name = resident(server, agent_position)
    enterprise_id = simreg.enterprises.create(
        manager,
        NewEnterprise(
            name="星河物流有限公司",
            credit_code=credit_code,
            agent_name=name,
            agent_doc_number=number,
            agreement=Agreement(
                "JT-2026-001" if credit_code == CREDIT_CODE else "JT-2026-002",
                simreg.clock.today() - timedelta(days=3),
                simreg.clock.today() + timedelta(days=365),
            ),
        ),
    )
    simreg.enterprises.activate(manager, enterprise_id, "agreement signed")
    allocated = simreg.enterprises.allocate_lines(manager, enterprise_id, count=lines)
    return Group(enterprise_id, manager, allocated)
