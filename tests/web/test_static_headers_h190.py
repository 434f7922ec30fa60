"""The static files and their errors carry the pages' security headers: a missing file answered
with none (not even `nosniff`), and the favicon, an SVG, opened on its own had no
Content-Security-Policy to hold a script in it."""

from __future__ import annotations

from bigfish.web.render import SECURITY_HEADERS
from tests.api.helpers import TestClient
from tests.web.conftest import WebPartnership

_ANSWERS = [
    ("/static/favicon.svg", 200),
    ("/static/app.css", 200),
    ("/static/vendor/htmx.min.js", 200),
    ("/static/vendor", 404),
    ("/static/nothing.js", 404),
    ("/static/..%2f..%2fpyproject.toml", 404),
    ("/static/a%00b.css", 404),
]


def test_static_answers_carry_the_security_headers(web: WebPartnership) -> None:
    client = TestClient(web.api.client.app)
    for path, status in _ANSWERS:
        answer = client.get(path)
        assert answer.status_code == status, path
        for name, value in SECURITY_HEADERS.items():
            if name != "Cache-Control":
                assert answer.headers.get(name) == value, (path, name)
        kept = "public, max-age=3600" if status == 200 else "no-store"
        assert answer.headers["cache-control"] == kept, path
