"""A legacy subscriber re-registers at a hall (RN-13, 补登), in a real browser: the clerk
finds the number in service, registers the holder's document on it, the reviewer verifies it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from simreg.lines.domain import RealNameState
from tests.e2e.browser_support import browser_context, log_in
from tests.support.campaign_base import legacy_lines, line_states
from tests.support.world import BACK, FRONT, World

pytestmark = pytest.mark.slow


def test_a_holder_re_registers_at_the_hall_and_the_reviewer_verifies_the_line(
    browser: Browser, base_url: str, world: World, tmp_path: Path
) -> None:
    (msisdn,) = legacy_lines(world.simreg, 1)
    (verified,) = legacy_lines(world.simreg, 1, real_name=RealNameState.VERIFIED)
    front, back = tmp_path / "front.jpg", tmp_path / "back.jpg"
    front.write_bytes(FRONT)
    back.write_bytes(BACK)

    clerk = browser_context(browser, base_url, phone=True, locale="zh-CN").new_page()
    log_in(clerk, "clerk_hall")
    clerk.click("#reregister-link")
    # A line that already has its holder's identity is refused before any form.
    clerk.fill("#rereg-lookup input[name=msisdn]", verified)
    clerk.click("#rereg-lookup button")
    expect(clerk.locator("#violations")).to_contain_text("REREG-NOT-NEEDED")
    clerk.fill("#rereg-lookup input[name=msisdn]", msisdn)
    clerk.click("#rereg-lookup button")
    expect(clerk.locator("h1")).to_have_text("在网号码补登")
    expect(clerk.locator("#rereg-number")).to_contain_text(msisdn)

    # At an own hall any valid document is taken (RN-07): a passport here.
    clerk.select_option("#document_type", "passport")
    clerk.fill("#document_number", "E12345678")
    expect(clerk.locator("#doc-check .check")).to_be_visible()
    clerk.fill("input[name=customer_name]", "李雷")
    clerk.set_input_files("input[name=photo_front]", str(front))
    clerk.check("input[name=original_inspected]")
    clerk.check("input[value=chip_reader]")
    clerk.click("#registration-form button[type=submit]")
    # The passport needs no back photo, so nothing more is asked; the line waits for review.
    expect(clerk.locator(".alert-ok")).to_contain_text("审核期间号码状态不变")
    expect(clerk.locator("h1.msisdn")).to_have_text(msisdn)
    assert line_states(world.simreg, [msisdn])[msisdn] == ("active", "reverification_pending")

    reviewer = browser_context(browser, base_url, phone=False, locale="zh-CN").new_page()
    log_in(reviewer, "reviewer")
    expect(reviewer.locator("#queue")).to_contain_text("补登")
    reviewer.click("#start-review")
    expect(reviewer.locator("#origin")).to_contain_text("营业厅补登")
    expect(reviewer.locator("#approve")).to_contain_text("通过：号码完成实名补登")
    reviewer.keyboard.press("a")
    expect(reviewer.locator("#decided")).to_contain_text("已完成实名登记")

    clerk.reload()
    expect(clerk.locator("#line-verified")).to_be_visible()
    expect(clerk.locator(".badge.state-active")).to_have_text("已实名")  # not "opened"
    assert line_states(world.simreg, [msisdn])[msisdn] == ("active", "verified")
