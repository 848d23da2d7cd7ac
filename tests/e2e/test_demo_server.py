"""The README's promise: `simreg demo` serves seeded data and its printed curl example works."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import server_process
from tests.support.sms import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    port = free_port()
    log = tmp_path / "demo.log"
    env = {**os.environ, "SIMREG_MASTER_KEY": "", "COLUMNS": "200"}
    command = [sys.executable, "-m", "simreg.cli", "demo", "--port", str(port)]
    options = ["--customers", "40", "--legacy-lines", "300", "--data-dir", str(tmp_path / "demo")]
    with server_process([*command, *options], port=port, log=log, env=env, cwd=tmp_path) as base:
        yield base, log.read_text(), log


def curl_as_request(command: str) -> tuple[str, dict[str, str], dict[str, str], dict[str, Path]]:
    words = shlex.split(command.replace("\\\n", " "))
    url = next(w for w in words if w.startswith("http"))
    headers, data, files = {}, {}, {}
    for flag, value in itertools.pairwise(words):
        if flag == "-H":
            name, _, content = value.partition(": ")
            headers[name] = content
        elif flag == "-F":
            name, _, content = value.partition("=")
            if content.startswith("@"):
                files[name] = Path(content[1:])
            else:
                data[name] = content
    return url, headers, data, files


def test_printed_curl_example_submits_a_registration(
    demo_server: tuple[str, str, Path],
) -> None:
    base, output, _ = demo_server
    match = re.search(r"curl -s \S+/api/v1/registrations \\\n(?:.*\\\n)*.*", output)
    assert match, output
    url, headers, data, files = curl_as_request(match.group(0))
    assert url == f"{base}/api/v1/registrations"
    response = httpx.post(
        url,
        headers=headers,
        data=data,
        files={k: (p.name, p.read_bytes(), "image/jpeg") for k, p in files.items()},
    )
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "pending_review"

    reviewer = re.search(r"reviewer +│ (sr_[\w-]+)", output)
    assert reviewer
    queue = httpx.get(
        f"{base}/api/v1/review/queue", headers={"Authorization": f"Bearer {reviewer.group(1)}"}
    ).json()
    assert queue["total"] > 1
    assert response.json()["id"] in [i["id"] for i in queue["items"]] or queue["total"] > 50


def test_campaign_sms_go_out_and_their_links_open(demo_server: tuple[str, str, Path]) -> None:
    base, output, log = demo_server
    sent = re.search(r"go to (\S+sent\.jsonl)", output.replace("\n", ""))
    assert sent, output
    journal = Path(sent.group(1))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        messages = journal.read_text().splitlines() if journal.exists() else []
        if messages:
            break
        time.sleep(0.5)
    else:
        pytest.fail("no campaign SMS was sent")
    text = json.loads(messages[0])["text"]
    link = re.search(r"(http://\S+/r/\S+)", text)
    assert link and link.group(1).startswith(base), text
    page = httpx.get(link.group(1))
    assert page.status_code == 200 and "reregister-form" in page.text
    # The server's access log names the page but not the link's token, nor a query's values.
    token = link.group(1).rsplit("/", 1)[1]
    httpx.get(f"{base}/audit?document_type=resident_id&document_number=11010519491231002X")
    time.sleep(0.5)  # the log line is written as the response starts
    logged = log.read_text()
    assert "/r/*** HTTP/1.1" in logged and token not in logged
    assert "/audit?document_type=*&document_number=* HTTP/1.1" in logged
    assert "11010519491231002X" not in logged
