"""Every role against every page: who may open what, and that pages need a login and CSRF."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from simreg.cli.main import _proxy_options
from simreg.core.actors import Role
from simreg.core.clock import FixedClock
from simreg.core.errors import DomainError
from simreg.db import tables as t
from simreg.registration.services import RejectRegistration
from simreg.web.app import create_app
from tests.support.world import BACK, FRONT, PASSWORD, World

ROLES = {
    "clerk_hall": "clerk",
    "reviewer": "reviewer",
    "admin": "admin",
    "auditor": "auditor",
    "call_centre": "call_centre",
    "risk": "risk_analyst",
    "manager": "channel_manager",
}
PAGES = [
    "/app",
    "/app/new",
    "/app/reregister",
    "/app/device",
    "/review",
    "/audit",
    "/admin/staff",
    "/account/password",
    "/campaigns",
    "/calls",
    "/base",
    "/base/over-limit",
    "/enterprises",
    "/pickup",
    "/orders",
    "/channels",
    "/reports",
    "/reports/breakdown",
    "/reports/exports",
]
ALLOWED = {
    "/app": {"clerk"},
    "/app/new": {"clerk"},
    "/app/reregister": {"clerk"},
    "/app/device": {"clerk"},
    "/review": {"reviewer", "admin"},
    "/risk": {"risk_analyst", "admin", "auditor"},
    "/audit": {"admin", "auditor", "reviewer", "channel_manager", "risk_analyst"},
    "/admin/staff": {"admin"},
    "/channels": {"channel_manager", "admin", "auditor", "risk_analyst"},
    "/account/password": set(ROLES.values()),
    "/campaigns": {"channel_manager", "admin", "auditor", "risk_analyst", "call_centre"},
    "/calls": {"call_centre", "admin"},
    "/base": {"risk_analyst", "admin", "auditor", "channel_manager"},
    "/base/over-limit": {"risk_analyst", "admin", "auditor", "channel_manager"},
    "/enterprises": {"admin", "auditor"},  # and account managers (not among these roles)
    "/pickup": {"clerk"},
    "/orders": {"admin", "reviewer", "channel_manager", "risk_analyst", "auditor"},
    "/reports": {"auditor", "admin", "risk_analyst", "channel_manager"},
    "/reports/breakdown": {"auditor", "admin", "risk_analyst", "channel_manager"},
    "/reports/exports": {"auditor", "admin", "risk_analyst", "channel_manager"},
}


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    page = client.get("/account/password")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


@pytest.mark.parametrize("who", list(ROLES))
def test_permission_matrix(client: TestClient, world: World, who: str) -> None:
    log_in(client, who)
    role = ROLES[who]
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        expected = 200 if role in ALLOWED[path] else 403
        assert response.status_code == expected, (who, path, response.status_code)


def test_pages_need_a_login(client: TestClient, world: World) -> None:
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_post_without_csrf_token_is_refused(client: TestClient, world: World) -> None:
    csrf = log_in(client, "reviewer")
    registration = world.submit()
    refused = client.post(f"/review/{registration.id}/approve", follow_redirects=False)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    accepted = client.post(
        f"/review/{registration.id}/approve", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert accepted.status_code == 303


def test_login_redirect_stays_on_this_site(client: TestClient, world: World) -> None:
    response = client.post(
        "/login",
        data={"username": "clerk_hall", "password": PASSWORD, "next": "https://evil.example/phish"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/app"


def test_wrong_passwords_lock_the_account(client: TestClient, world: World) -> None:
    for _ in range(5):
        assert (
            client.post(
                "/login", data={"username": "auditor", "password": "nope-nope-nope"}
            ).status_code
            == 401
        )
    # A wrong password to a locked account answers as to an unknown name: the lock does not
    # tell an outsider the account exists. The right password learns of the lock.
    wrong = client.post("/login", data={"username": "auditor", "password": "nope-nope-nope"})
    unknown = client.post("/login", data={"username": "nobody.here", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert "LOGIN-FAILED" in wrong.text and "LOGIN-LOCKED" not in wrong.text
    assert _error_box(wrong.text) == _error_box(unknown.text)
    locked = client.post("/login", data={"username": "auditor", "password": PASSWORD})
    assert locked.status_code == 401
    assert "LOGIN-LOCKED" in locked.text


def _error_box(page: str) -> str:
    return page.split('role="alert"', 1)[1].split("<form", 1)[0]


def test_one_address_cannot_try_passwords_without_end(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    throttle = world.simreg.shop.throttle
    monkeypatch.setattr(throttle, "limits", replace(throttle.limits, logins_per_address=3))
    # One throttle window for the whole test: on the real clock a window could end mid-way.
    monkeypatch.setattr(throttle, "clock", FixedClock(throttle.clock.now()))
    with TestClient(create_app(world.simreg)) as client:
        for n in range(3):
            user = f"guess{n}"
            tried = client.post("/login", data={"username": user, "password": "x-x-x-x-x"})
            assert tried.status_code == 401
        refused = client.post("/login", data={"username": "auditor", "password": PASSWORD})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "TOO-MANY-REQUESTS" in refused.text


def test_unknown_user_and_wrong_password_look_the_same(client: TestClient, world: World) -> None:
    unknown = client.post("/login", data={"username": "nobody", "password": "x" * 12})
    wrong = client.post("/login", data={"username": "reviewer", "password": "x" * 12})
    assert unknown.status_code == wrong.status_code == 401
    assert "LOGIN-FAILED" in unknown.text and "LOGIN-FAILED" in wrong.text


def test_changing_the_password_ends_the_accounts_other_sessions(
    client: TestClient, world: World
) -> None:
    with TestClient(create_app(world.simreg)) as elsewhere:
        log_in(elsewhere, "reviewer")  # say, someone who had learnt the old password
        csrf = log_in(client, "reviewer")
        changed = client.post(
            "/account/password",
            data={
                "csrf_token": csrf,
                "current": PASSWORD,
                "new": "a-new-long-passphrase-9",
                "repeat": "a-new-long-passphrase-9",
            },
            follow_redirects=False,
        )
        assert changed.status_code == 303
        assert client.get("/review", follow_redirects=False).status_code == 200  # this one stays
        assert elsewhere.get("/review", follow_redirects=False).status_code == 303  # to login


def test_logout_ends_the_session(client: TestClient, world: World) -> None:
    csrf = log_in(client, "reviewer")
    assert client.get("/review", follow_redirects=False).status_code == 200
    client.post("/logout", data={"csrf_token": csrf})
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_security_headers_on_pages(client: TestClient, world: World) -> None:
    response = client.get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # Pages may show decrypted identity data: no browser or proxy keeps a copy; assets may.
    assert response.headers["cache-control"] == "no-store"
    log_in(client, "reviewer")
    assert client.get("/review").headers["cache-control"] == "no-store"
    asset = client.get("/static/simreg.css")
    assert asset.status_code == 200 and "cache-control" not in asset.headers


def test_clerk_cannot_open_another_outlets_registration(client: TestClient, world: World) -> None:
    other = world.submit("clerk_hall2")
    log_in(client, "clerk_hall")
    page = client.get(f"/app/registrations/{other.id}")
    assert page.status_code == 404
    assert other.id not in client.get("/app").text
    photo = client.get(f"/review/{other.id}/photos/front")
    assert photo.status_code == 404


API_ROLES = ["clerk_hall", "reviewer", "admin", "auditor", "call_centre", "risk", "manager"]


@pytest.mark.parametrize("who", API_ROLES)
def test_api_permission_matrix(client: TestClient, world: World, who: str) -> None:
    registration = world.submit("clerk_hall")
    role = ROLES[who]
    headers = world.headers(who)
    back_office = {"reviewer", "admin", "auditor", "channel_manager", "risk_analyst"}
    expected = {
        ("get", "/api/v1/lines/available"): 200 if role in {"clerk", "admin"} else 403,
        ("get", "/api/v1/registrations"): 403 if role == "call_centre" else 200,
        ("get", "/api/v1/review/queue"): 200 if role in {"reviewer", "admin"} else 403,
        ("get", f"/api/v1/registrations/{registration.id}"): (
            200 if role in back_office | {"clerk"} else 404
        ),
        ("get", f"/api/v1/registrations/{registration.id}/photos/front"): (
            200 if role in {"reviewer", "admin", "clerk"} else 403
        ),
        ("get", "/api/v1/rejection-reasons"): 200,
        ("post", f"/api/v1/registrations/{registration.id}/approve"): (
            200 if role in {"reviewer", "admin"} else 403
        ),
    }
    for (method, path), status in expected.items():
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code == status, (who, path, response.status_code)


@pytest.mark.parametrize("who", list(ROLES))
def test_page_actions_check_the_role(client: TestClient, world: World, who: str) -> None:
    csrf = log_in(client, who)
    role = ROLES[who]
    actions = {
        "/review/next": 303 if role in {"reviewer", "admin"} else 403,
        "/app/check-document": 200 if role == "clerk" else 403,
    }
    for path, status in actions.items():
        response = client.post(path, data={"csrf_token": csrf}, follow_redirects=False)
        assert response.status_code == status, (who, path, response.status_code)
    staff = client.post(
        "/admin/staff",
        data={
            "csrf_token": csrf,
            "username": "newbie",
            "display_name": "N",
            "role": "auditor",
            "password": "long-enough-pass",
        },
        follow_redirects=False,
    )
    assert staff.status_code == (303 if role == "admin" else 403)


def test_a_clerks_document_checks_are_limited_but_typing_is_free(
    client: TestClient, world: World
) -> None:
    limits = world.simreg.shop.throttle.limits
    world.simreg.shop.throttle.limits = replace(limits, lookups_per_staff=3)
    csrf = log_in(client, "clerk_hall")

    def check(number: str) -> str:
        return client.post(
            "/app/check-document",
            data={"csrf_token": csrf, "document_type": "resident_id", "document_number": number},
        ).text

    for typed in ("1", "11", "110105", "1101051949"):  # partial numbers, as typed: not counted
        assert "TOO-MANY-REQUESTS" not in check(typed)
    for _ in range(3):
        assert 'class="check ok"' in check("11010519491231002X")
    refused = check("11010519491231002X")
    assert "TOO-MANY-REQUESTS" in refused and 'class="check ok"' not in refused


def test_audit_finds_a_document_by_its_number_through_the_blind_index(
    client: TestClient, world: World
) -> None:
    number = world.number()
    mine = world.submit(document_number="11010519491231002X", msisdn=number)
    world.submit()
    reviewer = world.actors["reviewer"]
    world.simreg.registrations.claim(reviewer, mine.id)
    world.simreg.registrations.reject(
        reviewer, mine.id, RejectRegistration(reasons=("photo_unreadable",))
    )
    csrf = log_in(client, "auditor")
    # The form posts, so the number never appears in an address, a history or a log.
    page = client.post(
        "/audit",
        data={
            "csrf_token": csrf,
            "document_type": "resident_id",
            "document_number": "110105 19491231 002x",
        },
    )
    assert page.status_code == 200
    assert '<form method="post" action="/audit"' in page.text
    assert page.text.count("registration.submitted") == 2  # one row, plus the action filter
    # The review's decision names the registration only, and is found all the same, with its
    # number shown.
    assert page.text.count("registration.rejected") == 2
    rejected_row = page.text.split('title="registration.rejected">', 1)[1].split("</tr>", 1)[0]
    assert rejected_row.startswith("审核驳回</td>")  # the action in words, code on hover
    assert number in rejected_row
    by_number = client.post("/audit", data={"csrf_token": csrf, "msisdn": number})
    assert by_number.text.count("registration.rejected") == 2
    # A document number put in an address is refused, on the page and for the CSV alike.
    for path in ("/audit", "/audit.csv"):
        in_address = client.get(path, params={"document_number": "11010519491231002X"})
        assert in_address.status_code == 422, path
        assert "AUDIT-DOCUMENT-IN-ADDRESS" in in_address.text
        assert "registration.submitted" not in in_address.text
    everything = client.get("/audit")
    choices = everything.text.split('name="action"', 1)[1].split("</select>", 1)[0]
    labels = re.findall(r'<option value="[a-z_.]+"[^>]*>([^<]+)</option>', choices)
    assert labels and labels == sorted(labels) and "提交登记" in labels  # by the words shown
    assert everything.text.count("registration.submitted") == 3
    export = client.post(
        "/audit.csv", data={"csrf_token": csrf, "document_number": "11010519491231002X"}
    )
    assert export.status_code == 200
    lines = export.text.lstrip("\ufeff").strip().splitlines()
    # Newest first: this export and the page's search by the document (each search naming a
    # person is audited: who looked up whom), then the rejection and the submission.
    assert [line.split(",")[1] for line in lines[1:]] == [
        "audit.searched",
        "audit.searched",
        "registration.rejected",
        "registration.submitted",
    ]
    assert ",auditor," in lines[1] and ",auditor," in lines[2]
    nothing = client.post("/audit.csv", data={"csrf_token": csrf, "msisdn": "13900000000"})
    assert nothing.text.lstrip("\ufeff").startswith("at,action,outcome")  # header only
    assert "11010519491231002X" not in export.text


def test_opening_a_review_item_by_link_claims_nothing(client: TestClient, world: World) -> None:
    """A link to an item (in a chat, an email, another site) cannot take it from the queue;
    the queue's own button does, and a second reviewer then sees who holds it."""
    waiting = world.submit()
    csrf = log_in(client, "reviewer")
    opened = client.get(f"/review/{waiting.id}", headers={"Accept-Language": "en"})
    assert opened.status_code == 200 and "No one is reviewing this registration." in opened.text
    assert 'id="approve"' not in opened.text  # decisions come with the item, taken
    registrations, second = world.simreg.registrations, world.actors["reviewer2"]
    assert registrations.claim_next(second) == waiting.id
    registrations.release(second, waiting.id)

    queue = client.get("/review")
    assert f'action="/review/{waiting.id}/claim"' in queue.text
    assert '<span class="age">0 分钟</span>' in queue.text  # waiting time in the page's words
    taken = client.post(
        f"/review/{waiting.id}/claim", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert taken.status_code == 303 and taken.headers["location"] == f"/review/{waiting.id}"
    assert registrations.claim_next(second) is None
    assert 'id="approve"' in client.get(f"/review/{waiting.id}").text
    assert "You are reviewing this" in client.get("/review", headers={"Accept-Language": "en"}).text
    client.cookies.clear()
    log_in(client, "reviewer2")
    held = client.get(f"/review/{waiting.id}", headers={"Accept-Language": "en"})
    assert re.search(r'id="claim-holder">\S.* is reviewing this registration\.<', held.text)
    assert 'id="approve"' not in held.text and 'id="take"' not in held.text
    assert "is reviewing</span>" in client.get("/review", headers={"Accept-Language": "en"}).text
    # A page left open from before: deciding on it says who holds the item now.
    late = client.post(
        f"/review/{waiting.id}/approve",
        data={"csrf_token": log_in(client, "reviewer2")},
        headers={"Accept-Language": "en"},
    )
    assert late.status_code == 409 and "REVIEW-CLAIMED" in late.text
    assert 'id="claim-holder"' in late.text and 'id="approve"' not in late.text


def test_another_site_cannot_log_a_browser_in_or_switch_its_language(
    client: TestClient, world: World
) -> None:
    """Before there is a session there is no CSRF token: the browser's own word on where a
    form comes from decides."""
    form = {"username": "clerk_hall", "password": PASSWORD}
    for foreign in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        refused = client.post("/login", data=form, headers=foreign, follow_redirects=False)
        assert refused.status_code == 403 and "CSRF" in refused.text
        assert "simreg_session" not in refused.cookies
        switched = client.post(
            "/language", data={"language": "en"}, headers=foreign, follow_redirects=False
        )
        assert switched.status_code == 403 and "simreg_lang" not in switched.headers.get(
            "set-cookie", ""
        )
    own = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    accepted = client.post("/login", data=form, headers=own, follow_redirects=False)
    assert accepted.status_code == 303 and "simreg_session" in accepted.cookies
    typed = client.post(
        "/language",
        data={"language": "en"},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert typed.status_code == 303


def test_new_clerks_are_offered_open_outlets_only(client: TestClient, world: World) -> None:
    log_in(client, "admin")
    page = client.get("/admin/staff")
    new_staff = page.text.split('name="outlet"', 1)[1].split("</select>", 1)[0]
    assert ">HALL</option>" in new_staff
    assert "CLOSED" not in new_staff


def test_a_clerk_cannot_enrol_another_outlets_device(client: TestClient, world: World) -> None:
    csrf = log_in(client, "clerk_hall")
    refused = client.post(
        "/app/device",
        data={"csrf_token": csrf, "device_token": world.device_tokens["shop"]},
        follow_redirects=False,
    )
    assert refused.status_code == 422 and "请向渠道经理索取本网点的设备令牌" in refused.text
    assert "simreg_device" not in refused.headers.get("set-cookie", "")
    client.cookies.clear()
    csrf = log_in(client, "clerk_shop")
    # Before its device is enrolled, the reseller's home offers enrolment, not forms (RN-09).
    before = client.get("/app").text
    assert 'href="/app/new"' not in before and 'id="reregister-link"' not in before
    own = client.post(
        "/app/device",
        data={"csrf_token": csrf, "device_token": world.device_tokens["shop"]},
        follow_redirects=False,
    )
    assert own.status_code == 303
    after = client.get("/app").text
    assert 'href="/app/new"' in after and 'id="reregister-link"' in after


def test_switching_language_on_a_refused_form_returns_to_the_form(
    client: TestClient, world: World
) -> None:
    csrf = log_in(client, "clerk_hall")
    refused = client.post(
        "/app/registrations",
        data={"csrf_token": csrf, "msisdn": world.number(), "document_type": "resident_id"},
        headers={"Referer": "http://testserver/app/new?msisdn=1"},
    )
    assert refused.status_code == 422
    back = re.search(r'name="back" value="([^"]*)"', refused.text)
    assert back and back.group(1) == "http://testserver/app/new?msisdn=1"
    switched = client.post(
        "/language", data={"language": "en", "back": back.group(1)}, follow_redirects=False
    )
    assert switched.headers["location"] == "/app/new?msisdn=1"
    elsewhere = client.post(
        "/language",
        data={"language": "zh", "back": "http://evil.example/app/new"},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/"
    # Opening the form's own address is a page that says what happened, not JSON.
    opened = client.get("/app/registrations", headers={"Accept-Language": "zh-CN"})
    assert opened.status_code == 405 and "请返回上一页重新提交" in opened.text
    assert opened.headers["allow"] == "POST"
    assert opened.headers["content-type"].startswith("text/html")


def test_a_social_outlet_is_offered_and_accepts_the_resident_id_only(
    client: TestClient, world: World
) -> None:
    """RN-07 while the clerk types, not after the photos: a passport is refused at once."""
    csrf = log_in(client, "clerk_shop")
    client.cookies.set("simreg_device", world.device_tokens["shop"])
    form = client.get("/app/new")
    types = re.findall(r'name="document_type".*?</select>', form.text, re.S)[0]
    assert re.findall(r'<option value="(\w+)"', types) == ["resident_id"]
    passport = client.post(
        "/app/check-document",
        data={"csrf_token": csrf, "document_type": "passport", "document_number": "E12345678"},
    ).text
    assert "RN-07" in passport and 'class="check ok"' not in passport
    client.cookies.clear()
    csrf = log_in(client, "clerk_hall")
    at_a_hall = client.post(
        "/app/check-document",
        data={"csrf_token": csrf, "document_type": "passport", "document_number": "E12345678"},
    ).text
    assert 'class="check ok"' in at_a_hall
    assert "护照" in client.get("/app/new").text


def test_sending_a_rejection_again_keeps_the_customers_number(
    client: TestClient, world: World
) -> None:
    number = world.number()
    rejected = world.submit(msisdn=number)
    world.simreg.registrations.reject(
        world.actors["reviewer"], rejected.id, RejectRegistration(reasons=("photo_unreadable",))
    )
    log_in(client, "clerk_hall")
    again = client.get(f"/app/new?resubmit={rejected.id}")
    assert again.status_code == 200
    assert re.search(rf'value="{number}" required checked', again.text)
    pending = world.submit()
    not_rejected = client.get(f"/app/new?resubmit={pending.id}")
    assert not_rejected.status_code == 409 and "只有被驳回的登记可以重新提交" in not_rejected.text
    # Once sent again, the rejection points to its correction and offers no second one.
    correction = world.submit(resubmission_of=rejected.id)
    detail = client.get(f"/app/registrations/{rejected.id}").text
    assert "resubmit=" not in detail
    assert re.search(r'id="corrected">已用号码 \d{11} 重新提交', detail)
    second = client.get(f"/app/new?resubmit={rejected.id}")
    assert second.status_code == 409 and "REGISTRATION-RESUBMITTED" in second.text
    world.simreg.registrations.cancel(world.actors["clerk_hall"], correction.id)
    assert "resubmit=" in client.get(f"/app/registrations/{rejected.id}").text


def test_only_a_social_outlet_is_asked_to_enrol_its_device(
    client: TestClient, world: World
) -> None:
    log_in(client, "clerk_hall")
    assert 'href="/app/device"' not in client.get("/app").text  # not even in the menu
    client.cookies.clear()
    log_in(client, "clerk_shop")
    assert 'href="/app/device">' in client.get("/app").text.split("<main", 1)[1]


def test_a_device_cookie_from_another_outlet_does_not_stop_a_hall_clerk(
    client: TestClient, world: World
) -> None:
    """A clerk moved from a shop to a hall keeps the shop's cookie: the hall ignores it."""
    csrf = log_in(client, "clerk_hall")
    client.cookies.set("simreg_device", world.device_tokens["shop"])
    number = world.number()
    sent = client.post(
        "/app/registrations",
        data={
            "csrf_token": csrf,
            "msisdn": number,
            "document_type": "resident_id",
            "document_number": world.resident_id(),
            "customer_name": "张三",
            "original_inspected": "true",
            "inspection_method": "visual",
        },
        files={
            "photo_front": ("f.jpg", FRONT, "image/jpeg"),
            "photo_back": ("b.jpg", BACK, "image/jpeg"),
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text


def test_a_clerk_pages_back_through_every_registration(client: TestClient, world: World) -> None:
    made = [world.submit() for _ in range(52)]
    log_in(client, "clerk_hall")
    first = client.get("/app")
    assert first.text.count('class="card row-card"') == 50 and 'id="older"' in first.text
    assert made[-1].id in first.text and made[0].id not in first.text
    second = client.get("/app?page=2")
    assert made[0].id in second.text and 'id="older"' not in second.text
    assert 'id="newer"' in second.text


def test_an_outlet_that_may_not_register_is_told_before_the_form(
    client: TestClient, world: World
) -> None:
    """A sub-agent (RN-08) gets no form that could only be refused, and no offer to enrol a
    device it can never have; a shop without its device (RN-09) is sent to enrol it."""
    log_in(client, "clerk_sub")
    client.cookies.set("simreg_device", world.device_tokens["sub"])
    home = client.get("/app").text
    assert "本网点目前不能办理入网" in home and "下级代理" in home
    assert 'href="/app/device">' not in home.split("<main", 1)[1]
    new = client.get("/app/new").text
    assert 'id="registration-form"' not in new and "RN-08" in new
    client.cookies.clear()
    log_in(client, "clerk_shop")
    unenrolled = client.get("/app/new").text
    assert 'id="registration-form"' not in unenrolled and "RN-09" in unenrolled
    assert 'href="/app/device"' in unenrolled.split("<main", 1)[1]
    client.cookies.set("simreg_device", world.device_tokens["shop"])
    assert 'id="registration-form"' in client.get("/app/new").text


def test_a_channels_audit_finds_what_its_outlets_were_refused(
    client: TestClient, world: World
) -> None:
    """A refusal at the counter records the outlet; searching the channel finds it, named."""
    with pytest.raises(DomainError):
        world.submit(document_number="110105194912310021")  # a wrong check character
    csrf = log_in(client, "auditor")
    found = client.post(
        "/audit",
        data={"csrf_token": csrf, "channel": "OWN", "action": "registration.submit"},
    )
    rows = found.text.split('id="audit-results"', 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr") == 2  # the header and the one refusal
    assert "<td>OWN</td><td>HALL</td>" in rows


def test_a_disabled_account_loses_its_api_tokens_for_good(client: TestClient, world: World) -> None:
    headers = world.headers("manager")
    assert client.get("/api/v1/channels", headers=headers).status_code == 200
    staff, admin = world.simreg.staff, world.actors["admin"]
    manager = world.actors["manager"]
    for active in (False, True):
        staff.update_account(
            admin, manager.staff_id, role=manager.role, outlet_code=None, active=active
        )
        # Enabling the account again does not bring back the token it had.
        assert client.get("/api/v1/channels", headers=headers).status_code == 401


def test_a_password_reset_ends_the_accounts_api_tokens(client: TestClient, world: World) -> None:
    # A reset is the answer to a compromised account: the token must not keep working.
    headers = world.headers("auditor")
    assert client.get("/api/v1/channels", headers=headers).status_code == 200
    world.simreg.staff.reset_password(
        world.actors["admin"], world.actors["auditor"].staff_id, "fresh-start-2026"
    )
    assert client.get("/api/v1/channels", headers=headers).status_code == 401


def test_a_decided_registration_is_masked_to_other_reviewers_until_an_audited_reveal(
    client: TestClient, world: World
) -> None:
    registration = world.submit(document_number="11010519491231002X", customer_name="张三丰")
    reviewers = world.simreg.registrations
    reviewers.claim(world.actors["reviewer"], registration.id)
    reviewers.approve(world.actors["reviewer"], registration.id, open_line=True)

    def viewed() -> list[str]:
        rows = audit_rows(world, "registration.identity_viewed")
        return [r["details"]["shown"] for r in rows]

    # The reviewer who decided it sees it in full, unaudited.
    log_in(client, "reviewer")
    own = client.get(f"/review/{registration.id}")
    assert "11010519491231002X" in own.text and 'id="sealed"' not in own.text
    assert client.get(f"/review/{registration.id}/photos/front").status_code == 200
    assert viewed() == []

    # Another reviewer: masked, no photos on the page, until asking, which is audited.
    client.cookies.clear()
    csrf = log_in(client, "reviewer2")
    other = client.get(f"/review/{registration.id}")
    assert other.status_code == 200 and 'id="sealed"' in other.text
    assert "11010519491231002X" not in other.text and "张三丰" not in other.text
    assert "/photos/front" not in other.text
    shown = client.post(f"/review/{registration.id}/reveal", data={"csrf_token": csrf})
    assert "11010519491231002X" in shown.text and "张三丰" in shown.text
    assert "/photos/front" in shown.text
    assert client.get(f"/review/{registration.id}/photos/front").status_code == 200
    assert viewed() == ["document", "front"]
    # Through the API too: a photo of a decided registration someone else decided.
    api = client.get(
        f"/api/v1/registrations/{registration.id}/photos/back", headers=world.headers("admin")
    )
    assert api.status_code == 200 and viewed() == ["document", "front", "back"]


def test_a_clerk_sees_only_the_photos_they_took_while_under_review_or_rejected(
    client: TestClient, world: World
) -> None:
    mine = world.submit("clerk_hall")
    # A colleague at the same counter, with an account of their own.
    colleague_id = world.simreg.staff.create_account(
        world.actors["admin"],
        username="clerk.hall.b",
        display_name="Clerk B",
        role=Role.CLERK,
        outlet_code="HALL",
        password="long-enough-pw-2026",
    )
    colleague = world.simreg.registrations.submit(
        replace(world.actors["clerk_hall"], staff_id=colleague_id, username="clerk.hall.b"),
        world.command(),
    )
    clerk = world.headers("clerk_hall")

    def photo(registration_id: str) -> int:
        path = f"/api/v1/registrations/{registration_id}/photos/front"
        return client.get(path, headers=clerk).status_code

    assert photo(mine.id) == 200
    assert photo(colleague.id) == 404  # the same outlet, another clerk's customer
    reviewer = world.actors["reviewer"]
    world.simreg.registrations.claim(reviewer, mine.id)
    world.simreg.registrations.approve(reviewer, mine.id, open_line=True)
    assert photo(mine.id) == 404  # decided and open: no longer the clerk's to look at


def audit_rows(world: World, action: str) -> list[dict[str, Any]]:
    with world.simreg.engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_events.c.details)
            .where(t.audit_events.c.action == action)
            .order_by(t.audit_events.c.id)
        ).all()
    return [{"details": r.details} for r in rows]


def test_cookies_are_secure_when_the_deployment_says_so(world: World) -> None:
    # Behind a TLS proxy that forwards with Host: 127.0.0.1 the per-request guess would say
    # plain HTTP; SIMREG_SECURE_COOKIES=true settles it.
    settings = world.simreg.settings.model_copy(update={"secure_cookies": True})
    with TestClient(create_app(replace(world.simreg, settings=settings))) as client:
        logged = client.post(
            "/login", data={"username": "auditor", "password": PASSWORD}, follow_redirects=False
        )
    assert logged.status_code == 303
    assert "secure" in logged.headers["set-cookie"].lower()
    with TestClient(create_app(world.simreg)) as client:
        plain = client.post(
            "/login", data={"username": "auditor", "password": PASSWORD}, follow_redirects=False
        )
    assert "secure" not in plain.headers["set-cookie"].lower()  # the demo on loopback


def test_forwarded_headers_are_believed_only_from_named_proxies(world: World) -> None:
    settings = world.simreg.settings
    same_host = {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1"}
    assert _proxy_options(settings) == same_host
    named = settings.model_copy(update={"trusted_proxies": "10.0.0.5"})
    assert _proxy_options(named) == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5"}
    nobody = settings.model_copy(update={"trusted_proxies": ""})
    assert _proxy_options(nobody) == {"proxy_headers": False, "forwarded_allow_ips": None}
