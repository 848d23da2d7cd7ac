"""Refuse control characters in request text before they reach the database.

PostgreSQL text cannot hold NUL, and no field simreg accepts has a use for control
characters; a request carrying them is malformed, so it gets a 422, never a 500.
"""

from __future__ import annotations

import csv
import io
import re
from typing import BinaryIO
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from simreg.core.errors import InvalidInput
from simreg.web.errors import send_error

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    return _CONTROL.search(value) is not None


def checked_text(field: str, value: str | None) -> str | None:
    """A form or JSON text field, refused with INPUT-CONTROL-CHAR when it hides control bytes."""
    if value is not None and has_control_characters(value):
        raise InvalidInput(
            f"Field '{field}' contains control characters.",
            code="INPUT-CONTROL-CHAR",
            message_zh=f"字段“{field}”包含非法控制字符。",
            field=field,
        )
    return value


CSV_MAX_BYTES = 5 * 1024 * 1024


def read_csv_upload(handle: BinaryIO) -> csv.DictReader[str]:
    """An uploaded spreadsheet export: at most 5 MB, UTF-8 (with or without BOM) or GB18030
    (the GBK that Excel on Chinese Windows saves), no control characters; rows come back as
    dicts keyed by the header line."""
    raw = handle.read(CSV_MAX_BYTES + 1)
    if len(raw) > CSV_MAX_BYTES:
        raise InvalidInput(
            "The file is over 5 MB.", code="IMPORT-TOO-LARGE", message_zh="文件超过 5 MB。"
        )
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise InvalidInput(
            "The file is neither UTF-8 nor GBK text: save it from the spreadsheet as CSV.",
            code="IMPORT-ENCODING",
            message_zh="文件既不是 UTF-8 也不是 GBK 编码的文本，请在表格软件中另存为 CSV。",
        )
    checked_text("file", text)
    return csv.DictReader(io.StringIO(text))


class ControlCharacterGuard:
    """ASGI middleware: path and query string may not carry control characters."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            query = scope.get("query_string", b"")
            decoded = unquote_to_bytes(raw) + unquote_to_bytes(query.replace(b"+", b" "))
            if re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", decoded):
                await _refuse(send)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send) -> None:
    await send_error(
        send,
        422,
        "INPUT-CONTROL-CHAR",
        "The address contains control characters.",
        "请求地址包含非法控制字符。",
    )
