"""The group-customer pages over HTTP: an account manager registers an enterprise and binds a
user by form, a reviewer opens the line from the review console, auditors read but change
nothing, other roles see nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.simulators.identity_authority import AuthorityServer
from tests.e2e.test_page_permissions import log_in
from tests.support import enterprise as support
from tests.support.enterprise import account_manager, resident
from tests.support.world import World


@pytest.fixture(scope="module")
def authority() -> Iterator[AuthorityServer]:
    yield from support.authority()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, authority: AuthorityServer) -> Settings:
    return support.authority_settings(database_url, tmp_path, authority)


def test_an_account_manager_works_a_group_customer_through_the_pages(
    client: TestClient, world: World, authority: AuthorityServer
) -> None:
    manager, _ = account_manager(world)
    agent, user = resident(authority, 300), resident(authority, 301)
    csrf = log_in(client, manager.username)
    home = client.get("/")
    assert home.url.path == "/enterprises" and 'href="/enterprises"' in home.text

    refused = client.post(
        "/enterprises",
        data={
            "csrf_token": csrf,
            "name": "星河物流有限公司",
            "credit_code": "91110000600037341A",
            "agent_name": agent[1],
            "agent_doc_number": agent[0],
        },
    )
    assert refused.status_code == 422 and "USCC-CHECKSUM" in refused.text
    assert agent[0] not in refused.text  # the agent's number is not echoed back
    created = client.post(
        "/enterprises",
        data={
            "csrf_token": csrf,
            "name": "星河物流有限公司",
            "credit_code": support.CREDIT_CODE,
            "agent_name": agent[1],
            "agent_doc_number": agent[0],
            "agreement_no": "JT-1",
            "signed_on": date.today().isoformat(),
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    page_url = created.headers["location"].split("?")[0]
    enterprise_id = int(re.sub(r"\D", "", page_url))
    for step in (
        {"action": "activate"},
        {"count": "3"},
    ):
        target = "action" if "action" in step else "lines"
        moved = client.post(
            f"{page_url}/{target}", data={"csrf_token": csrf} | step, follow_redirects=False
        )
        assert moved.status_code == 303, moved.text
    page = client.get(page_url)
    numbers = re.findall(r'<tr data-msisdn="(\d{11})">', page.text)
    assert len(numbers) == 3
    bound = client.post(
        f"{page_url}/bindings",
        data={"csrf_token": csrf, "msisdn": numbers[0], "doc_number": user[0], "name": user[1]},
    )
    assert bound.status_code == 200
    waiting = bound.text.split('id="waiting-list"')[1].split("</table>")[0]
    assert f'data-msisdn="{numbers[0]}"' in waiting and (
        "审核中" in waiting or "In review" in waiting
    )
    assert user[0] not in bound.text and user[1] not in bound.text
    assert "公安身份核验已通过" in bound.text.split('id="done"', 1)[1].split("</p>", 1)[0]
    # A name that does not hold the number: said plainly, not "Saved".
    wrong = client.post(
        f"{page_url}/bindings",
        data={"csrf_token": csrf, "msisdn": numbers[1], "doc_number": user[0], "name": "孙错"},
    )
    done = wrong.text.split('id="done"', 1)[1].split("</p>", 1)[0]
    assert "alert-error" in wrong.text.split('id="done"', 1)[0][-80:]
    assert "公安身份核验未通过" in done and "已保存" not in done

    client.post("/logout", data={"csrf_token": csrf})

    # The reviewer sees where it came from and the authority's answer, and opens the line.
    csrf = log_in(client, "reviewer")
    with world.simreg.engine.connect() as conn:
        registration_id = conn.execute(
            select(t.actual_user_bindings.c.registration_id).where(
                t.actual_user_bindings.c.status == "pending_review"
            )
        ).scalar_one()
    item = client.get(f"/review/{registration_id}")
    assert item.status_code == 200 and 'id="origin"' in item.text and "星河物流" in item.text
    opened = client.post(f"/review/{registration_id}/approve", data={"csrf_token": csrf})
    assert opened.status_code == 200, opened.text
    after = client.get(f"{page_url}?lines=active")
    assert after.status_code == 403  # reviewers do not read group customers' pages
    client.post("/logout", data={"csrf_token": csrf})
    csrf = log_in(client, "auditor")
    active = client.get(f"{page_url}?lines=active").text.split('id="line-list"')[1]
    assert f'data-msisdn="{numbers[0]}"' in active
    assert client.get(page_url).status_code == 200
    blocked = client.post(f"{page_url}/action", data={"csrf_token": csrf, "action": "suspend"})
    assert blocked.status_code == 403
    assert 'id="lifecycle"' not in client.get(page_url).text
    client.post("/logout", data={"csrf_token": csrf})
    log_in(client, "clerk_hall")
    assert client.get("/enterprises").status_code == 403
    assert client.get(f"/enterprises/{enterprise_id}").status_code == 403
    client.cookies.clear()

    # The user leaves the company: the account manager ends the binding from the line list.
    csrf = log_in(client, manager.username)
    page = client.get(page_url)
    found = re.search(r'action="(/enterprises/\d+/bindings/\d+/end)"', page.text)
    assert found, "an end form on the line in force"
    ended = client.post(
        found.group(1),
        data={"csrf_token": csrf, "reason": "left the company"},
        follow_redirects=False,
    )
    assert ended.status_code == 303 and "done=ended" in ended.headers["location"]
    after_end = client.get(f"{page_url}?lines=active").text.split('id="line-list"')[1]
    assert f'data-msisdn="{numbers[0]}"' not in after_end
    client.cookies.clear()

    # An administrator gives the customer to an account manager from the same page.
    csrf = log_in(client, "admin")
    admin_view = client.get(page_url)
    assert 'id="assign-manager"' in admin_view.text
    moved = client.post(
        f"{page_url}/account-manager",
        data={"csrf_token": csrf, "username": manager.username},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and "done=assigned" in moved.headers["location"]
    assert manager.username in client.get(page_url).text.split('id="account-manager"')[1][:200]
