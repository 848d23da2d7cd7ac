from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from simreg.web.app import create_app
from tests.e2e.browser_support import launched_browser, serving
from tests.support.world import World


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.simreg), raise_server_exceptions=False) as http:
        yield http


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium per test module (skipped with the reason when it is not installed)."""
    with launched_browser() as launched:
        yield launched


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    """The app served over real HTTP for the browser."""
    with serving(world.simreg) as url:
        yield url
