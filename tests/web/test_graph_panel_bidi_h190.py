"""The explanation beside a network's graph names reports by a title the page gives them, with
direction overrides escaped as every page shows them: it was built in the script from the raw
org and report id, so a report "case\u202efdp" read "casepdf" reversed in the panel while its
label on the canvas showed the escape."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any, cast

from bigfish.web.network_page import graph_elements
from bigfish.web.render import HERE

RLO = "\u202e"


def test_a_report_node_carries_its_title_with_direction_overrides_escaped() -> None:
    member = SimpleNamespace(pk=7, report_id=f"case{RLO}fdp", org="A", country="TH", loss_usd=5.0)
    join = SimpleNamespace(canonical="+66811111111", kind="phone", identifier_id=3, report_pks=[7])
    detail = SimpleNamespace(key_identifiers=[3], joins=[join])
    data = graph_elements(cast(Any, detail), [cast(Any, member)])[0]["data"]
    assert data["title"] == "A/case\\u202efdp"
    assert (data["org"], data["report_id"]) == ("A", f"case{RLO}fdp")  # fetched with these


def test_the_graph_script_shows_reports_by_their_title_only() -> None:
    script = (HERE / "static" / "graph.js").read_text(encoding="utf-8")
    # the raw id fetches the report's identifiers (encodeURIComponent) and is shown nowhere
    uses = re.findall(r'data\("(?:report_id|org)"\)', script)
    assert len(uses) == 2, uses
    assert 'var org = node.data("org"), id = node.data("report_id");' in script
    after_fetch = script.split("var url =", 1)[1].split(";", 1)[1]
    assert not re.search(r"\b(?:org|id)\s*\+", after_fetch)
    assert script.count('data("title")') == 2
