"""`simreg sms` as an operator runs it: a local SMSC in its own process (`simreg sms smsc`),
`simreg sms dispatch --once` through the SMPP gateway, then `simreg sms status`."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from simreg.adapters.passwords import Argon2Passwords
from simreg.bootstrap import Simreg, bootstrap
from simreg.cli.main import app
from simreg.cli.sms_commands import start_dispatching
from simreg.core.settings import Settings
from simreg.db.sms_outbox_store import SqlOutboxTransaction
from tests.support.sms import (
    TEMPLATE,
    campaign_with_targets,
    free_port,
    journal_lines,
    smsc_process,
    target_rows,
)

runner = CliRunner()


def test_dispatch_sends_through_the_local_smsc_and_status_counts_outcomes(
    simreg: Simreg, settings: Settings, tmp_path: Path
) -> None:
    _, targets = campaign_with_targets(simreg.engine, 4, simreg.clock.now())
    # One message abandoned in sending by a dispatcher that died long ago.
    with simreg.engine.begin() as conn:
        SqlOutboxTransaction(conn).claim(simreg.clock.now(), 1)
        conn.exec_driver_sql(
            "UPDATE sms_outbox SET claimed_at = ? WHERE status = 'sending'"
            if conn.dialect.name == "sqlite"
            else "UPDATE sms_outbox SET claimed_at = %s WHERE status = 'sending'",
            (simreg.clock.now() - timedelta(hours=1),),
        )
    port = free_port()
    journal = tmp_path / "smsc.jsonl"
    env = {
        "SIMREG_MASTER_KEY": settings.master_key,
        "SIMREG_DATA_DIR": str(settings.data_dir),
        "SIMREG_SMS_GATEWAY": "smpp",
        "SIMREG_SMPP_PORT": str(port),
        "SIMREG_SMPP_SYSTEM_ID": "simreg",
        "SIMREG_SMS_QUIET_HOURS": "",
    }
    args = ["--database-url", settings.database_url]
    with smsc_process(port, journal, "--fail-every", "3"):
        sent = runner.invoke(app, ["sms", "dispatch", "--once", *args], env=env)
    assert sent.exit_code == 0, sent.output
    assert "1 messages were left in sending" in sent.output
    assert "claimed 3: sent 3, failed 0, uncertain 0" in sent.output
    assert "receipts recorded 3" in sent.output

    received = journal_lines(journal)
    assert len(received) == 3
    for message in received:
        text = str(message["text"])
        assert text.startswith(TEMPLATE.split("{link}")[0])
        assert f"{settings.public_base_url}/r/" in text

    status = runner.invoke(app, ["sms", "status", "--json", *args], env=env)
    assert status.exit_code == 0, status.output
    found = json.loads(status.output)
    assert found["counts"] == {
        "queued": 0,
        "sending": 0,
        "sent": 0,
        "delivered": 2,
        "failed": 1,
        "uncertain": 1,
    }
    (uncertain,) = found["uncertain"]
    assert uncertain["msisdn"] in {t.msisdn for t in targets}
    assert uncertain["msisdn"] not in {m["destination"] for m in received}

    # Printed to a pipe (as here, and as under a pytest-xdist worker with COLUMNS=80), the
    # uncertain message stays one row with every column in full.
    table = runner.invoke(app, ["sms", "status", *args], env={**env, "COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    header = next(line for line in table.output.splitlines() if "dedupe key" in line)
    assert "MSISDN" in header and "claimed at" in header and "why" in header
    row = next(line for line in table.output.splitlines() if uncertain["dedupe_key"] in line)
    assert uncertain["msisdn"] in row and str(uncertain["id"]) in row
    funnel = target_rows(simreg.engine)
    assert sum(1 for row in funnel.values() if row["sms_delivered_at"]) == 2


def test_the_server_sends_queued_sms_from_a_background_thread(settings: Settings) -> None:
    quiet_free = settings.model_copy(update={"sms_quiet_hours": ""})
    app_ = bootstrap(quiet_free, passwords=Argon2Passwords(fast_for_tests=True))
    try:
        _, targets = campaign_with_targets(app_.engine, 3, app_.clock.now())
        halt = start_dispatching(app_)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                funnel = target_rows(app_.engine).values()
                if all(row["sms_delivered_at"] for row in funnel):
                    break
                time.sleep(0.1)
        finally:
            halt()
    finally:
        app_.close()
    written = [json.loads(line) for line in quiet_free.sms_file.read_text().splitlines()]
    assert sorted(line["to"] for line in written) == sorted(t.msisdn for t in targets)
    assert all(row["sms_delivered_at"] for row in funnel)
