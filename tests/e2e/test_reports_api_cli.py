"""Reports as a client and an operator see them: /api/v1/reports (roles, the hand-counted
figures, errors) and `simreg report ...` (JSON and tables)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from simreg.bootstrap import Simreg
from simreg.cli.main import app as cli
from simreg.core.settings import Settings
from tests.e2e.test_page_permissions import ROLES
from tests.support.report_base import build_report_base
from tests.support.world import World

READERS = {"risk_analyst", "admin", "auditor", "channel_manager"}
runner = CliRunner()


@pytest.mark.parametrize("who", list(ROLES))
def test_api_roles(client: TestClient, world: World, who: str) -> None:
    allowed = ROLES[who] in READERS
    headers = world.headers(who)
    for path in (
        "/api/v1/reports/figures",
        "/api/v1/reports/series?figure=app_deployment_rate&start=2026-03-01&end=2026-03-02",
        "/api/v1/reports/review-times?month=2026-03",
        "/api/v1/reports/over-limit",
        "/api/v1/reports/campaign-funnel",
        "/api/v1/reports/compliance?month=2026-03",
    ):
        got = client.get(path, headers=headers)
        assert got.status_code == (200 if allowed else 403), (path, got.text)
    assert client.post("/api/v1/reports/census", headers=headers).status_code == (
        200 if allowed else 403
    )
    assert client.get("/api/v1/reports/figures").status_code == 401


def test_api_figures_drill_down_and_errors(client: TestClient, world: World) -> None:
    build_report_base(world.simreg)
    headers = world.headers("auditor")
    overall = client.get("/api/v1/reports/figures", headers=headers).json()
    # World lines are all in the pool; only the report base's 17 lines are in service.
    assert overall["total"]["figures"]["real_name_rate"] == {
        "numerator": 10,
        "denominator": 17,
        "rate": round(10 / 17, 6),
    }
    assert overall["census"]["lines_in_service"] == 17
    counties = client.get(
        "/api/v1/reports/figures",
        params={"dimension": "org_unit", "parent": "C1"},
        headers=headers,
    ).json()
    by_key = {row["key"]: row for row in counties["rows"]}
    assert by_key["K2"]["figures"]["real_name_rate"]["numerator"] == 4
    assert by_key["K1"]["drillable"] is True
    times = client.get(
        "/api/v1/reports/review-times", params={"month": "2026-03"}, headers=headers
    ).json()
    assert times["overall"]["median_seconds"] == pytest.approx(2100)
    over = client.get(
        "/api/v1/reports/over-limit", params={"as_of": "2026-03-15"}, headers=headers
    ).json()
    assert [d["doc_masked"] for d in over["documents"]] == ["110105********0022"]
    missing = client.get(
        "/api/v1/reports/figures", params={"dimension": "org_unit", "parent": "X"}, headers=headers
    )
    assert missing.status_code == 404 and missing.json()["code"] == "REPORT-PARENT"
    future = client.get("/api/v1/reports/figures?as_of=2999-01-01", headers=headers)
    assert future.status_code == 422 and future.json()["code"] == "REPORT-FUTURE"
    no_period = client.get("/api/v1/reports/compliance", headers=headers)
    assert no_period.status_code == 422 and no_period.json()["code"] == "REPORT-PERIOD"
    # A month still to come has no decisions or inspections yet; a month is YYYY-MM.
    for path in ("review-times", "compliance"):
        ahead = client.get(f"/api/v1/reports/{path}?month=2999-01", headers=headers)
        assert ahead.status_code == 422 and ahead.json()["code"] == "REPORT-FUTURE", path
        short = client.get(f"/api/v1/reports/{path}?month=26-03", headers=headers)
        assert short.status_code == 422, path


def test_cli_json_and_tables(simreg: Simreg, settings: Settings) -> None:
    build_report_base(simreg)
    env = {"SIMREG_MASTER_KEY": settings.master_key, "SIMREG_DATA_DIR": str(settings.data_dir)}
    args = ["--database-url", settings.database_url]

    def run(*command: str) -> str:
        result = runner.invoke(cli, ["report", *command, *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    taken = json.loads(run("census", "--json"))
    assert taken["lines_in_service"] == 17 and taken["cutoff"] == "2013-09-01"
    figures = json.loads(run("figures", "--by", "org-unit", "--parent", "K1", "--json"))
    rows = {row["key"]: row["figures"] for row in figures["rows"]}
    assert rows["SOC1"]["real_name_rate"]["numerator"] == 2
    assert rows["SOC1"]["new_customer_rate"] == {"numerator": 2, "denominator": 3, "rate": 0.666667}
    table = run("figures", "--by", "kind")
    assert "real-name" in table and "58.82% (10/17)" in table
    overall = run("figures")  # one row: the total, printed once
    assert overall.count("58.82% (10/17)") == 1
    times = json.loads(run("review-times", "--month", "2026-03", "--json"))
    assert times["overall"]["p95_seconds"] == pytest.approx(3600)
    assert "r_rev2" in run("review-times", "--month", "2026-03")
    per_county = json.loads(
        run("review-times", "--month", "2026-03", "--by", "org-unit", "--parent", "C1", "--json")
    )
    assert {r["key"]: r["decided"] for r in per_county["rows"]} == {"K1": 4, "K2": 2}
    assert "K2" in run("review-times", "--month", "2026-03", "--by", "org-unit", "--parent", "C1")
    short = runner.invoke(cli, ["report", "compliance", "--month", "26-03", *args], env=env)
    assert short.exit_code == 2 and "REPORT-MONTH" in short.output
    compliance = json.loads(run("compliance", "--month", "2026-03", "--by", "org-unit"))
    assert [(r["key"], r["violations"]) for r in compliance["rows"]] == [("P", 2)]
    over_limit = json.loads(run("over-limit", "--by", "channel"))
    assert over_limit["dimension"] == "channel" and over_limit["found"] == 2
    series = json.loads(
        run(
            "series",
            "--figure",
            "over_limit_resolved",
            "--grain",
            "day",
            "--from",
            "2026-03-09",
            "--to",
            "2026-03-10",
            "--json",
        )
    )
    assert [p["value"]["numerator"] for p in series["lines"][0]["points"]] == [0, 1]
    funnel = json.loads(run("funnel", "--as-of", "2026-03-05"))
    assert funnel["total"]["re_registered_after_sms"] == 1
    refused = runner.invoke(cli, ["report", "census", "--date", "2026-03-01", *args], env=env)
    assert refused.exit_code == 2 and "REPORT-CENSUS-DAY" in refused.output
    wrong = runner.invoke(cli, ["report", "figures", "--by", "colour", *args], env=env)
    assert wrong.exit_code == 2 and "REPORT-DIMENSION" in wrong.output
