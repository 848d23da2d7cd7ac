"""The report dashboards as a back-office user sees them, against the hand-counted base of
tests/support/report_base.py (on SQLite and PostgreSQL): figures, drill-down from province to
outlet, CSV downloads with the rows of the table, who may open them, and days without a
census. Today is 15 March 2026, noon in Shanghai."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from simreg.bootstrap import Simreg
from simreg.core.clock import FixedClock
from simreg.core.settings import Settings
from simreg.db import tables as t
from tests.e2e.test_page_permissions import ROLES, log_in
from tests.support.report_base import REPORT_NOW, ReportBase, at, build_report_base, report_app
from tests.support.world import World

READERS = {"risk_analyst", "admin", "auditor", "channel_manager"}
EN = {"accept-language": "en"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(REPORT_NOW)


@pytest.fixture
def simreg(settings: Settings, clock: FixedClock) -> Iterator[Simreg]:
    """The conftest's world and client are built on this, with the clock fixed."""
    with report_app(settings, clock) as app:
        yield app


@pytest.fixture
def base(world: World) -> ReportBase:
    return build_report_base(world.simreg)


def take_census(client: TestClient) -> None:
    csrf = log_in(client, "auditor")
    taken = client.post("/reports/census", data={"csrf_token": csrf}, follow_redirects=False)
    assert taken.status_code == 303, taken.text
    assert taken.headers["location"] == "/reports?done=census:2026-03-15"


def card(page: str, figure: str) -> str:
    """The visible text of one figure card, whitespace collapsed."""
    found = re.search(rf'data-figure="{figure}">(.*?)</section>', page, re.S)
    assert found, figure
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def table_rows(page: str, name: str) -> dict[str, list[str]]:
    """The body rows of a report table: key -> the data-value of every cell."""
    table = re.search(rf'id="table-{name}".*?<tbody>(.*?)</tbody>', page, re.S)
    assert table, name
    rows = {}
    for key, body in re.findall(r'<tr data-key="([^"]*)">(.*?)</tr>', table.group(1), re.S):
        rows[html.unescape(key)] = [
            html.unescape(v) for v in re.findall(r'data-value="([^"]*)"', body)
        ]
    return rows


def cell_text(page: str, name: str, key: str) -> list[str]:
    table = re.search(rf'id="table-{name}".*?</table>', page, re.S)
    assert table
    row = re.search(rf'<tr data-key="{key}">(.*?)</tr>', table.group(0), re.S)
    assert row, key
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells]


def chart_data(page: str, chart: str) -> dict[str, object]:
    block = re.search(rf'data-chart="{chart}"[^>]*>(.*?)</script>', page, re.S)
    assert block, chart
    found: dict[str, object] = json.loads(block.group(1))
    return found


def read_csv(response: object) -> list[list[str]]:
    text = response.text  # type: ignore[attr-defined]
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_overview_shows_the_hand_counted_figures(client: TestClient, base: ReportBase) -> None:
    log_in(client, "auditor")
    first = client.get("/reports", headers=EN)
    assert first.status_code == 200
    # No census of today yet: the page says so rather than counting millions of lines itself.
    assert 'id="no-census"' in first.text and 'id="take-census"' in first.text
    assert card(first.text, "real_name_rate").startswith("Real-name rate —")
    take_census(client)

    page = client.get("/reports", headers=EN).text
    assert "Real-name rates from the census of 2026-03-15" in page
    assert "17 lines in service" in page
    assert "58.8% 10 / 17" in card(page, "real_name_rate")
    assert "90.9% 10 / 11" in card(page, "new_customer_rate")
    # World's social channels count too: SOC1 and the world's two enrolled social channels
    # are deployed, SOC2's device was revoked in February.
    assert "75.0% 3 / 4" in card(page, "app_deployment_rate")
    assert "60.0% 3 / 5" in card(page, "app_registration_share")
    assert "Found: 2 · Resolved: 1 · Open: 1" in card(page, "over_limit")
    review = card(page, "review")
    # Decided 1-15 March: waits of 10, 20, 30, 40, 50 and 60 minutes.
    assert "0:35:00 median" in review and "95th percentile 1:00:00" in review
    assert "6 decided" in review
    assert "2 / 3 re-registered" in card(page, "funnel")
    assert 'href="/reports/exports"' in page
    # The chart's data block: the census of today is the one point of the daily series.
    chart = chart_data(page, "series-chart")
    assert chart["categories"][-1] == "2026-03-15"  # type: ignore[index]
    assert chart["series"] == [{"name": "Real-name rate", "data": [None] * 29 + [58.82]}]


