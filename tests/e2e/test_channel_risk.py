"""Channel risk indicators and the ranking that drives extra inspections."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from simreg.core.clock import FixedClock
from simreg.registration.services import RejectRegistration
from tests.support.world import BACK, FRONT, THIS_QUARTER, World, jpeg

PORTRAIT = jpeg(200, 260, (120, 90, 60))


def test_ranking_names_the_risky_reseller_and_why(client: TestClient, world: World) -> None:
    service = world.simreg.registrations
    # 23:30 in Shanghai is 15:30 UTC: a night-time burst on the reseller's one device.
    service.clock = FixedClock(datetime(2026, 11, 20, 15, 30, tzinfo=UTC))
    shop = [
        world.submit("clerk_shop", photos={"front": FRONT, "back": BACK, "portrait": PORTRAIT})
        for _ in range(10)
    ]
    for registration in shop[:4]:
        service.reject(
            world.actors["reviewer"], registration.id, RejectRegistration(("portrait_mismatch",))
        )
    service.clock = FixedClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))  # 11:00 local
    hall = world.submit("clerk_hall")
    service.approve(world.actors["reviewer"], hall.id)
    world.simreg.clock = FixedClock(datetime(2026, 11, 28, 3, 0, tzinfo=UTC))

    ranking = client.get("/api/v1/figures/channel-risk", headers=world.headers("risk")).json()[
        "items"
    ]

    assert ranking[0]["code"] == "SOC"
    top = {r["indicator"]: r["value"] for r in ranking[0]["reasons"]}
    assert top["rejection_rate"] == 1.0  # 4 rejected of 4 decided
    assert top["night_share"] == 1.0
    assert top["peak_per_device_hour"] == 10
    assert top["reused_portraits"] == 1  # one face on ten different documents
    assert all(r["alert"] for r in ranking[0]["reasons"])
    own = next(r for r in ranking if r["code"] == "OWN")
    assert own["score"] < ranking[0]["score"]
    # A score never comes without what makes it up; below an alert level it is not flagged.
    for channel in ranking:
        assert (channel["score"] > 0) == bool(channel["reasons"]), channel
    assert not any(r["alert"] for r in own["reasons"])


def test_extra_inspections_are_drawn_by_risk(client: TestClient, world: World) -> None:
    planned = client.post(
        "/api/v1/inspections/plan",
        json={"period": THIS_QUARTER, "extra_draws": 1},
        headers=world.headers("manager"),
    ).json()
    reasons = sorted(i["reason"] for i in planned["inspections"])
    assert reasons == ["quarterly", "quarterly", "risk"]
