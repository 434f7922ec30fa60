"""Helpers for linking tests: hand-made reports ingested through the real intake."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.linking import list_networks
from bigfish.models import Marking
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema_linking import network_members, networks

Ingest = Callable[..., None]
_counter = itertools.count()


def report(
    report_id: str,
    *identifiers: tuple[str, str],
    country: str = "TH",
    day: int = 1,
    month: int = 1,
    loss: str | None = None,
    currency: str = "THB",
    scam_type: str = "investment",
    narrative: str | None = None,
) -> dict[str, Any]:
    """One JSONL intake row with (kind, value) identifiers."""
    row: dict[str, Any] = {
        "report_id": report_id,
        "reported_at": f"2025-{month:02d}-{day:02d}",
        "country": country,
        "scam_type": scam_type,
        "channel": "line",
        "identifiers": [{"kind": k, "value": v} for k, v in identifiers],
    }
    if loss is not None:
        row["loss_amount"] = loss
        row["loss_currency"] = currency
    if narrative is not None:
        row["narrative"] = narrative
    return row


def jsonl_ingest(folder: Path, default: Marking | None = None) -> Ingest:
    """ingest(store, org, rows, marking=DEFAULT): write ROWS as JSONL in FOLDER and ingest
    them as ORG; none may be rejected (the rejects are shown)."""

    def run(
        store: Store, org: str, rows: Sequence[dict[str, Any]], marking: Marking | None = default
    ) -> None:
        path = folder / f"batch-{next(_counter)}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        result = ingest_file(store, path, org=org, marking=marking)
        assert result.rejected == 0, path.with_name(path.name + ".rejects.jsonl").read_text()

    return run


@pytest.fixture
def ingest(tmp_path: Path) -> Ingest:
    """ingest(store, org, rows, marking=None): write ROWS as JSONL and ingest them as ORG."""
    return jsonl_ingest(tmp_path)


OPERATOR = Viewer.node_operator()


def networks_of(store: Store) -> list[tuple[int, tuple[str, ...]]]:
    """(report count, member report ids) of every active network, as the operator sees them."""
    page = list_networks(store, OPERATOR)
    return sorted(
        (n.stats.report_count, tuple(sorted(r.report_id for r in n.reports))) for n in page.networks
    )


def miscounted(store: Store) -> list[int]:
    """Active networks whose stored report count is not their number of members (counted by
    a query of their own, not the linker's)."""
    members = (
        sa.select(sa.func.count())
        .select_from(network_members)
        .where(network_members.c.network_id == networks.c.id)
        .scalar_subquery()
    )
    query = sa.select(networks.c.id).where(
        networks.c.status == "active", networks.c.report_count != members
    )
    with store.connect() as conn:
        return list(conn.execute(query).scalars())
