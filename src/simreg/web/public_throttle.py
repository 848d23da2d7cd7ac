"""Throttling of what anyone may call without logging in: the online shop and the
re-registration link (RN-13). Counted per client address, and a link's submissions per link."""

from __future__ import annotations

from fastapi import Request

from simreg.web.auth import simreg_of


def client_address(request: Request) -> str:
    """The peer address as the server sees it; behind a proxy, name it in
    ``SIMREG_TRUSTED_PROXIES`` so this is the customer, not the proxy."""
    return request.client.host if request.client else "unknown"


def throttled(request: Request) -> None:
    simreg_of(request).shop.throttle.address(client_address(request))


def throttled_link(request: Request) -> None:
    """A link names one line, so its holder sends documents a few times at most; many
    submissions through one link are someone trying ID numbers (which ones are at the RN-05
    limit) or making the server decode photos, from however many addresses."""
    throttled(request)
    if request.method == "POST":
        simreg_of(request).shop.throttle.link(request.path_params.get("token", ""))
