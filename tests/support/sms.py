"""For SMS tests: a local SMSC (the smpp34 server) on a free port, a campaign whose targets have
their SMS queued, and dispatchers built on the test's database and a movable clock."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select

from simreg.adapters.smpp_session import SmppAccount
from simreg.adapters.sms_local_smsc import LocalSmsc
from simreg.adapters.sms_smpp import SmppGateway
from simreg.core.actors import Role
from simreg.db import directory
from simreg.db import tables as t
from simreg.db.sms_outbox_store import SqlOutboxTransaction, enqueue
from simreg.db.unit_of_work import SqlUnitOfWork
from simreg.sms.dispatch import DispatchTiming, SmsDispatcher
from simreg.sms.pacing import RateLimiter, SendWindow
from simreg.sms.ports import OutboxMessage, SmsGateway

# 10:00 on a Monday in Shanghai: inside the default sending window.
MORNING = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
TEMPLATE = "【运营商】您的号码需补登实名信息，请点击 {link} 完成补登。"


class MovableClock:
    def __init__(self, at: datetime = MORNING) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smsc(port: int | None = None, **options: object) -> Iterator[LocalSmsc]:
    smsc = LocalSmsc("127.0.0.1", port or free_port(), **options).start()  # type: ignore[arg-type]
    try:
        yield smsc
    finally:
        smsc.stop()


def smpp_gateway(port: int, clock: MovableClock, system_id: str = "simreg") -> SmppGateway:
    account = SmppAccount("127.0.0.1", port, system_id, "secret", timeout=5.0)
    return SmppGateway(account, source_addr="10086", clock=clock, reconnect_delay=0.0)


def link_filler(message: OutboxMessage) -> str:
    return message.body.replace("{link}", f"https://simreg.example/r/t{message.target_id}")


def dispatcher(
    engine: Engine,
    gateway: SmsGateway,
    clock: MovableClock,
    *,
    quiet_hours: str = "21:00-08:00",
    rate: float = 500.0,
    personalise: Callable[[OutboxMessage], str] = link_filler,
) -> SmsDispatcher:
    return SmsDispatcher(
        uow=SqlUnitOfWork(engine, SqlOutboxTransaction),
        gateway=gateway,
        clock=clock,
        window=SendWindow.parse(quiet_hours, "Asia/Shanghai"),
        limiter=RateLimiter(rate),
        personalise=personalise,
        timing=DispatchTiming(),
    )


@dataclass(frozen=True)
class Target:
    id: int
    msisdn: str


def campaign_with_targets(engine: Engine, count: int, at: datetime) -> tuple[int, list[Target]]:
    """A running campaign over ``count`` legacy lines, each target's first SMS queued."""
    with engine.begin() as conn:
        manager = directory.add_staff(
            conn,
            username=f"mgr{count}{at:%H%M%S%f}",
            display_name="manager",
            role=Role.CHANNEL_MANAGER,
            at=at,
        )
        campaign_id = conn.execute(
            insert(t.campaigns)
            .values(
                name="re-registration",
                status="running",
                filters={},
                sms_template=TEMPLATE,
                call_after_days=7,
                link_valid_days=30,
                created_by=manager,
                created_at=at,
                started_at=at,
            )
            .returning(t.campaigns.c.id)
        ).scalar_one()
        base = conn.execute(select(t.lines.c.id)).all()
        targets: list[Target] = []
        for n in range(count):
            msisdn = f"1390000{len(base) + n:04d}"
            line_id = conn.execute(
                insert(t.lines)
                .values(
                    msisdn=msisdn,
                    iccid=f"898600{len(base) + n:014d}",
                    imsi=f"46000{len(base) + n:010d}",
                    kind="voice",
                    state="active",
                    real_name_state="legacy_unverified",
                    updated_at=at,
                )
                .returning(t.lines.c.id)
            ).scalar_one()
            target_id = conn.execute(
                insert(t.campaign_targets)
                .values(campaign_id=campaign_id, line_id=line_id, targeted_at=at, sms_queued_at=at)
                .returning(t.campaign_targets.c.id)
            ).scalar_one()
            enqueue(
                conn,
                dedupe_key=f"campaign:{campaign_id}:target:{target_id}:sms",
                msisdn=msisdn,
                body=TEMPLATE,
                campaign_id=campaign_id,
                target_id=target_id,
                at=at,
            )
            targets.append(Target(target_id, msisdn))
    return int(campaign_id), targets


def outbox_rows(engine: Engine) -> dict[str, dict[str, object]]:
    """Each message by MSISDN: status, message id, receipt."""
    with engine.connect() as conn:
        rows = conn.execute(select(t.sms_outbox).order_by(t.sms_outbox.c.id)).mappings().all()
    return {str(row["msisdn"]): dict(row) for row in rows}


def target_rows(engine: Engine) -> dict[int, dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.campaign_targets)).mappings().all()
    return {int(row["id"]): dict(row) for row in rows}


def statuses(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return SqlOutboxTransaction(conn).counts()


def settle_receipts(
    dispatch: SmsDispatcher | list[SmsDispatcher], engine: Engine, timeout: float = 10.0
) -> None:
    """Receipts arrive a moment after their messages: collect them (each dispatcher gets those
    of its own connection) until no message is left waiting for one."""
    deadline = time.monotonic() + timeout
    dispatchers = dispatch if isinstance(dispatch, list) else [dispatch]
    while time.monotonic() < deadline:
        for each in dispatchers:
            each.collect_receipts()
        if statuses(engine).get("sent", 0) == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"receipts still missing: {statuses(engine)}")


@contextmanager
def smsc_process(port: int, journal: Path, *options: str) -> Iterator[subprocess.Popen[bytes]]:
    """`simreg sms smsc` in a process of its own, so a test can kill it as a crash would."""
    command = [sys.executable, "-m", "simreg.cli", "sms", "smsc", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--journal", str(journal), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60  # a busy machine starts Python slowly
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the SMSC process did not start listening")
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def journal_lines(journal: Path) -> list[dict[str, object]]:
    if not journal.exists():
        return []
    return [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
