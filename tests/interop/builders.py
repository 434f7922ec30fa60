"""A small partnership for interop tests: A owns data, B must not see it, C is in A's group."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bigfish.accounts import authenticate_key, create_key
from bigfish.api.app import ApiSettings, create_app
from bigfish.intake import ingest_file
from bigfish.interop.markings import REPORT_EXTENSION, SHARING_EXTENSION
from bigfish.interop.model import MentionView, ReportView
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import add_group, add_org
from bigfish.sharing import Viewer
from bigfish.store import Store
from tests.api.helpers import TestClient

RING_PHONE = "+66812345678"
RING_WALLET = "0xab5801a7d398351b8be11c439e05c5b3259aec9b"


def key_viewer(store: Store, org: str, role: ApiRole = ApiRole.ANALYST) -> Viewer:
    """The viewer of a new API key of ORG with ROLE, as the API would authenticate it."""
    secret = create_key(store, org=org, role=role).secret
    with store.connect() as conn:
        principal = authenticate_key(conn, secret)
    assert principal is not None
    return principal.viewer()


def sample_reports(prefix: str, country: str, count: int = 2) -> list[dict[str, object]]:
    """COUNT JSON reports of a ring that shares one phone and one wallet."""
    return [
        {
            "report_id": f"{prefix}-{i}",
            "reported_at": f"2025-11-{i + 1:02d}T08:00:00Z",
            "country": country,
            "scam_type": "investment",
            "channel": "line",
            "loss_amount": "150000.50",
            "loss_currency": "THB",
            "narrative": f"Victim {i} paid after a call from 081-234-5678 <script>x</script>",
            "identifiers": [
                {"kind": "phone", "value": "081 234 5678", "role": "contact"},
                {"kind": "crypto_wallet", "value": RING_WALLET.upper().replace("0X", "0x")},
                {"kind": "bank_account", "value": "KASITHBK:123-4-56789-0", "role": "payment"},
                {"kind": "url", "value": "hxxps://invest-gold88[.]com/login"},
                {"kind": "handle", "value": "https://t.me/Gold_Mentor_88"},
                {"kind": "email", "value": f"agent{i}@invest-gold88.com"},
                {"kind": "bank_account", "value": "GB82 WEST 1234 5698 7654 32"},
            ],
        }
        for i in range(count)
    ]


def ingest_json(
    store: Store, tmp: Path, org: str, rows: list[dict[str, object]], marking: Marking
) -> None:
    """Ingest ROWS as ORG's with MARKING."""
    path = tmp / f"{org}-{marking.tlp}-{marking.distribution}-{len(rows)}.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = ingest_file(store, path, org=org, marking=marking, classify=False)
    assert result.rejected == 0, path.with_name(path.name + ".rejects.jsonl").read_text()


def partnership(store: Store, tmp: Path) -> None:
    """A: TH-AOC, B: BANK-B, C: VN-POLICE in group MEKONG with A; reports under every marking."""
    add_org(store, "TH-AOC", country="TH")
    add_org(store, "BANK-B", country="TH")
    add_org(store, "VN-POLICE", country="VN")
    add_group(store, "MEKONG", owner="TH-AOC", members=["VN-POLICE"])
    shared = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    ingest_json(store, tmp, "TH-AOC", sample_reports("shared", "TH"), shared)
    ingest_json(store, tmp, "TH-AOC", sample_reports("own", "TH", 1), Marking())
    group = Marking(TLP.AMBER, Distribution.GROUP, "MEKONG")
    ingest_json(store, tmp, "TH-AOC", sample_reports("group", "TH", 1), group)
    red = Marking(TLP.RED, Distribution.PARTNERSHIP)
    ingest_json(store, tmp, "TH-AOC", sample_reports("red", "TH", 1), red)


FIXED = datetime(2025, 11, 5, 9, 30, tzinfo=UTC)


