"""The monthly report as a regulator's auditor fetches it: over the API (bearer token), from
the back-office page, and with `simreg report monthly`; the workbook shows the numbers of
/api/v1/reports/figures for the same day."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from simreg.bootstrap import Simreg
from simreg.cli.main import app as cli
from simreg.core.settings import Settings
from simreg.reporting.domain import TABLE_FIGURES
from tests.e2e.test_page_permissions import log_in
from tests.support.report_base import build_report_base
from tests.support.world import World

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
runner = CliRunner()


def summary_figures(content: bytes) -> dict[str, tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(content))["Summary"]
    return {str(r[0]): r[1:4] for r in sheet.iter_rows(values_only=True) if r[0] is not None}


def test_api_downloads_show_the_figures_of_the_api(client: TestClient, world: World) -> None:
    build_report_base(world.simreg)
    month = f"{world.simreg.reports.today():%Y-%m}"
    headers = world.headers("auditor")
    got = client.get(f"/api/v1/reports/monthly/{month}.xlsx?lang=en", headers=headers)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == XLSX
    disposition = got.headers["content-disposition"]
    assert disposition == f'attachment; filename="simreg-report-{month}.xlsx"'
    assert got.headers["cache-control"] == "no-store"

    figures = client.get("/api/v1/reports/figures", headers=headers).json()
    shown = summary_figures(got.content)
    labels = {
        "real_name_rate": "Real-name rate",
        "new_customer_rate": "New-customer real-name rate",
        "app_deployment_rate": "Real-name app deployment",
        "app_registration_share": "Social-channel registrations through the app",
    }
    assert set(labels) == {f.value for f in TABLE_FIGURES}
    for key, label in labels.items():
        api = figures["total"]["figures"][key]
        count, out_of, rate = shown[label]
        assert (count, out_of) == (api["numerator"], api["denominator"]), label
        assert rate == pytest.approx(api["rate"], abs=1e-6), label
    assert shown["Real-name rate"][:2] == (10, 17)

    pdf = client.get(f"/api/v1/reports/monthly/{month}.pdf", headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].endswith(f'filename="simreg-report-{month}.pdf"')
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "实名制登记月报" in text and "58.82%" in text


def test_api_refusals(client: TestClient, world: World) -> None:
    today = world.simreg.reports.today()
    month = f"{today:%Y-%m}"
    clerk = client.get(f"/api/v1/reports/monthly/{month}.pdf", headers=world.headers("clerk_hall"))
    assert clerk.status_code == 403
    assert client.get(f"/api/v1/reports/monthly/{month}.pdf").status_code == 401
    auditor = world.headers("auditor")
    future = client.get(f"/api/v1/reports/monthly/{today.year + 1}-01.xlsx", headers=auditor)
    assert future.status_code == 422 and future.json()["code"] == "REPORT-FUTURE"
    wrong = client.get(f"/api/v1/reports/monthly/{today.year}-13.xlsx", headers=auditor)
    assert wrong.status_code == 422 and wrong.json()["code"] == "REPORT-MONTH"
    language = client.get(f"/api/v1/reports/monthly/{month}.xlsx?lang=fr", headers=auditor)
    assert language.status_code == 422


def test_page_lists_months_and_downloads(client: TestClient, world: World) -> None:
    build_report_base(world.simreg)
    log_in(client, "auditor")
    page = client.get("/reports/exports")
    assert page.status_code == 200
    month = f"{world.simreg.reports.today():%Y-%m}"
    assert f'data-month="{month}"' in page.text
    assert len(re.findall(r'<tr data-month="', page.text)) == 13
    link = f"/reports/exports/{month}.xlsx?lang=en"
    assert f'href="{link}"' in page.text
    workbook = client.get(link)
    assert workbook.status_code == 200 and workbook.headers["content-type"] == XLSX
    assert summary_figures(workbook.content)["Real-name rate"][:2] == (10, 17)
    chosen = client.get(
        "/reports/exports/file",
        params={"month": month, "format": "pdf", "lang": "zh"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == f"/reports/exports/{month}.pdf?lang=zh"
    assert client.get(chosen.headers["location"]).headers["content-type"] == "application/pdf"

    zh = client.get("/reports/exports", headers={"accept-language": "zh-CN"})
    assert "报送监管部门的月报" in zh.text and "实名率所用普查" in zh.text

    log_in(client, "clerk_hall")
    assert client.get("/reports/exports", follow_redirects=False).status_code == 403
    assert client.get(link, follow_redirects=False).status_code == 403


def test_cli_writes_both_files(
    simreg: Simreg, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_report_base(simreg)
    month = f"{simreg.reports.today():%Y-%m}"
    env = {"SIMREG_MASTER_KEY": settings.master_key, "SIMREG_DATA_DIR": str(settings.data_dir)}
    args = ["--database-url", settings.database_url]
    monkeypatch.chdir(tmp_path)

    def run(*command: str) -> str:
        result = runner.invoke(cli, ["report", "monthly", *command, *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    out = tmp_path / "march.xlsx"
    said = run("--month", month, "--format", "xlsx", "--lang", "en", "--out", str(out))
    assert str(out) in said and f"census of {simreg.reports.today()}" in said
    assert summary_figures(out.read_bytes())["Real-name rate"][:2] == (10, 17)
    run("--month", month, "--format", "pdf")
    written = tmp_path / f"simreg-report-{month}.pdf"
    reader = PdfReader(written)
    assert len(reader.pages) > 0 and "58.82%" in reader.pages[0].extract_text()

    refused = runner.invoke(
        cli, ["report", "monthly", "--month", "2999-01", "--format", "pdf", *args], env=env
    )
    assert refused.exit_code == 2 and "REPORT-FUTURE" in refused.output
    clerk = runner.invoke(
        cli,
        ["report", "monthly", "--month", month, "--as", "r_clerk", *args],
        env=env,
    )
    assert clerk.exit_code == 2 and "FORBIDDEN" in clerk.output.upper()
    bad = runner.invoke(
        cli, ["report", "monthly", "--month", month, "--format", "docx", *args], env=env
    )
    assert bad.exit_code == 2 and "REPORT-FORMAT" in bad.output
