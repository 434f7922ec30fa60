"""Honest CV of 'pick the best base among CANDIDATES by inner CV' (selection redone per outer fold)."""
import sys
from fuse import *
from fuse import _inner_probs, _calibrate, _score
names = sys.argv[1].split(",")
bases = {n: oof_tables(None, n) for n in names}
pred = np.empty(len(TRAIN), dtype=object); picks = []
for k in range(K):
    te = np.flatnonzero(FOLD == k); inner = np.flatnonzero(FOLD != k)
    best, pick = -1, None
    for n, b in bases.items():
        Pi = _inner_probs([b], k)
        sc = _score(task_f1(decide(Pi[inner, 0], Pi[inner, 1], .5, .5), inner))
        if sc > best: best, pick = sc, n
    P = _calibrate([bases[pick]], k, te)
    pred[te] = decide(P[:, 0], P[:, 1], .5, .5); picks.append(pick)
print("nested selection among", names, "->", task_f1(pred), picks)
