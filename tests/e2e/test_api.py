"""The HTTP API as a clerk's app and the back-office use it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from simreg.db import directory
from simreg.db import tables as t
from tests.support.campaign_base import legacy_lines, line_states
from tests.support.world import BACK, FRONT, World


def submit(
    client: TestClient,
    world: World,
    who: str = "clerk_hall",
    device: str | None = None,
    photos: dict[str, bytes] | None = None,
    **fields: Any,
) -> Any:
    form: dict[str, Any] = {
        "msisdn": world.number(),
        "document_type": "resident_id",
        "document_number": world.resident_id(),
        "customer_name": "张三",
        "original_inspected": "true",
        "inspection_method": "chip_reader",
    }
    form.update(fields)
    photos = {"front": FRONT, "back": BACK} if photos is None else photos
    files = {f"photo_{k}": (f"{k}.jpg", v, "image/jpeg") for k, v in photos.items()}
    return client.post(
        "/api/v1/registrations", data=form, files=files, headers=world.headers(who, device)
    )


def test_clerk_submits_reviewer_approves_and_activates(client: TestClient, world: World) -> None:
    number = world.resident_id()
    created = submit(client, world, document_number=number)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "pending_review"
    assert body["customer"]["document_number"] == number[:4] + "*" * 10 + number[-4:]
    assert body["customer"]["name"] == "张*"
    assert number not in created.text
    assert {p["kind"] for p in body["photos"]} == {"front", "back"}

    queue = client.get("/api/v1/review/queue", headers=world.headers("reviewer")).json()
    assert body["id"] in [item["id"] for item in queue["items"]]
    assert queue["items"][0]["waiting_seconds"] >= 0

    reg = body["id"]
    early = client.post(f"/api/v1/registrations/{reg}/activate", headers=world.headers("reviewer"))
    assert early.status_code == 409
    assert early.json()["code"] == "RN-06"

    approved = client.post(
        f"/api/v1/registrations/{reg}/approve", headers=world.headers("reviewer")
    )
    assert approved.json()["state"] == "approved"
    active = client.post(f"/api/v1/registrations/{reg}/activate", headers=world.headers("reviewer"))
    assert active.status_code == 200
    assert active.json()["state"] == "active"
    assert active.json()["line"]["state"] == "active"

    seen_by_clerk = client.get(f"/api/v1/registrations/{reg}", headers=world.headers("clerk_hall"))
    assert seen_by_clerk.json()["state"] == "active"


def test_rejection_reasons_reach_the_clerk(client: TestClient, world: World) -> None:
    reg = submit(client, world).json()["id"]
    rejected = client.post(
        f"/api/v1/registrations/{reg}/reject",
        json={"reasons": ["not_original"], "comment": "photo of a photocopy"},
        headers=world.headers("reviewer"),
    )
    assert rejected.status_code == 200
    mine = client.get(
        "/api/v1/registrations?state=rejected", headers=world.headers("clerk_hall")
    ).json()["items"]
    (item,) = [i for i in mine if i["id"] == reg]
    assert item["rejection"]["reasons"][0]["code"] == "not_original"
    assert "RN-02" in item["rejection"]["reasons"][0]["label"]
    assert item["rejection"]["comment"] == "photo of a photocopy"


def test_sixth_registration_for_one_id_is_refused_rn05(client: TestClient, world: World) -> None:
    number = world.resident_id()
    for _ in range(5):
        assert submit(client, world, document_number=number).status_code == 201
    sixth = submit(client, world, who="clerk_shop", device="shop", document_number=number)
    assert sixth.status_code == 422
    assert sixth.json()["code"] == "RN-05"
    assert sixth.json()["message_zh"]


def test_passport_at_social_outlet_is_refused_rn07(client: TestClient, world: World) -> None:
    response = submit(
        client,
        world,
        who="clerk_shop",
        device="shop",
        document_type="passport",
        document_number="E12345678",
        photos={"front": FRONT},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "RN-07"


def test_social_outlet_without_device_token_is_refused_rn09(
    client: TestClient, world: World
) -> None:
    response = submit(client, world, who="clerk_shop")
    assert response.status_code == 422
    assert response.json()["code"] == "RN-09"


def test_malformed_id_number_gets_its_reason(client: TestClient, world: World) -> None:
    response = submit(client, world, document_number="11010519491231002Y")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "RN-04"
    reasons = [v["data"]["reason"] for v in body["details"]["violations"] if v["code"] == "RN-04"]
    assert reasons == ["DOC-FORMAT"]
    assert "11010519491231002Y" not in response.text


@pytest.mark.parametrize(
    ("fields", "photos", "status", "code"),
    [
        ({"msisdn": "abc"}, None, 422, "LINE-MSISDN"),
        ({"msisdn": "13999999999"}, None, 404, "LINE-NOT-FOUND"),
        ({"original_inspected": "maybe"}, None, 422, "INVALID_INPUT"),
        ({"inspection_method": "telepathy"}, None, 422, "RN-02"),
        ({"customer_name": "1234"}, None, 422, "NAME-INVALID"),
        ({"document_type": "library_card"}, None, 422, "RN-04"),
        ({}, {"front": b"GIF89a....", "back": BACK}, 422, "PHOTO-NOT-IMAGE"),
        ({}, {"front": FRONT, "back": BACK, "selfie": FRONT}, 201, None),
    ],
)
def test_bad_input_gets_a_4xx_with_a_code_never_a_500(
    client: TestClient,
    world: World,
    fields: dict[str, str],
    photos: dict[str, bytes] | None,
    status: int,
    code: str | None,
) -> None:
    response = submit(client, world, photos=photos, **fields)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["code"] == code


def test_missing_fields_are_named(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/registrations", data={"msisdn": "13800000001"}, headers=world.headers("clerk_hall")
    )
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["details"]["fields"]}
    assert {"body.document_type", "body.document_number", "body.customer_name"} <= fields


def test_every_endpoint_needs_a_valid_token(client: TestClient, world: World) -> None:
    for method, path in [
        ("get", "/api/v1/review/queue"),
        ("get", "/api/v1/registrations"),
        ("post", "/api/v1/registrations/x/approve"),
        ("get", "/api/v1/lines/available"),
    ]:
        for headers in ({}, {"Authorization": "Bearer sr_forged"}, {"Authorization": "Basic x"}):
            response = getattr(client, method)(path, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert response.json()["code"] == "UNAUTHENTICATED"


def test_an_expired_staff_token_is_refused_with_its_reason(
    client: TestClient, world: World
) -> None:
    app, now = world.simreg, world.simreg.clock.now()
    reviewer = world.actors["reviewer"].staff_id
    with app.engine.begin() as conn:
        lapsed, current = (
            directory.issue_token(
                conn, app.vault.tokens, at=now, staff_id=reviewer, expires_at=now + offset
            )
            for offset in (timedelta(seconds=-1), timedelta(days=1))
        )
    refused = client.get("/api/v1/review/queue", headers={"Authorization": f"Bearer {lapsed}"})
    assert refused.status_code == 401 and refused.json()["code"] == "TOKEN-EXPIRED"
    served = client.get("/api/v1/review/queue", headers={"Authorization": f"Bearer {current}"})
    assert served.status_code == 200


def test_roles_are_checked(client: TestClient, world: World) -> None:
    reg = submit(client, world).json()["id"]
    assert (
        client.get("/api/v1/review/queue", headers=world.headers("clerk_hall")).status_code == 403
    )
    for who in ("clerk_hall", "auditor", "call_centre"):
        response = client.post(f"/api/v1/registrations/{reg}/approve", headers=world.headers(who))
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"
    assert submit(client, world, who="reviewer").status_code == 403


def test_clerk_cannot_see_another_outlets_customers(client: TestClient, world: World) -> None:
    reg = submit(client, world, who="clerk_hall").json()["id"]
    other = world.headers("clerk_hall2")
    assert client.get(f"/api/v1/registrations/{reg}", headers=other).status_code == 404
    assert client.get(f"/api/v1/registrations/{reg}/photos/front", headers=other).status_code == 404
    listed = client.get("/api/v1/registrations", headers=other).json()["items"]
    assert reg not in [i["id"] for i in listed]


def test_reviewer_sees_the_decrypted_photo(client: TestClient, world: World) -> None:
    reg = submit(client, world).json()["id"]
    photo = client.get(
        f"/api/v1/registrations/{reg}/photos/front", headers=world.headers("reviewer")
    )
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.content == FRONT
    assert (
        client.get(
            f"/api/v1/registrations/{reg}/photos/front", headers=world.headers("auditor")
        ).status_code
        == 403
    )


def test_revoked_device_token_is_refused(client: TestClient, world: World) -> None:
    from simreg.db.directory import revoke_token

    with world.simreg.engine.begin() as conn:
        revoke_token(
            conn, world.simreg.vault.tokens, world.device_tokens["shop"], world.simreg.clock.now()
        )
    response = submit(client, world, who="clerk_shop", device="shop")
    assert response.status_code == 401
    assert response.json()["code"] == "DEVICE-UNAUTHENTICATED"


def test_number_pool_pick_and_reserve(client: TestClient, world: World) -> None:
    free = client.get("/api/v1/lines/available?limit=3", headers=world.headers("clerk_hall"))
    numbers = [i["msisdn"] for i in free.json()["items"]]
    assert len(numbers) == 3
    held = client.post(f"/api/v1/lines/{numbers[0]}/reserve", headers=world.headers("clerk_hall"))
    assert held.status_code == 200
    assert held.json()["state"] == "reserved"
    again = client.post(f"/api/v1/lines/{numbers[0]}/reserve", headers=world.headers("clerk_hall2"))
    assert again.status_code == 409
    assert again.json()["code"] == "LINE-TAKEN"
    after = client.get("/api/v1/lines/available?limit=3", headers=world.headers("clerk_hall"))
    assert numbers[0] not in [i["msisdn"] for i in after.json()["items"]]


def test_who_may_not_register_may_not_hold_numbers(client: TestClient, world: World) -> None:
    """A reservation takes a number out of the pool for half an hour: the channel checks of a
    registration (RN-08, RN-09) come first, and a refusal holds nothing."""
    (number,) = [
        i["msisdn"]
        for i in client.get(
            "/api/v1/lines/available?limit=1", headers=world.headers("clerk_hall")
        ).json()["items"]
    ]
    for who, device, code in [
        ("clerk_sub", "sub", "RN-08"),  # a sub-agent
        ("clerk_shop", None, "RN-09"),  # a social outlet without its app device
        ("clerk_ended", "ended", "RN-08"),  # a terminated reseller
    ]:
        refused = client.post(f"/api/v1/lines/{number}/reserve", headers=world.headers(who, device))
        assert (refused.status_code, refused.json()["code"]) == (422, code), who
    with world.simreg.engine.connect() as conn:
        recorded = conn.execute(
            select(t.audit_events.c.codes).where(t.audit_events.c.action == "line.reserve")
        ).scalars()
        assert sorted(recorded) == ["RN-08", "RN-08", "RN-09"]  # evidence for inspections
    held = client.post(
        f"/api/v1/lines/{number}/reserve", headers=world.headers("clerk_shop", "shop")
    )
    assert held.status_code == 200


def test_a_hall_clerk_cannot_use_a_shop_device(client: TestClient, world: World) -> None:
    """The registration would count towards the shop's app figures and risk ranking."""
    borrowed = submit(client, world, who="clerk_hall", device="shop")
    assert borrowed.status_code == 422
    violations = borrowed.json()["details"]["violations"]
    assert [v["code"] for v in violations] == ["RN-09"]
    assert "DEV-1" in violations[0]["message"] and "HALL" in violations[0]["message"]
    assert submit(client, world, who="clerk_hall").status_code == 201


