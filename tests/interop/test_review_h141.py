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

from bigfish.intake import ingest_file
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
    read_as = [name.strip().lower() for name in header]
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


def _linked_node(tmp_path: Path) -> Store:
    """a sent two reports naming one phone, b two of its own (kept to itself) naming that
    phone, an email of their own and a loss of $1,000,000: one network of four reports."""
    from bigfish.linking.service import rebuild_networks
    from bigfish.models import TLP, Distribution, Marking

    store = _store(tmp_path, "linked.db")
    add_org(store, "b", country="TH")
    rows = {
        "a": "a1,2025-03-01,TH,+66812345678,,,\na2,2025-03-02,TH,+66812345678,,,\n",
        "b": (
            "b1,2025-03-03,TH,+66812345678,boss@scam.example,600000,USD\n"
            "b2,2025-03-04,TH,+66812345678,boss@scam.example,400000,USD\n"
        ),
    }
    for org, text in rows.items():
        path = tmp_path / f"{org}.csv"
        header = "report_id,reported_at,country,phones,emails,loss_amount,loss_currency\n"
        path.write_text(header + text, encoding="utf-8")
        marking = Marking(TLP.RED if org == "b" else TLP.GREEN, Distribution.ORGANIZATION)
        assert ingest_file(store, path, org=org, marking=marking, workers=0).stored == 2
    rebuild_networks(store)
    return store


def test_a_sent_by_export_holds_nothing_of_another_organizations_reports(
    tmp_path: Path,
) -> None:
    """`bigfish export stix --sent-by a` (3718c93), as the operator, to hand a its own
    reports: each network was cut to a's reports, but carried the figures of the whole
    network: its loss (b's $1,000,000, TLP:RED) and score, and the identifiers its reports
    share, b's email among them."""
    from bigfish.interop.export import export_stix, network_views
    from bigfish.interop.stix import identifier_sco

    store = _linked_node(tmp_path)
    try:
        viewer = Viewer.node_operator()
        out = io.StringIO()
        export_stix(store, viewer, out, networks=network_views(store, viewer), sent_by="a")
    finally:
        store.close()
    bundle = json.loads(out.getvalue())
    (network,) = [o for o in bundle["objects"] if o["type"] == "intrusion-set"]
    (extension,) = [e for e in network["extensions"].values() if "network_id" in e]
    assert [r["org"] for r in extension["reports"]] == ["a", "a"]
    assert extension.get("total_loss_usd") in (None, 0), extension
    email = identifier_sco("email", "boss@scam.example")
    assert email is not None
    assert email["id"] not in out.getvalue()
    assert "scam.example" not in out.getvalue()
    phone = identifier_sco("phone", "+66812345678")  # a's own, shared by a1 and a2
    related = {o.get("target_ref") for o in bundle["objects"] if o["type"] == "relationship"}
    assert phone is not None and phone["id"] in related
