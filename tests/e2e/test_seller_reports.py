"""Unauthorised online sellers: reported, handed to the regulator, taken down."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.test_page_permissions import log_in
from tests.support.world import THIS_QUARTER, World

REPORT = {
    "address": "shop.example/cards-no-id",
    "platform": "marketplace",
    "evidence": "listing sells activated cards 'no ID needed'",
    "observed_on": "2026-11-20",
}


def test_report_is_tracked_to_take_down(client: TestClient, world: World) -> None:
    headers = world.headers("risk")
    created = client.post("/api/v1/seller-reports", json=REPORT, headers=headers)
    assert created.status_code == 201
    report = created.json()["id"]
    no_ref = client.post(
        f"/api/v1/seller-reports/{report}/steps", json={"step": "hand_over"}, headers=headers
    )
    assert no_ref.status_code == 422 and no_ref.json()["code"] == "REGULATOR-REF"
    too_early = client.post(
        f"/api/v1/seller-reports/{report}/steps", json={"step": "taken_down"}, headers=headers
    )
    assert too_early.status_code == 409
    handed = client.post(
        f"/api/v1/seller-reports/{report}/steps",
        json={"step": "hand_over", "note": "SAMR-2026-0042"},
        headers=headers,
    )
    assert handed.json()["status"] == "handed_over"
    done = client.post(
        f"/api/v1/seller-reports/{report}/steps",
        json={"step": "taken_down", "note": "listing removed"},
        headers=world.headers("manager"),
    )
    assert done.json()["status"] == "taken_down"
    (item,) = client.get("/api/v1/seller-reports", headers=world.headers("auditor")).json()["items"]
    assert item["regulator_ref"] == "SAMR-2026-0042" and item["status"] == "taken_down"


def test_report_checks(client: TestClient, world: World) -> None:
    future = {**REPORT, "observed_on": "2999-01-01"}
    response = client.post("/api/v1/seller-reports", json=future, headers=world.headers("risk"))
    assert response.status_code == 422 and response.json()["code"] == "DATE-FUTURE"
    assert (
        client.post(
            "/api/v1/seller-reports", json=REPORT, headers=world.headers("clerk_hall")
        ).status_code
        == 403
    )


def test_report_and_hand_over_from_the_channels_page(client: TestClient, world: World) -> None:
    csrf = log_in(client, "manager")
    made = client.post(
        "/channels/sellers", data={"csrf_token": csrf, **REPORT}, follow_redirects=False
    )
    assert made.status_code == 303
    page = client.get("/channels")
    assert "shop.example/cards-no-id" in page.text
    report_id = client.get("/api/v1/seller-reports", headers=world.headers("manager")).json()[
        "items"
    ][0]["id"]
    step = client.post(
        f"/channels/sellers/{report_id}",
        data={"csrf_token": csrf, "step": "hand_over", "note": "SAMR-7"},
        follow_redirects=False,
    )
    assert step.status_code == 303
    assert "SAMR-7" in client.get("/channels").text


def test_import_from_the_channels_page_shows_the_reject_report(
    client: TestClient, world: World
) -> None:
    csrf = log_in(client, "manager")
    csv_text = "record,code,name,kind\nchannel,P-1,Page import,social\nchannel,P-2,Bad,kiosk\n"
    page = client.post(
        "/channels/import",
        data={"csrf_token": csrf},
        files={"file": ("c.csv", csv_text.encode(), "text/csv")},
    )
    assert page.status_code == 200
    assert "IMPORT-KIND" in page.text and 'id="import-report"' in page.text


def test_violation_assignment_and_scan_from_the_channels_page(
    client: TestClient, world: World
) -> None:
    csrf = log_in(client, "manager")
    client.post("/channels/inspections/plan", data={"csrf_token": csrf, "period": THIS_QUARTER})
    board = client.get(
        "/api/v1/inspections", params={"period": THIS_QUARTER}, headers=world.headers("manager")
    ).json()["items"]
    assigned = client.post(
        f"/channels/inspections/{board[0]['id']}/assign",
        data={"csrf_token": csrf, "username": "risk", "period": THIS_QUARTER},
        follow_redirects=False,
    )
    assert assigned.status_code == 303
    assert "检查员: risk" in client.get(f"/channels?period={THIS_QUARTER}").text
    manual = client.post(
        "/channels/violations",
        data={"csrf_token": csrf, "channel": "SOC", "rule": "RN-09", "notes": "paper forms"},
        follow_redirects=False,
    )
    assert manual.status_code == 303
    assert "paper forms" in client.get("/channels").text
    scan = client.post(
        "/channels/violations/scan", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert scan.headers["location"].startswith("/channels?done=scanned:0")
