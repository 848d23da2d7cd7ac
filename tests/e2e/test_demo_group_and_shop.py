"""Issue 6 as a new user tries it in `simreg demo`, over real HTTP against the demo server and
its identity-authority simulator: the group customer binds its actual users from the printed
CSV and only the verified, reviewed ones open; an online order goes from number search to
hand-over, a wrong ID at the counter is refused, and with the authority down the order waits
and then proceeds on its own once the authority is back."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import server_process
from tests.support.sms import free_port

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Demo:
    base: str
    output: str
    data_dir: Path

    def token(self, user: str) -> dict[str, str]:
        found = re.search(rf"{re.escape(user)} +│ (sr_[\w-]+)", self.output)
        assert found, self.output
        return {"Authorization": f"Bearer {found.group(1)}"}

    @property
    def authority(self) -> str:
        found = re.search(r"Identity authority: (http://\S+)", self.output)
        assert found, self.output
        return found.group(1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tmp = tmp_path_factory.mktemp("demo6")
    port = free_port()
    log = tmp / "demo.log"
    env = {
        **os.environ,
        "SIMREG_MASTER_KEY": "",
        "COLUMNS": "200",
        # Waiting checks are retried every second, so the test sees the recovery quickly.
        "SIMREG_IDENTITY_RETRY_SECONDS": "1",
        "SIMREG_IDENTITY_AUTHORITY_RETRIES": "0",
        "SIMREG_IDENTITY_AUTHORITY_BREAKER_SECONDS": "1",
    }
    command = [
        *(sys.executable, "-m", "simreg.cli", "demo", "--port", str(port)),
        *("--customers", "30", "--legacy-lines", "0", "--data-dir", str(tmp / "demo")),
    ]
    with server_process(command, port=port, log=log, env=env, cwd=tmp, timeout=150) as base:
        yield Demo(base, log.read_text(), tmp / "demo")


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _review(demo: Demo, source: str) -> list[dict[str, Any]]:
    queue = _ok(
        httpx.get(
            f"{demo.base}/api/v1/review/queue",
            params={"limit": 500},
            headers=demo.token("reviewer"),
        )
    )
    return [item for item in queue["items"] if item["source"] == source]


def test_group_customer_binds_actual_users_from_the_csv(demo: Demo) -> None:
    manager = demo.token("account.manager")
    found = re.search(r"/enterprises/(\d+) as", demo.output)
    roster = re.search(r"upload (\S+\.csv)", demo.output.replace("\n", ""))
    assert found and roster, demo.output
    api = f"{demo.base}/api/v1/enterprises/{found.group(1)}"
    assert (
        len(_ok(httpx.get(f"{api}/lines", params={"filter": "active"}, headers=manager))["items"])
        == 2
    )

    path = Path(roster.group(1))
    report = _ok(
        httpx.post(
            f"{api}/roster",
            headers=manager,
            files={"file": (path.name, path.read_bytes(), "text/csv")},
            timeout=120,
        )
    )
    codes = {r["code"] for r in report["rejected"]}
    assert len(report["in_review"]) >= 10 and {"ID-MISMATCH", "DOC-CHECKSUM"} <= codes, report
    # Verified but not reviewed: nothing opens yet (RN-06, RN-12).
    assert (
        len(_ok(httpx.get(f"{api}/lines", params={"filter": "active"}, headers=manager))["items"])
        == 2
    )

    waiting = _review(demo, "enterprise")
    assert len(waiting) == len(report["in_review"])
    reviewer = demo.token("reviewer")
    for item in waiting[:-1]:
        _ok(httpx.post(f"{demo.base}/api/v1/registrations/{item['id']}/approve", headers=reviewer))
        _ok(httpx.post(f"{demo.base}/api/v1/registrations/{item['id']}/activate", headers=reviewer))

    active = _ok(httpx.get(f"{api}/lines", params={"filter": "active"}, headers=manager))["items"]
    assert len(active) == 2 + len(waiting) - 1
    unbound = _ok(httpx.get(f"{api}/lines", params={"filter": "unbound"}, headers=manager))["items"]
    # The refused rows' lines and the untouched ones are listed without a user.
    assert len(unbound) >= len(report["rejected"])


def _order(demo: Demo, pattern: str) -> tuple[str, dict[str, str]]:
    shop = f"{demo.base}/api/v1/shop"
    numbers = _ok(httpx.get(f"{shop}/numbers", params={"pattern": pattern}))["items"]
    assert numbers, pattern
    reserved = _ok(httpx.post(f"{shop}/orders", json={"msisdn": numbers[0]["msisdn"]}), 201)
    assert reserved["status"] == "reserved"
    return numbers[0]["msisdn"], {"X-Order-Token": reserved["access_token"]}


def _submit_identity(demo: Demo, order: dict[str, str]) -> dict[str, Any]:
    person = re.search(r"order one as (\S+), resident ID (\w+)", demo.output.replace("\n", ""))
    assert person, demo.output
    halls = _ok(httpx.get(f"{demo.base}/api/v1/shop/halls"))
    hall = next(h for h in halls["halls"] if h["code"] == "TH-HALL-01")
    photos = {
        kind: (f"{kind}.jpg", (demo.data_dir / f"specimen-{kind}.jpg").read_bytes(), "image/jpeg")
        for kind in ("front", "back", "portrait")
    }
    return _ok(
        httpx.post(
            f"{demo.base}/api/v1/shop/orders/current/identity",
            headers=order,
            data={
                "document_number": person.group(2),
                "customer_name": person.group(1),
                "fulfilment": "pickup",
                "pickup_outlet_id": str(hall["id"]),
            },
            files=photos,
            timeout=60,
        )
    )


def _behave(demo: Demo, failure_rate: float) -> None:
    _ok(httpx.put(f"{demo.authority}/admin/behaviour", json={"failure_rate": failure_rate}))


def test_online_order_waits_for_the_authority_then_is_handed_over(demo: Demo) -> None:
    msisdn, order = _order(demo, "88")

    _behave(demo, 1.0)  # the identity authority answers nothing
    try:
        waiting = _submit_identity(demo, order)
        assert waiting["status"] == "verification_pending", waiting
        time.sleep(2)
        status = _ok(httpx.get(f"{demo.base}/api/v1/shop/orders/current", headers=order))
        assert status["status"] == "verification_pending"  # never past the check unchecked
    finally:
        _behave(demo, 0.0)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = _ok(httpx.get(f"{demo.base}/api/v1/shop/orders/current", headers=order))
        if status["status"] != "verification_pending":
            break
        time.sleep(0.5)
    assert status["status"] == "in_review", status

    (item,) = [i for i in _review(demo, "online") if i["msisdn"] == msisdn]
    reviewer = demo.token("reviewer")
    _ok(httpx.post(f"{demo.base}/api/v1/registrations/{item['id']}/approve", headers=reviewer))
    status = _ok(httpx.get(f"{demo.base}/api/v1/shop/orders/current", headers=order))
    assert status["status"] == "ready"

    clerk = demo.token("clerk.hall")
    desk = f"{demo.base}/api/v1/orders/{status['order_no']}"
    assert _ok(httpx.get(desk, headers=clerk))["msisdn"] == msisdn
    wrong = httpx.post(
        f"{desk}/handover",
        headers=clerk,
        json={"document_number": "11010519491231002X", "inspection_method": "chip_reader"},
    )
    assert wrong.status_code in (409, 422) and wrong.json()["code"].startswith("RN-10"), wrong.text
    assert (
        _ok(httpx.get(f"{demo.base}/api/v1/shop/orders/current", headers=order))["status"]
        == "ready"
    )

    person = re.search(r"resident ID (\w+)", demo.output.replace("\n", ""))
    assert person
    done = _ok(
        httpx.post(
            f"{desk}/handover",
            headers=clerk,
            json={"document_number": person.group(1), "inspection_method": "chip_reader"},
        )
    )
    assert done["status"] == "completed"
    registration = _ok(
        httpx.get(f"{demo.base}/api/v1/registrations/{item['id']}", headers=reviewer)
    )
    assert registration["state"] == "active" and registration["line"]["state"] == "active"
