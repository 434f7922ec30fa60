"""Helpers for linking tests: hand-made reports ingested through the real intake."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bigfish.intake import ingest_file
from bigfish.models import Marking
from bigfish.store import Store

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
