"""`bigfish serve` on an address it cannot listen on ends with status 1 and says what to do.

uvicorn logged "[Errno 98] ... address already in use" under "serving on http://…" and the
command ended with uvicorn's status 3 (one worker) or 1 (several), where spec/cli.md gives 1
for a problem with the request and the README promises an error that says what to do.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

BIGFISH = str(Path(sys.executable).parent / "bigfish")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_an_error_naming_it_and_what_to_do(tmp_path: Path, workers: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                BIGFISH,
                *("--db", f"sqlite:///{tmp_path / 'b.db'}", "--data-dir", str(tmp_path / "d")),
                *("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", workers),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 1, (done.returncode, done.stderr)
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and f"127.0.0.1:{port}" in last, done.stderr
    assert "--port" in last and "Traceback" not in done.stderr, done.stderr
