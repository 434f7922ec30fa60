"""The two nodes of the federation tests (tests/requests/test_federation.py and the reviews'
tests beside it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bigfish.store import Store
from tests.requests.test_federation import _node, sqlite_node


@pytest.fixture
def nodes(store: Store, tmp_path: Path, _migrated_sqlite: Path) -> Iterator[tuple[Store, Store]]:
    """The Thai node (both backends) and the Vietnamese node (SQLite)."""
    vn = sqlite_node(tmp_path / "vn.db", _migrated_sqlite)
    try:
        yield _node(store), _node(vn, here="VN")
    finally:
        vn.close()
