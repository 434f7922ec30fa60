"""python run_fuse.py LABEL base1,base2[,...] [mode] [thr]"""
import sys
from fuse import *
label, names = sys.argv[1], sys.argv[2].split(",")
mode = sys.argv[3] if len(sys.argv) > 3 else "stack"
thr = len(sys.argv) > 4 and sys.argv[4] == "thr"
bases = [oof_tables(None, n) for n in names]
t0 = time.process_time()
f, ch = evaluate(bases, mode, thr)
line = f"| {label} | {'+'.join(names)} | {mode}{' +thr' if thr else ''} | {f['thai']:.4f} | {f['uci']:.4f} | {[c[0] for c in ch] if mode=='wsum' else ''} |"
print(line, f"{time.process_time()-t0:.0f}s", flush=True)
open("/tmp/mlB/fusions.md", "a").write(line + "\n")
