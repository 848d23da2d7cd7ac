"""Group customers through /api/v1/enterprises, end to end over HTTP, with the identity
authority simulated over real HTTP: register, agree, activate, allocate, bind from a roster,
review, and the lists an account manager works from."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from simreg.core.settings import Settings
from simreg.simulators.identity_authority import AuthorityServer
from tests.support import enterprise as support
from tests.support.enterprise import account_manager, resident
from tests.support.world import World


@pytest.fixture(scope="module")
def authority() -> Iterator[AuthorityServer]:
    yield from support.authority()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, authority: AuthorityServer) -> Settings:
    return support.authority_settings(database_url, tmp_path, authority)


def _roster(rows: list[tuple[str, str, str, str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["msisdn", "doc_type", "doc_number", "name"])
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def test_an_account_manager_binds_a_roster_and_only_reviewed_users_open(
    client: TestClient, world: World, authority: AuthorityServer
) -> None:
    _, token = account_manager(world)
    manager = {"Authorization": f"Bearer {token}"}
    agent = resident(authority, 0)
    today = date.today()

    # Clerks and auditors do not manage group customers; auditors may read.
    body = {
        "name": "星河物流有限公司",
        "credit_code": "91110000 60003734 1L",
        "agent_name": agent[1],
        "agent_doc_number": agent[0],
    }
    assert (
        client.post(
            "/api/v1/enterprises", json=body, headers=world.headers("clerk_hall")
        ).status_code
        == 403
    )
    assert (
        client.post("/api/v1/enterprises", json=body, headers=world.headers("auditor")).status_code
        == 403
    )
    bad = client.post(
        "/api/v1/enterprises", json=body | {"credit_code": "91110000600037341A"}, headers=manager
    )
    assert bad.status_code == 422 and bad.json()["code"] == "USCC-CHECKSUM"

    created = client.post("/api/v1/enterprises", json=body, headers=manager)
    assert created.status_code == 201, created.text
    enterprise = created.json()
    assert enterprise["status"] == "draft" and enterprise["agent"]["check"] == "match"
    assert agent[0] not in created.text and agent[1] not in created.text
    base = f"/api/v1/enterprises/{enterprise['id']}"

    refused = client.post(f"{base}/activate", json={}, headers=manager)
    assert refused.status_code == 422 and refused.json()["code"] == "RN-12"
    signed = client.put(
        f"{base}/agreement",
        json={"number": "JT-2026-88", "signed_on": (today - timedelta(days=1)).isoformat()},
        headers=manager,
    )
    assert signed.status_code == 200 and signed.json()["agreement"]["number"] == "JT-2026-88"
    assert (
        client.post(f"{base}/activate", json={"reason": "signed"}, headers=manager).json()["status"]
        == "active"
    )

    allocated = client.post(f"{base}/lines", json={"count": 4}, headers=manager)
    assert allocated.status_code == 201
    numbers = allocated.json()["allocated"]
    assert len(numbers) == 4

    users = [resident(authority, 100 + i) for i in range(2)]
    wrong = resident(authority, 102)[0]
    upload = client.post(
        f"{base}/roster",
        files={
            "file": (
                "roster.csv",
                _roster(
                    [
                        (numbers[0], "resident_id", users[0][0], users[0][1]),
                        (numbers[1], "居民身份证", users[1][0], users[1][1]),
                        (numbers[2], "resident_id", wrong, "赵不符"),
                        ("13800000399", "resident_id", users[1][0], users[1][1]),
                    ],
                    # As Excel on Chinese Windows saves it: the names must read right to match.
                    encoding="gbk",
                ),
                "text/csv",
            )
        },
        headers=manager,
    )
    assert upload.status_code == 200, upload.text
    report = upload.json()
    assert report["in_review"] == numbers[:2]
    assert [(r["line"], r["code"]) for r in report["rejected"]] == [
        (4, "ID-MISMATCH"),
        (5, "GROUP-LINE-UNKNOWN"),
    ]
    rejects = client.get(
        f"{base}/roster/{report['import_id']}/rejects.csv?lang=zh", headers=world.headers("auditor")
    )
    assert rejects.status_code == 200 and "attachment" in rejects.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(rejects.content.decode("utf-8-sig"))))
    assert table[0] == ["行号", "号码", "代码", "原因"] and [r[2] for r in table[1:]] == [
        "ID-MISMATCH",
        "GROUP-LINE-UNKNOWN",
    ]

    waiting = client.get(f"{base}/bindings", headers=manager).json()["items"]
    assert {b["msisdn"] for b in waiting} == set(numbers[:2])
    assert all(b["status"] == "pending_review" and b["check"] == "match" for b in waiting)
    refused_list = client.get(f"{base}/bindings?filter=refused", headers=manager).json()["items"]
    assert [(b["msisdn"], b["refusal_code"]) for b in refused_list] == [(numbers[2], "ID-MISMATCH")]

    # Verified is not enough: nothing is active until review approves (RN-06).
    lines = client.get(f"{base}/lines", headers=manager).json()["items"]
    assert all(line["state"] == "reserved" and line["user"] is None for line in lines)
    reviewer = world.headers("reviewer")
    registration = f"/api/v1/registrations/{waiting[0]['registration_id']}"
    assert client.post(f"{registration}/approve", headers=reviewer).status_code == 200
    assert client.get(f"{base}/lines?filter=active", headers=manager).json()["items"] == []
    opened = client.post(f"{registration}/activate", headers=reviewer)
    assert opened.status_code == 200, opened.text

    active = client.get(f"{base}/lines?filter=active", headers=manager).json()["items"]
    assert [line["msisdn"] for line in active] == [waiting[0]["msisdn"]]
    assert active[0]["user"] and "*" in active[0]["user"]
    unbound = client.get(f"{base}/lines?filter=unbound", headers=world.headers("auditor")).json()
    assert len(unbound["items"]) == 3
    # Page by page, nothing left out: every line once, in number order, then no next page.
    seen, after = [], ""
    while True:
        page = client.get(
            f"{base}/lines", params={"limit": 1, "after": after}, headers=manager
        ).json()
        seen += [line["msisdn"] for line in page["items"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert seen == sorted(line["msisdn"] for line in lines) and len(seen) == 4
    found = client.get(f"{base}/lines", params={"number": seen[2][-4:]}, headers=manager)
    assert [line["msisdn"] for line in found.json()["items"]] == [seen[2]]
    listing = client.get("/api/v1/enterprises", headers=world.headers("admin")).json()["items"]
    assert listing[0]["lines"] == 4 and listing[0]["bound"] == 1 and listing[0]["waiting"] == 1
    # The user leaves: the account manager ends the binding, the line closes for the next.
    ended = client.post(
        f"{base}/bindings/{active[0]['binding_id']}/end",
        json={"reason": "left the company"},
        headers=manager,
    )
    assert ended.status_code == 200, ended.text
    assert client.get(f"{base}/lines?filter=active", headers=manager).json()["items"] == []
    auditor_try = client.post(
        f"{base}/bindings/{active[0]['binding_id']}/end",
        json={"reason": "x"},
        headers=world.headers("auditor"),
    )
    assert auditor_try.status_code == 403
    assert client.get("/api/v1/enterprises", headers=world.headers("clerk_hall")).status_code == 403
