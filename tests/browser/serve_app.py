"""The app factory the browser tests start with uvicorn (BIGFISH_DATABASE_URL)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from bigfish.api.app import ApiSettings, create_app
from bigfish.store import open_store


def make_app() -> FastAPI:
    """The whole application (API and web pages) on the test partnership's store."""
    store = open_store(os.environ["BIGFISH_DATABASE_URL"])
    return create_app(store, ApiSettings(rate_limit_per_minute=0))
