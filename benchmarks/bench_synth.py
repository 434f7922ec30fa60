"""Generation speed of the synthetic partnership: `python benchmarks/bench_synth.py [--reports N…]`.

Prints wall and CPU seconds, reports per second, output size and peak resident memory for each N
(default 50,000 and 300,000). Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from bigfish.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, nargs="+", default=[50_000, 300_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for n in args.reports:
        with tempfile.TemporaryDirectory() as tmp:
            wall, cpu = time.perf_counter(), time.process_time()
            summary = generate(Path(tmp), reports=n, seed=args.seed)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{n:>9,} reports: {wall:6.1f} s wall, {cpu:6.1f} s CPU, {n / wall:9,.0f} reports/s, "
            f"{summary.rings:,} rings (largest {summary.largest_ring}), "
            f"{summary.planted:,} planted forms, {size / 1e6:,.0f} MB, peak RSS {peak_mb:,.0f} MB"
        )


if __name__ == "__main__":
    main()
