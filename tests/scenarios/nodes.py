"""A real `bigfish serve` process on a free loopback port, for scenarios with several nodes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.interop.servers import free_port
from tests.polling import WAIT


@contextmanager
def serve_node(
    db: str, tmp: Path, name: str, data_dir: Path | None = None, port: int | None = None
) -> Iterator[str]:
    """Start a node on DB (and DATA_DIR) on PORT (a free one when None), yield its base URL
    once healthy, stop it after."""
    port = port or free_port()
    log = (tmp / f"{name}.log").open("wb")
    command = [sys.executable, "-m", "bigfish", "--db", db]
    # a node of its own under TMP: the server creates its key there, never in the checkout
    command += ["--data-dir", str(data_dir if data_dir is not None else tmp / f"{name}-data")]
    command += ["serve", "--port", str(port), "--rate-limit", "0"]
    env = {k: v for k, v in os.environ.items() if k not in ("BIGFISH_DATA_DIR",)}
    env["BIGFISH_DATABASE_URL"] = db
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError((tmp / f"{name}.log").read_text())
        yield base
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:  # keep-alive connections hold a graceful stop
            process.kill()
            process.wait(WAIT)
        log.close()
