"""What the alerts of each source handed to a `WebhookQueue` (a file of `bigfish ingest`) had
delivered, told once none of them waits any more, so that each file's line counts its own.

A source is open while its alerts are being handed over (`open` … `seal`); each of its alerts
handed to a webhook is pending until that webhook's turn has sent it (or not: it no longer
stood, its webhook was removed), counted it failed, or dropped it (too many waited). A delivery
carrying the alerts of several sources (a busy webhook's waiting alerts go out together) counts
in each of them: a file's count says what the deliveries of its alerts did, and the files'
counts may add up to more deliveries than were made.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Hashable, Mapping

from bigfish.alerts.model import Deliveries

log = logging.getLogger(__name__)

#: What the caller knows a source of alerts by (`bigfish ingest`: the file's place in the list).
Source = Hashable

#: Told, once, what the deliveries of a source's alerts did, when none of them waits any more.
Settled = Callable[[Source, Deliveries], None]


class SourceTally:
    """Each source's pending alerts and count; SETTLED is called once a source is sealed and
    none of its alerts is pending, on the thread that made it so (the caller's at `seal`, or a
    delivery thread), outside any lock."""

    def __init__(self, settled: Settled | None = None) -> None:
        self._settled = settled
        self._lock = threading.Lock()
        self._seen: set[Source] = set()  # every source opened, settled or not
        self._open: set[Source] = set()
        self._pending: Counter[Source] = Counter()
        self._counts: dict[Source, Deliveries] = {}

    def open(self, source: Source) -> None:
        """SOURCE's alerts are about to be handed over (each source once)."""
        with self._lock:
            if source in self._seen:
                raise ValueError(f"alerts of source {source!r} handed over already")
            self._seen.add(source)
            self._open.add(source)
            self._counts[source] = Deliveries()

    def handed(self, source: Source, alerts: int) -> None:
        """ALERTS more of SOURCE's wait for a webhook."""
        with self._lock:
            self._pending[source] += alerts

    def done(self, counts: Mapping[Source, Deliveries], finished: Mapping[Source, int]) -> None:
        """A webhook's turn counted COUNTS and ended FINISHED of each source's pending alerts."""
        with self._lock:
            for source, done in counts.items():
                self._counts[source] = self._counts.get(source, Deliveries()) + done
            for source, ended in finished.items():
                self._pending[source] -= ended
            ready = [self._settle(source) for source in finished if self._is_settled(source)]
        self._tell(ready)

    def seal(self, source: Source) -> None:
        """No more of SOURCE's alerts will be handed over."""
        with self._lock:
            self._open.discard(source)
            ready = [self._settle(source)] if self._is_settled(source) else []
        self._tell(ready)

    def _is_settled(self, source: Source) -> bool:
        return source in self._counts and source not in self._open and self._pending[source] <= 0

    def _settle(self, source: Source) -> tuple[Source, Deliveries]:
        del self._pending[source]
        return source, self._counts.pop(source)

    def _tell(self, ready: list[tuple[Source, Deliveries]]) -> None:
        if self._settled is None:
            return
        for source, done in ready:
            try:
                self._settled(source, done)
            except Exception:  # maybe a delivery thread: its webhook's queue must still empty
                log.exception("webhook deliveries of source %r not told", source)
