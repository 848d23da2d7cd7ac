"""The HTTP access log, kept free of identity data and secrets.

uvicorn logs every request's target as it came. Two kinds of target carry what must not be
logged: a re-registration link's path is the link itself (whoever holds it may re-register the
line, RN-13), and a query string may hold a document number or a name (an audit search, a
filter). The log keeps the path with the token replaced and the query's names without their
values, which is still enough to tell which page and which filters a request used.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

# The signed-link routes: the page (/r/{token}) and its API (/api/v1/reregister/{token}).
_LINK = re.compile(r"^(/r/|/api/v1/reregister/)[^/]+")


def redacted_target(target: str) -> str:
    path, has_query, query = target.partition("?")
    path = _LINK.sub(r"\1***", path)
    if not has_query:
        return path
    names = [part.split("=", 1)[0] for part in query.split("&") if part]
    return f"{path}?{'&'.join(f'{name}=*' for name in names)}"


class RedactedAccessLog(logging.Filter):
    """Rewrites the target of uvicorn's access records: (client, method, target, http, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redacted_target(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging set-up, with the access handler behind the filter above."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redacted_access"] = {"()": RedactedAccessLog}
    config["handlers"]["access"]["filters"] = ["redacted_access"]
    return config
