"""An application made by create_app, and the store it serves, are freed once nothing of the
caller holds them: a process that makes many (a test run, a program embedding bigfish) does
not keep every store's engine and caches alive."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from bigfish.api import create_app
from bigfish.store import open_store
from tests.api.helpers import TestClient


def test_an_application_that_answered_is_freed_with_its_store(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'node.db'}")
    app = create_app(store)
    with TestClient(app) as client:
        for path in ("/docs", "/openapi.json", "/api/v1/health", "/login"):
            assert client.get(path).status_code == 200, path
    store.close()
    gone_app, gone_engine = weakref.ref(app), weakref.ref(store.engine)
    del app, store, client
    gc.collect()
    assert gone_app() is None
    assert gone_engine() is None
