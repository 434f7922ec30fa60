"""A fresh-eyes review of the analyst pages (helper-105): a bad path of a static file is a 404,
never a 500; a loss in a currency without an exchange rate is said on the pages, never shown as
nothing or folded silently into a smaller total in US dollars."""

from __future__ import annotations

import pytest

from tests.web.conftest import WebPartnership


@pytest.mark.parametrize("path", ["/static/%00", "/static/app.css%00", "/static/vendor/%00.js"])
def test_a_static_path_with_a_nul_byte_is_not_found_not_a_500(
    web: WebPartnership, path: str
) -> None:
    """`Path.resolve` raised ValueError (embedded null byte): a 500 for anyone, signed in or not."""
    answer = web.clients["B"].get(path)
    assert answer.status_code == 404, answer.status_code
    assert answer.json() == web.clients["B"].get("/static/no-such-file.js").json()