def bank_b_objects_url(store: Store) -> tuple[TestClient, dict[str, str], str]:
    """A TAXII client of BANK-B (an analyst's key) on STORE's API, its headers and the objects
    URL of BANK-B's own collection (the partnership of `partnership` built already)."""
    key = create_key(store, org="BANK-B", role=ApiRole.ANALYST).secret
    headers = {"Authorization": f"Bearer {key}"}
    client = TestClient(create_app(store, ApiSettings(rate_limit_per_minute=0)))
    listing = client.get("/taxii2/api/collections/", headers=headers).json()
    own = next(c for c in listing["collections"] if c["title"] == "Organization BANK-B")
    return client, headers, f"/taxii2/api/collections/{own['id']}/objects/"


def fixed_view(report_id: str = "r-1", marking: Marking | None = None) -> ReportView:
    """A report view with fixed times, for golden files."""
    mentions = (
        MentionView("phone", RING_PHONE, True, "field", "contact", "081 234 5678"),
        MentionView("crypto_wallet", RING_WALLET, True, "field", "payment", RING_WALLET),
        MentionView(
            "bank_account", "KASITHBK:1234567890", True, "field", None, "kasithbk 1234567890"
        ),
        MentionView(
            "bank_account", "GB82WEST12345698765432", True, "field", None, "GB82WEST12345698765432"
        ),
        MentionView(
            "url", "invest-gold88.com/login", True, "field", None, "invest-gold88.com/login"
        ),
        MentionView(
            "domain", "invest-gold88.com", True, "derived", None, "invest-gold88.com/login"
        ),
        MentionView(
            "email", "agent@invest-gold88.com", True, "field", None, "agent@invest-gold88.com"
        ),
        MentionView("handle", "telegram:gold_mentor_88", True, "field", None, "@gold_mentor_88"),
        MentionView("ip", "192.0.2.1", True, "narrative", None, "192.0.2.1"),
        MentionView("phone", "12", False, "field", None, "12"),
    )
    return ReportView(
        pk=1,
        org="TH-AOC",
        org_country="TH",
        report_id=report_id,
        reported_at=FIXED,
        country="TH",
        scam_type="investment",
        channel="line",
        loss_amount="150000.50",
        loss_currency="THB",
        narrative="Paid after a call; server 192.0.2.1",
        marking=marking or Marking(TLP.GREEN, Distribution.PARTNERSHIP),
        created_at=FIXED,
        updated_at=FIXED,
        modified=FIXED,
        source_id=None,
        mentions=mentions,
    )


#: The location a foreign report refers to for its country.
LOCATION = {"type": "location", "spec_version": "2.1", "id": "location--1", "country": "TH"}


def foreign_report(n: int, refs: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    """A foreign (OpenCTI-like) STIX report without bigfish's extension, referring to LOCATION
    and REFS; its report_id is its id."""
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--44444444-4444-4444-8444-{n:012d}",
        "created": "2025-10-01T00:00:00.000Z",
        "modified": "2025-10-01T00:00:00.000Z",
        "published": "2025-10-01T00:00:00Z",
        "name": f"report {n}",
        "object_refs": ["location--1", *refs],
        **extra,
    }


def bigfish_report(
    report_id: str, *, org: str | None = None, group: str | None = None, phone: str | None = None
) -> dict[str, Any]:
    """A STIX report with bigfish's extension, as a TAXII POST or a sync page carries it, of
    1 November 2025 in Thailand: ORG's (the poster's when None), naming PHONE (nothing when
    None), shared with sharing group GROUP (the poster's default marking when None); its id is
    made of ORG and REPORT_ID."""
    extensions: dict[str, Any] = {
        REPORT_EXTENSION: {
            "extension_type": "property-extension",
            "report_id": report_id,
            **({} if org is None else {"org": org}),
            "country": "TH",
            **({} if phone is None else {"identifiers": [{"kind": "phone", "value": phone}]}),
        }
    }
    if group is not None:
        extensions[SHARING_EXTENSION] = {
            "extension_type": "property-extension",
            "distribution": "group",
            "group": group,
        }
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--{uuid.uuid5(uuid.NAMESPACE_URL, (org or '') + report_id)}",
        "created": "2025-11-01T00:00:00.000Z",
        "modified": "2025-11-01T00:00:00.000Z",
        "name": report_id,
        "published": "2025-11-01T00:00:00.000Z",
        "object_refs": [],
        "extensions": extensions,
    }
