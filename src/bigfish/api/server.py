"""The app factory uvicorn calls in each worker process, configured from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from bigfish.api.app import ApiSettings, create_app
from bigfish.store import DEFAULT_URL, open_store


def app_from_environment() -> FastAPI:
    """`create_app` for BIGFISH_DATABASE_URL with BIGFISH_RATE_LIMIT (requests/minute/key) and
    the data directory BIGFISH_DATA_DIR."""
    store = open_store(os.environ.get("BIGFISH_DATABASE_URL", DEFAULT_URL))
    rate = int(os.environ.get("BIGFISH_RATE_LIMIT", "6000"))
    return create_app(
        store,
        ApiSettings(rate_limit_per_minute=rate, rate_limit_burst=max(rate // 10, 1)),
        data_dir=Path(os.environ.get("BIGFISH_DATA_DIR", "./bigfish-data")),
    )
