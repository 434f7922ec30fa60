"""Reports submitted through the API join their networks off the request path.

After a batch is stored, `BackgroundLinker` runs the incremental update
(`bigfish.linking.update_networks`) in a thread of its own: one run at a time, and a batch stored
while one runs is linked by one more run after it (an update links everything stored since the
last). Link runs of other processes (`bigfish ingest`, a scheduled `bigfish link`) wait for each
other through the link lock. A run that fails is logged; the next one, or the next rebuild,
links what it left.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bigfish.store import Store

log = logging.getLogger(__name__)


class BackgroundLinker:
    """Links a store's newly stored reports in the background when called (module doc)."""

    def __init__(self, store: Store, link: Callable[[Store], object] | None = None) -> None:
        if link is None:
            from bigfish.linking import update_networks

            link = update_networks
        self._store = store
        self._link = link
        self._lock = threading.Condition()
        self._running = False
        self._again = False
        self._closed = False

    def __call__(self) -> None:
        """Link what was stored: now, or after the run under way."""
        with self._lock:
            if self._closed:
                return
            if self._running:
                self._again = True
                return
            self._running = True
        threading.Thread(target=self._run, name="bigfish-linker", daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                self._link(self._store)
            except Exception:
                log.exception("linking the submitted reports failed; the next run links them")
            with self._lock:
                if not self._again or self._closed:
                    self._running = False
                    self._lock.notify_all()
                    return
                self._again = False

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until no run is under way or asked for; False when TIMEOUT passed first."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._running, timeout)

    def close(self) -> None:
        """Let the run under way finish; start no other."""
        with self._lock:
            self._closed = True
        self.settle()
