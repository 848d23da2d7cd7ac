"""SMS outbox throughput: what the at-most-once bookkeeping costs beside bare SMPP sending.

A local SMSC (`simreg sms smsc`: the smpp34 server, in a process of its own) receives
--messages Chinese SMS (two concatenated parts each) twice:
  raw     the SMPP gateway's send() in a loop: no database at all
  outbox  the same messages queued in sms_outbox and sent by the dispatcher: claimed in
          batches (queued -> sending), each submitted, then recorded sent in its own
          transaction, receipts recorded as they arrive
Both run unthrottled (the rate limit set far above what they reach) and print messages/s and
the ratio raw/outbox. Receipts are waited for after the outbox phase and reported separately.

Run: .venv/bin/python bench/sms_dispatch.py [--messages 3000] [--database-url URL]
     (default: a fresh SQLite file; with a PostgreSQL URL, a database of its own is created
     and dropped, which needs CREATEDB)
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from rich.table import Table

from registration import console, drop_database, fresh_database
from simreg.adapters.smpp_session import SmppAccount
from simreg.adapters.sms_smpp import SmppGateway
from simreg.core.clock import SystemClock
from simreg.db.engine import make_engine
from simreg.db.migrate import upgrade
from simreg.db.sms_outbox_store import SqlOutboxTransaction, enqueue
from simreg.db.unit_of_work import SqlUnitOfWork
from simreg.sms.dispatch import SmsDispatcher
from simreg.sms.pacing import RateLimiter, SendWindow

TEXT = (
    "【实名补登】尊敬的用户，您的号码需补充登记本人身份信息，"
    "请点击 https://simreg.example/r/{n} 完成补登。"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SMSC = [sys.executable, "-m", "simreg.cli", "sms", "smsc"]


def wait_listening(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("the SMSC did not start")


def gateway(port: int) -> SmppGateway:
    account = SmppAccount("127.0.0.1", port, "bench", "bench")
    return SmppGateway(account, source_addr="10086", clock=SystemClock())


def raw_phase(port: int, count: int) -> float:
    sender = gateway(port)
    started = time.perf_counter()
    for n in range(count):
        sender.send(f"139{n:08d}", TEXT.format(n=n), f"raw:{n}")
    seconds = time.perf_counter() - started
    sender.close()
    return seconds


def outbox_phase(url: str, port: int, count: int) -> tuple[float, float, dict[str, int]]:
    engine = make_engine(url)
    upgrade(engine)
    at = datetime.now(UTC)
    with engine.begin() as conn:
        for n in range(count):
            enqueue(conn, dedupe_key=f"bench:{n}", msisdn=f"138{n:08d}", body=TEXT, at=at)
    sender = gateway(port)
    dispatcher = SmsDispatcher(
        uow=SqlUnitOfWork(engine, SqlOutboxTransaction),
        gateway=sender,
        clock=SystemClock(),
        window=SendWindow.parse("", "Asia/Shanghai"),
        limiter=RateLimiter(1_000_000),
        personalise=lambda m: m.body.replace("{n}", str(m.id)),
    )
    started = time.perf_counter()
    while dispatcher.run_once(limit=500).claimed:
        pass
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        waiting = SqlOutboxTransaction(conn).counts().get("sent", 0)
    receipts_started = time.perf_counter()
    while waiting and time.perf_counter() - receipts_started < 60:
        dispatcher.collect_receipts()
        with engine.connect() as conn:
            waiting = SqlOutboxTransaction(conn).counts().get("sent", 0)
        time.sleep(0.05)
    receipt_tail = time.perf_counter() - receipts_started
    with engine.connect() as conn:
        counts = SqlOutboxTransaction(conn).counts()
    sender.close()
    engine.dispose()
    return seconds, receipt_tail, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    port = free_port()
    tmp = Path(tempfile.mkdtemp())
    journal = tmp / "smsc.jsonl"
    smsc = subprocess.Popen(
        [*SMSC, "--port", str(port), "--journal", str(journal)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(port)
        raw = raw_phase(port, args.messages)
        if args.database_url:
            name = f"simreg_bench_sms_{uuid.uuid4().hex[:8]}"
            url = fresh_database(args.database_url, name)
            try:
                outbox, tail, counts = outbox_phase(url, port, args.messages)
            finally:
                drop_database(args.database_url, name)
            where = "PostgreSQL"
        else:
            outbox, tail, counts = outbox_phase(
                f"sqlite:///{tmp / 'bench.db'}", port, args.messages
            )
            where = "SQLite"
    finally:
        smsc.terminate()
        smsc.wait(30)
    received = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    table = Table(title=f"SMS to a local SMSC, {args.messages} messages, outbox on {where}")
    for column in ("path", "seconds", "messages/s"):
        table.add_column(column, justify="right")
    table.add_row("raw SMPP sends", f"{raw:.2f}", f"{args.messages / raw:,.0f}")
    table.add_row("outbox dispatcher", f"{outbox:.2f}", f"{args.messages / outbox:,.0f}")
    console.print(table)
    console.print(
        f"ratio raw/outbox: {outbox / raw:.2f}x the time; receipts settled {tail:.2f} s after "
        f"the last send; outbox: {counts}; the SMSC received {len(received)} messages"
    )


if __name__ == "__main__":
    main()
