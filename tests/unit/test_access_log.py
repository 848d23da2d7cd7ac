"""What the HTTP access log keeps of a request's target (cli/access_log.py)."""

from __future__ import annotations

import logging

import pytest

from simreg.cli.access_log import RedactedAccessLog, redacted_target


@pytest.mark.parametrize(
    ("target", "logged"),
    [
        ("/review/12", "/review/12"),
        ("/r/17.1798559026.a50781154b452ee258bcca66da5520ed", "/r/***"),
        ("/api/v1/reregister/17.1798559026.a5078115", "/api/v1/reregister/***"),
        (
            "/audit?document_type=resident_id&document_number=11010519491231002X",
            "/audit?document_type=*&document_number=*",
        ),
        ("/reports?as_of=2026-03-31&", "/reports?as_of=*"),
        ("/base/over-limit?", "/base/over-limit?"),
    ],
)
def test_targets_lose_link_tokens_and_query_values(target: str, logged: str) -> None:
    assert redacted_target(target) == logged


def test_the_filter_rewrites_uvicorns_access_record() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/r/3.1798559026.abcdef", "1.1", 200),
        None,
    )
    assert RedactedAccessLog().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /r/*** HTTP/1.1" 200'
