"""Screenshots of the main pages for docs/screenshots/ and the README (run by hand):

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Builds the browser tests' partnership, serves it with uvicorn on a free loopback port and takes
full-page PNGs in Debian's headless chromium, signed in as an analyst of th-aoc.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.browser.partnership import PASSWORD, build

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--reports", type=int, default=3000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp()) / "partnership"
    partnership = build(work, reports_count=args.reports)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {"BIGFISH_DATABASE_URL": partnership.url, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.browser.serve_app:make_app", "--factory",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/login", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = chromium.new_page(viewport={"width": 1440, "height": 900})
            page.goto(base + "/login")
            page.screenshot(path=str(args.out / "login.png"))
            page.fill("#username", "somchai")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")
            top = page.get_attribute("table.data a[href^='/networks/']", "href")
            shots = {
                "overview": "/",
                "big-fish": "/networks?min_countries=2",
                "network": top or f"/networks/{partnership.hostile_network}",
                "search": f"/search?q={partnership.local_phone}&country=TH",
                "report": "/reports/th-aoc/hostile-0",
                "alerts": "/alerts",
                "organizations": "/organizations",
            }
            for name, path in shots.items():
                page.goto(base + path)
                if name == "network":
                    page.locator("#graph[data-rendered-nodes]").wait_for()
                    page.wait_for_timeout(300)
                page.screenshot(path=str(args.out / f"{name}.png"), full_page=name != "network")
                print(f"{args.out / name}.png ← {path}")
            chromium.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
