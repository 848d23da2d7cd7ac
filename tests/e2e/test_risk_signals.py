"""The risk analyst's signals page and API: what the call centre, the review and the hand-over
desk saw that may be a black card, each with its number, time, who and where."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from simreg.campaigns.domain import DEFAULT_TEMPLATE_ZH, CampaignPlan, parse_filters
from simreg.core.errors import RuleViolated
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.online.handover import PresentedId
from simreg.registration.services import RejectRegistration
from simreg.web.app import create_app
from tests.support.campaign_base import legacy_lines
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
        (legacy,) = legacy_lines(app, 1)
        manager = world.actors["manager"]
        campaign = app.campaigns.create(
            manager,
            CampaignPlan(
                name="Q4",
                filters=parse_filters(),
                sms_template=DEFAULT_TEMPLATE_ZH,
                call_after_days=7,
                deadline=app.clock.now().date() + timedelta(days=60),
            ),
        )
        app.campaigns.start(manager, campaign)
        with app.engine.begin() as conn:
            sent = app.clock.now() - timedelta(days=8)
            conn.execute(update(t.campaign_targets).values(sms_sent_at=sent))
        app.campaigns.advance()
        with app.engine.connect() as conn:
            task = conn.execute(t.call_tasks.select()).one()
        app.calls.record(world.actors["call_centre"], task.id, outcome="not_holder")
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
