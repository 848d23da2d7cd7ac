from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from simreg.web.app import create_app
from tests.support.world import World


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.simreg), raise_server_exceptions=False) as http:
        yield http
