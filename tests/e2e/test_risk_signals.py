"""The risk analyst's signals page and API: what the call centre, the review and the hand-over
desk saw that may be a black card, each with its number, time, who and where."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from simreg.core.errors import RuleViolated
from simreg.core.settings import Settings
from simreg.online.handover import PresentedId
from simreg.registration.services import RejectRegistration
from simreg.web.app import create_app
from tests.support.campaign_base import line_with_a_call_due
from tests.support.shop import shop_world
from tests.support.world import PASSWORD


def test_signals_from_calls_reviews_and_hand_overs_reach_the_risk_analyst(
    settings: Settings,
) -> None:
    with shop_world(settings) as shop:
        app, world = shop.simreg, shop.world
        # The review rejects a counter registration as suspected fraud.
        fraud_number = world.number()
        fraud = world.submit("clerk_hall", msisdn=fraud_number)
        app.registrations.reject(
            world.actors["reviewer"], fraud.id, RejectRegistration(("suspected_fraud",))
        )
        ordinary = world.submit("clerk_hall")
        app.registrations.reject(
            world.actors["reviewer"], ordinary.id, RejectRegistration(("photo_unreadable",))
        )
        # The call centre reaches someone who does not hold a legacy line.
        legacy, task_id = line_with_a_call_due(app, world.actors["manager"], "Q4")
        app.calls.record(world.actors["call_centre"], task_id, outcome="not_holder")
        # Another ID card is shown for an online order at the hall.
        reservation = shop.order_in_review()
        order = app.shop.order(reservation.secret)
        shop.approve(order)
        with pytest.raises(RuleViolated):  # refused, and kept as a record
            app.handovers.hand_over(
                world.actors["clerk_hall"],
                PresentedId(order.order_no, "resident_id", shop.person().document_number, "visual"),
            )

        with TestClient(create_app(app)) as http:
            found = http.get("/api/v1/risk/signals", headers=world.headers("risk")).json()
            kinds = {(s["kind"], s["msisdn"]) for s in found["items"]}
            assert kinds == {
                ("suspected_fraud", fraud_number),
                ("not_holder", legacy),
                ("handover_mismatch", order.msisdn),
            }
            by_kind = {s["kind"]: s for s in found["items"]}
            assert by_kind["not_holder"]["seen_by"] == "call_centre"
            assert by_kind["not_holder"]["where"] == "Q4"
            assert by_kind["suspected_fraud"]["seen_by"] == "reviewer"
            refused = http.get("/api/v1/risk/signals", headers=world.headers("call_centre"))
            assert refused.status_code == 403

            # The analyst lands on the page after logging in.
            logged = http.post("/login", data={"username": "risk", "password": PASSWORD})
            assert logged.url.path == "/risk"
            rows = logged.text.split('id="signals"', 1)[1]
            assert f'data-msisdn="{legacy}"' in rows and "接听人非号码使用人" in rows
            assert f'href="/audit?msisdn={fraud_number}"' in rows
