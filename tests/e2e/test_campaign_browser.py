"""A re-registration campaign in a real browser: the manager plans and starts it, a subscriber
re-registers on a phone through the link, a call-centre agent records a call."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select, update

from simreg.db import tables as t
from tests.e2e.browser_support import (
    browser_context,
    log_in,
    screenshot,
)
from tests.support.campaign_base import legacy_lines, line_states, org_units
from tests.support.world import BACK, FRONT, World, jpeg

pytestmark = pytest.mark.slow


def test_campaign_reaches_a_subscriber_who_reregisters_and_a_call_follows(
    browser: Browser, base_url: str, world: World, tmp_path: Path
) -> None:
    app = world.simreg
    org_units(app)
    numbers = legacy_lines(app, 3)

    manager = browser_context(browser, base_url, phone=False, locale="zh-CN").new_page()
    log_in(manager, "manager")
    manager.goto("/campaigns")
    expect(manager.locator("#preview-count")).to_have_text("3")
    manager.fill("input[name=name]", "冬季实名补登")
    manager.fill("input[name=deadline]", (app.clock.today() + timedelta(days=40)).isoformat())
    manager.click("#campaign-form button.primary")
    manager.click("button[value=start]")
    expect(manager.locator("tr[data-step=targeted] td.num").first).to_have_text("3")
    screenshot(manager, "campaign-dashboard")

    with app.engine.connect() as conn:
        message = conn.execute(
            select(t.sms_outbox).where(t.sms_outbox.c.msisdn == numbers[0])
        ).one()
    text = app.campaigns.personalise(message.campaign_id, message.target_id, message.body)
    link = "/r/" + text.split("/r/", 1)[1].split()[0]

    files = {}
    for kind, data in (
        ("front", FRONT),
        ("back", BACK),
        ("portrait", jpeg(colour=(160, 130, 120))),
    ):
        files[kind] = tmp_path / f"{kind}.jpg"
        files[kind].write_bytes(data)
    phone = browser_context(browser, base_url, phone=True, locale="zh-CN").new_page()
    phone.goto(link)
    expect(phone.get_by_text(f"{numbers[0][:3]}****{numbers[0][-4:]}")).to_be_visible()
    phone.fill("input[name=document_number]", world.resident_id())
    phone.fill("input[name=customer_name]", "孙小美")
    for kind, path in files.items():
        phone.set_input_files(f"#reregister-form input[name={kind}]", str(path))
    screenshot(phone, "reregister-phone")
    phone.click("#reregister-form button.primary")
    expect(phone.locator("#outcome")).to_be_visible()
    assert line_states(app, [numbers[0]])[numbers[0]] == ("active", "reverification_pending")

    # A week without an answer from the two others: the campaign clock makes call tasks.
    with app.engine.begin() as conn:
        conn.execute(
            update(t.campaign_targets).values(
                sms_queued_at=app.clock.now() - timedelta(days=8),
                sms_sent_at=app.clock.now() - timedelta(days=8),
            )
        )
    app.campaigns.advance()
    agent = browser_context(browser, base_url, phone=False, locale="en-US").new_page()
    log_in(agent, "call_centre")
    expect(agent.locator("li[data-task]")).to_have_count(2)
    first = agent.locator("li[data-task]").first
    first.locator("input[value=callback]").check()
    first.locator("input[name=callback_at]").fill(
        (app.clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    )
    first.locator("textarea[name=notes]").fill("Asked to call back tomorrow morning")
    first.locator("button.primary").click()
    expect(agent.locator("p.alert-ok")).to_be_visible()
    # The callback is tomorrow, so only one task is due now.
    expect(agent.locator("li[data-task]")).to_have_count(1)
    screenshot(agent, "call-tasks")
