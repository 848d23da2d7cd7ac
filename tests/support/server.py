"""A simreg server started the way an operator starts it: a real process, its output in a log."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


@contextmanager
def server_process(
    command: list[str],
    *,
    port: int,
    log: Path,
    env: dict[str, str],
    cwd: Path | None = None,
    timeout: float = 120,
) -> Iterator[str]:
    """Run ``command`` (a server on 127.0.0.1:``port``) with its output in ``log``; yield its
    base URL once ``/healthz`` answers, and stop it when the block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
            assert process.poll() is None, log.read_text()
        else:
            pytest.fail("the server did not come up: " + log.read_text())
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
