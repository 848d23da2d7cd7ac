"""The clerk app and the review console in a real browser, as people use them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from simreg.db import tables as t
from tests.e2e.browser_support import (
    browser_context,
    log_in,
    screenshot,
)
from tests.support.world import BACK, FRONT, THIS_QUARTER, World

pytestmark = pytest.mark.slow


@pytest.fixture
def photos(tmp_path: Path) -> dict[str, Path]:
    front, back = tmp_path / "front.jpg", tmp_path / "back.jpg"
    front.write_bytes(FRONT)
    back.write_bytes(BACK)
    return {"front": front, "back": back}


def register(
    page: Page, world: World, photos: dict[str, Path], document_number: str, name: str = "张三"
) -> None:
    page.goto("/app/new")
    page.fill("#document_number", document_number)
    expect(page.locator("#doc-check .check")).to_be_visible()
    page.locator("input[name=msisdn]").first.check()
    page.fill("input[name=customer_name]", name)
    page.set_input_files("input[name=photo_front]", str(photos["front"]))
    page.set_input_files("input[name=photo_back]", str(photos["back"]))
    page.check("input[name=original_inspected]")
    page.check("input[value=chip_reader]")
    page.click("#registration-form button[type=submit]")
    page.wait_for_load_state()


def test_clerk_registers_reviewer_approves_clerk_sees_line_active_in_chinese(
    browser: Browser, base_url: str, world: World, photos: dict[str, Path]
) -> None:
    clerk = browser_context(browser, base_url, phone=True, locale="zh-CN").new_page()
    log_in(clerk, "clerk_hall")
    expect(clerk.locator("h1")).to_have_text("我的登记")
    screenshot(clerk, "clerk-home-zh")
    clerk.goto("/app/new")
    clerk.fill("#document_number", "11010519491231002X")
    expect(clerk.locator("#doc-check")).to_contain_text("有效")
    screenshot(clerk, "clerk-new-zh")
    register(clerk, world, photos, "11010519491231002X", "王小明")
    expect(clerk.locator(".alert-ok")).to_contain_text("已提交")
    expect(clerk.locator(".badge")).to_have_text("待审核")
    msisdn = clerk.locator("h1.msisdn").inner_text()

    reviewer = browser_context(browser, base_url, phone=False, locale="zh-CN").new_page()
    log_in(reviewer, "reviewer")
    expect(reviewer.locator("#queue")).to_contain_text(msisdn)
    screenshot(reviewer, "review-queue-zh")
    reviewer.click("#start-review")
    expect(reviewer.locator("#entered-number")).to_have_text("11010519491231002X")
    expect(reviewer.locator("#entered-name")).to_have_text("王小明")
    expect(reviewer.locator("img[data-zoomable]")).to_have_count(2)
    screenshot(reviewer, "review-item-zh")
    reviewer.keyboard.press("a")  # the approve shortcut
    expect(reviewer.locator("#decided")).to_contain_text("已开通")

    clerk.reload()
    expect(clerk.locator(".badge")).to_have_text("已开通")
    expect(clerk.locator("#line-open")).to_be_visible()
    screenshot(clerk, "clerk-active-zh")


def test_rejection_reason_reaches_the_clerk_in_english(
    browser: Browser, base_url: str, world: World, photos: dict[str, Path]
) -> None:
    clerk = browser_context(browser, base_url, phone=True, locale="en-US").new_page()
    log_in(clerk, "clerk_hall")
    register(clerk, world, photos, world.resident_id())
    registration_url = clerk.url

    reviewer = browser_context(browser, base_url, phone=False, locale="en-US").new_page()
    log_in(reviewer, "reviewer")
    reviewer.click("#start-review")
    reviewer.check("input[value=not_original]")
    reviewer.fill("textarea[name=comment]", "This is a photo of a photocopy")
    reviewer.click("#reject-form button.danger")
    expect(reviewer.locator("#decided")).to_contain_text("Rejected")

    clerk.goto(registration_url)
    rejection = clerk.locator("#rejection")
    expect(rejection).to_contain_text("not the original document (RN-02)")
    expect(rejection).to_contain_text("This is a photo of a photocopy")
    screenshot(clerk, "clerk-rejected-en")
    clerk.click("text=Start a new registration from this one")
    expect(clerk.locator(".alert-info")).to_contain_text("Re-submitting")
    register(clerk, world, photos, world.resident_id())
    expect(clerk.locator(".badge")).to_have_text("Waiting for review")


def test_sixth_line_for_one_id_is_refused_in_the_app(
    browser: Browser, base_url: str, world: World, photos: dict[str, Path]
) -> None:
    number = world.resident_id()
    for _ in range(5):
        world.submit("clerk_hall2", document_number=number)
    clerk = browser_context(browser, base_url, phone=True, locale="en-US").new_page()
    log_in(clerk, "clerk_hall")
    clerk.goto("/app/new")
    clerk.fill("#document_number", number)
    expect(clerk.locator("#doc-check")).to_contain_text("holds 5 of 5")
    register(clerk, world, photos, number)
    refusal = clerk.locator("#violations")
    expect(refusal).to_contain_text("RN-05")
    expect(refusal).to_contain_text("limit is 5")
    expect(clerk.locator("#document_number")).to_have_value(number)  # not typed again
    # The check beside the kept number is shown again without typing.
    expect(clerk.locator("#doc-check")).to_contain_text("holds 5 of 5")
    screenshot(clerk, "clerk-refused-rn05-en")


def test_clerk_cannot_see_another_outlets_customers(
    browser: Browser, base_url: str, world: World
) -> None:
    theirs = world.submit("clerk_hall2")
    clerk = browser_context(browser, base_url, phone=True, locale="en-US").new_page()
    log_in(clerk, "clerk_hall")
    expect(clerk.locator("#my-registrations")).to_have_count(0)
    response = clerk.goto(f"/app/registrations/{theirs.id}")
    assert response is not None and response.status == 404
    expect(clerk.locator(".alert-error")).to_contain_text("REGISTRATION-NOT-FOUND")


def test_language_switch_and_audit_export(browser: Browser, base_url: str, world: World) -> None:
    world.submit()
    page = browser_context(browser, base_url, phone=False, locale="en-US").new_page()
    log_in(page, "auditor")
    expect(page.locator("h1")).to_have_text("Audit trail")
    page.click("button[name=language]")
    expect(page.locator("h1")).to_have_text("审计记录")
    expect(page.locator("#audit-results")).to_contain_text("提交登记")
    expect(page.locator("select[name=action]")).to_contain_text("提交登记")
    screenshot(page, "audit-zh")
    with page.expect_download() as download:
        page.click("#export")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert content.startswith("at,action,outcome")
    assert re.search(r"registration\.submitted,ok", content)
    page.fill("input[name=document_number]", "11010519491231002X")
    page.click("button.primary")
    expect(page.locator("input[name=document_number]")).to_have_value("11010519491231002X")
    assert page.url.endswith("/audit")  # posted: not in the address bar or the history


def test_channel_manager_terminates_a_reseller_and_its_clerk_is_refused(
    browser: Browser, base_url: str, world: World, photos: dict[str, Path]
) -> None:
    manager = browser_context(browser, base_url, phone=False, locale="zh-CN").new_page()
    log_in(manager, "manager")
    expect(manager.locator("#deployment")).to_contain_text("100%")
    row = manager.locator("tr[data-channel='SOC']")
    row.locator("summary").click()
    row.locator("select[name=action]").select_option("terminate")
    row.locator("input[name=reason]").fill("暗访发现未查验原件")
    row.locator("input[name=responsible_unit]").fill("天河分公司")
    row.locator("input[name=responsible_manager]").fill("周俊")
    row.locator("button").click()
    expect(manager.locator("tr[data-channel='SOC'] .badge")).to_have_text("已解除合作")
    screenshot(manager, "channels-zh")

    # The clerk learns it before filling in a form that could only be refused.
    clerk = browser_context(browser, base_url, phone=True, locale="en-US").new_page()
    log_in(clerk, "clerk_shop")
    expect(clerk.locator("#violations")).to_contain_text("RN-08")
    clerk.goto("/app/new")
    expect(clerk.locator("#violations")).to_contain_text("terminated")
    expect(clerk.locator("#registration-form")).to_have_count(0)

    # Who answers for it can be corrected afterwards, and the list shows the correction.
    row = manager.locator("tr[data-channel='SOC']")
    expect(row.locator(".responsible")).to_contain_text("天河分公司 · 周俊")
    row.locator("details.accountability summary").click()
    expect(row.locator("details.accountability summary")).to_have_text("更正追责的单位和责任人")
    row.locator("details.accountability input[name=responsible_manager]").fill("周杰")
    row.locator("details.accountability input[name=reason]").fill("责任人登记有误")
    row.locator("details.accountability button").click()
    expect(manager.locator("tr[data-channel='SOC'] .responsible")).to_contain_text(
        "天河分公司 · 周杰"
    )


def test_channel_manager_plans_the_quarter_and_records_an_inspection(
    browser: Browser, base_url: str, world: World, photos: dict[str, Path]
) -> None:
    manager = browser_context(browser, base_url, phone=False, locale="en-US").new_page()
    log_in(manager, "manager")
    manager.fill("#inspections input[name=period]", THIS_QUARTER)
    manager.click("#plan-quarter")
    visits = manager.locator("#inspections li[data-inspection]")
    expect(visits).to_have_count(2)  # both active social channels, none other
    soc = manager.locator("li[data-inspection='SOC']")
    soc.locator("summary").click()
    soc.locator("input[value='RN-02']").check()
    soc.locator("textarea[name=notes]").fill("photocopy accepted")
    soc.locator("input[name=evidence]").set_input_files(str(photos["front"]))
    soc.locator("details button").click()
    expect(manager.locator("li[data-inspection='SOC'] .badge")).to_have_text("failed")
    expect(manager.locator("#violations-list")).to_contain_text("warning")
    screenshot(manager, "inspections-en")
    with world.simreg.engine.connect() as conn:
        evidence = conn.execute(select(func.count()).select_from(t.inspection_evidence))
        assert evidence.scalar_one() == 1
