"""The campaign API as an integrator uses it: JSON in and out, errors with codes, roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from simreg.bootstrap import Simreg
from simreg.core.clock import FixedClock
from simreg.db import tables as t
from simreg.web.app import create_app
from tests.support.campaign_base import (
    legacy_lines,
    line_states,
    line_with_a_call_due,
    org_units,
)
from tests.support.world import BACK, FRONT, PASSWORD, World, jpeg


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    org_units(world.simreg)
    with TestClient(create_app(world.simreg), raise_server_exceptions=False) as http:
        yield http


def link_of(app: Simreg, msisdn: str) -> str:
    with app.engine.connect() as conn:
        row = conn.execute(select(t.sms_outbox).where(t.sms_outbox.c.msisdn == msisdn)).first()
    assert row is not None
    text = app.campaigns.personalise(row.campaign_id, row.target_id, row.body)
    return text.split("/r/", 1)[1].split()[0]


def test_campaign_lifecycle_over_the_api(client: TestClient, world: World) -> None:
    app = world.simreg
    numbers = legacy_lines(app, 4)
    legacy_lines(app, 2, channel="SOC")
    manager = world.headers("manager")
    with app.engine.connect() as conn:
        county_a = conn.execute(
            select(t.org_units.c.id).where(t.org_units.c.code == "A1")
        ).scalar_one()

    preview = client.post(
        "/api/v1/campaigns/preview", json={"org_unit_id": county_a}, headers=manager
    )
    assert preview.json() == {"targets": 4}
    # The preview's flat filters sent to create are refused, not dropped: a campaign meant
    # for one county must not reach the whole base.
    flat = {"name": "County A", "org_unit_id": county_a}
    misplaced = client.post("/api/v1/campaigns", json=flat, headers=manager)
    assert misplaced.status_code == 422
    assert misplaced.json()["details"]["fields"] == [
        {"field": "body.org_unit_id", "error": "extra_forbidden"}
    ]
    assert client.get("/api/v1/campaigns", headers=manager).json()["items"] == []
    body = {
        "name": "API campaign",
        "filters": {"org_unit_id": county_a, "line_kind": "voice"},
        "deadline": (date.today() + timedelta(days=45)).isoformat(),
    }
    created = client.post("/api/v1/campaigns", json=body, headers=manager)
    assert created.status_code == 201
    campaign_id = created.json()["id"]
    started = client.post(f"/api/v1/campaigns/{campaign_id}/start", headers=manager)
    assert started.json() == {"targets": 4, "messages": 4}

    token = link_of(app, numbers[0])
    about = client.get(f"/api/v1/reregister/{token}")
    assert about.status_code == 200
    assert about.json()["msisdn"] == f"{numbers[0][:3]}****{numbers[0][-4:]}"
    sent = client.post(
        f"/api/v1/reregister/{token}",
        data={"document_number": world.resident_id(), "customer_name": "吴十"},
        files={
            "front": ("f.jpg", FRONT, "image/jpeg"),
            "back": ("b.jpg", BACK, "image/jpeg"),
            "portrait": ("p.jpg", jpeg(colour=(150, 120, 110)), "image/jpeg"),
        },
    )
    assert sent.status_code == 201 and sent.json()["state"] == "pending_review"
    assert line_states(app, [numbers[0]])[numbers[0]][1] == "reverification_pending"

    # A week on (moved back in the data: the test server's clock is the real one).
    with app.engine.begin() as conn:
        conn.execute(
            update(t.campaign_targets).values(
                sms_queued_at=app.clock.now() - timedelta(days=8),
                sms_sent_at=app.clock.now() - timedelta(days=8),
            )
        )
    advanced = client.post("/api/v1/campaigns/advance", headers=manager)
    assert advanced.json()["campaigns"][0]["call_tasks"] == 3

    agent = world.headers("call_centre")
    work = client.get("/api/v1/call-tasks", headers=agent).json()
    assert work["due"] == 3 and numbers[0] not in {i["msisdn"] for i in work["items"]}
    task = work["items"][0]["id"]
    # A holder who calls in about the SMS: the agent finds the task by number.
    wanted = work["items"][-1]
    found = client.get(
        "/api/v1/call-tasks", params={"number": wanted["msisdn"][-8:]}, headers=agent
    ).json()
    assert [i["id"] for i in found["items"]] == [wanted["id"]]
    other = client.get("/api/v1/call-tasks", params={"campaign_id": 999}, headers=agent)
    assert other.json()["items"] == []
    naive = client.post(
        f"/api/v1/call-tasks/{task}/outcome",
        json={"outcome": "callback", "callback_at": "2030-01-01T10:00:00"},
        headers=agent,
    )
    assert naive.status_code == 422 and naive.json()["code"] == "INVALID_INPUT"
    assert client.post(f"/api/v1/call-tasks/{task}/claim", headers=agent).status_code == 200
    taken = client.post(
        f"/api/v1/call-tasks/{task}/outcome",
        json={"outcome": "no_answer"},
        headers=world.headers("admin"),
    )
    assert taken.status_code == 409 and taken.json()["code"] == "CALL-TASK-TAKEN"
    done = client.post(
        f"/api/v1/call-tasks/{task}/outcome",
        json={"outcome": "reached_link_sent", "notes": "sent again"},
        headers=agent,
    )
    assert done.json()["done"] is True and done.json()["link_sent"] is True
    history = client.get(f"/api/v1/call-tasks/{task}/history", headers=agent).json()["items"]
    assert [h["outcome"] for h in history] == ["reached_link_sent"]

    detail = client.get(f"/api/v1/campaigns/{campaign_id}", headers=world.headers("auditor"))
    funnel = detail.json()["funnel"]
    assert (funnel["targeted"], funnel["called"]) == (4, 1)
    assert detail.json()["pending_review"] == 1
    units = {u["code"]: u["targeted"] for u in detail.json()["by_org_unit"]}
    assert units == {"P1": 4, "C1": 4, "A1": 4}
    listed = client.get("/api/v1/campaigns", headers=world.headers("risk")).json()
    assert listed["items"][0]["targeted"] == 4 and listed["real_name"]["lines"] == 6

    # Approval through the API finishes a re-registration: no separate "activate" for a line
    # already in service.
    reviewer = world.headers("reviewer")
    registration_id = sent.json()["registration_id"]
    approved = client.post(f"/api/v1/registrations/{registration_id}/approve", headers=reviewer)
    assert approved.status_code == 200 and approved.json()["state"] == "active"
    assert line_states(app, [numbers[0]])[numbers[0]] == ("active", "verified")
    detail = client.get(f"/api/v1/campaigns/{campaign_id}", headers=world.headers("auditor"))
    assert detail.json()["funnel"]["re_registered_after_sms"] == 1
    assert detail.json()["pending_review"] == 0

    closed = client.post(f"/api/v1/campaigns/{campaign_id}/close", headers=manager)
    assert closed.json() == {"status": "closed"}
    assert client.get("/api/v1/call-tasks", headers=agent).json()["due"] == 0


def test_campaign_errors_and_roles(client: TestClient, world: World) -> None:
    legacy_lines(world.simreg, 1)
    manager = world.headers("manager")
    bad = client.post(
        "/api/v1/campaigns",
        json={"name": "x", "sms_template": "no link here"},
        headers=manager,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "CAMPAIGN-TEMPLATE"
    for who in ("clerk_hall", "reviewer", "call_centre", "auditor"):
        refused = client.post("/api/v1/campaigns", json={"name": "x"}, headers=world.headers(who))
        assert refused.status_code == 403, who
    assert client.get("/api/v1/call-tasks", headers=world.headers("manager")).status_code == 403
    assert client.get("/api/v1/campaigns", headers=world.headers("clerk_hall")).status_code == 403
    assert client.get("/api/v1/campaigns").status_code == 401
    missing = client.get("/api/v1/campaigns/999", headers=manager)
    assert missing.status_code == 404 and missing.json()["code"] == "CAMPAIGN-NOT-FOUND"
    dead = client.get("/api/v1/reregister/1.2.abc")
    assert dead.status_code == 404 and dead.json()["code"] == "LINK-INVALID"


def test_one_link_cannot_be_used_to_try_id_numbers(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One throttle window for the whole test: on the real clock a window could end mid-way.
    throttle = world.simreg.shop.throttle
    monkeypatch.setattr(throttle, "clock", FixedClock(throttle.clock.now()))
    (number,) = legacy_lines(world.simreg, 1)
    manager = world.headers("manager")
    deadline = (date.today() + timedelta(days=45)).isoformat()
    body = {"name": "Probe", "deadline": deadline}
    created = client.post("/api/v1/campaigns", json=body, headers=manager)
    client.post(f"/api/v1/campaigns/{created.json()['id']}/start", headers=manager)
    token = link_of(world.simreg, number)
    photos = {
        "front": ("f.jpg", FRONT, "image/jpeg"),
        "back": ("b.jpg", BACK, "image/jpeg"),
        "portrait": ("p.jpg", jpeg(colour=(150, 120, 110)), "image/jpeg"),
    }
    limit = world.simreg.settings.public_rate_per_document
    answers = []
    for _ in range(limit + 1):
        sent = client.post(
            f"/api/v1/reregister/{token}",
            data={"document_number": "110105194912310021", "customer_name": "吴十"},
            files=photos,
        )
        answers.append(sent.status_code)
    # Each try is answered (a wrong check digit) until the link's allowance is spent.
    assert answers == [422] * limit + [429]
    page = client.post(f"/r/{token}", data={"document_number": "x", "customer_name": "y"})
    assert page.status_code == 429 and "稍后再试" in page.text
    assert client.get(f"/r/{token}").status_code == 200  # the page still opens


def test_an_agent_is_told_when_a_link_resent_at_night_goes_out(world: World) -> None:
    app = world.simreg
    _, task_id = line_with_a_call_due(app, world.actors["manager"], "Night")
    # Quiet hours around the present moment: the link waits for their end.
    local = datetime.now(ZoneInfo(app.settings.timezone))
    quiet = f"{(local - timedelta(hours=1)):%H:%M}-{(local + timedelta(hours=1)):%H:%M}"
    night = replace(app, settings=app.settings.model_copy(update={"sms_quiet_hours": quiet}))
    with TestClient(create_app(night)) as http:
        http.post("/login", data={"username": "call_centre", "password": PASSWORD})
        page = http.get("/calls", headers={"Accept-Language": "en"})
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        done = http.post(
            f"/calls/{task_id}/outcome",
            data={"csrf_token": csrf.group(1), "outcome": "reached_link_sent"},
            headers={"Accept-Language": "en"},
        )
    end = f"{(local + timedelta(hours=1)):%H:%M}"
    assert f"The link goes out at {end}, when the quiet hours for SMS end." in done.text
