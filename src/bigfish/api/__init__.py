"""The partnership HTTP API (spec/api.md): `create_app(store, settings)`."""

from __future__ import annotations

from bigfish.api.app import ROUTERS, ApiSettings, create_app, undeclared_routes
from bigfish.api.deps import Access, requires

__all__ = ["ROUTERS", "Access", "ApiSettings", "create_app", "requires", "undeclared_routes"]
