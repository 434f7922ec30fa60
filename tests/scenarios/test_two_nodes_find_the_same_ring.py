"""Two nodes, one ring: a Thai node and a Vietnamese node, each a real `bigfish serve` process
with its own database, each ingesting its own country's reports, sync both ways over TAXII 2.1.
The ring spanning both countries appears on both nodes; organization-only reports never cross."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bigfish.accounts import create_key
from bigfish.intake import ingest_file
from bigfish.interop.sync import pull
from bigfish.linking import list_networks, rebuild_networks
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store
from bigfish.webhooks import allow_peer
from tests.interop.servers import free_port
from tests.scenarios.nodes import serve_node

RING_PHONE = "+66812345678"
RING_WALLET = "0xab5801a7d398351b8be11c439e05c5b3259aec9b"


def _reports(prefix: str, country: str, phone: str, count: int) -> list[dict[str, object]]:
    return [
        {
            "report_id": f"{prefix}-{i}",
            "reported_at": f"2025-10-{i + 1:02d}",
            "country": country,
            "scam_type": "investment",
            "loss_amount": "1000",
            "loss_currency": "USD",
            "identifiers": [
                {"kind": "phone", "value": phone},
                {"kind": "crypto_wallet", "value": RING_WALLET},
            ],
        }
        for i in range(count)
    ]


def _ingest(
    store: Store, tmp: Path, org: str, rows: list[dict[str, object]], marking: Marking
) -> None:
    path = tmp / f"{org}-{marking.distribution}.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    result = ingest_file(store, path, org=org, marking=marking, classify=False)
    assert result.rejected == 0


def _ring_countries(store: Store) -> list[set[str]]:
    rebuild_networks(store)
    page = list_networks(store, Viewer.node_operator())
    return [set(n.stats.countries) for n in page.networks]


def _report_ids(store: Store) -> set[str]:
    import sqlalchemy as sa

    from bigfish.store.schema import reports

    with store.connect() as conn:
        return {r[0] for r in conn.execute(sa.select(reports.c.report_id))}


@pytest.mark.slow
def test_two_nodes_find_the_same_ring(tmp_path: Path) -> None:
    th_db, vn_db = f"sqlite:///{tmp_path / 'th.db'}", f"sqlite:///{tmp_path / 'vn.db'}"
    th, vn = open_store(th_db), open_store(vn_db)
    th_port, vn_port = free_port(), free_port()
    homes = {"TH-AOC": f"http://127.0.0.1:{th_port}", "VN-POLICE": f"http://127.0.0.1:{vn_port}"}
    for store, here in ((th, "TH-AOC"), (vn, "VN-POLICE")):  # each knows where the other lives
        add_org(store, "TH-AOC", country="TH", node=None if here == "TH-AOC" else homes["TH-AOC"])
        add_org(
            store,
            "VN-POLICE",
            country="VN",
            node=None if here == "VN-POLICE" else homes["VN-POLICE"],
        )
    key_for_vn = create_key(th, org="VN-POLICE", role=ApiRole.SYNC).secret  # issued by TH
    key_for_th = create_key(vn, org="TH-AOC", role=ApiRole.SYNC).secret  # issued by VN
    shared = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    _ingest(th, tmp_path, "TH-AOC", _reports("th", "TH", "081-234-5678", 3), shared)
    _ingest(th, tmp_path, "TH-AOC", _reports("th-own", "TH", "+66899999999", 1), Marking())
    _ingest(vn, tmp_path, "VN-POLICE", _reports("vn", "VN", RING_PHONE, 2), shared)
    _ingest(vn, tmp_path, "VN-POLICE", _reports("vn-own", "VN", "+84999999999", 1), Marking())
    assert not any(c >= {"TH", "VN"} for c in _ring_countries(th))  # alone, each sees small fish
    with (
        serve_node(th_db, tmp_path, "th", port=th_port) as th_url,
        serve_node(vn_db, tmp_path, "vn", port=vn_port) as vn_url,
    ):
        allow_peer(vn, th_url, "the Thai node")
        allow_peer(th, vn_url, "the Vietnamese node")
        to_vn = pull(vn, f"{th_url}/taxii2/", key_for_vn)
        to_th = pull(th, f"{vn_url}/taxii2/", key_for_th)
        back = pull(vn, f"{th_url}/taxii2/", key_for_vn)  # an echo of VN's own data: nothing new
    for result in (to_vn, to_th, back):
        assert result.received == result.stored + result.rejected
    # a peer never speaks for this node's own organizations, but an echo of them (what the peer
    # pulled from here, in its Partnership and in the puller's Organization collection) is the
    # version held here: counted unchanged, not a rejection on every pull
    assert (to_vn.rejected, to_th.rejected, back.rejected) == (0, 0, 0)
    assert to_th.unchanged == 2 * 3 and back.unchanged == 3 + 2 * 2  # and TH's, held since
    assert (to_vn.new, to_th.new, back.new, back.updated) == (3, 2, 0, 0)
    for store in (th, vn):
        assert any(c >= {"TH", "VN"} for c in _ring_countries(store))
    assert "th-own-0" not in _report_ids(vn) and "vn-own-0" not in _report_ids(th)
