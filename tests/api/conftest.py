from __future__ import annotations

from collections.abc import Iterator

import pytest

from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership


@pytest.fixture
def partnership(store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong on each backend, with an in-process client."""
    yield from build_partnership(store)


@pytest.fixture
def sqlite_partnership(sqlite_store: Store) -> Iterator[Partnership]:
    """The same partnership on SQLite only (tests that are not about the backend)."""
    yield from build_partnership(sqlite_store)
