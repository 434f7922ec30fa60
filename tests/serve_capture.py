"""Run `bigfish serve`'s set-up without a server: what it hands uvicorn, and what its worker
processes would read from the environment."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bigfish.cli import serve

_SET_BY_SERVE = ("DATABASE_URL", "DATA_DIR", "RATE_LIMIT", "PUBLIC_CHECK", "WARM_FIGURES")


def capture_serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """Patch uvicorn.run to record its settings (and serve's bind, to bind no port), plus what
    a worker would read: `cap` (connections per address), `public_check` and `rate_limit`
    (environment), and `closed`: how many times serve closed the store of the application it
    made to migrate (a stand-in: the store is not opened); the variables serve sets are restored
    after the test. Fill the dict by serving."""
    import uvicorn

    from bigfish.api import server
    from bigfish.cli._app import OPTIONS

    for name in _SET_BY_SERVE:
        monkeypatch.setenv(f"BIGFISH_{name}", "")
    monkeypatch.setenv(serve.CONNECTIONS_PER_ADDRESS_VARIABLE, "")
    monkeypatch.setattr(OPTIONS, "db_url", OPTIONS.db_url)  # restored after the test
    monkeypatch.setattr(OPTIONS, "data_dir", tmp_path / "data")
    ran: dict[str, Any] = {"closed": 0}

    class _Store:
        def close(self) -> None:
            ran["closed"] += 1

    checked = SimpleNamespace(state=SimpleNamespace(store=_Store()))
    monkeypatch.setattr(server, "app_from_environment", lambda: checked)
    monkeypatch.setattr(serve.gc, "freeze", lambda: None)

    def run(target: str, **settings: Any) -> None:
        ran.update(
            settings,
            cap=serve.connections_per_address(),
            public_check=os.environ["BIGFISH_PUBLIC_CHECK"],
            rate_limit=os.environ["BIGFISH_RATE_LIMIT"],
        )

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setattr(serve, "_listen", lambda host, port: socket.socket())  # binds no port
    return ran
