"""RN-14 in a real browser: a risk analyst finds the documents over the limit, resolves one
(transfer through the htmx receiver fields, cancel, keep), and the real-name figures move."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser_support import DESK, log_in, screenshot
from tests.support.campaign_base import org_units
from tests.support.over_limit_base import document_holding, new_document_number, unverified_lines
from tests.support.world import World

pytestmark = pytest.mark.slow


def test_risk_analyst_resolves_a_document_over_the_limit(
    browser: Browser, base_url: str, world: World
) -> None:
    app = world.simreg
    org_units(app)
    holder = document_holding(app, 7)
    unverified_lines(app, 3, channel="SOC")
    ctx = browser.new_context(viewport=DESK, locale="en-US", base_url=base_url)
    ctx.set_default_timeout(15000)
    page = ctx.new_page()
    log_in(page, "risk")

    page.click("nav a[href='/base']")
    expect(page.locator("#real-name-rate")).to_have_text("70.0%")
    expect(page.locator("tr[data-class=over_limit] td.num")).to_have_text("7")
    page.click("tr[data-unit=P1] a")
    expect(page.locator("tr[data-unit=C1]")).to_be_visible()
    screenshot(page, "real-name-base")

    page.goto("/base/over-limit")
    expect(page.locator("#open-count")).to_have_text("0")
    page.click("#find-now")
    expect(page.locator("#found")).to_contain_text("1")
    expect(page.locator("#open-count")).to_have_text("1")
    page.click("tr[data-case] a")

    rows = page.locator("#lines tbody tr")
    expect(rows).to_have_count(7)
    for n in range(5):
        rows.nth(n).locator("select").select_option("keep")
    rows.nth(5).locator("select").select_option("cancel")
    rows.nth(6).locator("select").select_option("transfer")
    receiver = rows.nth(6).locator("fieldset.receiver")
    expect(receiver).to_be_visible()  # fetched by htmx when transfer is chosen
    receiver.locator("input[name^=doc_number]").fill(new_document_number())
    receiver.locator("input[name^=name]").fill("赵敏")
    page.fill("textarea[name=notes]", "Holder came to the hall; the last card is his daughter's")
    screenshot(page, "over-limit-case")
    page.click("#resolve")
    expect(page.locator("#outcome")).to_contain_text("5 kept, 1 cancelled, 1 transferred")
    expect(page.locator("#decision tr[data-line]")).to_have_count(7)
    assert holder.doc_number not in page.content()

    page.goto("/base")
    # 9 lines in service now (one cancelled), 5 verified (the transferred line waits for its
    # receiver to re-register), none under an over-limit document.
    expect(page.locator("#real-name-rate")).to_have_text("55.6%")
    expect(page.locator("tr[data-class=over_limit] td.num")).to_have_text("0")
    expect(page.locator("#over-limit-summary")).to_contain_text("resolved: 1")
    ctx.close()
