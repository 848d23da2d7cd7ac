"""Days and ranges a report request cannot be served for: each is refused at once with its
code (422), never a server error, never minutes of work, and nothing is written."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from simreg.db import tables as t
from simreg.reporting.domain import Grain, Period
from tests.e2e.test_page_permissions import log_in
from tests.support.world import World

OUT_OF_RANGE = {
    "/api/v1/reports/review-times?start=0001-01-01&end=2026-01-01": "REPORT-DATE-RANGE",
    "/api/v1/reports/review-times?month=9999-12": "REPORT-DATE-RANGE",
    "/api/v1/reports/compliance?start=2026-01-01&end=9999-12-31": "REPORT-DATE-RANGE",
    "/api/v1/reports/figures?as_of=0001-01-01": "REPORT-DATE-RANGE",
    "/api/v1/reports/series?figure=app_deployment_rate&grain=month&start=0001-01-01"
    "&end=2026-01-01": "REPORT-SERIES-LONG",
    "/api/v1/reports/series?figure=app_deployment_rate&grain=month&start=1899-12-01"
    "&end=1900-01-31": "REPORT-DATE-RANGE",
    "/api/v1/reports/monthly/0001-01.xlsx": "REPORT-DATE-RANGE",
    "/api/v1/reports/monthly/1900-01.pdf": "REPORT-DATE-RANGE",
}
PAGES = (
    "/reports?as_of=0001-01-01",
    "/reports/review-times?start=0001-01-01&end=9999-12-31",
    "/reports/compliance?month=9999-12",
    "/reports/exports/0001-01.pdf",
)


def audit_rows(world: World) -> int:
    with world.simreg.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.audit_events)).scalar_one())


def test_days_out_of_range_are_refused_with_their_code(client: TestClient, world: World) -> None:
    headers = world.headers("auditor")
    before = audit_rows(world)
    for path, code in OUT_OF_RANGE.items():
        got = client.get(path, headers=headers)
        assert got.status_code == 422, (path, got.status_code, got.text[:200])
        assert got.json()["code"] == code, path
    log_in(client, "auditor")
    written = audit_rows(world)  # the login's own row
    for path in PAGES:
        got = client.get(path)
        assert got.status_code == 422, (path, got.status_code)
        assert "REPORT-DATE-RANGE" in got.text, path
    assert audit_rows(world) == written and written - before <= 1  # no export, no census


def test_a_series_too_long_is_refused_before_any_work(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daily series since year 1 is 740,000 days: the refusal must not list them first (it
    took about five seconds of a server's CPU per request). Listing them here is an error."""

    def listed(self: Period, grain: Grain) -> list[Period]:
        raise AssertionError(f"listed the {grain} buckets of {self} before refusing")

    monkeypatch.setattr(Period, "buckets", listed)
    headers = world.headers("auditor")
    path = "/api/v1/reports/series?figure=real_name_rate&grain=day&start=0001-01-02&end=2026-01-01"
    got = client.get(path, headers=headers)
    assert got.status_code == 422 and got.json()["code"] == "REPORT-SERIES-LONG"
    log_in(client, "auditor")
    page = client.get("/reports?grain=day&start=0001-01-02", headers={"accept-language": "en"})
    assert page.status_code == 200 and "REPORT-SERIES-LONG" in page.text


@pytest.mark.parametrize("grain", list(Grain))
def test_bucket_count_is_the_number_of_buckets(grain: Grain) -> None:
    starts = [date(2025, 12, 29), date(2026, 1, 1), date(2026, 1, 31), date(2024, 2, 29)]
    for start in starts:
        for length in (0, 1, 6, 7, 30, 31, 59, 365, 800):
            period = Period(start, date.fromordinal(start.toordinal() + length))
            assert period.bucket_count(grain) == len(period.buckets(grain)), (period, grain)


def test_csv_downloads_are_never_cached(client: TestClient, world: World) -> None:
    """A report CSV may list masked documents (over-limit IDs): like the monthly files, no
    browser or proxy keeps a copy."""
    log_in(client, "auditor")
    for path in (
        "/reports/over-limit.csv",
        "/reports/review-times.csv",
        "/reports/breakdown.csv?view=kind&as_of=2026-01-01",
        "/reports/series.csv?figure=app_deployment_rate&start=2026-01-01&end=2026-01-31",
    ):
        got = client.get(path)
        assert got.status_code == 200, (path, got.text[:200])
        assert got.headers["cache-control"] == "private, no-store", path
        assert got.headers["content-disposition"].startswith('attachment; filename="'), path


def test_taking_a_census_needs_the_forms_token(client: TestClient, world: World) -> None:
    """A page on another site cannot make a logged-in auditor's browser take a census."""
    csrf = log_in(client, "auditor")
    before = audit_rows(world)
    for data in ({}, {"csrf_token": "forged"}):
        refused = client.post("/reports/census", data=data, follow_redirects=False)
        assert refused.status_code == 403 and "CSRF" in refused.text
    assert (
        world.simreg.reports.census(world.actors["auditor"], world.simreg.reports.today()) is None
    )
    assert audit_rows(world) == before
    taken = client.post("/reports/census", data={"csrf_token": csrf}, follow_redirects=False)
    assert taken.status_code == 303
