"""Review h146: `bigfish.background.BackgroundJobs`, which runs the web's figures and the API's
link runs. A job that raises is logged (nobody reads its result, so the exception was lost
without a trace), `settle` is not broken by a queued job that a page cancelled meanwhile, and
the interpreter's exit runs no queued job."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from concurrent.futures import Future

import pytest

from bigfish.background import BackgroundJobs


def test_an_exception_a_job_lets_out_is_logged_and_the_next_run_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    jobs = BackgroundJobs("test-h146")
    ran: list[str] = []

    def failing() -> None:
        ran.append("failing")
        raise ValueError("the store went away")

    with caplog.at_level(logging.ERROR, logger="bigfish.background"):
        jobs.submit("refresh", failing)
        jobs.settle(60)
        jobs.submit("refresh", lambda: ran.append("next"))
        jobs.settle(60)
    assert ran == ["failing", "next"]
    failures = [r for r in caplog.records if r.exc_info and r.exc_info[0] is ValueError]
    assert len(failures) == 1
    assert "'refresh'" in failures[0].getMessage() and "test-h146" in failures[0].getMessage()


def test_settle_waits_through_a_queued_job_cancelled_while_it_waits() -> None:
    jobs = BackgroundJobs("test-h146-settle")
    release = threading.Event()
    jobs.submit("running", release.wait)
    jobs.submit("queued", lambda: None)  # behind "running": one thread
    running: Future[None] = jobs._running["running"]
    settle_waits = threading.Event()
    wait = running.exception

    def noted_wait(timeout: float | None = None) -> BaseException | None:
        settle_waits.set()  # settle holds its list of pending jobs, "queued" in it
        return wait(timeout)

    running.exception = noted_wait  # type: ignore[method-assign]
    outcome: list[BaseException | None] = []

    def settle() -> None:
        try:
            jobs.settle(60)
            outcome.append(None)
        except BaseException as exc:  # what settle raised is the finding
            outcome.append(exc)

    thread = threading.Thread(target=settle)
    thread.start()
    settle_waits.wait()
    assert jobs.join_if_running("queued", 0) is False  # a page cancels the queued job
    release.set()
    thread.join()
    assert outcome == [None]


_AT_EXIT = """
import threading
from bigfish.background import BackgroundJobs

go, started = threading.Event(), threading.Event()


def running() -> None:
    started.set()
    go.wait()
    print("running: done", flush=True)


threading._register_atexit(go.set)  # the running job ends once the exit has begun
jobs = BackgroundJobs("exit-h146")
jobs.submit("running", running)
started.wait()
jobs.submit("running", lambda: print("running: again", flush=True))
jobs.submit("queued", lambda: print("queued: ran", flush=True))
print("main: exits", flush=True)
"""


def test_at_the_exit_the_running_job_ends_and_no_other_starts() -> None:
    """`bigfish serve` stopped soon after it started ran every organization's queued warm-up
    while the process ended, each failing with a traceback ("cannot schedule new futures
    after interpreter shutdown"); one more run asked for while a job ran failed likewise."""
    done = subprocess.run(
        [sys.executable, "-c", _AT_EXIT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["main: exits", "running: done"]
    assert done.stderr == ""
