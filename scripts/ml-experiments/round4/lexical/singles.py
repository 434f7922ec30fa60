import glob, os
from stack import single
for name in ("thai","uci"):
    for p in sorted(glob.glob(f"cache/lvl1-{name}-*.npz")):
        b = os.path.basename(p)[len(f"lvl1-{name}-"):-4]
        if b.startswith(("knn","dense")): continue
        print(f"{name:5s} {b:28s} {single(name,b):.4f}")
