"""A network graph's labels are drawn on Cytoscape's canvas from the element data: a report id
holding a direction override must be drawn with it escaped, as every page shows it (4895afe),
while the data a script sends back (`report_id`) keeps the id as it is."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from bigfish.web.network_page import graph_elements

RLO = "\u202e"


def test_graph_labels_show_direction_overrides_escaped_and_keep_the_ids() -> None:
    member = SimpleNamespace(pk=7, report_id=f"case{RLO}fdp", org="A", country="TH", loss_usd=5.0)
    join = SimpleNamespace(canonical="+66811111111", kind="phone", identifier_id=3, report_pks=[7])
    detail = SimpleNamespace(key_identifiers=[3], joins=[join])
    elements = graph_elements(cast(Any, detail), [cast(Any, member)])
    report = elements[0]["data"]
    assert report["label"] == "case\\u202efdp"  # before: the override itself, drawn reversed
    assert report["report_id"] == f"case{RLO}fdp"
    assert elements[1]["data"]["label"] == "+66811111111"
