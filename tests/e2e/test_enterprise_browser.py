"""RN-12 in a real browser: an account manager uploads an actual-user roster for a group
customer, reads the reject report (and downloads it), and finds the lines still without a
user; the page also reads in Chinese."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from simreg.core.settings import Settings
from simreg.simulators.identity_authority import AuthorityServer
from tests.e2e.browser_support import DESK, log_in, screenshot
from tests.support import enterprise as support
from tests.support.enterprise import account_manager, active_group, resident
from tests.support.world import World

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def authority() -> Iterator[AuthorityServer]:
    yield from support.authority()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, authority: AuthorityServer) -> Settings:
    return support.authority_settings(database_url, tmp_path, authority)


def test_account_manager_uploads_a_roster_and_sees_the_rejects_and_the_unbound_lines(
    browser: Browser, base_url: str, world: World, authority: AuthorityServer, tmp_path: Path
) -> None:
    manager, _ = account_manager(world)
    group = active_group(world.simreg, manager, authority, lines=4)
    good = [resident(authority, 200 + i) for i in range(2)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["msisdn", "doc_type", "doc_number", "name"])
    writer.writerow([group.lines[0], "resident_id", good[0][0], good[0][1]])
    writer.writerow([group.lines[1], "居民身份证", good[1][0], good[1][1]])
    writer.writerow([group.lines[2], "resident_id", resident(authority, 202)[0], "钱不符"])
    writer.writerow([group.lines[3], "resident_id", good[0][0][:-1] + "Y", good[0][1]])
    roster = tmp_path / "roster.csv"
    roster.write_bytes(out.getvalue().encode("utf-8-sig"))

    ctx = browser.new_context(
        viewport=DESK, locale="en-US", base_url=base_url, accept_downloads=True
    )
    ctx.set_default_timeout(15000)
    page = ctx.new_page()
    log_in(page, manager.username)
    expect(page).to_have_url(f"{base_url}/enterprises")
    page.click(f"tr[data-enterprise='{group.id}'] a")
    expect(page.locator("#agent-check")).to_contain_text("Confirmed by the identity authority")

    page.set_input_files("#roster input[type=file]", str(roster))
    page.click("#roster button")
    expect(page.locator("#roster-report")).to_contain_text("2 sent to review")
    rejects = page.locator("#rejects tbody tr")
    expect(rejects).to_have_count(2)
    expect(page.locator("#rejects tr[data-line='4']")).to_contain_text("ID-MISMATCH")
    expect(page.locator("#rejects tr[data-line='5']")).to_contain_text("DOC-")
    screenshot(page, "enterprise-roster")
    with page.expect_download() as download:
        page.click("#rejects-csv")
    report = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert report[0] == "line,msisdn,code,reason" and len(report) == 3
    assert good[0][0] not in page.content() and good[0][1] not in page.content()

    # Verified users wait for review; no line is open yet, so every line is without a user.
    expect(page.locator("#waiting-list tbody tr[data-msisdn]")).to_have_count(2)
    page.click("#lines nav a[href*='lines=unbound']")
    expect(page.locator("#line-list tbody tr[data-msisdn]")).to_have_count(4)
    expect(page.locator(f"#line-list tr[data-msisdn='{group.lines[0]}']")).to_contain_text(
        "In review"
    )
    expect(page.locator("#refused-list tr[data-msisdn]")).to_have_count(1)

    page.click("form.lang-switch button")
    expect(page.locator("h2", has_text="号码及实际使用人")).to_be_visible()
    expect(page.locator("#refused-list")).to_contain_text("公安核验不通过")
    ctx.close()
