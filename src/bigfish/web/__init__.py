"""The analyst web application: server-rendered pages (Jinja2 + HTMX), sign-in with sessions and
CSRF tokens, and the network graph (Cytoscape.js with fcose), all vendored (no CDN).

`router` is mounted at `/` by `bigfish.api.app.create_app` (its router registry); every page reads
through `bigfish.sharing.policy` as the signed-in user's organization.
"""

from __future__ import annotations

from bigfish.web import views_cases  # noqa: F401  (registers the case-work pages)
from bigfish.web.views import router

__all__ = ["router"]
