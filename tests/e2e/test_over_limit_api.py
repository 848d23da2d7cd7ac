"""The real-name figures and RN-14 cases over HTTP and through the pages: roles, the whole
resolution, refusals and conflicts as a client sees them."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.e2e.test_page_permissions import ROLES, log_in
from tests.support.campaign_base import org_units
from tests.support.over_limit_base import document_holding, new_document_number, unverified_lines
from tests.support.world import World

READERS = {"risk_analyst", "admin", "auditor", "channel_manager"}
RESOLVERS = {"risk_analyst", "admin"}


@pytest.mark.parametrize("who", list(ROLES))
def test_api_roles(client: TestClient, world: World, who: str) -> None:
    holder = document_holding(world.simreg, 6)
    world.simreg.over_limit.find(world.actors["admin"])
    role, headers = ROLES[who], world.headers(who)
    listed = client.get("/api/v1/over-limit-cases", headers=headers)
    assert listed.status_code == (200 if role in READERS else 403), who
    for path in ("/api/v1/base/figures", "/api/v1/over-limit-cases/1"):
        assert client.get(path, headers=headers).status_code == (200 if role in READERS else 403)
    found = client.post("/api/v1/over-limit-cases/find", headers=headers)
    assert found.status_code == (200 if role in RESOLVERS else 403)
    keep_one_cancel_rest = {
        "lines": [
            {"line_id": line_id, "action": "keep" if n else "cancel"}
            for n, line_id in enumerate(holder.line_ids)
        ]
    }
    resolved = client.post(
        "/api/v1/over-limit-cases/1/resolve", headers=headers, json=keep_one_cancel_rest
    )
    assert resolved.status_code == (200 if role in RESOLVERS else 403), resolved.text


def test_find_list_resolve_and_figures_over_http(client: TestClient, world: World) -> None:
    app = world.simreg
    org_units(app)
    holder = document_holding(app, 7)
    unverified_lines(app, 3)
    headers = world.headers("risk")
    assert client.post("/api/v1/over-limit-cases/find", headers=headers).json() == {"opened": 1}
    assert client.post("/api/v1/over-limit-cases/find", headers=headers).json() == {"opened": 0}
    listed = client.get("/api/v1/over-limit-cases?status=open", headers=headers).json()
    assert listed["total"] == 1
    case = listed["items"][0]
    assert holder.doc_number not in str(listed)
    detail = client.get(f"/api/v1/over-limit-cases/{case['id']}", headers=headers).json()
    assert [line["channel"] for line in detail["lines"]] == ["Own hall"] * 7
    assert {line["real_name_state"] for line in detail["lines"]} == {"verified"}

    figures = client.get("/api/v1/base/figures", headers=headers).json()
    assert figures["overall"]["lines"] == 10 and figures["overall"]["over_limit"] == 7
    assert figures["overall"]["rate"] == 0.7

    ids = holder.line_ids
    refused = client.post(
        f"/api/v1/over-limit-cases/{case['id']}/resolve",
        headers=headers,
        json={"lines": [{"line_id": i, "action": "keep"} for i in ids]},
    )
    assert refused.status_code == 422 and refused.json()["code"] == "RN-14"
    decision = {
        "lines": [{"line_id": i, "action": "keep"} for i in ids[:5]]
        + [{"line_id": ids[5], "action": "cancel"}]
        + [
            {
                "line_id": ids[6],
                "action": "transfer",
                "receiver_doc_type": "resident_id",
                "receiver_doc_number": new_document_number(),
                "receiver_name": "赵敏",
            }
        ],
        "notes": "called the holder",
    }
    done = client.post(
        f"/api/v1/over-limit-cases/{case['id']}/resolve", headers=headers, json=decision
    )
    assert done.json() == {
        "id": case["id"],
        "status": "resolved",
        "kept": 5,
        "cancelled": 1,
        "transferred": 1,
    }
    again = client.post(
        f"/api/v1/over-limit-cases/{case['id']}/resolve", headers=headers, json=decision
    )
    assert again.status_code == 409 and again.json()["code"] == "OVER-LIMIT-RESOLVED"
    after = client.get("/api/v1/base/figures", headers=headers).json()
    assert after["overall"]["lines"] == 9 and after["overall"]["over_limit"] == 0
    assert after["over_limit_documents"]["resolved_cases"] == 1
    assert client.get("/api/v1/over-limit-cases/999", headers=headers).status_code == 404


@pytest.mark.parametrize("who", list(ROLES))
def test_page_roles(client: TestClient, world: World, who: str) -> None:
    document_holding(world.simreg, 6)
    world.simreg.over_limit.find(world.actors["admin"])
    csrf = log_in(client, who)
    role = ROLES[who]
    for path in ("/base", "/base/over-limit", "/base/over-limit/1"):
        page = client.get(path, follow_redirects=False)
        assert page.status_code == (200 if role in READERS else 403), (who, path)
    home = client.get("/account/password")
    assert ('href="/base"' in home.text) == (role in READERS)
    found = client.post("/base/over-limit/find", data={"csrf_token": csrf}, follow_redirects=False)
    assert found.status_code == (303 if role in RESOLVERS else 403)
    if role in READERS:
        case = client.get("/base/over-limit/1").text
        assert ('id="resolve-form"' in case and 'name="action_' in case) == (role in RESOLVERS)


def test_resolving_through_the_page(client: TestClient, world: World) -> None:
    holder = document_holding(world.simreg, 6)
    world.simreg.over_limit.find(world.actors["risk"])
    csrf = log_in(client, "risk")
    worklist = client.get("/base/over-limit")
    assert 'id="open-count">1<' in worklist.text and holder.doc_number not in worklist.text
    fragment = client.get(
        f"/base/over-limit/1/receiver/{holder.line_ids[0]}",
        params={f"action_{holder.line_ids[0]}": "transfer"},
    )
    assert f'name="doc_number_{holder.line_ids[0]}"' in fragment.text
    form = {"csrf_token": csrf, **{f"action_{i}": "keep" for i in holder.line_ids}}
    refused = client.post("/base/over-limit/1/resolve", data=form)
    assert refused.status_code == 422 and "RN-14" in refused.text
    form[f"action_{holder.line_ids[0]}"] = "transfer"
    form[f"doc_type_{holder.line_ids[0]}"] = "resident_id"
    form[f"doc_number_{holder.line_ids[0]}"] = "110105194912310021"
    form[f"name_{holder.line_ids[0]}"] = "周芷若"
    bad_number = client.post("/base/over-limit/1/resolve", data=form)
    assert bad_number.status_code == 422 and bad_number.text.count("DOC-CHECKSUM") == 1
    # What was typed stays in the form to be corrected.
    assert 'value="周芷若"' in bad_number.text
    form[f"doc_number_{holder.line_ids[0]}"] = "11010519491231002X"
    done = client.post("/base/over-limit/1/resolve", data=form, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert 'id="outcome"' in page.text and "周**" in page.text
    assert "11010519491231002X" not in page.text and "1101**********002X" in page.text
    # The decision says where the transferred line stands: held by no one until the person
    # named re-registers it.
    transferred = page.text.split(f'<tr data-line="{holder.msisdns[0]}">', 1)[1].split("</tr>")[0]
    assert "等待接收人用本人证件补登" in transferred
    revealed = client.post("/base/over-limit/1/document", data={"csrf_token": csrf})
    assert holder.doc_number in revealed.text
    audit = client.get("/audit").text
    assert "over_limit.document_viewed" in audit and holder.doc_number not in audit


def test_figures_page_drills_down_and_sorts(client: TestClient, world: World) -> None:
    app = world.simreg
    units = org_units(app)
    document_holding(app, 3)
    unverified_lines(app, 4, channel="SOC")
    log_in(client, "auditor")
    top = client.get("/base")
    assert re.search(r'id="real-name-rate">42\.9%<', top.text)
    assert 'data-unit="P1"' in top.text and 'data-unit="A1"' not in top.text
    city = client.get(f"/base?unit={units.city}&sort=lines&dir=desc")
    rows = re.findall(r'data-unit="(\w+)"', city.text)
    assert rows == ["B1", "A1"]  # 4 lines, then 3
    county = client.get(f"/base?unit={units.county_b}")
    assert re.search(r'id="real-name-rate">0\.0%<', county.text)
    assert re.findall(r'data-channel="(\w+)"', county.text) == ["SOC"]
    assert "Province" in county.text and "City" in county.text  # the trail back up
    unknown = client.get("/base?unit=999999")  # not the network's figures under a bad unit
    assert unknown.status_code == 404 and "ORG-UNIT-NOT-FOUND" in unknown.text
