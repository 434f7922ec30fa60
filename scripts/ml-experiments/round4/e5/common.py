"""Shared setup: data, split, CV folds, pair-fold machinery for nested CV, metrics."""
import sys, time
from pathlib import Path
from itertools import combinations
import numpy as np
sys.path.insert(0, "/work/main/src")
from sklearn.metrics import f1_score
from bigfish.ml.data import read_shared, split
from bigfish.ml.evaluate import _cv_fold
from bigfish.ml.model import routes_of

SEED = 20251217
K = 5
ALL = read_shared(Path("/work/main/data/messages"))
_pos = {id(e): i for i, e in enumerate(ALL)}
TRAIN, TEST = split(ALL, seed=SEED)
TR_IDX = np.array([_pos[id(e)] for e in TRAIN])      # rows of the embedding caches
TE_IDX = np.array([_pos[id(e)] for e in TEST])
TEXTS = [e.text for e in TRAIN]
LAB = np.array([e.label for e in TRAIN])
DS = np.array([e.dataset for e in TRAIN])
ROUTE = routes_of(TEXTS)
FOLD = np.array([_cv_fold(e, SEED, K) for e in TRAIN])
PAIRS = list(combinations(range(K), 2))


def targets(idx):
    """(route, head, rows, y) like bigfish.ml.train._targets for the rows IDX (global indices)."""
    out = []
    for r in (0, 1):
        mine = idx[ROUTE[idx] == r]
        pool = mine if r else idx
        unw = pool[LAB[pool] != "legit"]
        for h, (rows, y) in enumerate([(mine, LAB[mine] != "legit"), (unw, LAB[unw] == "scam")]):
            if 0 < y.sum() < len(y):
                out.append((r, h, rows, y.astype(int)))
    return out


def oof_tables(fit_predict, name=None, cache=True):
    """Run FIT_PREDICT(train_idx, pred_idx) -> (len(pred_idx), 4) margins (route0 h0,h1, route1 h0,h1).

    Returns (single, pair): single[i] = margins of i from the model trained without i's fold;
    pair[k][i] (i not in fold k) = margins of i from the model trained without folds {k, fold(i)}.
    """
    path = Path(f"/tmp/mlB/cache/{name}.npz") if name else None
    if cache and path and path.exists():
        z = np.load(path)
        return z["single"], z["pair"]
    n = len(TRAIN)
    single = np.zeros((n, 4))
    pair = np.full((K, n, 4), np.nan)
    allidx = np.arange(n)
    for k in range(K):
        tr, te = allidx[FOLD != k], allidx[FOLD == k]
        single[te] = fit_predict(tr, te)
    for a, b in PAIRS:
        tr = allidx[(FOLD != a) & (FOLD != b)]
        te = allidx[(FOLD == a) | (FOLD == b)]
        m = fit_predict(tr, te)
        ia = FOLD[te] == a
        pair[b][te[ia]] = m[ia]      # outer fold b, inner fold a
        pair[a][te[~ia]] = m[~ia]    # outer fold a, inner fold b
    if path:
        path.parent.mkdir(exist_ok=True)
        np.savez(path, single=single, pair=pair)
    return single, pair


def own(m, idx=None):
    """Route-own (unwanted, scam) margins, shape (n, 2)."""
    r = ROUTE if idx is None else ROUTE[idx]
    return np.take_along_axis(m, 2 * r[:, None] + np.arange(2), axis=1)


def task_f1(pred_labels, idx=None):
    """{'thai': scam F1 on Thai-set rows, 'uci': unwanted F1 on UCI rows} of predicted labels."""
    idx = np.arange(len(TRAIN)) if idx is None else idx
    lab, ds = LAB[idx], DS[idx]
    out = {}
    for name, pos in (("thai", {"scam"}), ("uci", {"scam", "spam"})):
        m = ds == name
        out[name] = round(float(f1_score(np.isin(lab[m], list(pos)), np.isin(pred_labels[m], list(pos)))), 4)
    return out


def decide(u, s, tu=0.0, ts=0.0):
    """Chain decision on (unwanted, scam) scores: legit unless u > tu, then scam if s > ts."""
    return np.where(u > tu, np.where(s > ts, "scam", "spam"), "legit")
