"""Browser hardening on every response: no framing, no sniffing, scripts only from simreg, and
nothing but the static assets kept in a browser's or proxy's cache (pages and API answers may
carry decrypted identity data: a review item, a revealed document, an audit export)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
        b"script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"permissions-policy", b"camera=(self), geolocation=(), microphone=()"),
]
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ("/docs", "/redoc"):
            # The interactive API docs load their own scripts; they carry no identity data.
            await self.app(scope, receive, send)
            return

        wanted = HEADERS if scope["path"].startswith("/static/") else [*HEADERS, NO_STORE]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in wanted if name not in existing
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
