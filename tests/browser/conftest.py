"""A real server (uvicorn on a free loopback port) on a small partnership, and Debian's chromium
driven headless by Playwright. Every page a test opens is checked for console errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.partnership import PASSWORD, BrowserPartnership, build
from tests.polling import WAIT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def partnership(tmp_path_factory: pytest.TempPathFactory) -> BrowserPartnership:
    """The synthetic partnership, built once per test worker."""
    return build(tmp_path_factory.mktemp("browser") / "partnership")


@pytest.fixture(scope="session")
def server(partnership: BrowserPartnership) -> Iterator[str]:
    """The base URL of `uvicorn` serving the whole application on the partnership."""
    port = _free_port()
    env = os.environ | {"BIGFISH_DATABASE_URL": partnership.url, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.browser.serve_app:make_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=WAIT)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium, headless, with the flags of the issue (no downloaded browser). One per
    module, not per session: Playwright's sync API holds an event loop running in this thread
    while it is open, so every later `asyncio.run()` of the worker (tests/api) would fail."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS, timeout=WAIT * 1000
        )
        yield launched
        launched.close()


class Console:
    """Errors the pages wrote to the console or threw, and dialogs they opened."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []


@pytest.fixture
def console() -> Console:
    """What the pages of one test reported."""
    return Console()


def open_page(browser: object, server: str, console: Console, username: str) -> object:
    """A new browser context signed in as USERNAME, its console watched."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(WAIT * 1000)  # Playwright gives up after 30 s by default
    page = context.new_page()
    page.on("console", lambda m: console.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.errors.append(str(e)))

    def on_dialog(dialog: object) -> None:
        console.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    page.on("dialog", on_dialog)
    page.goto(server + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")
    return page


@pytest.fixture
def analyst(browser: object, server: str, console: Console) -> Iterator[object]:
    """A page signed in as somchai of th-aoc (sees the shared partnership and its own reports)."""
    page = open_page(browser, server, console, "somchai")
    yield page
    page.context.close()  # type: ignore[attr-defined]
    assert console.errors == []
    assert console.dialogs == []
