"""Requests larger than three photos at their limit are refused with 413 before any parsing or
login check: an anonymous 26 MB post is not spooled to disk only to be turned away."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from tests.support.world import World

MEGABYTE = 1 << 20


def test_a_declared_oversized_body_is_refused_before_the_login_check(
    client: TestClient, world: World
) -> None:
    limit = 3 * world.simreg.settings.photo_max_bytes + MEGABYTE
    too_big = b"x" * (limit + 1)
    for path in ("/api/v1/registrations", "/r/1.2.x", "/login"):
        response = client.post(path, content=too_big, headers={"content-type": "text/plain"})
        assert response.status_code == 413, path
        assert response.json()["code"] == "REQUEST-TOO-LARGE"


def test_a_chunked_body_is_cut_off_at_the_limit(client: TestClient, world: World) -> None:
    limit = 3 * world.simreg.settings.photo_max_bytes + MEGABYTE

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // MEGABYTE + 2):
            yield b"x" * MEGABYTE

    response = client.post(
        "/api/v1/registrations",
        content=chunks(),
        headers={"content-type": "multipart/form-data; boundary=b", "authorization": "Bearer x"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "REQUEST-TOO-LARGE"
    assert response.headers["connection"] == "close"  # the rest of the body is not read


def test_a_request_within_the_limit_is_served_as_before(client: TestClient, world: World) -> None:
    response = client.post("/api/v1/registrations", content=b"x" * MEGABYTE)
    assert response.status_code == 401  # reaches the login check, as any unsigned request
