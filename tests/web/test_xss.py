"""Class 15: `javascript:` and `data:` URLs, HTML and SVG inside identifiers or narratives are inert
in every page and export."""

from __future__ import annotations

import re

from tests.web.conftest import XSS_NARRATIVE, WebPartnership

_LINK = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*(javascript|data|vbscript):""", re.I)


def _assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<svg onload" not in html
    assert "<b>evil</b>" not in html
    assert not _LINK.search(html), _LINK.search(html)


def test_narratives_and_identifiers_stay_escaped_on_every_page(web: WebPartnership) -> None:
    alice = web.clients["A"]
    pages = [
        "/",
        "/networks",
        f"/networks/{web.private_network}",
        "/reports/A/a-1",
        "/reports/A/a-2",
        "/search?q=javascript:alert(document.cookie)",
        "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "/alerts",
    ]
    for path in pages:
        answer = alice.get(path)
        assert answer.status_code == 200, path
        _assert_inert(answer.text)
    report = alice.get("/reports/A/a-1").text
    assert "&lt;script&gt;alert(&#34;n&#34;)&lt;/script&gt;" in report  # shown, as text


def test_the_graph_data_cannot_close_its_script_element(web: WebPartnership) -> None:
    page = web.clients["A"].get(f"/networks/{web.private_network}").text
    data = page.split('<script type="application/json" id="graph-data">', 1)[1]
    body = data.split("</script>", 1)[0]
    assert "<" not in body
    assert "&lt;b&gt;evil" not in body or "\\u003c" in body


def test_exports_keep_hostile_values_as_data(web: WebPartnership) -> None:
    alice = web.clients["A"]
    csv_text = alice.get(f"/networks/{web.private_network}/export/csv").text
    assert XSS_NARRATIVE in csv_text or XSS_NARRATIVE.replace('"', '""') in csv_text
    for fmt in ("stix", "misp"):
        answer = alice.get(f"/networks/{web.private_network}/export/{fmt}")
        assert answer.headers["content-type"].startswith(("application/", "text/csv"))
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "attachment" in answer.headers["content-disposition"]
