"""The worker factory's socket options: responses leave without waiting for Nagle's algorithm."""

from __future__ import annotations

import socket
import sys

import pytest

from bigfish.api.server import send_responses_without_delay


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
