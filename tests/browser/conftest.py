"""A real server (uvicorn on a free loopback port) on a small partnership, and Debian's chromium
driven headless by Playwright. Every page a test opens is checked for console errors."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import socket
import sqlite3
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


def _built(shared: Path) -> BrowserPartnership:
    """The partnership built in SHARED, by the first worker of the run that asks for it (the
    others wait for it): each worker built its own, the same, a few seconds of CPU each."""
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        built = shared / "partnership.json"
        if not built.exists():
            made = build(shared / "partnership")
            built.write_text(json.dumps(dataclasses.asdict(made)), encoding="utf-8")
        return BrowserPartnership(**json.loads(built.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def partnership(tmp_path_factory: pytest.TempPathFactory) -> BrowserPartnership:
    """The synthetic partnership, built once per run, each test worker's server on its own copy
    of it (what its tests write, sessions and all, stays in its worker)."""
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker's directory is one of the run's: the run's is shared
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    (shared / "browser").mkdir(exist_ok=True)
    built = _built(shared / "browser")
    copy = tmp_path_factory.mktemp("browser") / "bigfish.db"
    source = sqlite3.connect(built.url.removeprefix("sqlite:///"))
    target = sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return dataclasses.replace(built, url=f"sqlite:///{copy}")


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
        # one client for every try: `httpx.get` made a client, and its TLS context, for each
        # (36 ms of CPU a try, seconds while the server starts on a busy machine)
        with httpx.Client(timeout=2) as client:
            while True:
                try:
                    if client.get(base + "/login").status_code == 200:
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
