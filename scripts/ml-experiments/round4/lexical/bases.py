"""Level-1 scores of base models: outer OOF (5 fits) and inner OOF for nested stacking (20 fits).

Usage: python bases.py NAME [NAME...]   (writes cache/lvl1-<dataset>-<name>.npz)
Only train_part is read.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from common import CACHE, cached, load, tfidf

D = load("train")


def target(name: str, labels: np.ndarray) -> np.ndarray:
    return labels if name == "thai" else (labels != "legit").astype(int)


def _margins(model, x) -> np.ndarray:
    m = model.decision_function(x)
    return m[:, None] if m.ndim == 1 else m


def knn_scores(xtr, ytr, xte, classes, self_exclude=False) -> np.ndarray:
    sims = (xte @ xtr.T).toarray()
    cols = []
    for c in classes:
        s = sims[:, ytr == c]
        s.sort(axis=1)
        cols.append(s[:, -1])
        cols.append(s[:, -3:].mean(axis=1))
    return np.column_stack(cols)


def make(spec: str):
    """spec like svm:c15:C=1, lr:wb25:C=10, cnb:c15, knn:c15, svmbal:..."""
    parts = spec.split(":")
    algo, kinds = parts[0], parts[1].split("+")
    opts = dict(p.split("=") for p in parts[2:])
    C = float(opts.get("C", 1))

    cl = float(opts["cl"]) if "cl" in opts else None
    clw = float(opts.get("w", 0.0))

    def fit_predict(name, idx_tr, idx_te, sample_weight=None):
        if cl is None:
            return fit_predict0(name, idx_tr, idx_te)
        # confident-learning style: OOF margins inside idx_tr (project folds), down-weight
        # training examples whose OOF score contradicts their label by more than cl.
        f = D[name]["fold"][idx_tr]
        oof = None
        for j in np.unique(f):
            s = fit_predict0(name, idx_tr[f != j], idx_tr[f == j])
            if oof is None:
                oof = np.zeros((len(idx_tr), s.shape[1]))
            oof[f == j] = s
        y = target(name, D[name]["labels"])[idx_tr]
        if oof.shape[1] == 1:
            own = np.where(y == 1, oof[:, 0], -oof[:, 0])
            gap = -own
        else:
            cls = np.array(["legit", "scam", "spam"])
            idx = np.searchsorted(cls, y)
            own = oof[np.arange(len(y)), idx]
            o2 = oof.copy()
            o2[np.arange(len(y)), idx] = -np.inf
            gap = o2.max(1) - own
        w = np.where(gap > cl, clw, 1.0)
        keep = w > 0
        if clw == 0.0:
            return fit_predict0(name, idx_tr[keep], idx_te)
        return fit_predict0(name, idx_tr, idx_te, w)

    def fit_predict0(name, idx_tr, idx_te, sample_weight=None):
        labels = D[name]["labels"]
        y = target(name, labels)
        from scipy import sparse as sp

        xs_tr, xs_te = [], []
        for k in kinds:
            x = cached(name, D[name]["texts"], k)
            a, b = tfidf(x[idx_tr], x[idx_te])
            xs_tr.append(a)
            xs_te.append(b)
        xtr = sp.hstack(xs_tr).tocsr() if len(kinds) > 1 else xs_tr[0]
        xte = sp.hstack(xs_te).tocsr() if len(kinds) > 1 else xs_te[0]
        if len(kinds) > 1:
            from sklearn.preprocessing import normalize

            xtr, xte = normalize(xtr), normalize(xte)
        if "y4" in opts and name == "thai":
            y = D[name]["source"]
        ytr = y[idx_tr]
        if "dw" in opts and sample_weight is None:
            from collections import Counter

            from bigfish.ml.features import normalize_text

            keys = [normalize_text(D[name]["texts"][i]).strip() for i in idx_tr]
            cnt = Counter(keys)
            sample_weight = np.array([1.0 / cnt[k] ** float(opts["dw"]) for k in keys])
            sample_weight *= len(keys) / sample_weight.sum()
        classes = np.unique(ytr)
        if algo in ("svm", "svmbal"):
            m = LinearSVC(C=C, class_weight="balanced" if algo == "svmbal" else None,
                          max_iter=20000)
            m.fit(xtr, ytr, sample_weight=sample_weight)
            return _margins(m, xte)
        if algo == "lr":
            m = LogisticRegression(C=C, max_iter=5000)
            m.fit(xtr, ytr, sample_weight=sample_weight)
            return _margins(m, xte)
        if algo == "cnb":
            m = ComplementNB(alpha=float(opts.get("a", 0.3)))
            m.fit(xtr, ytr, sample_weight=sample_weight)
            lp = m.predict_log_proba(xte)
            lp = lp - lp.mean(axis=1, keepdims=True)
            return lp if lp.shape[1] > 2 else lp[:, 1:] * 1.0
        if algo == "knn":
            return knn_scores(xtr, ytr, xte, classes)
        raise ValueError(algo)

    return fit_predict


def level1(name: str, spec: str) -> dict[str, np.ndarray]:
    fp = make(spec)
    fold = D[name]["fold"]
    n = len(fold)
    outer = None
    inner = None
    for k in range(5):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        s = fp(name, tr, te)
        if outer is None:
            outer = np.full((n, s.shape[1]), np.nan)
            inner = np.full((5, n, s.shape[1]), np.nan)
        outer[te] = s
        for j in range(5):
            if j == k:
                continue
            itr = np.flatnonzero((fold != k) & (fold != j))
            ite = np.flatnonzero(fold == j)
            inner[k, ite] = fp(name, itr, ite)
    return {"outer": outer, "inner": inner}


if __name__ == "__main__":
    import os

    for spec in sys.argv[1:]:
        for name in os.environ.get("DS", "thai,uci").split(","):
            p = CACHE / f"lvl1-{name}-{spec.replace(':', '_').replace('=', '')}.npz"
            if p.exists():
                continue
            t0, c0 = time.time(), time.process_time()
            r = level1(name, spec)
            np.savez(p, **r)
            print(f"{name} {spec}: {time.time() - t0:.1f}s wall {time.process_time() - c0:.1f}s cpu",
                  flush=True)
