"""The one place application errors become HTTP responses: JSON ``{code, message, details}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from simreg.core.errors import (
    ConfigurationError,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolated,
    TooManyRequests,
    Unauthenticated,
)

log = logging.getLogger("simreg.web")

_STATUS: list[tuple[type[DomainError], int]] = [
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RuleViolated, 422),
    (InvalidInput, 422),
    (ConfigurationError, 503),
    (TooManyRequests, 429),
]


def status_for(error: DomainError) -> int:
    if error.code == "RN-06":
        return 409  # activation of an unapproved registration is a state conflict
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 400


def body(
    code: str, message: str, message_zh: str | None, details: dict[str, Any]
) -> dict[str, Any]:
    return {"code": code, "message": message, "message_zh": message_zh, "details": details}


async def send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    message_zh: str,
    details: dict[str, Any] | None = None,
) -> None:
    """An error answered from ASGI middleware, before any route: the same JSON as every other
    error, and the connection closed (the rest of the request is not read)."""
    payload = json.dumps(body(code, message, message_zh, details or {})).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


PageErrors = Callable[[Request, DomainError, int], Response]


def is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/openapi.json", "/healthz")


def install(app: FastAPI, page_errors: PageErrors | None = None) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if page_errors is not None and not is_api(request):
            return page_errors(request, exc, status_for(exc))
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(
            body(exc.code, exc.message, exc.message_zh, exc.details),
            status_code=status_for(exc),
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if page_errors is not None and not is_api(request):
            return page_errors(
                request,
                InvalidInput(
                    "Some fields are missing or malformed.", message_zh="部分字段缺失或格式错误。"
                ),
                422,
            )
        # Field names and error kinds only: submitted values may be identity data.
        problems = [
            {"field": ".".join(str(p) for p in err.get("loc", ())), "error": err.get("type")}
            for err in exc.errors()
        ]
        return JSONResponse(
            body(
                "INVALID_INPUT",
                "The request is missing fields or has malformed ones.",
                "请求缺少字段或字段格式错误。",
                {"fields": problems},
            ),
            status_code=422,
        )

    not_a_page = DomainError(
        "This address receives a form; it is not a page to open. Go back and send the form again.",
        code="METHOD_NOT_ALLOWED",
        message_zh="此地址用于提交表单，不能直接打开。请返回上一页重新提交。",
    )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST-TOO-LARGE"}.get(
            exc.status_code, "HTTP_ERROR"
        )
        if page_errors is not None and not is_api(request) and exc.status_code == 404:
            return page_errors(
                request, NotFound("This page does not exist.", message_zh="页面不存在。"), 404
            )
        if (
            page_errors is not None
            and not is_api(request)
            and exc.status_code == 405
            and request.method in ("GET", "HEAD")
        ):
            # A form's address opened again (a reload, a bookmark, a back button).
            page = page_errors(request, not_a_page, 405)
            page.headers.update(exc.headers or {})  # Allow: what the address does take
            return page
        message_zh = {404: "地址不存在。", 405: "此地址不接受该请求方法。", 413: "请求过大。"}.get(
            exc.status_code
        )
        return JSONResponse(
            body(code, str(exc.detail), message_zh, {}),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # Log the type only; a message might quote identity data from the request.
        log.error("unexpected error: %s", type(exc).__name__)
        return JSONResponse(
            body(
                "INTERNAL",
                "Something went wrong on our side; nothing was saved.",
                "系统内部错误，本次操作未保存。",
                {},
            ),
            status_code=500,
        )
