import sys, time
from stack import stack, single
name = sys.argv[1]
for line in sys.argv[2:]:
    opts = {}
    bases = line
    if "|" in line:
        bases, o = line.split("|")
        for kv in o.split(";"):
            k, v = kv.split("=")
            opts[k] = {"C": float, "thr": lambda s: s == "1", "cw": str}[k](v)
    t = time.process_time()
    f, _ = stack(name, bases.split(","), **opts)
    print(f"{name} {f:.4f}  {bases} {opts}", flush=True)
