"""Channel governance through the API: lifecycle, termination, devices, deployment rate."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from simreg.db import tables as t
from tests.e2e.test_api import submit
from tests.support.world import World

TERMINATION = {
    "reason": "sold cards without ID checks",
    "responsible_unit": "Tianhe branch",
    "responsible_manager": "Zhou Jun",
}


def post(
    client: TestClient, world: World, path: str, body: dict[str, Any], who: str = "manager"
) -> Any:
    return client.post(path, json=body, headers=world.headers(who))


def test_terminating_a_reseller_stops_its_clerks_and_devices(
    client: TestClient, world: World
) -> None:
    assert submit(client, world, who="clerk_shop", device="shop").status_code == 201

    ended = post(client, world, "/api/v1/channels/SOC/terminate", TERMINATION)
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "terminated"

    # The device token no longer authenticates, and without it the clerk is refused too.
    with_device = submit(client, world, who="clerk_shop", device="shop")
    assert with_device.status_code == 401
    assert with_device.json()["code"] == "DEVICE-UNAUTHENTICATED"
    without = submit(client, world, who="clerk_shop")
    assert without.status_code == 422
    codes = [v["code"] for v in without.json()["details"]["violations"]]
    assert "RN-08" in codes
    listed = {
        c["code"]: c
        for c in client.get("/api/v1/channels", headers=world.headers("manager")).json()["items"]
    }
    assert listed["SOC"]["outlets"] == 0 and listed["SOC"]["devices"] == 0
    again = post(client, world, "/api/v1/channels/SOC/reinstate", {"reason": "appeal"})
    assert again.status_code == 409  # termination is final


def test_termination_records_who_is_accountable(client: TestClient, world: World) -> None:
    missing = post(
        client,
        world,
        "/api/v1/channels/SOC/terminate",
        {"reason": "x", "responsible_unit": " ", "responsible_manager": "Zhou"},
    )
    assert missing.status_code == 422
    assert missing.json()["code"] == "TERMINATION-ACCOUNTABILITY"
    assert post(client, world, "/api/v1/channels/SOC/terminate", TERMINATION).status_code == 200
    with world.simreg.engine.connect() as conn:
        event = conn.execute(
            select(t.channel_events).where(t.channel_events.c.to_status == "terminated")
        ).one()
    assert event.actor_staff_id == world.actors["manager"].staff_id
    assert event.reason == "sold cards without ID checks"
    assert event.details["responsible_unit"] == "Tianhe branch"
    assert event.details["responsible_manager"] == "Zhou Jun"
    assert event.details["outlets_closed"] == 2 and event.details["devices_revoked"] == 2


def test_a_new_reseller_sells_only_after_admission_and_activation(
    client: TestClient, world: World
) -> None:
    created = post(
        client, world, "/api/v1/channels", {"code": "NEW", "name": "New reseller", "kind": "social"}
    )
    assert created.status_code == 201
    early = post(client, world, "/api/v1/channels/NEW/activate", {"reason": "go"})
    assert early.status_code == 409
    bad = post(
        client,
        world,
        "/api/v1/channels/NEW/admit",
        {
            "reason": "ok",
            "agreement_no": "A-1",
            "signed_on": "2026-01-01",
            "valid_until": "2025-01-01",
            "manager_name": "Li",
        },
    )
    assert bad.status_code == 422
    admitted = post(
        client,
        world,
        "/api/v1/channels/NEW/admit",
        {
            "reason": "vetted",
            "agreement_no": "RN-2026-001",
            "signed_on": "2026-01-01",
            "valid_until": "2027-12-31",
            "manager_name": "Li Ming",
        },
    )
    assert admitted.json()["status"] == "admitted"
    assert (
        post(client, world, "/api/v1/channels/NEW/activate", {"reason": "trained"}).json()["status"]
        == "active"
    )


def test_suspension_refuses_registrations_until_reinstated(
    client: TestClient, world: World
) -> None:
    assert (
        post(
            client, world, "/api/v1/channels/SOC/suspend", {"reason": "inspection found copies"}
        ).status_code
        == 200
    )
    refused = submit(client, world, who="clerk_shop", device="shop")
    assert refused.status_code == 422 and refused.json()["code"] == "RN-08"
    post(client, world, "/api/v1/channels/SOC/reinstate", {"reason": "fixed"})
    assert submit(client, world, who="clerk_shop", device="shop").status_code == 201


def test_sub_agents_cannot_be_registered(client: TestClient, world: World) -> None:
    response = post(
        client,
        world,
        "/api/v1/channels",
        {"code": "SUB2", "name": "Stall", "kind": "social", "parent": "SOC"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "RN-08"


def test_device_enrolment_and_revocation(client: TestClient, world: World) -> None:
    enrolled = post(client, world, "/api/v1/devices", {"outlet": "SHOP2", "serial": "PAD-9"})
    assert enrolled.status_code == 201
    token = enrolled.json()["device_token"]
    headers = {**world.headers("clerk_shop2"), "X-Device-Token": token}
    ok = client.post(
        "/api/v1/registrations",
        headers=headers,
        data={
            "msisdn": world.number(),
            "document_type": "resident_id",
            "document_number": world.resident_id(),
            "customer_name": "张三",
            "original_inspected": "true",
            "inspection_method": "visual",
        },
        files={"photo_front": ("f.jpg", b"", "image/jpeg")},
    )
    assert ok.status_code in (201, 422)  # photo checks aside, the device authenticated
    assert ok.status_code != 401
    assert (
        post(client, world, "/api/v1/devices/PAD-9/revoke", {"reason": "phone lost"}).status_code
        == 200
    )
    after = client.get("/api/v1/registrations", headers=headers)
    assert after.status_code == 401


def test_deployment_rate_and_app_share(client: TestClient, world: World) -> None:
    submit(client, world, who="clerk_shop", device="shop")
    figures = client.get("/api/v1/figures/deployment", headers=world.headers("manager")).json()
    # Active social channels: SOC (devices) and SUB (a legacy sub-agent with a device).
    assert figures["active_social_channels"] == 2
    assert figures["deployment_rate"] == 1.0
    assert figures["via_app"] == figures["social_registrations"] == 1
    post(client, world, "/api/v1/devices/DEV-3/revoke", {"reason": "sub-agent"})
    after = client.get("/api/v1/figures/deployment", headers=world.headers("manager")).json()
    assert after["deployment_rate"] == 0.5


def test_only_channel_managers_and_admins_govern(client: TestClient, world: World) -> None:
    for who in ("clerk_shop", "reviewer", "auditor"):
        response = post(client, world, "/api/v1/channels/SOC/suspend", {"reason": "x"}, who=who)
        assert response.status_code == 403
    assert (
        client.get("/api/v1/figures/deployment", headers=world.headers("clerk_hall")).status_code
        == 403
    )


def test_csv_import_reports_every_rejected_line(client: TestClient, world: World) -> None:
    csv_text = (
        "record,code,name,kind,org_unit,parent,channel\n"
        "channel,R-1,Reseller one,social,,,\n"
        "outlet,R-1-A,Shop A,,,,R-1\n"
        "channel,R-2,Stall,social,,SOC,\n"
        "channel,R-3,Odd,kiosk,,,\n"
        "channel,SOC,Duplicate of existing,social,,,\n"
        "outlet,R-9-A,Orphan,,,,R-9\n"
        "channel,R-1,Twice,own,,,\n"
        "outlet,,No code,,,,R-1\n"
    )
    response = client.post(
        "/api/v1/channels/import",
        headers=world.headers("manager"),
        files={"file": ("channels.csv", csv_text.encode("utf-8-sig"), "text/csv")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["imported"] == 2
    assert [(r["line"], r["code"]) for r in body["rejected"]] == [
        (4, "RN-08"),
        (5, "IMPORT-KIND"),
        (6, "CHANNEL-EXISTS"),
        (7, "CHANNEL-UNKNOWN"),
        (8, "IMPORT-DUPLICATE"),
        (9, "IMPORT-FIELDS"),
    ]
    listed = {
        c["code"]: c
        for c in client.get("/api/v1/channels", headers=world.headers("manager")).json()["items"]
    }
    assert listed["R-1"]["status"] == "applied" and listed["R-1"]["outlets"] == 1


def test_org_units_form_a_province_city_county_tree(client: TestClient, world: World) -> None:
    def add(body: dict[str, str]) -> Any:
        return post(client, world, "/api/v1/org-units", body)

    assert add({"code": "GD", "name": "广东省", "level": "province"}).status_code == 201
    assert add({"code": "GZ", "name": "广州市", "level": "city", "parent": "GD"}).status_code == 201
    orphan = add({"code": "TH", "name": "天河区", "level": "county", "parent": "GD"})
    assert orphan.status_code == 422 and orphan.json()["code"] == "ORG-PARENT"
    assert (
        add({"code": "TH", "name": "天河区", "level": "county", "parent": "GZ"}).status_code == 201
    )
    created = post(
        client,
        world,
        "/api/v1/channels",
        {"code": "TH-R", "name": "Tianhe reseller", "kind": "social", "org_unit": "TH"},
    )
    assert created.status_code == 201
    listed = client.get("/api/v1/org-units", headers=world.headers("auditor")).json()["items"]
    assert {(u["code"], u["level"], u["parent"]) for u in listed} >= {
        ("GD", "province", None),
        ("GZ", "city", "GD"),
        ("TH", "county", "GZ"),
    }


def test_deployment_rolls_up_from_county_to_province(client: TestClient, world: World) -> None:
    for body in (
        {"code": "GD", "name": "广东省", "level": "province"},
        {"code": "GZ", "name": "广州市", "level": "city", "parent": "GD"},
        {"code": "TH", "name": "天河区", "level": "county", "parent": "GZ"},
        {"code": "YX", "name": "越秀区", "level": "county", "parent": "GZ"},
    ):
        assert post(client, world, "/api/v1/org-units", body).status_code == 201
    for code, unit in (("A1", "TH"), ("A2", "YX")):
        post(
            client,
            world,
            "/api/v1/channels",
            {"code": code, "name": code, "kind": "social", "org_unit": unit},
        )
        post(
            client,
            world,
            f"/api/v1/channels/{code}/admit",
            {
                "reason": "ok",
                "agreement_no": f"AG-{code}",
                "signed_on": "2026-01-01",
                "valid_until": "2027-01-01",
                "manager_name": "M",
            },
        )
        post(client, world, f"/api/v1/channels/{code}/activate", {"reason": "ok"})
    client.post(
        "/api/v1/channels/import",
        headers=world.headers("manager"),
        files={"file": ("o.csv", b"record,code,name,channel\noutlet,A1-O,Shop,A1\n", "text/csv")},
    )
    post(client, world, "/api/v1/devices", {"outlet": "A1-O", "serial": "PAD-A1"})

    units = {
        u["code"]: u
        for u in client.get("/api/v1/figures/deployment", headers=world.headers("manager")).json()[
            "per_org_unit"
        ]
    }
    assert (units["TH"]["deployed"], units["TH"]["active_social_channels"]) == (1, 1)
    assert (units["YX"]["deployed"], units["YX"]["active_social_channels"]) == (0, 1)
    assert units["GZ"]["deployment_rate"] == units["GD"]["deployment_rate"] == 0.5
    assert [u["level"] for u in units.values()][:2] == ["province", "city"]


def test_devices_go_only_to_open_outlets_of_admitted_channels(
    client: TestClient, world: World
) -> None:
    """RN-08/RN-09: an app device is a licence to register customers. A serial typed twice is
    refused in words, not with a server error; nothing changes on any refusal."""

    def devices() -> int:
        with world.simreg.engine.connect() as conn:
            return len(conn.execute(select(t.devices.c.id)).all())

    before = devices()
    refusals = {
        "SUB": (422, "RN-08"),  # a sub-agent's outlet: it must not sell at all
        "ENDED": (409, "CHANNEL-STATE"),  # a terminated reseller's
        "CLOSED": (409, "OUTLET-CLOSED"),  # an own hall's outlet that closed
    }
    for outlet, (status, code) in refusals.items():
        refused = post(
            client, world, "/api/v1/devices", {"outlet": outlet, "serial": f"P-{outlet}"}
        )
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
    created = post(
        client, world, "/api/v1/channels", {"code": "APP1", "name": "Applicant", "kind": "social"}
    )
    assert created.status_code == 201
    with world.simreg.engine.begin() as conn:
        channel_id = conn.execute(
            select(t.channels.c.id).where(t.channels.c.code == "APP1")
        ).scalar_one()
        conn.execute(
            t.outlets.insert().values(
                channel_id=channel_id,
                code="APP1-O",
                name="Applicant's shop",
                active=True,
                created_at=world.simreg.clock.now(),
            )
        )
    applicant = post(client, world, "/api/v1/devices", {"outlet": "APP1-O", "serial": "P-APP"})
    assert (applicant.status_code, applicant.json()["code"]) == (409, "CHANNEL-STATE")
    assert devices() == before

    first = post(client, world, "/api/v1/devices", {"outlet": "SHOP2", "serial": "PAD-7"})
    assert first.status_code == 201
    twice = post(client, world, "/api/v1/devices", {"outlet": "SHOP", "serial": "PAD-7"})
    assert twice.status_code == 409 and twice.json()["code"] == "DEVICE-EXISTS"
    assert "序列号 PAD-7" in twice.json()["message_zh"]
    post(client, world, "/api/v1/devices/PAD-7/revoke", {"reason": "phone lost"})
    revived = post(client, world, "/api/v1/devices", {"outlet": "SHOP2", "serial": "PAD-7"})
    assert revived.status_code == 409 and revived.json()["code"] == "DEVICE-EXISTS"
    assert devices() == before + 1


def import_refusals(client: TestClient, world: World, rows: str) -> list[dict[str, Any]]:
    """The rows refused when a manager imports ``rows`` under the import's header."""
    csv_text = "record,code,name,kind,org_unit,parent,channel\n" + rows
    response = client.post(
        "/api/v1/channels/import",
        headers=world.headers("manager"),
        files={"file": ("channels.csv", csv_text.encode("utf-8"), "text/csv")},
    )
    assert response.status_code == 200, response.text
    rejected: list[dict[str, Any]] = response.json()["rejected"]
    return rejected


