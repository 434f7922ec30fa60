"""Precision at 10 of same-script links on `bigfish synth` data (rings share a script).

Run: .venv/bin/python benchmarks/bench_same_script.py [--reports N] [--seed S] [--method M]
(M is char-ngram, the default, or e5 with the ml extra).

A suggested link is correct when both reports belong to the same planted ring (truth.json).
Two figures: the precision of the 10 best links overall, and the mean over ring reports of the
precision of each report's own 10 best suggestions (what an analyst sees on a report's page).
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bigfish.ml import PossibleLink, similar_narratives
from bigfish.synth import generate


def synth_narratives(out_dir: Path) -> dict[str, str]:
    """Report key (``org/report_id``) -> narrative, from the CSV and JSONL files of OUT_DIR."""
    found: dict[str, str] = {}
    for path in sorted(out_dir.iterdir()):
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
        elif path.suffix == ".jsonl" and path.name != "planted.jsonl":
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        else:
            continue
        for row in rows:
            if row.get("narrative") and row.get("report_id"):
                found[f"{path.stem}/{row['report_id']}"] = str(row["narrative"])
    return found


def precision_at_k(
    links: list[PossibleLink], truth: dict[str, str | None], k: int = 10
) -> tuple[float, float]:
    """(precision of the K best links overall, mean per-report precision of its K best)."""

    def correct(link: PossibleLink) -> bool:
        ring = truth.get(link.a)
        return ring is not None and ring == truth.get(link.b)

    top = links[:k]
    overall = sum(correct(link) for link in top) / max(len(top), 1)
    per_report: dict[str, list[PossibleLink]] = defaultdict(list)
    for link in links:  # best first, so each list is already ranked
        for key in (link.a, link.b):
            if truth.get(key) is not None and len(per_report[key]) < k:
                per_report[key].append(link)
    scores = [sum(correct(x) for x in mine) / len(mine) for mine in per_report.values()]
    return overall, sum(scores) / max(len(scores), 1)


def main() -> None:
    """Generate a synthetic partnership, suggest same-script links, print precision at 10."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--method", default="char-ngram")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out, reports=args.reports, seed=args.seed)
        truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))["reports"]
        narratives = synth_narratives(out)
    items = sorted(narratives.items())
    start = time.perf_counter()
    links = similar_narratives(items, top_k=10, min_score=0.0, method=args.method)
    elapsed = time.perf_counter() - start
    overall, per_report = precision_at_k(links, truth)
    in_rings = sum(1 for key, _ in items if truth.get(key))
    print(f"{len(items)} narratives ({in_rings} in rings), {len(links)} links in {elapsed:.2f} s")
    print(f"precision@10, 10 best links overall ({args.method}): {overall:.3f}")
    print(f"precision@10, mean over ring reports ({args.method}): {per_report:.3f}")


if __name__ == "__main__":
    main()
