"""Reports submitted through the API join their networks off the request path.

After a batch is stored, `BackgroundLinker` runs the incremental update
(`bigfish.linking.update_networks`) in a lower-priority thread of its own
(`bigfish.background.BackgroundJobs`): one run at a time, and a batch stored while one runs is
linked by one more run after it (an update links everything stored since the
last). Link runs of other processes (`bigfish ingest`, a scheduled `bigfish link`) wait for each
other through the link lock. A run that fails is logged; the next one, or the next rebuild,
links what it left. While the server runs, an update also runs once an hour with nothing
submitted: its first run of a UTC day recounts the growth of the networks nobody touched
(`bigfish.linking.aging`), so the ranking does not keep yesterday's growth.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bigfish.background import BackgroundJobs
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
        self._jobs = BackgroundJobs("bigfish-linker")
        self._closed = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def every(self, seconds: float) -> None:
        """Also run an update every SECONDS until closed (module doc), the first after SECONDS."""

        def tick() -> None:
            while not self._stop.wait(seconds):
                self()

        self._ticker = threading.Thread(target=tick, name="bigfish-linker-clock", daemon=True)
        self._ticker.start()

    def __call__(self) -> None:
        """Link what was stored: now, or once more after the run under way."""
        if not self._closed:
            self._jobs.submit("link", self._run)

    def _run(self) -> None:
        try:
            self._link(self._store)
        except Exception:
            log.exception("linking the submitted reports failed; the next run links them")

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until no run is under way or asked for; False when TIMEOUT passed first."""
        try:
            self._jobs.settle(3600.0 if timeout is None else timeout)
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        """Let the run under way finish; start no other."""
        self._closed = True
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        self.settle()
