"""python run_base.py NAME 'EXPR' : cache OOF tables of a base scorer; print its Platt CV."""
import sys, time
from emb_base import *
from fuse import evaluate
name, expr = sys.argv[1], sys.argv[2]
t0, w0 = time.process_time(), time.time()
fp = eval(expr)
single, pair = oof_tables(fp, name)
cpu = time.process_time() - t0
f = evaluate([(single, pair)])[0]
line = f"| {name} | `{expr}` | {f['thai']:.4f} | {f['uci']:.4f} | {cpu/15:.1f}s cpu/fit |"
print(line, flush=True)
open("/tmp/mlB/bases.md", "a").write(line + "\n")
