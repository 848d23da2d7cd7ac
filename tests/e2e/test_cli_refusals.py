"""Every command that opens a deployment refuses the same way when it cannot: the code and
message on stderr, exit status 2 (a refusal, not a crash), no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from simreg.cli.main import app

runner = CliRunner()

COMMANDS = [
    ["campaigns", "advance"],
    ["campaigns", "list"],
    ["shop", "sweep"],
    ["identity", "retry-pending"],
    ["sms", "dispatch", "--once"],
    ["base", "over-limit-find", "--as", "risk"],
    ["setup", "channel-add", "C-1", "--name", "Hall", "--kind", "own"],
    ["staff", "add", "alice", "--role", "reviewer"],
    ["serve"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_command_without_the_master_key_refuses_with_its_code(
    command: list[str], tmp_path: Path
) -> None:
    result = runner.invoke(
        app, [*command, "--data-dir", str(tmp_path)], env={"SIMREG_MASTER_KEY": ""}
    )
    assert result.exit_code == 2, result.output
    assert "MASTER-KEY-MISSING" in result.output
    assert "SIMREG_MASTER_KEY is not set" in result.output
    assert "Traceback" not in result.output