def test_a_sub_agent_gets_no_outlets_and_stands_out_on_the_list(
    client: TestClient, world: World
) -> None:
    (refused,) = import_refusals(client, world, "outlet,SUB-2,Stall two,,,,SUB\n")
    assert refused["code"] == "RN-08" and "下级代理" in refused["reason_zh"]
    listed = {
        c["code"]: c
        for c in client.get("/api/v1/channels", headers=world.headers("manager")).json()["items"]
    }
    assert listed["SUB"]["parent"] == "SOC" and listed["SOC"]["parent"] is None


def test_import_refusals_come_in_both_languages(client: TestClient, world: World) -> None:
    (refused,) = import_refusals(client, world, "channel,R-3,Odd,kiosk,,,\n")
    assert refused["code"] == "IMPORT-KIND" and "social" in refused["reason"]
    assert "社会" in refused["reason_zh"]


def test_admission_names_the_manager_held_to_account(client: TestClient, world: World) -> None:
    """The page asks the same as the API: an admitted reseller has a named manager, and a
    terminated one shows on the list who was held to account."""
    from tests.e2e.test_page_permissions import log_in

    post(client, world, "/api/v1/channels", {"code": "NEW", "name": "New", "kind": "social"})
    csrf = log_in(client, "manager")
    form = {
        "csrf_token": csrf,
        "action": "admit",
        "reason": "vetted",
        "agreement_no": "RN-2026-009",
        "signed_on": "2026-01-01",
        "valid_until": "2028-12-31",
        "manager_name": " ",
    }
    refused = client.post("/channels/NEW/action", data=form)
    assert refused.status_code == 422 and "AGREEMENT-MANAGER" in refused.text
    assert "请填写对该渠道负责的客户经理" in refused.text
    ended = client.post(
        "/channels/SOC/action", data={"csrf_token": csrf, "action": "terminate", **TERMINATION}
    )
    assert ended.status_code == 200
    listed = ended.text.split('data-channel="SOC"', 1)[1].split("</tr>", 1)[0]
    assert "Tianhe branch · Zhou Jun" in listed


