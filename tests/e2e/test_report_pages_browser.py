"""The report dashboards in a real browser: the overview in Chinese and English with the chart
drawn by ECharts (under the app's Content-Security-Policy), a table sorted by a click on a
header, and a drill-down from the province to its counties and on to a county's channels."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from simreg.bootstrap import Simreg
from simreg.core.settings import Settings
from tests.e2e.browser_support import browser_context, log_in, screenshot
from tests.support.report_base import build_report_base, report_app
from tests.support.world import World

pytestmark = pytest.mark.slow


@pytest.fixture
def simreg(settings: Settings) -> Iterator[Simreg]:
    with report_app(settings) as app:
        yield app


def keys(page: Page) -> list[str | None]:
    rows = page.locator("#table-figures tbody tr")
    return [rows.nth(i).get_attribute("data-key") for i in range(rows.count())]


def test_overview_chart_sort_and_drill_down(browser: Browser, base_url: str, world: World) -> None:
    build_report_base(world.simreg)
    world.simreg.reports.take_census(None)
    problems: list[str] = []

    zh = browser_context(browser, base_url, phone=False, locale="zh-CN").new_page()
    zh.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    log_in(zh, "auditor")
    zh.goto("/reports")
    expect(zh.locator("h1").first).to_contain_text("报表")
    expect(zh.locator("[data-figure=real_name_rate] .figure-value")).to_have_text("58.8%")
    expect(zh.locator("#series-chart[data-rendered=true] canvas")).to_be_visible()
    screenshot(zh, "reports-overview")

    zh.click("#views a[href^='/reports/breakdown?view=org_unit']")
    zh.click("text=P · Province")
    zh.click("text=C1 · City")
    expect(zh.locator("#trail")).to_contain_text("C1 · City")
    assert sorted(k or "" for k in keys(zh)) == ["K1", "K2"]
    expect(zh.locator("#rows-chart[data-rendered=true] canvas")).to_be_visible()

    rate = zh.locator("#table-figures thead th").nth(6)
    expect(rate).to_contain_text("实名率")
    rate.locator("button").click()
    expect(rate).to_have_attribute("aria-sort", "ascending")
    assert keys(zh) == ["K1", "K2"]  # 60.0% before 66.7%
    rate.locator("button").click()
    expect(rate).to_have_attribute("aria-sort", "descending")
    assert keys(zh) == ["K2", "K1"]
    screenshot(zh, "reports-drill-down")

    zh.click("#table-figures a:text('K1 · County K1')")
    expect(zh.locator("#trail [aria-current=page]")).to_have_text("K1 · County K1")
    assert sorted(k or "" for k in keys(zh)) == ["OWN1", "SOC1"]

    en = browser_context(browser, base_url, phone=False, locale="en-GB").new_page()
    en.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    log_in(en, "manager")
    en.goto("/reports")
    expect(en.locator("[data-figure=new_customer_rate] h2")).to_have_text(
        "New-customer real-name rate"
    )
    expect(en.locator("#series-chart[data-rendered=true] canvas")).to_be_visible()
    assert problems == []  # no script or style refused by the Content-Security-Policy
