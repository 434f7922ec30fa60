"""Work off the request path: one lower-priority thread per kind of work, keyed jobs, and one
more run of a job asked for while it runs. The web's figures (`bigfish.web.freshness`) and the
linking of reports submitted through the API (`bigfish.api.linker`) run this way."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor

log = logging.getLogger(__name__)

#: How much nicer than the threads that answer requests the background threads are.
BACKGROUND_NICENESS = 10


def background_priority() -> None:
    """Make the calling thread yield the CPU to the threads that answer requests (Linux, where a
    thread has its own niceness): a job of many seconds otherwise slows every page served beside
    it. Elsewhere nothing changes."""
    if sys.platform != "linux":
        return
    try:
        tid = threading.get_native_id()
        niceness = os.getpriority(os.PRIO_PROCESS, tid) + BACKGROUND_NICENESS
        os.setpriority(os.PRIO_PROCESS, tid, niceness)
    except OSError:  # pragma: no cover - not permitted: the refresh runs at the same priority
        log.debug("could not lower the priority of a background thread", exc_info=True)


class BackgroundJobs:
    """One background thread, at a lower priority, that runs keyed jobs: one job per key at
    most, and one more run of a job asked for while it runs (it may be reading data older than
    what made the caller ask)."""

    def __init__(self, name: str) -> None:
        self._name = name
        # Reentrant: a job that ends before its callback is added calls `_done` from `_start`.
        self._lock = threading.RLock()
        self._pool: ThreadPoolExecutor | None = None
        self._running: dict[Hashable, Future[None]] = {}
        self._again: dict[Hashable, Callable[[], None]] = {}
        self._stopping = False  # the interpreter is exiting: no job starts any more

    def submit(self, job_key: Hashable, job: Callable[[], None]) -> None:
        """Queue JOB unless job JOB_KEY is queued already. When it is running, it may be reading
        data older than what made the caller ask: JOB runs once more after it (a refresh finds
        its figures current and does nothing if they are; an update links what is new)."""
        with self._lock:
            if self._stopping:
                return
            found = self._running.get(job_key)
            if found is None:
                self._start(job_key, job)
            elif found.running() or found.done():  # a queued one reads the newest data
                self._again[job_key] = job

    def _start(self, job_key: Hashable, job: Callable[[], None]) -> None:
        """Queue JOB as job JOB_KEY (the lock held)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                1, thread_name_prefix=self._name, initializer=background_priority
            )
            # Before the pool's own exit hook (they run last registered first), which would
            # run every queued job while the process ends: `bigfish serve` stopped soon after
            # it started printed a traceback for each organization's warm-up.
            with contextlib.suppress(RuntimeError):  # registered during the exit itself
                register = threading._register_atexit  # type: ignore[attr-defined]  # no stub
                register(_stop_at_exit, weakref.ref(self))
        future = self._pool.submit(job)
        self._running[job_key] = future
        future.add_done_callback(lambda done: self._done(job_key, done))

    def _done(self, job_key: Hashable, future: Future[None]) -> None:
        # Nobody reads a job's result: an exception it let out is logged here, or it is lost.
        failure = None if future.cancelled() else future.exception()
        if failure is not None:
            log.error("background job %r of %s failed", job_key, self._name, exc_info=failure)
        with self._lock:
            self._running.pop(job_key, None)
            again = self._again.pop(job_key, None)
            # Under the same lock: `settle` never sees a gap between the two runs.
            if again is not None and not self._stopping:
                self._start(job_key, again)

    def stop_queued(self) -> None:
        """Start no job any more and cancel those still queued; the one running ends as it
        would (the interpreter's exit waits for it)."""
        with self._lock:
            self._stopping = True
            self._again.clear()
            pending = list(self._running.values())
        for future in pending:
            future.cancel()  # does nothing to the running one

    def join_if_running(self, job_key: Hashable, timeout: float) -> bool:
        """Wait up to TIMEOUT for job JOB_KEY when it is running now, and say whether it ended.
        A job still queued is cancelled instead: the caller does its work at once rather than
        wait for the jobs ahead of it."""
        with self._lock:
            future = self._running.get(job_key)
        if future is None or future.cancel():
            return False
        try:
            future.exception(timeout=timeout)
        except (TimeoutError, CancelledError):
            return False
        return True

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until no job is running or queued; TimeoutError after TIMEOUT."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = list(self._running.values())
            if not pending:
                return
            for future in pending:
                with contextlib.suppress(CancelledError):  # a queued job cancelled meanwhile
                    future.exception(timeout=max(0.0, deadline - time.monotonic()))


def _stop_at_exit(jobs: weakref.ref[BackgroundJobs]) -> None:
    found = jobs()
    if found is not None:
        found.stop_queued()
