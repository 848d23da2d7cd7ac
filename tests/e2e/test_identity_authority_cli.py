"""`simreg identity-authority serve` in a process of its own, answering over HTTP as the real
authority would; `simreg identity retry-pending`; and the demo pointing at its simulator."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from simreg.adapters.identity_authority_http import HttpIdentityAuthority
from simreg.cli.main import app
from simreg.core.settings import Settings
from simreg.identity.authority import CheckResult
from simreg.simulators.identity_authority import person
from tests.support.sms import free_port

runner = CliRunner()
NAMED = ("11010519491231002X", "张三")


@contextmanager
def authority_process(port: int, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "simreg.cli", "identity-authority", "serve"]
    process = subprocess.Popen(
        [*command, "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"the simulator did not start: {output}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout:
            process.stdout.close()


def test_the_simulator_command_answers_for_its_population_and_named_people(
    tmp_path: Path,
) -> None:
    people = tmp_path / "people.csv"
    people.write_text("doc_number,name\n" + ",".join(NAMED) + "\n", encoding="utf-8")
    port = free_port()
    options = ["--population", "300", "--seed", "9", "--people", str(people), "--token", "t0k"]
    with authority_process(port, *options):
        url = f"http://127.0.0.1:{port}"
        generated = person(9, 123)
        client = HttpIdentityAuthority(url, token="t0k", retries=0)
        try:
            assert client.verify(generated.document_number, generated.name).result is (
                CheckResult.MATCH
            )
            assert client.verify(*NAMED).result is CheckResult.MATCH
            assert client.verify(NAMED[0], "李四").result is CheckResult.MISMATCH
            assert client.verify(person(10, 0).document_number, "王五").result is (
                CheckResult.NOT_FOUND
            )
            # Made to fail while it runs, as a demo or an operator's drill would.
            changed = httpx.put(
                f"{url}/admin/behaviour",
                json={"failure_rate": 1.0},
                headers={"Authorization": "Bearer t0k"},
            )
            assert changed.status_code == 200
            down = client.verify(*NAMED)
            assert (down.result, down.reason) == (CheckResult.UNAVAILABLE, "HTTP 503")
        finally:
            client.close()


def test_retry_pending_runs_against_the_configured_database(settings: Settings) -> None:
    result = runner.invoke(
        app,
        ["identity", "retry-pending", "--database-url", settings.database_url],
        env={"SIMREG_MASTER_KEY": settings.master_key, "SIMREG_DATA_DIR": str(settings.data_dir)},
    )
    assert result.exit_code == 0, result.output
    assert re.search(
        r"retried \d+ waiting checks \(no identity authority configured\)", result.output
    )


@pytest.mark.slow
def test_the_demo_checks_identities_against_its_own_simulator(tmp_path: Path) -> None:
    port = free_port()
    result = runner.invoke(
        app,
        [
            "demo",
            "--no-serve",
            "--port",
            str(port),
            "--customers",
            "10",
            "--legacy-lines",
            "0",
            "--data-dir",
            str(tmp_path / "demo"),
        ],
    )
    assert result.exit_code == 0, result.output
    found = re.search(r"Identity authority: (http://127\.0\.0\.1:(\d+)) \(simulator", result.output)
    assert found, result.output
    # Stopped with the demo: nothing is left listening.
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{found.group(1)}/health", timeout=1)
