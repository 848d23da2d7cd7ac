"""Mystery-shopper inspections (RN-15): a quarter's plan, results, escalating penalties."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from simreg.channels.compliance import Penalty, PenaltyScale
from simreg.core.errors import ConfigurationError
from simreg.registration.services import RejectRegistration
from tests.e2e.test_api import submit
from tests.support.world import FRONT, THIS_QUARTER, World


def post(
    client: TestClient, world: World, path: str, body: dict[str, Any], who: str = "manager"
) -> Any:
    return client.post(path, json=body, headers=world.headers(who))


def test_quarter_plan_covers_every_active_social_channel_once(
    client: TestClient, world: World
) -> None:
    first = post(client, world, "/api/v1/inspections/plan", {"period": THIS_QUARTER})
    assert first.status_code == 201
    codes = sorted(i["code"] for i in first.json()["inspections"])
    assert codes == ["SOC", "SUB"]  # active social channels; terminated and own are not drawn
    again = post(client, world, "/api/v1/inspections/plan", {"period": THIS_QUARTER.lower()})
    assert again.json()["planned"] == 0


def test_repeat_violations_escalate_to_suspension(client: TestClient, world: World) -> None:
    post(client, world, "/api/v1/inspections/plan", {"period": THIS_QUARTER})
    board = client.get(
        "/api/v1/inspections", params={"period": THIS_QUARTER}, headers=world.headers("manager")
    ).json()["items"]
    soc = next(i for i in board if i["code"] == "SOC")

    result = post(
        client,
        world,
        f"/api/v1/inspections/{soc['id']}/result",
        {"failed": ["RN-02", "RN-03"], "notes": "copy accepted, no photo"},
    )
    assert result.status_code == 200
    assert result.json()["penalties"] == ["warning", "fine"]
    assert submit(client, world, who="clerk_shop", device="shop").status_code == 201

    third = post(
        client,
        world,
        "/api/v1/channels/SOC/violations",
        {"rule": "RN-09", "notes": "paper forms at the counter"},
    )
    assert third.json()["penalty"] == "suspension"
    refused = submit(client, world, who="clerk_shop", device="shop")
    assert refused.status_code == 422 and refused.json()["code"] == "RN-08"
    twice = post(client, world, f"/api/v1/inspections/{soc['id']}/result", {"failed": []})
    assert twice.status_code == 409


def test_a_sub_agent_found_is_punished_heavily_from_the_first_time(
    client: TestClient, world: World
) -> None:
    penalty = post(
        client,
        world,
        "/api/v1/channels/SOC/violations",
        {"rule": "RN-08", "notes": "stall selling our cards"},
    ).json()["penalty"]
    assert penalty == "suspension"
    listed = client.get("/api/v1/violations", headers=world.headers("auditor")).json()["items"]
    assert listed[0]["rule"] == "RN-08" and listed[0]["penalty"] == "suspension"
    assert (listed[0]["points"], listed[0]["fine_yuan"]) == (6, 5000)
    assert datetime.fromisoformat(listed[0]["at"]).utcoffset() == timedelta(0)  # zone given


def test_inspection_input_is_checked(client: TestClient, world: World) -> None:
    assert post(client, world, "/api/v1/inspections/plan", {"period": "2026Q5"}).status_code == 422
    # A quarter that is over cannot be visited any more: nothing is planned for it.
    past = post(client, world, "/api/v1/inspections/plan", {"period": "2025Q4"})
    assert past.status_code == 422 and past.json()["code"] == "PERIOD-PAST"
    listed = client.get(
        "/api/v1/inspections", params={"period": "2025Q4"}, headers=world.headers("manager")
    )
    assert listed.json()["items"] == []
    assert (
        post(client, world, "/api/v1/inspections/999/result", {"failed": ["RN-02"]}).status_code
        == 404
    )
    assert (
        post(client, world, "/api/v1/channels/SOC/violations", {"rule": "RN-99"}).status_code == 422
    )
    assert (
        post(
            client, world, "/api/v1/inspections/plan", {"period": THIS_QUARTER}, who="clerk_hall"
        ).status_code
        == 403
    )


def test_inspections_are_assigned_to_inspectors(client: TestClient, world: World) -> None:
    post(client, world, "/api/v1/inspections/plan", {"period": THIS_QUARTER})
    board = client.get(
        "/api/v1/inspections", params={"period": THIS_QUARTER}, headers=world.headers("manager")
    ).json()["items"]
    first = board[0]["id"]
    assert (
        post(client, world, f"/api/v1/inspections/{first}/assign", {"username": "risk"}).status_code
        == 200
    )
    clerk = post(client, world, f"/api/v1/inspections/{first}/assign", {"username": "clerk_hall"})
    assert clerk.status_code == 422 and clerk.json()["code"] == "INSPECTOR-UNKNOWN"


def test_penalty_scale_is_configurable() -> None:
    strict = PenaltyScale.from_json(
        '{"ladder": ["suspension", "termination"], "start": {"RN-09": 1}}'
    )
    assert strict.penalty_for("RN-02", 0) is Penalty.SUSPENSION
    assert strict.penalty_for("RN-09", 0) is Penalty.TERMINATION
    assert PenaltyScale.from_json("").penalty_for("RN-08", 0) is Penalty.SUSPENSION
    with pytest.raises(ConfigurationError):
        PenaltyScale.from_json('{"ladder": ["flogging"]}')


def test_rejection_patterns_become_violations_once(client: TestClient, world: World) -> None:
    service = world.simreg.registrations
    regs = [world.submit("clerk_shop") for _ in range(10)]
    for registration in regs[:4]:
        service.reject(
            world.actors["reviewer"], registration.id, RejectRegistration(("not_original",))
        )
    for registration in regs[4:]:
        service.approve(world.actors["reviewer"], registration.id)
    for _ in range(10):  # the own hall: all approved, never flagged
        service.approve(world.actors["reviewer"], world.submit("clerk_hall").id)

    first = post(client, world, "/api/v1/violations/scan-rejections", {})
    assert first.json()["flagged"] == [{"channel": "SOC", "penalty": "warning"}]
    violations = client.get("/api/v1/violations", headers=world.headers("manager")).json()
    assert violations["items"][0]["rule"] == "RN-02"
    assert "rejected 4 of 10" in violations["items"][0]["notes"]
    again = post(client, world, "/api/v1/violations/scan-rejections", {})
    assert again.json()["flagged"] == []


def test_evidence_photos_are_kept_encrypted_with_the_inspection(
    client: TestClient, world: World
) -> None:
    post(client, world, "/api/v1/inspections/plan", {"period": THIS_QUARTER})
    board = client.get(
        "/api/v1/inspections", params={"period": THIS_QUARTER}, headers=world.headers("manager")
    ).json()["items"]
    inspection = board[0]["id"]
    headers = world.headers("manager")
    added = client.post(
        f"/api/v1/inspections/{inspection}/evidence",
        headers=headers,
        files={"photo": ("shop.jpg", FRONT, "image/jpeg")},
    )
    assert added.status_code == 201
    bad = client.post(
        f"/api/v1/inspections/{inspection}/evidence",
        headers=headers,
        files={"photo": ("x.jpg", b"not a picture", "image/jpeg")},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "PHOTO-NOT-IMAGE"
    (item,) = client.get(f"/api/v1/inspections/{inspection}/evidence", headers=headers).json()[
        "items"
    ]
    photo = client.get(
        f"/api/v1/inspections/{inspection}/evidence/{item['id']}", headers=world.headers("auditor")
    )
    assert photo.status_code == 200 and photo.content == FRONT
    files = [p for p in world.simreg.settings.photo_dir.rglob("*") if p.is_file()]
    assert files and all(FRONT[:64] not in p.read_bytes() for p in files)