def test_accountability_missing_after_a_penalty_is_recorded_later(
    client: TestClient, world: World
) -> None:
    # A reseller with no organisation unit on record, terminated by its penalty ladder.
    assert (
        post(client, world, "/api/v1/channels", {"code": "NEW", "name": "N", "kind": "social"})
    ).status_code == 201
    admission = {
        "reason": "vetted",
        "agreement_no": "RN-2026-009",
        "signed_on": "2026-01-01",
        "valid_until": "2027-12-31",
        "manager_name": "Li Ming",
    }
    assert post(client, world, "/api/v1/channels/NEW/admit", admission).status_code == 200
    assert post(client, world, "/api/v1/channels/NEW/activate", {"reason": "go"}).status_code == 200
    early = post(client, world, "/api/v1/channels/NEW/accountability", TERMINATION)
    assert early.status_code == 409 and early.json()["code"] == "CHANNEL-STATE"
    penalties = [
        post(client, world, "/api/v1/channels/NEW/violations", {"rule": "RN-08"}).json()["penalty"]
        for _ in range(2)
    ]
    assert penalties == ["suspension", "termination"]

    def on_record() -> tuple[str | None, str | None]:
        listed = client.get("/api/v1/channels", headers=world.headers("auditor")).json()
        (channel,) = [c for c in listed["items"] if c["code"] == "NEW"]
        assert channel["status"] == "terminated"
        return channel["responsible_unit"], channel["responsible_manager"]

    assert on_record() == (None, "Li Ming")
    clerk = post(client, world, "/api/v1/channels/NEW/accountability", TERMINATION, "clerk_hall")
    assert clerk.status_code == 403
    no_unit = {**TERMINATION, "responsible_unit": " "}
    blank = post(client, world, "/api/v1/channels/NEW/accountability", no_unit)
    assert blank.status_code == 422 and blank.json()["code"] == "TERMINATION-ACCOUNTABILITY"
    assert on_record() == (None, "Li Ming")  # refused: nothing changed

    done = post(client, world, "/api/v1/channels/NEW/accountability", TERMINATION)
    assert done.status_code == 200 and done.json()["status"] == "terminated"
    assert on_record() == ("Tianhe branch", "Zhou Jun")
    with world.simreg.engine.connect() as conn:
        actions = conn.execute(
            select(t.audit_events.c.action).where(t.audit_events.c.action.like("channel.%"))
        ).scalars()
        assert "channel.hold_to_account" in set(actions)
        history = conn.execute(
            select(t.channel_events.c.from_status, t.channel_events.c.reason)
            .join(t.channels, t.channels.c.id == t.channel_events.c.channel_id)
            .where(t.channels.c.code == "NEW")
            .order_by(t.channel_events.c.id)
        ).all()
    assert history[-1] == ("terminated", "sold cards without ID checks")