def test_both_languages(client: TestClient, base: ReportBase) -> None:
    take_census(client)
    chinese = client.get("/reports").text  # no Accept-Language: Chinese is the default
    assert "实名率" in chinese and "新增用户实名率" in chinese and "总览" in chinese
    assert chart_data(chinese, "series-chart")["axis"] == "比率（%）"
    assert 'data-locale="ZH"' in chinese
    english = client.get("/reports", headers=EN).text
    assert "New-customer real-name rate" in english and 'data-locale="EN"' in english
    drill = client.get("/reports/breakdown?parent=C1").text
    assert "按组织单元" in drill
    assert "区县" in drill, drill[drill.index("<tbody>") :][:1500]


def test_drill_down_from_province_to_outlet(client: TestClient, base: ReportBase) -> None:
    take_census(client)
    top = client.get("/reports/breakdown", headers=EN).text
    rows = table_rows(top, "figures")
    assert {"P", ""} <= set(rows)  # the province and the line with no channel known
    assert cell_text(top, "figures", "P")[6] == "62.5% 10 / 16"
    link = re.search(r'<a href="([^"]+)">P · Province</a>', top)
    assert link

    cities = client.get(html.unescape(link.group(1)), headers=EN).text
    assert set(table_rows(cities, "figures")) >= {"C1"}
    counties = client.get("/reports/breakdown?view=org_unit&parent=C1", headers=EN).text
    assert set(table_rows(counties, "figures")) == {"K1", "K2"}
    k1 = cell_text(counties, "figures", "K1")
    assert k1[2:4] == ["10", "6"]  # in service, verified
    assert k1[6:10] == ["60.0% 6 / 10", "85.7% 6 / 7", "100.0% 1 / 1", "100.0% 3 / 3"]
    assert cell_text(counties, "figures", "K2")[6] == "66.7% 4 / 6"  # counter lines at SOC2

    channels = client.get("/reports/breakdown?parent=K1", headers=EN).text
    assert set(table_rows(channels, "figures")) == {"OWN1", "SOC1"}
    assert cell_text(channels, "figures", "OWN1")[6] == "66.7% 4 / 6"
    trail = re.search(r'id="trail">(.*?)</nav>', channels, re.S)
    assert trail and "parent=P&amp;" in trail.group(1) and "parent=C1&amp;" in trail.group(1)

    outlets = client.get("/reports/breakdown?parent=SOC1", headers=EN).text
    assert set(table_rows(outlets, "figures")) == {"O-SOC1A", "O-SOC1B"}
    assert cell_text(outlets, "figures", "O-SOC1A")[9] == "100.0% 3 / 3"
    assert cell_text(outlets, "figures", "O-SOC1A")[6] == "—"  # the census knows no outlets
    trail = re.search(r'id="trail">(.*?)</nav>', outlets, re.S)
    assert trail and "parent=K1&amp;" in trail.group(1)

    kinds = client.get("/reports/breakdown?view=kind", headers=EN).text
    assert cell_text(kinds, "figures", "data")[6] == "50.0% 1 / 2"
    assert cell_text(kinds, "figures", "voice")[6] == "60.0% 9 / 15"
    per_channel = client.get("/reports/breakdown?view=channel", headers=EN).text
    assert cell_text(per_channel, "figures", "SOC2")[6:8] == ["66.7% 4 / 6", "100.0% 4 / 4"]
    missing = client.get("/reports/breakdown?parent=NOPE", headers=EN)
    assert missing.status_code == 404 and "REPORT-PARENT" in missing.text


def test_csv_has_the_rows_of_the_table_and_no_formula(
    client: TestClient, base: ReportBase, simreg: Simreg
) -> None:
    attack = '=HYPERLINK("http://x")'
    with simreg.engine.begin() as conn:
        conn.execute(update(t.channels).where(t.channels.c.code == "SOC1").values(name=attack))
        conn.execute(update(t.campaigns).values(name="@SUM(A1:A9)"))
    take_census(client)
    page = client.get("/reports/breakdown?parent=K1", headers=EN).text
    shown = table_rows(page, "figures")
    download = client.get("/reports/breakdown.csv?parent=K1", headers=EN)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    disposition = download.headers["content-disposition"]
    assert 'filename="figures-org_unit-K1-2026-03-15.csv"' in disposition
    lines = read_csv(download)
    header, body, total = lines[0], lines[1:-1], lines[-1]
    assert header[:3] == ["Unit, channel or outlet", "Level", "In service"]
    assert "Real-name rate (%)" in header and "Real-name rate: N" in header
    assert total[0] == "Total" and total[2] == "10"
    assert len(body) == len(shown) == 2
    rate = header.index("Real-name rate (%)")
    for row, (key, values) in zip(body, shown.items(), strict=True):
        assert row[0] == values[0] and row[0].startswith(key)
        assert row[2:6] == values[2:6]  # the counts
        assert row[rate] == values[6]  # the real-name rate, in percent
    soc1 = next(r for r in body if r[0].startswith("SOC1"))
    assert soc1[0] == f"SOC1 · {attack}"  # starts with the code: no formula
    assert soc1[rate : rate + 3] == ["50.0", "2", "4"]

    funnel = read_csv(client.get("/reports/funnel.csv?as_of=2026-03-15", headers=EN))
    assert funnel[1][0] == "'@SUM(A1:A9)"  # quoted, so a spreadsheet shows it as text

    series = read_csv(client.get("/reports/series.csv", headers=EN))
    assert series[0] == [
        "Period",
        "Real-name rate (%)",
        "Real-name rate: n",
        "Real-name rate: N",
        "Census day",
    ]
    assert series[-1] == ["2026-03-15", "58.82", "10", "17", "2026-03-15"]
    assert len(series) == 1 + 30


