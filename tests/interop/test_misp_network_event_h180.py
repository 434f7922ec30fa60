"""A bigfish MISP export (without `--sent-by`) holds one event per network, standing for the
network's reports. Ingested on another node, each such event became one made-up report: the
network's identifiers in one report of one country (the last `bigfish:country` tag), no
narrative, no loss, dated at the network's first report. It is rejected instead, naming its
tag, and the events of reports are stored as before."""

from __future__ import annotations

import io
import json
from pathlib import Path

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.interop import export_misp
from bigfish.interop.export import network_views
from bigfish.linking import rebuild_networks
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import reports

#: Two reports of one ring in two countries (the same wallet) and one on its own.
ROWS = (
    "report_id,reported_at,country,narrative,crypto_wallets\n"
    "r1,2025-03-01,TH,first victim paid the wallet,TA3gSXihmPNe19VbwVfuqXg4p3vqmbXeaa\n"
    "r2,2025-03-02,VN,second victim paid the wallet,TA3gSXihmPNe19VbwVfuqXg4p3vqmbXeaa\n"
    "r3,2025-03-03,TH,a lone scam,\n"
)


def test_a_network_event_is_rejected_not_stored_as_a_report(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "reports.csv"
    source.write_text(ROWS, encoding="utf-8")
    assert ingest_file(store, source, org="TH-AOC", classify=False).stored == 3
    rebuild_networks(store)
    viewer = Viewer.node_operator()
    out = io.StringIO()
    export_misp(store, viewer, out, networks=network_views(store, viewer))
    events = json.loads(out.getvalue())["response"]
    assert [e["Event"]["info"].startswith("Scam network") for e in events] == [True, False]
    path = tmp_path / "partner.misp.json"
    path.write_text(out.getvalue(), encoding="utf-8")
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        result = ingest_file(other, path, org="PEER", fmt="misp", classify=False)
        with other.connect() as conn:
            stored = [dict(r) for r in conn.execute(sa.select(reports.c.attributes)).mappings()]
    finally:
        other.close()
    assert (result.received, result.stored, result.rejected) == (2, 1, 1)
    [reject] = [json.loads(r) for r in path.with_name(path.name + ".rejects.jsonl").open()]
    tags = [t["name"] for t in events[0]["Event"]["Tag"]]
    at = next(i for i, t in enumerate(tags) if t.startswith("bigfish:network="))
    assert (reject["event"], reject["field"]) == (1, f"Tag[{at}]")
    assert "network" in reject["reason"] and "--sent-by" in reject["reason"]
    assert all("network" not in (r["attributes"] or {}) for r in stored), stored
