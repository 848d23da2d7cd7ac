"""The command line as an operator uses it."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from simreg.cli.main import app
from simreg.core.crypto import decode_master_key

runner = CliRunner()


def test_demo_seeds_and_prints_credentials_and_a_curl_example(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = runner.invoke(
        app, ["demo", "--no-serve", "--customers", "30", "--data-dir", str(data)]
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
    upgraded = runner.invoke(app, ["db", "upgrade", *args])
    assert upgraded.exit_code == 0, upgraded.output
    checked = runner.invoke(app, ["db", "check", *args])
    assert checked.exit_code == 0, checked.output
    assert "agree" in checked.output


def test_staff_add_prints_a_token_once(tmp_path: Path) -> None:
    key = runner.invoke(app, ["keygen"]).output.strip()
    env = {"SIMREG_MASTER_KEY": key, "SIMREG_DATA_DIR": str(tmp_path)}
    made = runner.invoke(app, ["staff", "add", "li.review", "--role", "reviewer"], env=env)
    assert made.exit_code == 0, made.output
    assert re.search(r"token: sr_[\w-]{20,}", made.output)
    clash = runner.invoke(app, ["staff", "add", "bad.clerk", "--role", "clerk"], env=env)
    assert clash.exit_code == 2
    assert "STAFF-OUTLET" in clash.output
