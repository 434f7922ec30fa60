"""The worker factory: responses leave without waiting for Nagle's algorithm, and each worker
freezes its start-up objects."""

from __future__ import annotations

import gc
import socket
import sys
from pathlib import Path

import pytest

from bigfish.api.server import app_from_environment, send_responses_without_delay


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_listening_sockets_get_tcp_nodelay_and_pass_it_to_connections() -> None:
    # Bound the way uvicorn binds for several workers: protocol 0, which asyncio skips.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # not listening: left alone
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert send_responses_without_delay() >= 1
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert other.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        listener.getsockname()  # the descriptor is still open
    finally:
        listener.close()
        other.close()


def test_each_worker_freezes_its_start_up_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn spawns its workers: the factory itself keeps the start-up objects out of the
    collector's full passes."""
    monkeypatch.setenv("BIGFISH_DATABASE_URL", f"sqlite:///{tmp_path / 'bigfish.db'}")
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "data"))
    gc.unfreeze()
    app = app_from_environment()
    try:
        assert gc.get_freeze_count() > 0
        assert app.state.store is not None
    finally:
        gc.unfreeze()
        app.state.store.close()
