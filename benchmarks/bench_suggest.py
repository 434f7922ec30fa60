"""Full and incremental `bigfish ml suggest` runs on a `bigfish synth` node.

Run: .venv/bin/python benchmarks/bench_suggest.py [--reports 10000] [--new 100] [--batches 2]
     [--copies N [--old]]
     [--dir PATH]

Builds once (kept in --dir, default /tmp/bench-suggest) a SQLite node of `bigfish synth --reports
N --seed 7` ingested with --manifest, copies it, then runs each step as a child process under
/usr/bin/time -v and prints its wall time, CPU time (user + system) and peak memory (RSS):

1. `bigfish ml suggest --all`: every narrative compared with every other, the idf counted;
2. per batch, `bigfish ingest` of NEW reports (th-aoc's file of `bigfish synth --seed 8`, report
   ids prefixed), then `bigfish ml suggest`: only the new narratives compared with all;
3. `bigfish ml suggest` with nothing new: the floor of a run (every narrative read and vectorized).

The CLI's start-up (imports, opening the store) is part of each command's figures; the lines
"find() alone" time the library call inside a child process (what a hook after ingest would add).

Quality is measured on the same data by benchmarks/bench_same_script.py.

Measured (2 shared cores, load 3-7; `nice .venv/bin/python benchmarks/bench_suggest.py --reports
N --dir /tmp/...`), comparing every pair (before) and pruned
(`bigfish.ml.similar_pruned._pruned_scan`),
the same suggestions kept at every step:

    reports  --all CPU, peak                           100 new CPU       find() alone, 100 new
    20,000   51.7 s, 424 MB -> 24.1-27.2 s, 453 MB     4.0 -> 3.8-4.0 s  2.4 -> 2.1-2.4 s
    50,000   307.0 s, 691 MB -> 101.6-112.0 s, 777 MB  7.7 -> 7.2-7.4 s  6.0 -> 5.7-5.8 s

Peak memory of the pruned runs is of the second (current) version: 453 and 777 MB (489 and 850 MB
when it kept the vectors' rest as well as its transpose).

(A run after ingest compares 100 rows, fewer than an eighth: every pair, as before.)

Exact copies (--copies N): in-process `choose` (top 10, min 0.5) over 60 varied narratives and
N copies of one SMS, each with its own number and link (the same once masked), with copies
compared once (`bigfish.ml.similar_copies`) and, with --old, every row compared (as before):

    copies   every row (before)   copies once   the same choices
    4,000    14.7 s CPU           0.1 s CPU     yes
    20,000   407.0 s CPU          0.2 s CPU     yes
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

BIGFISH = str(Path(sys.executable).with_name("bigfish"))


def _run(args: list[str]) -> dict[str, str]:
    """Run ARGS under /usr/bin/time -v; its last output line and its time and memory."""
    done = subprocess.run(
        ["/usr/bin/time", "-v", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    def field(name: str) -> str:
        found = re.search(rf"{re.escape(name)}: (.+)", done.stderr)
        return found.group(1).strip() if found else "?"

    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return {
        "wall": field("Elapsed (wall clock) time (h:mm:ss or m:ss)"),
        "cpu": f"{cpu:.1f} s",
        "peak": f"{int(field('Maximum resident set size (kbytes)')) // 1024} MB",
        "said": " / ".join(lines[-2:]),
    }


_FIND_ALONE = """
import resource, sys, time
from bigfish.store import open_store
from bigfish.suggestions import find
store = open_store(sys.argv[1])
start = time.process_time()
result = find(store)
cpu = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"{cpu:.1f} s {peak} MB {result.compared} compared of {result.narratives}")
"""


def _find_alone(url: str) -> str:
    """CPU time and peak memory of one `find` call in a child process (after its imports)."""
    done = subprocess.run(
        [sys.executable, "-c", _FIND_ALONE, url], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _node(work: Path, reports: int) -> Path:
    """The SQLite file of a node holding `bigfish synth --reports REPORTS --seed 7`."""
    db = work / f"node-{reports}.db"
    if db.exists():
        return db
    data = work / f"synth-{reports}"
    subprocess.run([BIGFISH, "synth", str(data), "--reports", str(reports), "--seed", "7"],
                   check=True, capture_output=True)  # fmt: skip
    manifest = str(data / "partnership.json")
    subprocess.run([BIGFISH, "--db", f"sqlite:///{db}.part", "ingest", "--manifest", manifest],
                   check=True, capture_output=True)  # fmt: skip
    Path(f"{db}.part").rename(db)
    return db


def _new_reports(work: Path, batch: int, count: int) -> Path:
    """COUNT th-aoc reports no node holds yet (from seed 8), as a CSV file of BATCH."""
    source = work / "synth-new"
    if not source.exists():
        subprocess.run([BIGFISH, "synth", str(source), "--reports", "4000", "--seed", "8"],
                       check=True, capture_output=True)  # fmt: skip
    with (source / "th-aoc.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    chosen = rows[batch * count : (batch + 1) * count]
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} new reports left for batch {batch}")
    out = work / f"new-{batch}.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in chosen:
            writer.writerow(row | {"report_id": f"NEW-{batch}-{row['report_id']}"})
    return out


def _copies(copies: int, old: bool) -> None:
    """CPU of `choose` over 60 varied narratives and COPIES copies of one SMS (masked alike)."""
    import random
    import time

    import numpy as np

    from bigfish.ml import similar

    rng = random.Random(1)
    words = "gold crypto parcel police bank loan job prize dating app visa tax fee".split()
    texts = [" ".join(rng.choices(words, k=30)) for _ in range(60)]
    texts += [
        f"Your parcel is held at customs: pay the fee at bit.ly/p{i}x or call "
        f"08{rng.randint(10_000_000, 99_999_999)} within 24 hours"
        for i in range(copies)
    ]
    rng.shuffle(texts)
    vectors = similar.char_ngram_vectors(texts)
    n = vectors.shape[0]
    found = []
    for once in [True, False] if old else [True]:
        similar.COPIES = once
        start = time.process_time()
        chosen = similar.choose(
            vectors, np.ones(n, dtype=bool), similar.Previous.nothing(n), top_k=10, min_score=0.5
        )
        cpu = time.process_time() - start
        print(f"{copies} copies, {'copies once' if once else 'every row'}: {cpu:.1f} s CPU")
        found.append([part.tolist() for part in chosen.choices.pairs()])
    if old:
        print(f"the same choices: {found[0] == found[1]}")


def main() -> None:
    """Build the node, run the steps, print one line per step."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--batches", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-suggest"))
    parser.add_argument("--copies", type=int, default=0, help="measure exact copies only")
    parser.add_argument("--old", action="store_true", help="with --copies: also as before")
    args = parser.parse_args()
    if args.copies:
        _copies(args.copies, args.old)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    node = args.dir / f"run-{args.reports}.db"
    shutil.copyfile(_node(args.dir, args.reports), node)
    url = f"sqlite:///{node}"
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    def show(step: str, found: dict[str, str]) -> None:
        print(f"{step:<28} wall {found['wall']:>8}  cpu {found['cpu']:>8}  peak {found['peak']:>7}")
        print(f"{'':<28} {found['said']}")

    show("suggest --all", _run([BIGFISH, "--db", url, "ml", "suggest", "--all"]))
    for batch in range(args.batches):
        new = str(_new_reports(args.dir, batch, args.new))
        ingest = [BIGFISH, "--db", url, "ingest", new, "--org", "th-aoc"]
        show(f"ingest {args.new} new", _run(ingest))
        if batch == 0:
            show(f"suggest ({args.new} new)", _run([BIGFISH, "--db", url, "ml", "suggest"]))
        else:
            print(f"{'find() alone (' + str(args.new) + ' new)':<28} cpu {_find_alone(url)}")
    show("suggest (nothing new)", _run([BIGFISH, "--db", url, "ml", "suggest"]))
    print(f"{'find() alone (nothing new)':<28} cpu {_find_alone(url)}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
