"""The demo partnership: synthesize, ingest per organization, link, and show the big fish."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bigfish.errors import InputError
from bigfish.intake import IngestResult, ingest_file, load_mapping
from bigfish.organizations import add_org
from bigfish.store import Store, open_store


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo built, and how long each step took."""

    store_url: str
    data_dir: Path
    results: tuple[IngestResult, ...]
    synth_seconds: float
    ingest_seconds: float
    link_seconds: float


def _org_sectors(partnership: dict[str, Any]) -> list[dict[str, Any]]:
    orgs = partnership.get("organizations")
    if not isinstance(orgs, list):
        raise InputError("partnership.json has no organizations list", field="organizations")
    return orgs


def build_demo(
    workdir: Path,
    *,
    reports: int = 50_000,
    seed: int = 7,
    on_file: Callable[[IngestResult], None] | None = None,
) -> tuple[Store, DemoResult]:
    """Recreate WORKDIR with a synthetic partnership, ingested and linked in its own store."""
    from bigfish.synth import generate

    if workdir.exists():
        shutil.rmtree(workdir)
    data_dir = workdir / "data"
    started = time.perf_counter()
    generate(data_dir, reports=reports, seed=seed)
    synth_seconds = time.perf_counter() - started
    url = f"sqlite:///{workdir / 'bigfish.db'}"
    store = open_store(url)
    partnership = json.loads((data_dir / "partnership.json").read_text("utf-8"))
    results: list[IngestResult] = []
    started = time.perf_counter()
    for org in _org_sectors(partnership):
        add_org(store, str(org["name"]), country=org.get("country"), sector=org.get("sector"))
        for entry in org.get("files", []):
            mapping = load_mapping(data_dir / entry["map"]) if entry.get("map") else None
            result = ingest_file(
                store, data_dir / entry["path"], org=str(org["name"]), mapping=mapping
            )
            results.append(result)
            if on_file is not None:
                on_file(result)
    ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    _link(store)
    link_seconds = time.perf_counter() - started
    return store, DemoResult(
        url, data_dir, tuple(results), synth_seconds, ingest_seconds, link_seconds
    )


def _link(store: Store) -> None:
    try:
        from bigfish.linking.service import rebuild_networks
    except ImportError:  # the linking part is not installed in this build
        return
    rebuild_networks(store)
