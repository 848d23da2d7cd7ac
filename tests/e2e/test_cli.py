"""The command line as an operator uses it."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from simreg.bootstrap import bootstrap
from simreg.cli.main import app
from simreg.core.crypto import decode_master_key
from simreg.core.errors import Unauthenticated
from simreg.core.settings import Settings
from tests.support.server import server_process
from tests.support.sms import free_port

runner = CliRunner()


def test_demo_seeds_and_prints_credentials_and_a_curl_example(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = runner.invoke(
        app,
        [
            "demo",
            "--no-serve",
            "--customers",
            "30",
            "--legacy-lines",
            "200",
            "--data-dir",
            str(data),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "clerk.hall" in result.output and "reviewer" in result.output
    assert re.search(r"Authorization: Bearer sr_[\w-]+", result.output)
    assert "curl -s http://127.0.0.1:8000/api/v1/registrations" in result.output
    assert (data / "simreg.db").exists()
    assert (data / "specimen-front.jpg").read_bytes().startswith(b"\xff\xd8")


def test_keygen_prints_a_usable_key() -> None:
    result = runner.invoke(app, ["keygen"])
    assert result.exit_code == 0
    assert len(decode_master_key(result.output.strip())) == 32


def test_serve_without_a_key_refuses_to_start(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["serve", "--data-dir", str(tmp_path)], env={"SIMREG_MASTER_KEY": ""}
    )
    assert result.exit_code == 2
    assert "MASTER-KEY-MISSING" in result.output


def test_db_upgrade_and_check(tmp_path: Path, database_url: str) -> None:
    args = ["--database-url", database_url]
    # A check changes nothing: on an empty database it says what is pending, and stays empty.
    early = runner.invoke(app, ["db", "check", *args])
    assert early.exit_code == 1
    assert "migrations pending" in early.output and "simreg db upgrade" in early.output
    engine = create_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    upgraded = runner.invoke(app, ["db", "upgrade", *args])
    assert upgraded.exit_code == 0, upgraded.output
    checked = runner.invoke(app, ["db", "check", *args])
    assert checked.exit_code == 0, checked.output
    assert "agree" in checked.output


def test_staff_add_gives_a_page_password_and_a_token_once(tmp_path: Path) -> None:
    key = runner.invoke(app, ["keygen"]).output.strip()
    env = {"SIMREG_MASTER_KEY": key, "SIMREG_DATA_DIR": str(tmp_path)}
    made = runner.invoke(app, ["staff", "add", "Boss", "--role", "admin"], env=env)
    assert made.exit_code == 0, made.output
    assert re.search(r"token: sr_[\w-]{20,}", made.output)
    found = re.search(r"temporary password: (\S+)", made.output)
    assert found and "created boss (admin)" in made.output
    first = found.group(1)

    # The first administrator of a new deployment logs in to the pages, and must change it.
    simreg = bootstrap(Settings(master_key=key, data_dir=tmp_path))
    try:
        session = simreg.staff.login("boss", first)
        assert session.must_change_password and session.actor.role.value == "admin"

        # The same checks as /admin/staff: a taken or malformed name is a one-line refusal.
        for username, code in (("boss", "USERNAME-TAKEN"), ("bad name<x>", "USERNAME-INVALID")):
            refused = runner.invoke(app, ["staff", "add", username, "--role", "auditor"], env=env)
            assert refused.exit_code == 2, refused.output
            assert code in refused.output and "Traceback" not in refused.output
        clash = runner.invoke(app, ["staff", "add", "bad.clerk", "--role", "clerk"], env=env)
        assert clash.exit_code == 2 and "STAFF-OUTLET" in clash.output

        # A forgotten password: a new temporary one; the old one and its sessions end.
        renewed = runner.invoke(app, ["staff", "password", "boss"], env=env)
        assert renewed.exit_code == 0, renewed.output
        second = re.search(r"temporary password for boss: (\S+)", renewed.output)
        assert second and second.group(1) != first
        with pytest.raises(Unauthenticated):
            simreg.staff.session(session.token)
        with pytest.raises(Unauthenticated):
            simreg.staff.login("boss", first)
        assert simreg.staff.login("boss", second.group(1)).must_change_password
        unknown = runner.invoke(app, ["staff", "password", "nobody"], env=env)
        assert unknown.exit_code == 2 and "STAFF-UNKNOWN" in unknown.output
    finally:
        simreg.close()


def test_operator_sets_up_from_scratch_and_a_social_clerk_registers(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from simreg.demo.synthetic import pool_numbers
    from simreg.web.app import create_app
    from tests.support.world import BACK, FRONT

    key = runner.invoke(app, ["keygen"]).output.strip()
    env = {"SIMREG_MASTER_KEY": key, "SIMREG_DATA_DIR": str(tmp_path)}
    numbers = tmp_path / "pool.csv"
    numbers.write_text(
        "msisdn,iccid,imsi,kind\n"
        + "".join(f"{n.msisdn},{n.iccid},{n.imsi},{n.kind.value}\n" for n in pool_numbers(0, 5))
    )
    steps = [
        [
            *("setup", "channel-add", "SOC-1", "--name", "Reseller", "--kind", "social"),
            *("--agreement", "RS-2026-001", "--valid-until", "2099-12-31", "--manager", "张经理"),
        ],
        ["setup", "outlet-add", "SHOP-1", "--channel", "SOC-1", "--name", "Shop"],
        ["setup", "device-enrol", "PAD-1", "--outlet", "SHOP-1"],
        ["setup", "numbers-import", str(numbers)],
        ["staff", "add", "wang", "--role", "clerk", "--outlet", "SHOP-1"],
        ["staff", "add", "li.ming", "--role", "reviewer"],
    ]
    outputs = []
    for step in steps:
        result = runner.invoke(app, step, env=env)
        assert result.exit_code == 0, (step, result.output)
        outputs.append(result.output)
    device_token = re.search(r"device token: (sr_[\w-]+)", outputs[2])
    clerk_token = re.search(r"token: (sr_[\w-]+)", outputs[4])
    assert device_token and clerk_token
    assert "5 numbers added" in outputs[3]

    again = runner.invoke(app, ["setup", "numbers-import", str(numbers)], env=env)
    assert again.exit_code == 2 and "DUPLICATE" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text("msisdn,iccid,imsi\n13900000001,8986000000000000001,460000000000001\n")
    refused = runner.invoke(app, ["setup", "numbers-import", str(bad)], env=env)
    assert refused.exit_code == 2 and "LINE-ICCID" in refused.output
    assert "Line 2:" in refused.output  # the row is named
    assert "already in the pool" in again.output
    # A file saved by Excel on Chinese Windows (GBK), with a comment in Chinese, is read.
    gbk = tmp_path / "gbk.csv"
    fresh = pool_numbers(100, 1)[0]
    gbk.write_bytes(
        f"msisdn,iccid,imsi,kind,备注\n{fresh.msisdn},{fresh.iccid},{fresh.imsi},data,新卡\n".encode(
            "gbk"
        )
    )
    read = runner.invoke(app, ["setup", "numbers-import", str(gbk)], env=env)
    assert read.exit_code == 0 and "1 numbers added" in read.output, read.output
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x00\xff\xfe\x81\x30 garbage")
    unread = runner.invoke(app, ["setup", "numbers-import", str(garbage)], env=env)
    assert unread.exit_code == 2 and "IMPORT-ENCODING" in unread.output
    assert "Traceback" not in unread.output

    simreg = bootstrap(Settings(master_key=key, data_dir=tmp_path))
    with TestClient(create_app(simreg)) as client:
        response = client.post(
            "/api/v1/registrations",
            data={
                "msisdn": pool_numbers(0, 1)[0].msisdn,
                "document_type": "resident_id",
                "document_number": "11010519491231002X",
                "customer_name": "王五",
                "original_inspected": "true",
                "inspection_method": "chip_reader",
            },
            files={
                "photo_front": ("f.jpg", FRONT, "image/jpeg"),
                "photo_back": ("b.jpg", BACK, "image/jpeg"),
            },
            headers={
                "Authorization": f"Bearer {clerk_token.group(1)}",
                "X-Device-Token": device_token.group(1),
            },
        )
    simreg.close()
    assert response.status_code == 201, response.text
    assert response.json()["channel"]["kind"] == "social"


def test_serve_warns_when_sms_go_to_a_file(tmp_path: Path) -> None:
    """Outside the demo, the file gateway (the default) is named on start: links would sit in
    clear in a file instead of reaching subscribers."""
    port = free_port()
    key = runner.invoke(app, ["keygen"]).output.strip()
    env = {**os.environ, "SIMREG_MASTER_KEY": key, "SIMREG_SMS_GATEWAY": "file"}
    command = [sys.executable, "-m", "simreg.cli", "serve", "--port", str(port)]
    log = tmp_path / "serve.log"
    data = ["--data-dir", str(tmp_path / "data"), "--no-dispatch-sms"]
    with server_process([*command, *data], port=port, log=log, env=env, timeout=60):
        pass
    said = " ".join(log.read_text().split())
    assert "warning: SMS go to" in said and "SIMREG_SMS_GATEWAY=smpp" in said


def test_staff_tokens_expire_and_are_renewed_from_the_command_line(tmp_path: Path) -> None:
    key = runner.invoke(app, ["keygen"]).output.strip()
    env = {
        "SIMREG_MASTER_KEY": key,
        "SIMREG_DATA_DIR": str(tmp_path),
        "SIMREG_API_TOKEN_DAYS": "30",
    }
    made = runner.invoke(app, ["staff", "add", "li.review", "--role", "reviewer"], env=env)
    assert made.exit_code == 0, made.output
    assert re.search(r"works until \d{4}-\d{2}-\d{2}", made.output)
    first = re.search(r"token: (sr_[\w-]+)", made.output)
    assert first
    renewed = runner.invoke(app, ["staff", "token", "li.review"], env=env)
    assert renewed.exit_code == 0, renewed.output
    assert "1 older token(s) revoked" in renewed.output
    second = re.search(r"(sr_[\w-]+)", renewed.output)
    assert second and second.group(1) != first.group(1)
    unknown = runner.invoke(app, ["staff", "token", "nobody"], env=env)
    assert unknown.exit_code == 2


def test_setup_adds_no_sub_agent_and_no_reseller_without_its_agreement(tmp_path: Path) -> None:
    """RN-08 from the command line too: a reseller without a signed agreement waits as an
    applicant and gets no app device; there is no way to put a channel under another."""
    key = runner.invoke(app, ["keygen"]).output.strip()
    env = {"SIMREG_MASTER_KEY": key, "SIMREG_DATA_DIR": str(tmp_path)}
    sub = runner.invoke(
        app,
        ["setup", "channel-add", "SUB", "--name", "Stall", "--kind", "social", "--parent", "X"],
        env=env,
    )
    assert sub.exit_code != 0 and "--parent" in sub.output
    blank = runner.invoke(
        app, ["setup", "channel-add", " ", "--name", "", "--kind", "own"], env=env
    )
    assert blank.exit_code == 2 and "CHANNEL-FIELDS" in blank.output
    waiting = runner.invoke(
        app, ["setup", "channel-add", "SOC-2", "--name", "Reseller", "--kind", "social"], env=env
    )
    assert waiting.exit_code == 0 and "applicant" in waiting.output
    runner.invoke(
        app, ["setup", "outlet-add", "SHOP-2", "--channel", "SOC-2", "--name", "Shop"], env=env
    )
    refused = runner.invoke(app, ["setup", "device-enrol", "PAD-2", "--outlet", "SHOP-2"], env=env)
    assert refused.exit_code == 2 and "CHANNEL-STATE" in refused.output
    assert "device token" not in refused.output
    partial = runner.invoke(
        app,
        [
            *("setup", "channel-add", "SOC-3", "--name", "Reseller", "--kind", "social"),
            *("--agreement", "RS-1"),
        ],
        env=env,
    )
    assert partial.exit_code == 2 and "AGREEMENT-INVALID" in partial.output
    # An open reseller's device, enrolled once: a second time is DEVICE-EXISTS, in words.
    opened = runner.invoke(
        app,
        [
            *("setup", "channel-add", "SOC-4", "--name", "Reseller", "--kind", "social"),
            *("--agreement", "RS-4", "--valid-until", "2099-12-31", "--manager", "张经理"),
        ],
        env=env,
    )
    assert opened.exit_code == 0 and "admitted" in opened.output
    runner.invoke(
        app, ["setup", "outlet-add", "SHOP-4", "--channel", "SOC-4", "--name", "Shop"], env=env
    )
    first = runner.invoke(app, ["setup", "device-enrol", "PAD-4", "--outlet", "SHOP-4"], env=env)
    assert first.exit_code == 0 and "device token" in first.output
    again = runner.invoke(app, ["setup", "device-enrol", "PAD-4", "--outlet", "SHOP-4"], env=env)
    assert again.exit_code == 2 and "DEVICE-EXISTS" in again.output


def test_the_demo_never_clears_or_seeds_an_operators_data(tmp_path: Path) -> None:
    import socket
    import sqlite3

    small = ["--no-serve", "--customers", "5", "--legacy-lines", "0"]
    # A real deployment's data directory: the demo refuses it and leaves every file.
    real = tmp_path / "production"
    (real / "photos").mkdir(parents=True)
    (real / "photos" / "keep.bin").write_bytes(b"precious")
    refused = runner.invoke(app, ["demo", *small, "--data-dir", str(real)])
    assert refused.exit_code == 2 and "DEMO-DIR" in refused.output
    assert (real / "photos" / "keep.bin").read_bytes() == b"precious"
    typed = runner.invoke(
        app, ["serve", "--demo", "--port", str(free_port()), "--data-dir", str(real)]
    )
    assert typed.exit_code == 2 and "DEMO-DIR" in typed.output
    assert (real / "photos" / "keep.bin").exists()

    # A database that holds anything is not seeded; the production variable is not read.
    database = tmp_path / "real.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE staff (id INTEGER PRIMARY KEY)")
    url = f"sqlite:///{database}"
    into = runner.invoke(
        app, ["demo", *small, "--data-dir", str(tmp_path / "d1"), "--database-url", url]
    )
    assert into.exit_code == 2 and "DEMO-DATABASE-NOT-EMPTY" in into.output
    beside = runner.invoke(
        app, ["demo", *small, "--data-dir", str(tmp_path / "d2")], env={"SIMREG_DATABASE_URL": url}
    )
    assert beside.exit_code == 0, beside.output
    assert (tmp_path / "d2" / "simreg.db").exists()
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"staff"}

    # An earlier demo's directory is cleared and seeded again.
    again = runner.invoke(app, ["demo", *small, "--data-dir", str(tmp_path / "d2")])
    assert again.exit_code == 0, again.output

    # A port in use is found before seeding, not after the accounts are printed.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = runner.invoke(app, ["demo", "--port", str(port), "--data-dir", str(tmp_path / "d3")])
    assert busy.exit_code == 2 and "DEMO-PORT" in busy.output
    assert "clerk.hall" not in busy.output


def test_serve_demo_takes_only_what_was_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator's SIMREG_DATABASE_URL and SIMREG_DATA_DIR are never the demo's."""
    import simreg.cli.main as cli_main

    calls: list[tuple[object, object]] = []
    monkeypatch.setattr(
        cli_main, "run_demo", lambda url, data_dir, *args, **kwargs: calls.append((url, data_dir))
    )
    env = {"SIMREG_DATABASE_URL": f"sqlite:///{tmp_path / 'real.db'}", "SIMREG_DATA_DIR": "/srv/x"}
    assert runner.invoke(app, ["serve", "--demo"], env=env).exit_code == 0
    typed = ["--database-url", "sqlite:///demo.db", "--data-dir", str(tmp_path / "d")]
    assert runner.invoke(app, ["serve", "--demo", *typed], env=env).exit_code == 0
    assert calls == [
        (None, Path("simreg-demo")),
        ("sqlite:///demo.db", tmp_path / "d"),
    ]