def test_event_reports_and_their_csv(client: TestClient, base: ReportBase) -> None:
    log_in(client, "risk")
    review = client.get("/reports/review-times?month=2026-03", headers=EN).text
    assert "Decisions made in the period: 6 (approved 5, rejected 1)" in review
    rows = read_csv(client.get("/reports/review-times.csv?month=2026-03", headers=EN))
    # Waits in the unit the header names (h:mm:ss), as on the page.
    assert rows[0][4] == "Median wait (h:mm:ss)"
    assert rows[1] == ["r_rev1", "3", "3", "0", "0:20:00", "1:00:00", "1:00:00"]
    assert rows[2] == ["r_rev2", "3", "2", "1", "0:40:00", "0:50:00", "0:50:00"]
    assert rows[3][0] == "Total" and rows[3][4] == "0:35:00"
    # On the page the column sorts by seconds, not by the text's whole hours.
    assert 'data-value="1200.0">0:20:00<' in review

    over = client.get("/reports/over-limit?as_of=2026-03-15", headers=EN).text
    assert "110105********0022" in over and "110105********0011" not in over
    over_csv = read_csv(client.get("/reports/over-limit.csv?as_of=2026-03-15", headers=EN))
    assert [r[2] for r in over_csv[1:]] == ["110105********0022"]

    funnel = read_csv(client.get("/reports/funnel.csv?as_of=2026-03-15", headers=EN))
    assert funnel[0][:2] == ["Campaign", "Targeted"]
    assert funnel[1] == ["March re-registration", "3", "3", "2", "1", "2", "1", "1"]

    compliance = read_csv(client.get("/reports/compliance.csv?month=2026-03", headers=EN))
    by_name = {r[0].split(" · ")[0]: r for r in compliance[1:]}
    assert by_name["SOC1"][2:6] == ["1", "0", "1", "1"]  # done, passed, failed, violations
    assert by_name["Total"][-2:] == ["5000", "4"]


@pytest.mark.parametrize("who", list(ROLES))
def test_who_may_open_the_reports(client: TestClient, world: World, who: str) -> None:
    csrf = log_in(client, who)
    allowed = ROLES[who] in READERS
    for path in (
        "/reports",
        "/reports/breakdown",
        "/reports/breakdown.csv?view=kind&as_of=2026-03-14",
        "/reports/review-times",
        "/reports/over-limit.csv",
        "/reports/compliance",
    ):
        got = client.get(path, follow_redirects=False)
        assert got.status_code == (200 if allowed else 403), (who, path, got.status_code)
    taken = client.post("/reports/census", data={"csrf_token": csrf}, follow_redirects=False)
    assert taken.status_code == (303 if allowed else 403)
    nav = client.get("/account/password").text
    assert ('href="/reports"' in nav) is allowed


def test_reports_need_a_login(client: TestClient, world: World) -> None:
    got = client.get("/reports/breakdown?view=kind", follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"].startswith("/login?next=")


def test_a_past_day_without_a_census_says_so(
    client: TestClient, base: ReportBase, clock: FixedClock
) -> None:
    take_census(client)
    before = client.get("/reports?as_of=2026-03-10", headers=EN).text
    assert "No census was taken on 2026-03-10" in before and "No earlier census exists." in before
    assert card(before, "real_name_rate").startswith("Real-name rate —")
    assert "50.0% 1 / 2" in card(before, "app_deployment_rate")  # events count all the same

    clock.at = at("2026-03-20", 4)
    log_in(client, "auditor")  # the session of five days ago has lapsed
    later = client.get("/reports?as_of=2026-03-18", headers=EN).text
    assert "No census was taken on 2026-03-18" in later
    assert 'href="/reports?as_of=2026-03-15"' in later  # the nearest earlier census
    drill = client.get("/reports/breakdown?view=kind&as_of=2026-03-18", headers=EN).text
    assert 'href="/reports/breakdown?view=kind&amp;as_of=2026-03-15"' in drill
    kept = client.get("/reports?as_of=2026-03-15", headers=EN).text
    assert "58.8% 10 / 17" in card(kept, "real_name_rate")
    future = client.get("/reports?as_of=2026-04-01", headers=EN)
    assert future.status_code == 422 and "REPORT-FUTURE" in future.text
    bad = client.get("/reports/breakdown?as_of=15.03.2026", headers=EN)
    assert bad.status_code == 422 and "REPORT-DATE" in bad.text
