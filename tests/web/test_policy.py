"""Every page shows only what the signed-in user's organization may see (classes 1-3, 14)."""

from __future__ import annotations

import re
from urllib.parse import quote

from tests.api.helpers import report
from tests.web.conftest import WebPartnership


def _count(page: str) -> int:
    found = re.search(r'data-testid="report-count">([\d,]+)<', page)
    assert found is not None
    return int(found[1].replace(",", ""))


def test_overview_counts_only_visible_reports(web: WebPartnership) -> None:
    assert _count(web.clients["A"].get("/").text) == 4  # a-1, a-2, g-1, g-2
    assert _count(web.clients["B"].get("/").text) == 2  # b-1, b-2
    assert _count(web.clients["C"].get("/").text) == 2  # g-1, g-2 through the group


def test_b_cannot_open_a_private_network(web: WebPartnership) -> None:
    path = f"/networks/{web.private_network}"
    assert web.clients["A"].get(path).status_code == 200
    for who in ("B", "C"):
        answer = web.clients[who].get(path)
        assert answer.status_code == 404
        assert "+66811111111" not in answer.text
        missing = web.clients[who].get("/networks/999999")
        assert missing.status_code == 404
        # the same page as for a network that does not exist
        assert missing.text.replace("/networks/999999", "P") == answer.text.replace(path, "P")


def test_b_cannot_export_a_private_network(web: WebPartnership) -> None:
    for fmt in ("stix", "misp", "csv"):
        path = f"/networks/{web.private_network}/export/{fmt}"
        assert web.clients["A"].get(path).status_code == 200
        answer = web.clients["B"].get(path)
        assert answer.status_code == 404
        assert "66811111111" not in answer.text


def test_big_fish_lists_only_visible_networks(web: WebPartnership) -> None:
    a_page = web.clients["A"].get("/networks").text
    b_page = web.clients["B"].get("/networks").text
    assert f"/networks/{web.private_network}" in a_page
    assert f"/networks/{web.private_network}" not in b_page
    assert "Network" in b_page


def test_b_cannot_open_a_private_report(web: WebPartnership) -> None:
    assert web.clients["A"].get("/reports/A/a-1").status_code == 200
    assert web.clients["B"].get("/reports/A/a-1").status_code == 404
    assert web.clients["C"].get("/reports/A/g-1").status_code == 200  # shared with the group
    assert web.clients["B"].get("/reports/A/g-1").status_code == 404
    assert web.clients["B"].get("/graph/reports/A/a-1").json() == {"identifiers": []}


def test_search_for_a_value_only_a_holds_looks_like_nobody_has_it(web: WebPartnership) -> None:
    held = web.clients["B"].get("/search", params={"q": "+66811111111"})
    nobody = web.clients["B"].get("/search", params={"q": "+66899999999"})
    assert held.status_code == nobody.status_code == 200
    assert held.text.replace("66811111111", "N") == nobody.text.replace("66899999999", "N")
    mine = web.clients["A"].get("/search", params={"q": "+66811111111"})
    assert '<strong class="count">2</strong>' in mine.text


def test_search_understands_a_local_phone_number(web: WebPartnership) -> None:
    answer = web.clients["A"].get("/search", params={"q": "081-111-1111", "country": "TH"})
    assert "+66811111111" in answer.text
    assert '<strong class="count">2</strong>' in answer.text
    assert "/reports/A/a-1" in answer.text


def test_network_filters(web: WebPartnership) -> None:
    alice = web.clients["A"]
    assert f"/networks/{web.private_network}" in alice.get("/networks?country=TH").text
    assert f"/networks/{web.private_network}" not in alice.get("/networks?country=VN").text
    assert f"/networks/{web.private_network}" not in alice.get("/networks?min_countries=2").text
    assert f"/networks/{web.private_network}" in alice.get("/networks?period=2025").text
    assert f"/networks/{web.private_network}" not in alice.get("/networks?period=2024").text
    assert f"/networks/{web.private_network}" in alice.get("/networks?org=A").text
    fragment = alice.get("/networks?scam_type=investment", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text


def test_bad_filters_name_the_field(web: WebPartnership) -> None:
    alice = web.clients["A"]
    unknown = alice.get("/networks?sort=score")  # class 14; links' utm_source is ignored (h171)
    assert unknown.status_code == 400
    assert "sort" in unknown.text
    bad = alice.get("/networks?period=2025-13")
    assert bad.status_code == 400
    assert "period" in bad.text
    assert alice.get("/networks?scam_type=nonsense").status_code == 400


def test_static_files_stay_inside_the_static_folder(web: WebPartnership) -> None:
    alice = web.clients["A"]
    assert alice.get("/static/vendor/htmx.min.js").status_code == 200
    assert alice.get("/static/vendor/cytoscape.LICENSE").status_code == 200
    assert alice.get("/static/../session.py").status_code == 404
    assert alice.get("/static/%2e%2e/session.py").status_code == 404


def test_every_page_answers_for_every_user(web: WebPartnership) -> None:
    for who, client in web.clients.items():
        for path in ("/", "/networks", "/search", "/alerts", "/requests", "/evidence"):
            assert client.get(path).status_code == 200, (who, path)
        assert client.get("/organizations").status_code == 200


def test_leaving_a_group_counts_on_the_next_page_caches_included(web: WebPartnership) -> None:
    from bigfish.accounts import authenticate_key
    from bigfish.memberships import remove_member

    carol = web.clients["C"]
    assert _count(carol.get("/").text) == 2
    assert "/reports/A/g-1" in carol.get("/search", params={"q": "+66822222222"}).text
    with web.store.connect() as conn:
        owner = authenticate_key(conn, web.api.keys["A-admin"])
    assert owner is not None
    remove_member(web.store, owner, "mekong", "C")
    assert _count(carol.get("/").text) == 0
    assert "/networks/" not in carol.get("/networks").text.split('id="results"')[1]
    assert carol.get("/reports/A/g-1").status_code == 404


def test_a_report_whose_id_holds_slashes_has_its_page_and_graph(web: WebPartnership) -> None:
    web.api.submit("A", [report("CASE/2025/7", phone="+66811111111")])
    alice = web.clients["A"]
    page = alice.get("/reports/A/" + quote("CASE/2025/7", safe=""))
    assert page.status_code == 200 and "CASE/2025/7" in page.text
    graph = alice.get("/graph/reports/A/" + quote("CASE/2025/7", safe=""))
    assert graph.status_code == 200
    assert {"kind": "phone", "canonical": "+66811111111"}.items() <= graph.json()["identifiers"][
        0
    ].items()
    assert web.clients["B"].get("/reports/A/CASE/2025/7").status_code == 404
