"""Ingest throughput and peak memory (issue 2): `python benchmarks/bench_ingest.py [--reports N]`.

Synthesizes a partnership (not timed), then ingests every file into a fresh SQLite store the way
`bigfish ingest` does, and prints reports per second and the peak resident memory of the
process and its worker processes. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from bigfish.intake import ingest_file, load_mapping
from bigfish.store import open_store
from bigfish.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        generate(data, reports=args.reports, seed=args.seed)
        size = sum(p.stat().st_size for p in data.iterdir())
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        partnership = json.loads((data / "partnership.json").read_text("utf-8"))
        started = time.perf_counter()
        received = 0
        for org in partnership["organizations"]:
            for entry in org["files"]:
                mapping = load_mapping(data / entry["map"]) if entry.get("map") else None
                result = ingest_file(
                    store, data / entry["path"], org=org["name"], mapping=mapping,
                    workers=args.workers,
                )  # fmt: skip
                received += result.received
        seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"files: {size / 1e6:.0f} MB, reports: {received:,}")
    print(f"ingest: {seconds:.1f} s, {received / seconds:,.0f} reports/s")
    print(f"peak RSS: main {own:.0f} MiB, largest worker {children:.0f} MiB")


if __name__ == "__main__":
    main()
