"""The store seam: SQLite by default, PostgreSQL for production, one schema and one code path.

Every area's tables live on one `metadata`; importing them here makes the schema whole.
"""

from __future__ import annotations

from bigfish.store import (
    schema,
    schema_access,  # noqa: F401  (API keys, users, audit, webhooks)
    schema_evidence,  # noqa: F401  (evidence, custody log, cooperation requests, contacts)
    schema_interop,  # noqa: F401  (federation: imports, sync state, TAXII statuses)
    schema_linking,  # noqa: F401  (networks, members, events, pins)
    schema_web,  # noqa: F401  (browser sessions of the web application)
)
from bigfish.store.base import DEFAULT_URL, Store, create_engine, migrate, open_store
from bigfish.store.schema import metadata

__all__ = ["DEFAULT_URL", "Store", "create_engine", "metadata", "migrate", "open_store", "schema"]
