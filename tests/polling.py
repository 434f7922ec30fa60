"""Waiting in tests for what another process or thread does: `eventually`."""

from __future__ import annotations

import time
from collections.abc import Callable

#: A safety net only: what a test waits for happens within a second or two but for the old
#: code (or a machine far busier than CI's).
WAIT = 120.0


def eventually(condition: Callable[[], bool], wait: float = WAIT) -> bool:
    """Whether CONDITION holds within WAIT seconds, asked every 20 ms."""
    ends = time.monotonic() + wait
    while not condition():
        if time.monotonic() > ends:
            return False
        time.sleep(0.02)
    return True
