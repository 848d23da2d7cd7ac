"""A real browser (Debian's chromium driven by Playwright) against a real server."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from simreg.bootstrap import Simreg
from simreg.web.app import create_app
from tests.support.world import PASSWORD

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1400, "height": 900}


def chromium_path() -> str | None:
    configured = os.environ.get("SIMREG_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def launched_browser() -> Iterator[Browser]:
    path = chromium_path()
    if not path:
        pytest.skip("chromium is not installed (apt-get install chromium); page tests need it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serving(simreg: Simreg) -> Iterator[str]:
    # The server is handed the socket already bound: a port probed, closed and bound again
    # later could be taken in between by a test in another pytest-xdist worker.
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = int(listening.getsockname()[1])
    config = uvicorn.Config(
        create_app(simreg), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listening.close()


def screenshot(page: Page, name: str) -> None:
    """Saved only when SIMREG_SCREENSHOT_DIR is set (to refresh docs/screenshots)."""
    target = os.environ.get("SIMREG_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def browser_context(browser: Browser, base_url: str, *, phone: bool, locale: str) -> BrowserContext:
    """A fresh browser profile: a phone (touch, narrow) or a desk screen, in one language."""
    ctx = browser.new_context(
        viewport=PHONE if phone else DESK,
        locale=locale,
        base_url=base_url,
        is_mobile=phone,
        has_touch=phone,
    )
    ctx.set_default_timeout(15000)
    return ctx


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button")
    page.wait_for_load_state()
