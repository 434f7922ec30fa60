"""`bigfish serve` says "serving on" only once its socket is bound and listening.

It printed "serving on http://192.0.2.1:8765 (Ctrl-C to stop)" for an address this machine does
not have, and for a port in use, then uvicorn's own log line ("ERROR: [Errno 99] error while
attempting to bind ...") and an error that pointed at it ("the reason is above"). Now the
command binds first and a bind that fails is one line naming the address, the port and why.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bigfish.cli import app, serve
from tests.serve_capture import capture_serve

BIGFISH = str(Path(sys.executable).parent / "bigfish")
NOT_OURS = "192.0.2.1"  # TEST-NET-1 (RFC 5737): no machine has it


def _serve(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *argv: str
) -> tuple[Any, dict[str, Any]]:
    """Run `bigfish serve ARGV` in-process with its real bind and a uvicorn that records."""
    real_listen = serve._listen
    ran = capture_serve(monkeypatch, tmp_path)
    monkeypatch.setattr(serve, "_listen", real_listen)
    calls: list[dict[str, Any]] = []
    import uvicorn

    recording = uvicorn.run

    def run(target: str, **settings: Any) -> None:
        calls.append(settings)
        recording(target, **settings)

    monkeypatch.setattr(uvicorn, "run", run)
    db = ["--db", f"sqlite:///{tmp_path / 'b.db'}"]
    result = CliRunner().invoke(app, [*db, "serve", *argv])
    return result, {"calls": calls, **ran}


def test_an_address_not_of_this_machine_is_one_line_and_never_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, ran = _serve(monkeypatch, tmp_path, "--host", NOT_OURS, "--port", "8765")
    assert result.exit_code == 1, result.output
    assert "serving on" not in result.stdout, result.stdout
    assert ran["calls"] == []  # uvicorn never started
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert f"{NOT_OURS}:8765" in lines[0] and "--host" in lines[0], lines


def test_a_port_in_use_is_one_line_and_never_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result, ran = _serve(monkeypatch, tmp_path, "--port", str(port))
    assert result.exit_code == 1, result.output
    assert "serving on" not in result.stdout and ran["calls"] == [], result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0], result.stderr
    assert "in use" in lines[0] and "--port" in lines[0], lines


def test_serving_is_said_once_the_socket_listens_and_uvicorn_serves_that_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}

    def check_socket(target: str, **settings: Any) -> None:
        listening = socket.socket(fileno=settings["fd"])  # the socket uvicorn is given
        try:
            seen["name"] = listening.getsockname()
            seen["listening"] = listening.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            seen["nodelay"] = listening.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        finally:
            listening.detach()

    real_listen = serve._listen
    capture_serve(monkeypatch, tmp_path)
    monkeypatch.setattr(serve, "_listen", real_listen)
    monkeypatch.setattr(uvicorn, "run", check_socket)
    db = ["--db", f"sqlite:///{tmp_path / 'b.db'}"]
    result = CliRunner().invoke(app, [*db, "serve", "--port", "0"])
    assert result.exit_code == 0, result.output
    host, port = seen["name"]
    assert host == "127.0.0.1" and port != 0, seen
    assert seen["listening"] == 1 and seen["nodelay"] == 1, seen
    assert f"serving on http://127.0.0.1:{port} (Ctrl-C to stop)" in result.stdout


def test_the_command_itself_never_says_serving_on_an_address_it_lacks(tmp_path: Path) -> None:
    """End to end, without patches: the old command's stdout said "serving on" and its stderr
    held uvicorn's log line above the error."""
    done = subprocess.run(
        [
            BIGFISH,
            *("--db", f"sqlite:///{tmp_path / 'b.db'}", "--data-dir", str(tmp_path / "d")),
            *("serve", "--host", NOT_OURS, "--port", "8765"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert done.stdout == "", done.stdout
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert f"{NOT_OURS}:8765" in done.stderr and "Traceback" not in done.stderr