def test_health_and_openapi(client: TestClient, world: World) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/api/v1/registrations" in spec["paths"]
    assert "/api/v1/registrations/{registration_id}/activate" in spec["paths"]
    missing = client.get("/api/v1/nowhere")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"


def test_control_characters_are_refused_not_crashed_on(client: TestClient, world: World) -> None:
    reviewer = world.headers("reviewer")
    reg = submit(client, world).json()["id"]
    probes = [
        client.get("/api/v1/registrations/abc%00def", headers=reviewer),
        client.get("/api/v1/registrations?state=pending%00", headers=reviewer),
        client.post(
            f"/api/v1/registrations/{reg}/reject",
            headers=reviewer,
            json={"reasons": ["other"], "comment": "bad\u0000comment"},
        ),
        client.post(
            f"/api/v1/registrations/{reg}/cancel", headers=reviewer, json={"reason": "x\u0000"}
        ),
        submit(client, world, resubmission_of="ab\x00cd"),
        submit(client, world, document_type="resident\x00id"),
    ]
    assert [p.status_code for p in probes] == [422] * len(probes), [p.text for p in probes]
    assert client.get(f"/api/v1/registrations/{reg}", headers=reviewer).json()["state"] == (
        "pending_review"
    )


def test_unknown_registration_ids_are_not_found(client: TestClient, world: World) -> None:
    reviewer = world.headers("reviewer")
    for bad in ("nope", "0" * 32, "'; drop table registrations; --"):
        assert client.get(f"/api/v1/registrations/{bad}", headers=reviewer).status_code == 404
        response = client.post(f"/api/v1/registrations/{bad}/approve", headers=reviewer)
        assert response.status_code == 404
        assert response.json()["code"] == "REGISTRATION-NOT-FOUND"


