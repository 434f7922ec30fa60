"""The pages in a real browser: sign-in, overview, big-fish filters, the network graph, search,
access between organizations, inert XSS payloads, and no console errors anywhere."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Console, open_page
from tests.browser.partnership import BrowserPartnership

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def tap(page: object, selector: str) -> None:
    """Tap the first graph node SELECTOR matches. The script returns nothing: Playwright would
    otherwise serialize the Cytoscape collection `emit` returns (14 s of a 40 s test)."""
    page.evaluate(  # type: ignore[attr-defined]
        "(s) => { window.bigfishGraph.nodes(s)[0].emit('tap'); }", selector
    )


def test_sign_in_and_overview(analyst: object, server: str) -> None:
    page = analyst
    count = page.text_content("[data-testid=report-count]")  # type: ignore[attr-defined]
    assert count is not None and int(count.replace(",", "")) > 1000
    assert page.locator("svg.chart rect.bar").count() > 3  # type: ignore[attr-defined]
    assert page.locator("table.data a[href^='/networks/']").count() >= 1  # type: ignore[attr-defined]


def test_big_fish_filters(analyst: object, server: str) -> None:
    page = analyst
    page.goto(server + "/networks")  # type: ignore[attr-defined]
    before = page.locator("#results tbody tr").count()  # type: ignore[attr-defined]
    assert before > 1
    # The answer arrives before htmx swaps it in: mark the table shown now and wait for
    # another (reading rows right after the response read the old table, longer than the new).
    page.evaluate("document.querySelector('#results tbody').dataset.stale = '1'")  # type: ignore[attr-defined]
    page.fill("#f-min", "3")  # type: ignore[attr-defined]
    with page.expect_response(re.compile(r"/networks\?.*min_countries=3")):  # type: ignore[attr-defined]
        page.click(".filters button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("#results tbody:not([data-stale])")  # type: ignore[attr-defined]
    rows = page.locator("#results tbody tr")  # type: ignore[attr-defined]
    for i in range(min(rows.count(), 10)):
        tags = rows.nth(i).locator("td:nth-child(4) .tag").count()
        assert tags >= 3 or "No network" in rows.nth(i).inner_text()
    assert "min_countries=3" in page.url  # type: ignore[attr-defined]


def test_network_graph_renders_its_nodes(
    analyst: object, server: str, partnership: BrowserPartnership
) -> None:
    page = analyst
    page.goto(f"{server}/networks/{partnership.hostile_network}")  # type: ignore[attr-defined]
    graph = page.locator("#graph[data-rendered-nodes]")  # type: ignore[attr-defined]
    graph.wait_for()  # the context's default timeout: WAIT
    assert int(graph.get_attribute("data-rendered-nodes")) >= 3
    assert page.locator("#graph canvas").count() >= 1  # type: ignore[attr-defined]
    nodes = page.evaluate(  # type: ignore[attr-defined]
        "() => window.bigfishGraph.nodes('[type = \"report\"]').map(n => n.data('report_id'))"
    )
    assert "hostile-0" in nodes


def test_search_finds_a_value_typed_in_a_local_format(
    analyst: object, server: str, partnership: BrowserPartnership
) -> None:
    page = analyst
    page.goto(server + "/search")  # type: ignore[attr-defined]
    page.fill("#q", partnership.local_phone)  # type: ignore[attr-defined]
    page.fill("#s-country", "TH")  # type: ignore[attr-defined]
    page.click(".filters button[type=submit]")  # type: ignore[attr-defined]
    page.locator("code.canonical").first.wait_for()  # type: ignore[attr-defined]
    assert page.text_content("code.canonical") == partnership.canonical_phone  # type: ignore[attr-defined]
    count = page.text_content("strong.count")  # type: ignore[attr-defined]
    assert count is not None and int(count) >= 1


def test_another_organization_cannot_open_a_private_network(
    browser: object, server: str, partnership: BrowserPartnership, console: Console
) -> None:
    owner = open_page(browser, server, console, "kanya")
    answer = owner.goto(f"{server}/networks/{partnership.private_network}")  # type: ignore[attr-defined]
    assert answer.status == 200
    owner.context.close()  # type: ignore[attr-defined]
    other = open_page(browser, server, console, "minh")
    console.errors.clear()  # the 404 itself is logged by the browser as a failed resource
    answer = other.goto(f"{server}/networks/{partnership.private_network}")  # type: ignore[attr-defined]
    assert answer.status == 404
    assert "+66899990001" not in other.content()  # type: ignore[attr-defined]
    other.context.close()  # type: ignore[attr-defined]


def test_xss_payloads_stay_inert(
    analyst: object, server: str, partnership: BrowserPartnership
) -> None:
    page = analyst
    for path in (
        "/reports/th-aoc/hostile-0",
        f"/networks/{partnership.hostile_network}",
        "/search?q=%2B66899990002",
        "/alerts",
    ):
        page.goto(server + path)  # type: ignore[attr-defined]
        page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
        assert page.evaluate("() => window.__xss") is None, path  # type: ignore[attr-defined]
        hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")  # type: ignore[attr-defined]
        assert not [
            h for h in hrefs if h and h.strip().lower().startswith(("javascript:", "data:"))
        ]
    page.goto(f"{server}/networks/{partnership.hostile_network}")  # type: ignore[attr-defined]
    page.locator("#graph[data-rendered-nodes]").wait_for()  # type: ignore[attr-defined]
    tap(page, "[type = 'report']")
    page.wait_for_timeout(500)  # type: ignore[attr-defined]
    assert page.evaluate("() => window.__xss") is None  # type: ignore[attr-defined]


def test_every_page_loads_without_console_errors(analyst: object, server: str) -> None:
    page = analyst
    for path in (
        "/",
        "/networks",
        "/search",
        "/alerts",
        "/requests",
        "/evidence",
        "/organizations",
    ):
        answer = page.goto(server + path)  # type: ignore[attr-defined]
        assert answer.status == 200, path
        page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]


def test_the_graph_explains_in_the_language_of_the_page(
    browser: object, server: str, partnership: BrowserPartnership, console: Console
) -> None:
    """The explanation panel said "joins 2 reports:" and "(invalid)" in English on a Thai page."""
    page = open_page(browser, server, console, "somchai")
    page.context.add_cookies([{"name": "bigfish_lang", "value": "th", "url": server}])  # type: ignore[attr-defined]
    page.goto(f"{server}/networks/{partnership.hostile_network}")  # type: ignore[attr-defined]
    page.locator("#graph[data-rendered-nodes]").wait_for()  # type: ignore[attr-defined]
    tap(page, "[type = 'identifier']")
    joined = page.text_content("#selection")  # type: ignore[attr-defined]
    assert joined is not None and re.search(r"เชื่อมโยงรายงาน \d+ ฉบับ:", joined), joined
    assert "joins" not in joined
    tap(page, "[report_id = 'hostile-0']")
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => document.querySelector('#selection h3').textContent.includes('hostile-0')"
    )
    expanded = page.text_content("#selection")  # type: ignore[attr-defined]
    assert expanded is not None and "(ไม่ถูกต้อง)" in expanded, expanded
    assert "(invalid)" not in expanded
    assert page.evaluate("() => window.__xss") is None  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]
    assert console.errors == [] and console.dialogs == []
