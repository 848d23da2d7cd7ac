"""/api/v1/reports as a client sees the breakdowns added to event reports and the answer for
a day before the first census (codes a client can act on)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.report_base import build_report_base
from tests.support.world import World


def test_event_reports_per_dimension(client: TestClient, world: World) -> None:
    build_report_base(world.simreg)
    headers = world.headers("auditor")
    times = client.get(
        "/api/v1/reports/review-times",
        params={"month": "2026-03", "dimension": "org_unit", "parent": "C1"},
        headers=headers,
    ).json()
    assert times["dimension"] == "org_unit"
    by_key = {row["key"]: row for row in times["rows"]}
    assert by_key["K2"]["decided"] == 2 and by_key["K2"]["median_seconds"] == 45 * 60
    assert by_key["K1"]["level"] == "county" and by_key["K1"]["drillable"] is True
    over = client.get(
        "/api/v1/reports/over-limit",
        params={"as_of": "2026-03-15", "dimension": "channel"},
        headers=headers,
    ).json()
    assert over["found"] == 2 and sum(row["found"] for row in over["rows"]) == 2
    compliance = client.get(
        "/api/v1/reports/compliance",
        params={"month": "2026-03", "dimension": "org_unit", "parent": "K1"},
        headers=headers,
    ).json()
    rows = {row["key"]: row for row in compliance["rows"]}
    assert rows["SOC1"]["fine_yuan"] == 5000 and rows["SOC1"]["level"] == "channel"
    assert compliance["total"]["violations"] == 1
    refused = client.get(
        "/api/v1/reports/compliance",
        params={"month": "2026-03", "dimension": "kind"},
        headers=headers,
    )
    assert refused.status_code == 422 and refused.json()["code"] == "REPORT-DIMENSION"
    unknown = client.get(
        "/api/v1/reports/over-limit", params={"dimension": "colour"}, headers=headers
    )
    assert unknown.status_code == 422


def test_a_day_before_the_first_census(client: TestClient, world: World) -> None:
    build_report_base(world.simreg)
    headers = world.headers("auditor")
    old = client.get(
        "/api/v1/reports/figures", params={"as_of": "2020-01-01"}, headers=headers
    ).json()
    assert old["census"] is None
    assert old["census_gap"]["code"] == "REPORT-BEFORE-FIRST-CENSUS"
    assert old["census_gap"]["first_census"] is None
    assert "real_name_rate" not in old["total"]["figures"]
    assert client.post("/api/v1/reports/census", headers=headers).status_code == 200
    today = client.get("/api/v1/reports/figures", headers=headers).json()
    assert today["census_gap"] is None
    again = client.get(
        "/api/v1/reports/figures", params={"as_of": "2020-01-01"}, headers=headers
    ).json()
    assert again["census_gap"]["first_census"] == today["as_of"]
    assert "无法还原" in again["census_gap"]["message_zh"]
