"""Review h141: the attribute columns of the CSV export (cc08d40).

Intake reads a header's names stripped, composed and lower-cased, and refuses a file that names
a column twice. An attribute whose name differs from another column's only by case (a JSON Lines
partner's `Country` or `Notes` beside `notes`) was given a column of its own name: the export,
ingested again, was refused whole ("the header names column 'country' more than once"). And the
attribute names were written into the header as they are, where every cell is escaped: a
partner's key `=cmd` was a formula in the header row."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bigfish.intake import ingest_file
from bigfish.intake.readers import header_names
from bigfish.intake.records import looks_like_formula
from bigfish.interop import export_csv
from bigfish.organizations import add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store

ROWS = [
    {"report_id": "r1", "reported_at": "2025-03-01", "country": "TH", "Country": "Thailand"},
    {"report_id": "r2", "reported_at": "2025-03-02", "country": "TH", "Notes": "called twice"},
    {"report_id": "r3", "reported_at": "2025-03-03", "country": "TH", "notes": "paid twice"},
    {"report_id": "r4", "reported_at": "2025-03-04", "country": "TH", "=cmd|' /C calc'!A0": "x"},
    {"report_id": "r5", "reported_at": "2025-03-05", "country": "TH", "Org ": "Facebook"},
]


def _store(tmp_path: Path, name: str) -> Store:
    store = open_store(f"sqlite:///{tmp_path / name}")
    add_org(store, "a", country="TH")
    return store


def _ingest(store: Store, path: Path) -> Any:
    return ingest_file(store, path, org="a", workers=0, classify=False)


def _exported(tmp_path: Path) -> str:
    """The CSV export of a node where partner a sent ROWS as JSON Lines (keys kept as sent)."""
    store = _store(tmp_path, "a.db")
    try:
        source = tmp_path / "partner.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
        assert _ingest(store, source).stored == len(ROWS)
        out = io.StringIO()
        export_csv(store, Viewer.node_operator(), out)
        return out.getvalue()
    finally:
        store.close()


def test_attribute_columns_differing_by_case_are_read_back_as_columns_of_their_own(
    tmp_path: Path,
) -> None:
    text = _exported(tmp_path)
    header = next(csv.reader(io.StringIO(text)))
    read_as = header_names(header, tmp_path / "exported.csv")  # refuses a name given twice
    assert len(set(read_as)) == len(read_as), header
    exported = tmp_path / "exported.csv"
    exported.write_text(text, encoding="utf-8")
    fresh = _store(tmp_path, "fresh.db")
    try:
        result = _ingest(fresh, exported)
        out = io.StringIO()
        export_csv(fresh, Viewer.node_operator(), out)
    finally:
        fresh.close()
    assert (result.stored, result.rejected) == (len(ROWS), 0)
    again = {row["report_id"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    for sent in ROWS:
        (value,) = [v for k, v in sent.items() if k not in ("report_id", "reported_at", "country")]
        assert value in again[sent["report_id"]].values(), (sent, again[sent["report_id"]])


def test_an_attribute_name_is_no_formula_in_the_header(tmp_path: Path) -> None:
    header = next(csv.reader(io.StringIO(_exported(tmp_path))))
    assert not [name for name in header if looks_like_formula(name)], header


def _linked_node(tmp_path: Path, *, own_link: bool) -> Store:
    """a sent two reports, b two of its own (TLP:RED, kept to itself) naming a's phones, an
    email of their own and a loss of $1,000,000: one network of four reports. OWN_LINK: a's
    two reports name one phone; else each its own, and only b's join them."""
    from bigfish.linking.service import rebuild_networks
    from bigfish.models import TLP, Distribution, Marking

    store = _store(tmp_path, "linked.db")
    add_org(store, "b", country="TH")
    p1, p2 = "+66812345678", "+66812345678" if own_link else "+66812345679"
    rows = {
        "a": f"a1,2025-03-01,TH,{p1},,,\na2,2025-03-02,TH,{p2},,,\n",
        "b": (
            f"b1,2025-03-03,TH,{p1};{p2},boss@scam.example,600000,USD\n"
            f"b2,2025-03-04,TH,{p1};{p2},boss@scam.example,400000,USD\n"
        ),
    }
    header = "report_id,reported_at,country,phones,emails,loss_amount,loss_currency\n"
    for org, text in rows.items():
        path = tmp_path / f"{org}.csv"
        path.write_text(header + text, encoding="utf-8")
        marking = Marking(TLP.RED if org == "b" else TLP.GREEN, Distribution.ORGANIZATION)
        assert ingest_file(store, path, org=org, marking=marking, workers=0).stored == 2
    rebuild_networks(store)
    return store


@pytest.mark.parametrize("own_link", [True, False], ids=["own-link", "linked-by-b"])
@pytest.mark.parametrize("fmt", ["stix", "misp"])
def test_a_sent_by_export_holds_nothing_of_another_organizations_reports(
    tmp_path: Path, fmt: str, own_link: bool
) -> None:
    """`bigfish export --sent-by a` (3718c93), as the operator, to hand a its own reports:
    each network was cut to a's reports but kept the whole network's figures, its loss (b's
    $1,000,000, TLP:RED) and score and the identifiers its reports share (b's email), and put
    a's two reports in one network when only b's reports join them. A network the file holds
    only some reports of is now left out (the node ingesting the file links them itself)."""
    from bigfish.interop.export import export_misp, export_stix, network_views

    store = _linked_node(tmp_path, own_link=own_link)
    try:
        viewer = Viewer.node_operator()
        (network,) = network_views(store, viewer)
        assert len(network.reports) == 4
        out = io.StringIO()
        export = export_stix if fmt == "stix" else export_misp
        result = export(store, viewer, out, networks=[network], sent_by="a")
    finally:
        store.close()
    text = out.getvalue()
    assert result.reports == 2
    for told in ("1000000", "scam.example", "Scam network", "intrusion-set--"):
        assert told not in text, told
