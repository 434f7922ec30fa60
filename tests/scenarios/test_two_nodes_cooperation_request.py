"""A cooperation request between two nodes: the Thai centre, on the Thai node, asks a Vietnamese
bank, on the Vietnamese node, to freeze an account; the bank acknowledges and fulfils it on its
own node; sync carries the request there and the changes back, both nodes show the same history,
and a third organization sees nothing on either node. Both nodes are real `bigfish serve`
processes; the Thai one also keeps an evidence file under the --data-dir it was started with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bigfish.accounts import create_key
from bigfish.evidence.custody import load_node_key
from bigfish.interop.sync import pull
from bigfish.models import ApiRole
from bigfish.organizations import add_org
from bigfish.store import open_store
from bigfish.store.schema_evidence import request_events
from bigfish.store.schema_interop import peer_keys
from bigfish.webhooks import allow_peer
from tests.interop.servers import free_port
from tests.polling import WAIT
from tests.scenarios.nodes import serve_node

ACCOUNT = "BFTVVNVX:0071000123456"
REQUEST_TYPE = "x-bigfish-cooperation-request"


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _history(base: str, key: str, request_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/api/v1/requests/{request_id}", headers=_auth(key), timeout=WAIT)
    assert answer.status_code == 200, answer.text
    history: list[dict[str, Any]] = answer.json()["history"]
    return history


def _taxii_types(base: str, key: str) -> set[str]:
    """Every object type of every TAXII collection KEY may read on node BASE."""
    root = f"{base}/taxii2/api/"
    headers = _auth(key) | {"Accept": "application/taxii+json;version=2.1"}
    listing = httpx.get(root + "collections/", headers=headers, timeout=WAIT).json()
    types: set[str] = set()
    for info in listing.get("collections", []):
        url = f"{root}collections/{info['id']}/objects/"
        page = httpx.get(url, headers=headers, timeout=WAIT).json()
        types |= {o["type"] for o in page.get("objects", [])}
    return types


@pytest.mark.slow
def test_thai_centre_asks_a_vietnamese_bank_on_another_node_to_freeze_an_account(
    tmp_path: Path,
) -> None:
    th_db, vn_db = f"sqlite:///{tmp_path / 'th.db'}", f"sqlite:///{tmp_path / 'vn.db'}"
    th, vn = open_store(th_db), open_store(vn_db)
    th_port, vn_port = free_port(), free_port()
    homes = {"TH": f"http://127.0.0.1:{th_port}", "VN": f"http://127.0.0.1:{vn_port}"}
    orgs = (("TH-AOC", "TH", None), ("VN-BANK", "VN", "bank"), ("VN-POLICE", "VN", None))
    for store, here in ((th, "TH"), (vn, "VN")):  # each node knows where the others live
        for name, country, sector in orgs:
            node = None if country == here else homes[country]
            add_org(store, name, country=country, sector=sector, node=node)
    aoc = create_key(th, org="TH-AOC", role=ApiRole.ANALYST).secret
    bank_pulls_th = create_key(th, org="VN-BANK", role=ApiRole.SYNC).secret  # issued by TH
    police_on_th = create_key(th, org="VN-POLICE", role=ApiRole.ANALYST).secret
    bank = create_key(vn, org="VN-BANK", role=ApiRole.ANALYST).secret
    aoc_pulls_vn = create_key(vn, org="TH-AOC", role=ApiRole.SYNC).secret  # issued by VN
    police_on_vn = create_key(vn, org="VN-POLICE", role=ApiRole.ANALYST).secret
    th_data = tmp_path / "th-data"
    with (
        serve_node(th_db, tmp_path, "th", th_data, th_port) as th_url,
        serve_node(vn_db, tmp_path, "vn", tmp_path / "vn-data", vn_port) as vn_url,
    ):
        allow_peer(vn, th_url, "the Thai node")
        allow_peer(th, vn_url, "the Vietnamese node")
        created = httpx.post(
            f"{th_url}/api/v1/requests",
            json={
                "to_org": "VN-BANK",
                "type": "payment_freeze",
                "legal_basis": "budapest-35",
                "summary": "Freeze the mule account that received 1.2M THB",
                "subjects": [
                    {"kind": "identifier", "identifier_kind": "bank_account", "value": ACCOUNT}
                ],
                "urgency": "emergency",
                "deadline": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                "send": True,
            },
            headers=_auth(aoc),
            timeout=WAIT,
        )
        assert created.status_code == 201, created.text
        request_id = created.json()["request_id"]

        to_vn = pull(vn, f"{th_url}/taxii2/", bank_pulls_th)  # the bank's node fetches it
        inbox = httpx.get(f"{vn_url}/api/v1/requests?box=inbox", headers=_auth(bank), timeout=WAIT)
        assert [r["request_id"] for r in inbox.json()["requests"]] == [request_id]
        assert inbox.json()["requests"][0]["status"] == "sent"
        for status in ("acknowledged", "in_progress", "fulfilled"):
            changed = httpx.post(
                f"{vn_url}/api/v1/requests/{request_id}/status",
                json={"status": status, "note": f"VN-BANK: {status}"},
                headers=_auth(bank),
                timeout=WAIT,
            )
            assert changed.status_code == 200, changed.text

        to_th = pull(th, f"{vn_url}/taxii2/", aoc_pulls_vn)  # the changes travel back
        echo = pull(vn, f"{th_url}/taxii2/", bank_pulls_th)  # and nothing comes back twice
        for result in (to_vn, to_th, echo):
            assert result.rejected == 0 and result.received == result.stored

        th_view = httpx.get(
            f"{th_url}/api/v1/requests/{request_id}", headers=_auth(aoc), timeout=WAIT
        )
        assert th_view.json()["status"] == "fulfilled"
        th_history = _history(th_url, aoc, request_id)
        assert th_history == _history(vn_url, bank, request_id)
        assert [(e["org"], e["to"]) for e in th_history] == [
            ("TH-AOC", "draft"),
            ("TH-AOC", "sent"),
            ("VN-BANK", "acknowledged"),
            ("VN-BANK", "in_progress"),
            ("VN-BANK", "fulfilled"),
        ]

        # Each node keeps the other's changes signed by the other's key, pinned on first use.
        keys = {"TH": load_node_key(th_data), "VN": load_node_key(tmp_path / "vn-data")}
        for store, other in ((th, "VN"), (vn, "TH")):
            with store.connect() as conn:
                signers = set(conn.execute(sa.select(request_events.c.signed_by)).scalars())
                pinned = conn.execute(sa.select(peer_keys.c.fingerprint)).scalars().all()
            assert signers == {None, keys[other].fingerprint} and pinned == [
                keys[other].fingerprint
            ]

        # A third organization sees nothing on either node, through the API or TAXII.
        for base, key in ((th_url, police_on_th), (vn_url, police_on_vn)):
            answer = httpx.get(
                f"{base}/api/v1/requests/{request_id}", headers=_auth(key), timeout=WAIT
            )
            assert answer.status_code == 404
            for box in ("inbox", "outbox"):
                listing = httpx.get(
                    f"{base}/api/v1/requests?box={box}", headers=_auth(key), timeout=WAIT
                )
                assert listing.json() == {"requests": [], "next_cursor": None}
            assert REQUEST_TYPE not in _taxii_types(base, key)

        # `serve --data-dir` reaches the evidence routes: the freeze order's slip is kept there.
        report = {"report_id": "R-1", "reported_at": "2025-11-02T10:00:00Z", "country": "TH"}
        submitted = httpx.post(
            f"{th_url}/api/v1/reports", json={"reports": [report]}, headers=_auth(aoc), timeout=WAIT
        )
        assert submitted.status_code == 200, submitted.text
        upload = httpx.post(
            f"{th_url}/api/v1/reports/TH-AOC/R-1/evidence",
            files={"file": ("slip.txt", b"transfer 1,200,000 THB to " + ACCOUNT.encode())},
            data={"source": "victim", "method": "photo of the transfer slip"},
            headers=_auth(aoc),
            timeout=WAIT,
        )
        assert upload.status_code == 201, upload.text
    digest = upload.json()["sha256"]
    assert (th_data / "evidence" / "sha256" / digest[:2] / digest[2:4] / digest).is_file()
