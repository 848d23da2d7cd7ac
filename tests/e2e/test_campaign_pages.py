"""The campaign as its users meet it over HTTP: a channel manager plans and starts it, a
subscriber re-registers through the link, a reviewer approves, a call-centre agent calls."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from simreg.bootstrap import Simreg
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.lines.domain import LineState
from simreg.web.app import create_app
from tests.e2e.test_page_permissions import log_in
from tests.support.campaign_base import (
    MovableClock,
    app_with_clock,
    legacy_lines,
    line_states,
    mark_sms_sent,
    org_units,
)
from tests.support.world import BACK, FRONT, World, build_world, jpeg

PORTRAIT = jpeg(colour=(170, 140, 130))


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def app(settings: Settings, clock: MovableClock) -> Iterator[Simreg]:
    simreg = app_with_clock(settings, clock)
    yield simreg
    simreg.close()


@pytest.fixture
def world(app: Simreg) -> World:
    built = build_world(app, pool_size=10)
    org_units(app)
    return built


@pytest.fixture
def client(app: Simreg, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(app), raise_server_exceptions=False) as http:
        yield http


def personal_link(app: Simreg, msisdn: str) -> str:
    with app.engine.connect() as conn:
        row = conn.execute(
            select(t.sms_outbox).where(t.sms_outbox.c.msisdn == msisdn).order_by(t.sms_outbox.c.id)
        ).first()
    assert row is not None
    text = app.campaigns.personalise(row.campaign_id, row.target_id, row.body)
    return "/r/" + text.split("/r/", 1)[1].split()[0]


def one_line_campaign(client: TestClient, app: Simreg) -> tuple[str, str]:
    """A manager starts a campaign over one legacy line: (its number, its personal link)."""
    (msisdn,) = legacy_lines(app, 1)
    csrf = log_in(client, "manager")
    created = client.post(
        "/campaigns",
        data={"csrf_token": csrf, "name": "c", "sms_template": "Go to {link}"},
        follow_redirects=False,
    )
    client.post(
        created.headers["location"].split("?")[0] + "/action",
        data={"csrf_token": csrf, "action": "start"},
    )
    return msisdn, personal_link(app, msisdn)


def test_campaign_from_plan_to_reregistration_and_calls(
    client: TestClient, app: Simreg, world: World, clock: MovableClock
) -> None:
    numbers = legacy_lines(app, 3)
    csrf = log_in(client, "manager")
    page = client.get("/campaigns")
    assert page.status_code == 200 and "real-name-rate" in page.text
    count = client.post("/campaigns/preview", data={}, headers={"X-CSRF-Token": csrf})
    assert re.search(r'id="preview-count">3<', count.text)
    # Suspended legacy lines count in the real-name rate: the form can pick them too.
    legacy_lines(app, 2, state=LineState.SUSPENDED_ONE_WAY)
    assert 'name="line_states" value="suspended_one_way"' in page.text
    states = {"line_states": ["active", "suspended_one_way"]}
    both = client.post("/campaigns/preview", data=states, headers={"X-CSRF-Token": csrf})
    assert re.search(r'id="preview-count">5<', both.text)

    created = client.post(
        "/campaigns",
        data={
            "csrf_token": csrf,
            "name": "2026 winter re-registration",
            "sms_template": "Re-register at {link} before {deadline}.",
            "call_after_days": "7",
            "deadline": "2026-12-31",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    detail_path = created.headers["location"].split("?")[0]
    started = client.post(
        f"{detail_path}/action",
        data={"csrf_token": csrf, "action": "start"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    told = client.get(started.headers["location"], headers={"Accept-Language": "en"})
    assert re.search(r'id="done">Started: the SMS are queued', told.text)
    detail = client.get(detail_path)
    assert re.search(
        r'data-step="targeted">\s*<th[^>]*>[^<]*</th>\s*<td class="num">3<', detail.text
    )

    # The subscriber opens the link from the SMS: no login, the number shown masked.
    link = personal_link(app, numbers[0])
    client.cookies.clear()
    form = client.get(link)
    assert form.status_code == 200
    assert f"{numbers[0][:3]}****{numbers[0][-4:]}" in form.text and numbers[0] not in form.text
    sent = client.post(
        link,
        data={"document_number": world.resident_id(), "customer_name": "钱九"},
        files={
            "front": ("front.jpg", FRONT, "image/jpeg"),
            "back": ("back.jpg", BACK, "image/jpeg"),
            "portrait": ("me.jpg", PORTRAIT, "image/jpeg"),
        },
    )
    assert sent.status_code == 200 and 'id="outcome"' in sent.text
    assert "reviewing" in client.get(link, headers={"Accept-Language": "en"}).text
    assert line_states(app, [numbers[0]])[numbers[0]] == ("active", "reverification_pending")

    # The back-office sees it in the normal queue and approves it.
    csrf = log_in(client, "reviewer")
    queue = client.get("/review", headers={"Accept-Language": "en"})
    assert "Self-service re-registration" in queue.text
    (registration_id,) = re.findall(r'/review/([0-9a-f]{32})/claim"', queue.text)[:1]
    item = client.get(f"/review/{registration_id}", headers={"Accept-Language": "en"})
    assert item.status_code == 200 and "campaign link" in item.text
    client.post(f"/review/{registration_id}/claim", data={"csrf_token": csrf})
    claimed = client.get(f"/review/{registration_id}", headers={"Accept-Language": "en"})
    # The line is in service already: approving verifies it, it does not open it.
    assert "Approve: the line becomes verified" in claimed.text
    assert "Approve and open the line" not in claimed.text
    # Nobody saw the original: neither a pass nor a failure on the console.
    assert re.search(
        r'<li class="note">• <span class="code">RN-02</span> No original seen', item.text
    )
    approved = client.post(
        f"/review/{registration_id}/approve", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert approved.status_code == 303
    assert line_states(app, [numbers[0]])[numbers[0]] == ("active", "verified")

    # A week on, the two others become call tasks for the call centre.
    mark_sms_sent(app)
    clock.advance(days=8)
    csrf = log_in(client, "manager")
    client.post(f"{detail_path}/action", data={"csrf_token": csrf, "action": "advance"})
    csrf = log_in(client, "call_centre")
    calls = client.get("/calls")
    assert calls.status_code == 200
    assert numbers[1] in calls.text and numbers[2] in calls.text and numbers[0] not in calls.text
    # The holder of numbers[2] calls in: the agent finds the task by the last digits.
    found = client.get("/calls", params={"number": numbers[2][-6:]})
    assert numbers[2] in found.text and numbers[1] not in found.text
    campaign_id = int(detail_path.rsplit("/", 1)[1])
    other = client.get("/calls", params={"campaign": campaign_id + 1})
    assert 'data-task="' not in other.text
    assert "CALL-SEARCH" in client.get("/calls", params={"number": "abc"}).text
    assert 'id="call-shown"' not in calls.text  # both tasks are on the page
    task = re.search(r'data-task="(\d+)"', calls.text)
    assert task
    recorded = client.post(
        f"/calls/{task.group(1)}/outcome",
        data={"csrf_token": csrf, "outcome": "reached_link_sent", "notes": "will upload tonight"},
        follow_redirects=False,
    )
    assert recorded.status_code == 303
    assert len(client.get("/calls").text.split('data-task="')) == 2  # one left

    csrf = log_in(client, "auditor")
    board = client.get(detail_path, headers={"Accept-Language": "en"})
    assert board.status_code == 200
    assert re.search(r'data-step="called">\s*<th[^>]*>[^<]*</th>\s*<td class="num">1<', board.text)
    assert "Start: choose" not in board.text  # read-only for the auditor


def test_a_dead_link_says_so_and_leaks_nothing(client: TestClient, app: Simreg) -> None:
    page = client.get("/r/12.99999999999.00000000000000000000000000000000")
    assert page.status_code == 404 and "LINK-INVALID" in page.text


def test_a_refused_upload_shows_the_reason_and_keeps_the_line_unverified(
    client: TestClient, app: Simreg, world: World
) -> None:
    msisdn, link = one_line_campaign(client, app)
    client.cookies.clear()
    refused = client.post(
        link,
        data={"document_number": "11010519491231002Y", "customer_name": "钱九"},
        files={"front": ("front.jpg", FRONT, "image/jpeg")},
    )
    assert refused.status_code == 422 and "DOC-" in refused.text
    assert line_states(app, [msisdn])[msisdn] == ("active", "legacy_unverified")
    # What the subscriber typed stays in the form; only the photos are chosen again.
    assert 'value="11010519491231002Y"' in refused.text


def test_a_rejected_subscriber_sees_why_on_the_link_and_can_send_again(
    client: TestClient, app: Simreg, world: World
) -> None:
    msisdn, link = one_line_campaign(client, app)
    photos = {
        "front": ("front.jpg", FRONT, "image/jpeg"),
        "back": ("back.jpg", BACK, "image/jpeg"),
        "portrait": ("me.jpg", PORTRAIT, "image/jpeg"),
    }
    number = world.resident_id()
    client.cookies.clear()
    client.post(link, data={"document_number": number, "customer_name": "钱九"}, files=photos)
    csrf = log_in(client, "reviewer")
    queue = client.get("/review")
    (registration_id,) = re.findall(r'/review/([0-9a-f]{32})/claim"', queue.text)[:1]
    client.post(f"/review/{registration_id}/claim", data={"csrf_token": csrf})
    rejected = client.post(
        f"/review/{registration_id}/reject",
        data={"csrf_token": csrf, "reasons": ["photo_unreadable"], "comment": "blurred"},
        follow_redirects=False,
    )
    assert rejected.status_code == 303
    told = client.get(rejected.headers["location"], headers={"Accept-Language": "en"})
    assert "The subscriber sees the reasons on their link" in told.text

    client.cookies.clear()
    again = client.get(link, headers={"Accept-Language": "zh-CN"})
    assert 'id="rejected"' in again.text and "证件照片不清晰" in again.text
    assert "blurred" not in again.text  # the reviewer's note is for staff, not the subscriber
    with app.engine.connect() as conn:
        told = conn.execute(
            select(t.sms_outbox).where(t.sms_outbox.c.dedupe_key == f"resubmit:{registration_id}")
        ).one()
    text = app.campaigns.personalise(told.campaign_id, told.target_id, told.body)
    assert told.msisdn == msisdn and "证件照片不清晰" in text and link in text
    assert 'id="reregister-form"' in again.text
    resent = client.post(
        link, data={"document_number": number, "customer_name": "钱九"}, files=photos
    )
    assert resent.status_code == 200
    assert 'id="rejected"' not in client.get(link).text  # now waiting for review again


def test_a_suspended_holder_is_told_the_service_comes_back_on_approval(
    client: TestClient, app: Simreg, world: World, clock: MovableClock
) -> None:
    (msisdn,) = legacy_lines(app, 1)
    (imported,) = legacy_lines(app, 1, state=LineState.SUSPENDED_ONE_WAY)
    csrf = log_in(client, "manager")
    created = client.post(
        "/campaigns",
        data={
            "csrf_token": csrf,
            "name": "with a deadline",
            "sms_template": "Go to {link} by {deadline}",
            "deadline": "2026-11-20",
            "line_states": ["active", "suspended_one_way"],
        },
        follow_redirects=False,
    )
    detail = created.headers["location"].split("?")[0]
    client.post(f"{detail}/action", data={"csrf_token": csrf, "action": "start"})
    mark_sms_sent(app)
    clock.advance(days=19)  # past the deadline: the campaign suspends its active line
    assert app.campaigns.advance()[0].suspended_one_way == 1
    suspended, other = personal_link(app, msisdn), personal_link(app, imported)
    client.cookies.clear()
    page = client.get(suspended, headers={"Accept-Language": "en"})
    assert "restored as soon as the review approves" in page.text
    assert "may be suspended" not in page.text and "2026-11-20" not in page.text
    # Suspended before any campaign: approval is not said to lift that.
    before = client.get(other, headers={"Accept-Language": "en"})
    assert "restored as soon" not in before.text and "may be suspended" not in before.text
    sent = client.post(
        suspended,
        data={"document_number": world.resident_id(), "customer_name": "钱九"},
        files={
            "front": ("front.jpg", FRONT, "image/jpeg"),
            "back": ("back.jpg", BACK, "image/jpeg"),
            "portrait": ("portrait.jpg", PORTRAIT, "image/jpeg"),
        },
        headers={"Accept-Language": "en"},
    )
    assert sent.status_code == 200
    assert "the service is restored as soon as they are approved" in sent.text
    assert "continues meanwhile" not in sent.text


def test_the_reviewer_sees_whether_the_name_matches_the_lines_record(
    client: TestClient, app: Simreg, world: World
) -> None:
    named, unnamed = legacy_lines(app, 2)
    # The record names 钱多 (as the legacy base or an RN-14 transfer does).
    with app.engine.begin() as conn:
        conn.execute(
            t.lines.update()
            .where(t.lines.c.msisdn == named)
            .values(
                holder_name_enc=app.vault.fields.encrypt_text("钱多", "line.holder_name"),
                holder_name_masked="钱*",
            )
        )
    other = world.submit("clerk_hall", msisdn=named, reregistration=True, customer_name="路人甲")
    same = world.submit("clerk_hall", msisdn=unnamed, reregistration=True, customer_name="钱多")
    csrf = log_in(client, "reviewer")
    for registration, mark in ((other.id, "✘"), (same.id, "•")):
        client.post(f"/review/{registration}/claim", data={"csrf_token": csrf})
        page = client.get(f"/review/{registration}").text
        checks = page.split('<ul class="checks">', 1)[1].split("</ul>", 1)[0]
        line = next(li for li in checks.split("<li") if "RN-13" in li)
        assert mark in line, line
    assert "号码登记的机主姓名：钱多" in client.get(f"/review/{other.id}").text
