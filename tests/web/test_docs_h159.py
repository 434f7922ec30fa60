"""/docs (Swagger UI) under the web pages' headers (helper 159): it was sent without a
Content-Security-Policy, X-Frame-Options or nosniff, so another site could frame the page where
an API key is typed ("Authorize"); its inline start-up script is now a file of this origin."""

from __future__ import annotations

import re

from bigfish.store import Store
from bigfish.web.render import SECURITY_HEADERS
from tests.api.helpers import TestClient, build_partnership


def test_the_documentation_page_has_the_headers_of_every_page(sqlite_store: Store) -> None:
    """Before: KeyError 'Content-Security-Policy' (no such header on /docs). The page does not
    depend on the store: one backend."""
    for partnership in build_partnership(sqlite_store):  # closed after the loop
        _check_docs(partnership.client)


def _check_docs(c: TestClient) -> None:
    docs = c.get("/docs")
    assert docs.status_code == 200
    for name, value in SECURITY_HEADERS.items():
        assert docs.headers[name] == value, name
    assert "frame-ancestors 'none'" in docs.headers["Content-Security-Policy"]
    # no inline script (the policy would stop it): every script is a file of this origin
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", docs.text, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    init = c.get("/static/swagger-init.js")
    assert init.status_code == 200 and init.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle(" in init.text
    assert 'data-url="/openapi.json"' in docs.text and "http" not in docs.text.split("<body", 1)[1]
