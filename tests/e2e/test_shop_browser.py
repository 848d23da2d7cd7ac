"""The online shop in a real browser (chromium, phone screen): search a number, reserve it,
upload the ID scans and a portrait, and follow the order through review to collection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from simreg.core.settings import Settings
from tests.e2e.browser_support import browser_context, screenshot, serving
from tests.support.shop import PHOTOS, ShopWorld, shop_world


@pytest.fixture
def shop(settings: Settings) -> Iterator[ShopWorld]:
    with shop_world(settings) as built:
        yield built


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_customer_orders_a_number_online(browser: Browser, shop: ShopWorld) -> None:
    with serving(shop.simreg) as url:
        ctx = browser_context(browser, url, phone=True, locale="en-GB")
        page = ctx.new_page()
        page.goto("/shop")
        page.fill("input[name=pattern]", "0033")
        page.select_option("select[name=region]", "北京市")
        page.click("#number-search button")
        offer = page.locator("#numbers li", has_text="13800000033")
        expect(offer).to_have_count(1)
        screenshot(page, "shop-search")
        offer.get_by_role("button", name="Reserve").click()

        expect(page).to_have_url(f"{url}/shop/order")
        expect(page.locator("#order-state")).to_have_text("Number reserved")
        person = shop.person()
        page.fill("input[name=document_number]", person.document_number)
        page.fill("input[name=customer_name]", person.name)
        for kind, data in PHOTOS.items():
            page.set_input_files(
                f"#identity-form input[name={kind}]",
                files=[{"name": f"{kind}.jpg", "mimeType": "image/jpeg", "buffer": data}],
            )
        page.select_option("#pickup-hall", str(shop.world.outlets["hall2"]))
        page.click("#send-identity")

        expect(page.locator("#order-state")).to_have_text("In review")
        expect(page.locator("#order-msisdn")).to_have_text("13800000033")
        expect(page.get_by_text(person.document_number)).to_have_count(0)
        screenshot(page, "shop-order-in-review")

        order = shop.simreg.shop.order(
            next(c["value"] for c in ctx.cookies() if c["name"] == "simreg_order")
        )
        shop.approve(order)
        page.reload()
        expect(page.locator("#order-state")).to_have_text("Ready to collect")
        expect(page.locator("#order-next")).to_contain_text("hall2")

        page.click("form[action='/language'] button")  # to Chinese
        expect(page.locator("#order-state")).to_have_text("待领取")
        ctx.close()
