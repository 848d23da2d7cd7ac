"""A cap on request bodies, enforced before anything parses them.

Form and multipart parsing would otherwise spool any upload in full (to memory or a temporary
file) before a route, or even its login check, sees the request: a 200 MB post to a public
page would be read to the end only to be refused. A body that says it is too large is refused
at once; one that does not say (chunked) is counted as it arrives and cut off at the cap.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simreg.web.errors import send_error


class BodyTooLarge(HTTPException):
    # An HTTPException, so that a parser that meets it mid-read passes it on as it is. The
    # connection closes after the answer: the rest of the body is never read.
    def __init__(self, max_bytes: int) -> None:
        megabytes = max_bytes // (1024 * 1024)
        super().__init__(
            status_code=413,
            detail=f"The request is larger than {megabytes} MB.",
            headers={"Connection": "close"},
        )


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        megabytes = self.max_bytes // (1024 * 1024)
        await send_error(
            send,
            413,
            "REQUEST-TOO-LARGE",
            f"The request is larger than {megabytes} MB.",
            f"请求超过 {megabytes} MB。",
            {"max_bytes": self.max_bytes},
        )
