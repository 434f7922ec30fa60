"""Review h167 (README "The analyst web application": the ranked big fish with filters). An
organization the node does not have (a typo, `TH-AOC` for `th-aoc` in a shared link) answered
"No network matches.", as if it had no network, where an unknown country or typology is
refused naming the filter; it is now refused so too."""

from __future__ import annotations

import html

from tests.web.conftest import WebPartnership


def test_an_unknown_organization_is_refused_naming_the_filter(web: WebPartnership) -> None:
    page = web.clients["B"].get("/networks", params={"org": "nobody"})
    assert page.status_code == 400, page.text
    text = html.unescape(page.text)
    assert "org: unknown organization 'nobody'" in text


def test_an_organization_of_the_node_still_filters(web: WebPartnership) -> None:
    page = web.clients["B"].get("/networks", params={"org": "B"})
    assert page.status_code == 200, page.text
    assert "unknown organization" not in html.unescape(page.text)
