"""Precision at 10 of same-script links on `bigfish synth` data (rings share a script).

Run: .venv/bin/python benchmarks/bench_same_script.py [--reports N] [--method char-ngram|e5]
Needs bigfish.synth.generate (writes per-organization CSV/JSONL files and truth.json).
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

from bigfish.ml import similar_narratives


def _narratives(out_dir: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(out_dir.iterdir()):
        org = path.stem
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
        elif path.suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        else:
            continue
        for row in rows:
            if row.get("narrative"):
                found[f"{org}/{row['report_id']}"] = str(row["narrative"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--method", default="char-ngram")
    args = parser.parse_args()
    from bigfish.synth import generate  # type: ignore[attr-defined]

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out, reports=args.reports, seed=args.seed)
        truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))["reports"]
        narratives = _narratives(out)
    items = sorted(narratives.items())
    start = time.perf_counter()
    links = similar_narratives(items, top_k=10, min_score=0.0, method=args.method)
    elapsed = time.perf_counter() - start
    top = links[:10]
    hits = sum(1 for link in top if truth.get(link.a) and truth.get(link.a) == truth.get(link.b))
    print(f"{len(items)} narratives, {len(links)} suggested links in {elapsed:.2f} s")
    print(f"precision@10 (top 10 links overall, {args.method}): {hits / max(len(top), 1):.2f}")


if __name__ == "__main__":
    main()
