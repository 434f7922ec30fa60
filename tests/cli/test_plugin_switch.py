"""typer's switch of PYDANTIC_DISABLE_PLUGINS (set, then deleted, around building a run's
pydantic adapters) is taken by one thread at a time once the CLI is imported: two runs in
threads of one process both deleted it, and one failed with KeyError."""

from __future__ import annotations

import os
import threading

from typer import _adapters

import bigfish.cli  # noqa: F401  (installs the one-at-a-time switch)
from tests.polling import WAIT


def test_a_second_thread_waits_for_the_first_to_leave_the_switch() -> None:
    before = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with _adapters.disabled_pydantic_plugins():
            inside.set()
            release.wait(WAIT)

    def second() -> None:
        try:
            with _adapters.disabled_pydantic_plugins():
                pass
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(WAIT)
    waiter = threading.Thread(target=second)
    waiter.start()
    waiter.join(0.5)
    waited = waiter.is_alive()  # the old switch let it in and out at once
    release.set()
    holder.join()
    waiter.join()
    assert waited
    assert not errors, errors
    assert os.environ.get("PYDANTIC_DISABLE_PLUGINS") == before