def test_a_reseller_re_registers_a_legacy_line_through_the_app(
    client: TestClient, world: World
) -> None:
    (msisdn,) = legacy_lines(world.simreg, 1)
    sent = submit(client, world, "clerk_shop", device="shop", msisdn=msisdn, reregistration="true")
    assert sent.status_code == 201, sent.text
    assert sent.json()["source"] == "counter_rereg" and sent.json()["state"] == "pending_review"
    assert line_states(world.simreg, [msisdn])[msisdn] == ("active", "reverification_pending")
    # Without the flag a legacy line is not a free number to sell: the refusal says to
    # re-register it (once it waits for review, it is simply taken).
    (untouched,) = legacy_lines(world.simreg, 1)
    sold = submit(client, world, "clerk_shop", device="shop", msisdn=untouched)
    assert sold.status_code == 409 and sold.json()["code"] == "LINE-IN-SERVICE"
    again = submit(client, world, "clerk_shop", device="shop", msisdn=msisdn)
    assert again.status_code == 409 and again.json()["code"] == "LINE-TAKEN"
    free = submit(client, world, "clerk_shop", device="shop", reregistration="true")
    assert free.status_code == 409 and free.json()["code"] == "REREG-LINE-CLOSED"
    # RN-09 holds as for a new line: no enrolled device, no re-registration.
    (other,) = legacy_lines(world.simreg, 1)
    bare = submit(client, world, "clerk_shop", msisdn=other, reregistration="true")
    assert bare.status_code == 422
    assert "RN-09" in [v["code"] for v in bare.json()["details"]["violations"]]
