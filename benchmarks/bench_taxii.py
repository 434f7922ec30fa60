"""TAXII and sync figures (issue 6): `python benchmarks/bench_taxii.py medallion|pull|sync`.

- `medallion [--objects 2000]`: the same objects served by bigfish and by medallion's memory
  backend, each pulled with taxii2-client in pages of 100; prints both times and the ratio.
- `pull [--objects 100000] [--page 5000]`: a full paged pull (httpx) of one collection; prints
  objects per second and the resident memory of the serving process before and after.
- `sync [--objects 1000000]`: two nodes on loopback (separate SQLite files, the server in this
  process), `bigfish sync pull` from one to the other; prints the time and objects per second.

Data are synthetic reports with a phone number and an e-mail address each (4 TAXII objects per
report: two observables, the e-mail's domain and the report). Setup is not timed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' loopback servers
from tests.interop.servers import bigfish_server, medallion_server

from bigfish.accounts import create_key
from bigfish.intake import ingest_file
from bigfish.interop.sync import pull
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
from bigfish.webhooks import allow_peer

OBJECTS_PER_REPORT = 4


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _node(tmp: Path, objects: int) -> tuple[Store, str]:
    """A node whose partnership collection holds OBJECTS objects; returns it and a sync key."""
    store = open_store(f"sqlite:///{tmp / 'source.db'}")
    add_org(store, "TH-AOC", country="TH")
    add_org(store, "PEER", country="VN")
    reports = objects // OBJECTS_PER_REPORT
    path = tmp / "reports.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(reports):
            row = {
                "report_id": f"r{i}",
                "reported_at": "2025-11-01",
                "country": "TH",
                "identifiers": [
                    {"kind": "phone", "value": f"+668{i % 10}{i:07d}"[:12]},
                    {"kind": "email", "value": f"agent{i}@scam{i % 997}.com"},
                ],
            }
            out.write(json.dumps(row) + "\n")
    marking = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    ingest_file(store, path, org="TH-AOC", marking=marking, classify=False)
    return store, create_key(store, org="PEER", role=ApiRole.SYNC).secret


def _collection(base: str, key: str) -> str:
    headers = {"Authorization": f"Bearer {key}"}
    listing = httpx.get(f"{base}/taxii2/api/collections/", headers=headers).json()
    return f"{base}/taxii2/api/collections/{listing['collections'][0]['id']}/"


def bench_medallion(objects: int) -> None:
    from taxii2client.v21 import Collection, as_pages

    with tempfile.TemporaryDirectory() as tmp:
        store, key = _node(Path(tmp), objects)
        with bigfish_server(store) as base:
            url = _collection(base, key)
            started = time.perf_counter()
            ours: list[dict[str, Any]] = []
            for envelope in as_pages(
                Collection(url, user="peer", password=key).get_objects, per_request=100
            ):
                ours.extend(envelope.get("objects", []))
            bigfish_s = time.perf_counter() - started
        with medallion_server(Path(tmp), ours, page=100) as discovery:
            url = discovery.replace(
                "/taxii2/", "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/"
            )
            started = time.perf_counter()
            theirs = 0
            first_page = None
            for envelope in as_pages(
                Collection(url, user="peer", password="secret").get_objects, per_request=100
            ):
                theirs += len(envelope.get("objects", []))
                first_page = first_page or time.perf_counter() - started
            medallion_s = time.perf_counter() - started
    print(f"objects: bigfish {len(ours)}, medallion {theirs}, pages of 100")
    print(f"bigfish   {bigfish_s:.2f} s ({len(ours) / bigfish_s:,.0f} objects/s)")
    print(f"medallion {medallion_s:.2f} s (first page {first_page:.2f} s)")
    print(f"ratio     {medallion_s / bigfish_s:.1f}x")


def bench_pull(objects: int, page: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, key = _node(Path(tmp), objects)
        with bigfish_server(store) as base:
            url = _collection(base, key) + "objects/"
            headers = {"Authorization": f"Bearer {key}"}
            before = _rss_mb()
            started = time.perf_counter()
            count, token = 0, None
            with httpx.Client(timeout=300) as client:
                while True:
                    params = {"limit": str(page), **({"next": token} if token else {})}
                    body = client.get(url, params=params, headers=headers).json()
                    count += len(body.get("objects", []))
                    token = body.get("next")
                    if not body.get("more"):
                        break
            seconds = time.perf_counter() - started
            after = _rss_mb()
    print(
        f"pulled {count} objects in pages of {page}: {seconds:.1f} s, "
        f"{count / seconds:,.0f} objects/s"
    )
    print(f"server process RSS: {before:.0f} MB before, {after:.0f} MB after")


def bench_sync(objects: int, page: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, key = _node(Path(tmp), objects)
        target = open_store(f"sqlite:///{Path(tmp) / 'target.db'}")
        with bigfish_server(store) as base:
            allow_peer(target, base)
            started = time.perf_counter()
            result = pull(target, f"{base}/taxii2/", key, page=page)
            seconds = time.perf_counter() - started
    print(
        f"sync of {result.received} objects ({result.new} reports) in {seconds:.1f} s: "
        f"{result.received / seconds:,.0f} objects/s; "
        f"stored {result.stored}, rejected {result.rejected}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("figure", choices=["medallion", "pull", "sync"])
    parser.add_argument("--objects", type=int, default=None)
    parser.add_argument("--page", type=int, default=5000)
    args = parser.parse_args()
    if args.figure == "medallion":
        bench_medallion(args.objects or 2000)
    elif args.figure == "pull":
        bench_pull(args.objects or 100_000, args.page)
    else:
        bench_sync(args.objects or 1_000_000, args.page)


if __name__ == "__main__":
    main()
